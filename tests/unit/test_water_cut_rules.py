"""Water-cut notices' pure rules (domain/water_cuts.py): the life of a notice and its revisions, who an area
affects, when a notice may go out (quiet hours), what it says, what the board shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import water_cuts as rules
from chalicelib.domain.identifiers import WARD_KEY_RE
from chalicelib.domain.reminders import QuietHours
from chalicelib.domain.vntime import VN_TZ
from chalicelib.services.shapes_water_cuts import WaterCutKind, WaterCutStatus

QUIET = QuietHours(((660, 810), (1260, 420)))  # 11:00-13:30, 21:00-07:00


def vn(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2031, 6, day, hour, minute, tzinfo=VN_TZ)


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


def test_the_shapes_types_are_the_domains():
    assert get_args(WaterCutKind) == rules.KINDS
    assert get_args(WaterCutStatus) == rules.STATUSES


# -- the life of a notice -------------------------------------------------------------------------------


def test_a_draft_changes_silently_and_publishing_is_the_first_revision():
    assert rules.move("draft", 0, "edit") == rules.Move("draft", 0, False)
    assert rules.move("draft", 0, "publish") == rules.Move("published", 1, True)
    assert rules.move("draft", 0, "cancel") == rules.Move("cancelled", 0, False)  # nobody was told of it


def test_every_change_customers_were_told_of_is_told_again_as_a_new_revision():
    assert rules.move("published", 1, "update") == rules.Move("updated", 2, True)
    assert rules.move("updated", 2, "update") == rules.Move("updated", 3, True)
    assert rules.move("updated", 3, "cancel") == rules.Move("cancelled", 4, True)
    assert rules.move("published", 1, "restore") == rules.Move("restored", 2, True)


@pytest.mark.parametrize(
    "status, action",
    [
        ("draft", "update"),
        ("draft", "restore"),
        ("published", "publish"),
        ("published", "edit"),
        ("cancelled", "publish"),
        ("cancelled", "update"),
        ("restored", "update"),
        ("restored", "cancel"),
        ("restored", "restore"),
    ],
)
def test_what_a_status_does_not_allow(status, action):
    with pytest.raises(rules.NotAllowed):
        rules.move(status, 1, action)


@given(st.lists(st.sampled_from(["edit", "publish", "update", "cancel", "restore"]), max_size=12))
def test_the_revision_counts_exactly_the_changes_that_notified(actions):
    status, revision, told = "draft", 0, 0
    for action in actions:
        try:
            step = rules.move(status, revision, action)
        except rules.NotAllowed:
            continue
        assert step.revision == revision + (1 if step.notifies else 0)
        assert not (status == "draft" and step.notifies and action != "publish")
        status, revision, told = step.status, step.revision, told + step.notifies
    assert revision == told
    if status in ("cancelled", "restored"):  # final
        for action in ("edit", "publish", "update", "cancel", "restore"):
            with pytest.raises(rules.NotAllowed):
                rules.move(status, revision, action)


def test_the_event_a_revision_announces():
    assert rules.event_of("published", 1) == "published"
    assert rules.event_of("updated", 2) == "updated"
    assert rules.event_of("cancelled", 3) == "cancelled"
    assert rules.event_of("restored", 2) == "restored"


def test_times():
    now = ts(vn(1, 9))
    assert rules.check_times(now + 3600, now + 7200, now) is None
    assert rules.check_times(now - 3600, now + 60, now) is None  # an emergency under way
    assert "after" in rules.check_times(now + 7200, now + 3600, now)
    assert "past" in rules.check_times(now - 7200, now - 60, now)
    assert "30 days" in rules.check_times(now, now + 31 * 86400, now)
    assert "year" in rules.check_times(now + 400 * 86400, now + 401 * 86400, now)


# -- the area -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, key",
    [
        ("Phường 7", "phuong-7"),
        ("phuong 7", "phuong-7"),
        ("  PHƯỜNG   7 ", "phuong-7"),
        ("P. Tân Thành", "p-tan-thanh"),
        ("Xã Định Bình", "xa-dinh-binh"),
        ("Đường 3/2", "duong-3-2"),
    ],
)
def test_a_wards_key_ignores_diacritics_case_and_punctuation(name, key):
    assert rules.ward_key(name) == key
    assert WARD_KEY_RE.fullmatch(key)


@given(st.text(max_size=60))
def test_a_ward_key_is_a_key_or_empty(name):
    key = rules.ward_key(name)
    assert key == "" or WARD_KEY_RE.fullmatch(key)
    assert rules.ward_key(key) == key  # stable


def test_an_area_is_the_union_of_its_parts():
    area = rules.Area.of(["phuong-7"], ["R01"], ["01031059"])
    assert rules.affects(area, "01031059", None, ())  # listed
    assert rules.affects(area, "01031060", "phuong-7", ())  # in the ward
    assert rules.affects(area, "01031061", "phuong-8", {"R02", "R01"})  # on the route
    assert not rules.affects(area, "01031062", "phuong-8", {"R02"})
    assert not rules.affects(area, "01031063", None, ())  # the book names no ward: only codes and routes
    assert rules.Area().empty and not area.empty


@given(
    st.frozensets(st.sampled_from(["w1", "w2", "w3"])),
    st.frozensets(st.sampled_from(["r1", "r2"])),
    st.frozensets(st.sampled_from(["c1", "c2"])),
    st.sampled_from(["c1", "c2", "c3"]),
    st.sampled_from([None, "w1", "w2", "w4"]),
    st.frozensets(st.sampled_from(["r1", "r2", "r3"])),
)
def test_a_customer_is_affected_by_an_area_iff_by_one_of_its_parts(wards, routes, codes, code, ward, on_routes):
    whole = rules.affects(rules.Area(wards, routes, codes), code, ward, on_routes)
    parts = [rules.Area(ward_keys=wards), rules.Area(route_ids=routes), rules.Area(customer_codes=codes)]
    assert whole == any(rules.affects(p, code, ward, on_routes) for p in parts)


# -- quiet hours --------------------------------------------------------------------------------------------


def test_an_emergency_never_waits():
    night = vn(1, 23)
    assert rules.delay_seconds("emergency", "published", night, ts(night), QUIET) == 0
    assert rules.delay_seconds("emergency", "restored", vn(1, 12), ts(vn(1, 8)), QUIET) == 0


def test_a_planned_cut_waits_for_the_quiet_hours_to_end():
    night = vn(1, 22)
    wait = rules.delay_seconds("planned", "published", night, ts(vn(3, 8)), QUIET)
    assert wait == 900  # one SQS hop at most; the message comes back until 07:00
    assert rules.delay_seconds("planned", "published", vn(1, 9), ts(vn(3, 8)), QUIET) == 0
    assert rules.delay_seconds("planned", "restored", night, ts(vn(1, 8)), QUIET) == 900
    assert rules.delay_seconds("planned", "cancelled", vn(1, 12), ts(vn(2, 6)), QUIET) > 0


def test_a_planned_cut_starting_before_the_quiet_hours_end_goes_out_now():
    """Told at 07:00 of a cut from 06:00, the customer could not store water: better a late-night message."""
    night = vn(1, 22)
    assert rules.delay_seconds("planned", "published", night, ts(vn(2, 6)), QUIET) == 0
    assert rules.delay_seconds("planned", "updated", night, ts(vn(2, 7)), QUIET) == 0  # the window's end itself
    assert rules.delay_seconds("planned", "published", night, ts(vn(2, 7, 30)), QUIET) == 900


# -- the message --------------------------------------------------------------------------------------------


def _message(channel: str, event: str, kind: str = "planned"):
    return rules.compose(
        channel,
        event=event,
        kind=kind,
        notice_id="WC310601A1B2C3D4",
        revision=2,
        customer_code="01031059",
        reason="Sửa chữa đường ống",
        starts_at=ts(vn(12, 8)),
        ends_at=ts(vn(12, 17)),
        restored_at=ts(vn(12, 15, 30)),
    )


def test_an_sms_is_plain_ascii_and_says_when_and_why():
    m = _message("sms", "published")
    assert m.text.isascii() and "08:00 12/06/2031" in m.text and "17:00 12/06/2031" in m.text
    assert "Sua chua duong ong" in m.text and "01031059" in m.text
    assert m.data["notice_id"] == "WC310601A1B2C3D4" and m.data["revision"] == "2"


def test_each_event_says_what_it_is():
    assert "Cập nhật" in _message("push", "updated").text
    assert "khẩn cấp" in _message("push", "published", "emergency").subject
    assert "đã được hủy" in _message("zalo", "cancelled").text
    back = _message("email", "restored")
    assert "15:30 12/06/2031" in back.text and back.subject.endswith("Đã cấp nước trở lại")
    with pytest.raises(ValueError):
        _message("fax", "published")


# -- the board ----------------------------------------------------------------------------------------------


def test_what_the_board_shows_and_until_when():
    end = ts(vn(12, 17))
    assert rules.shown_until("published", end, None) == end
    assert rules.shown_until("updated", end, None) == end
    assert rules.shown_until("restored", end, end - 3600) == end - 3600 + rules.RESTORED_SHOWN_S
    assert rules.shown_until("draft", end, None) is None
    assert rules.shown_until("cancelled", end, None) is None


def test_the_public_board_by_ward_takes_a_name_or_a_key():
    keys = ["phuong-7", "xa-dinh-binh"]
    assert rules.public_ward_match(keys, None)
    assert rules.public_ward_match(keys, "Phường 7") and rules.public_ward_match(keys, "phuong-7")
    assert not rules.public_ward_match(keys, "Phường 8")
    assert timedelta(seconds=rules.RESTORED_SHOWN_S) == timedelta(hours=12)
