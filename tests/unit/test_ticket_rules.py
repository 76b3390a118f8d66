"""Service requests' pure rules (domain/tickets.py): the state machine, the target time and lateness (property
tests), the household size billed from the next period, the kinds of request as configuration, the notice."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import tickets as t

EPOCH = st.integers(min_value=1_600_000_000, max_value=2_200_000_000)
SLA = st.integers(min_value=1, max_value=t.SLA_HOURS_MAX)
PERIOD = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2000, 2099), st.integers(1, 12))


def test_the_state_machine_allows_only_its_moves():
    allowed = {
        ("new", "rejected"),
        ("assigned", "in_progress"),
        ("assigned", "rejected"),
        ("in_progress", "resolved"),
        ("in_progress", "rejected"),
    }
    for current, target in itertools.product(t.STATUSES, t.STATUSES):
        if (current, target) in allowed:
            assert t.move(current, target) == target
        else:
            with pytest.raises(t.TransitionRefused):
                t.move(current, target)
    assert t.assign("new") == "assigned"
    assert t.assign("assigned") == "assigned" and t.assign("in_progress") == "in_progress"
    for closed in ("resolved", "rejected"):
        with pytest.raises(t.TransitionRefused):
            t.assign(closed)
        assert t.may_rate(closed) and t.needs_reason(closed) and not t.is_open(closed)
    assert not any(t.may_rate(s) for s in t.OPEN)


@given(st.lists(st.sampled_from(["assign", "in_progress", "resolved", "rejected"]), max_size=12))
def test_any_sequence_of_actions_ends_closed_for_good(actions):
    status = "new"
    for action in actions:
        try:
            status = t.assign(status) if action == "assign" else t.move(status, action)
        except t.TransitionRefused:
            continue
        assert status in t.STATUSES
    if status in t.CLOSED:  # nothing moves a closed ticket again
        for action in ("in_progress", "resolved", "rejected"):
            with pytest.raises(t.TransitionRefused):
                t.move(status, action)


@given(EPOCH, SLA, st.integers(min_value=-(10**7), max_value=10**7))
def test_the_target_time_and_lateness(created, sla, offset):
    due = t.due_at(created, sla)
    assert due - created == sla * 3600
    now = due + offset
    assert t.is_overdue("assigned", due, now) == (offset > 0)
    assert not t.is_overdue("resolved", due, now)  # closed is never overdue
    assert t.on_time(now, due) == (offset <= 0)
    assert t.queue_at("new", due, None) == due and t.queue_at("rejected", due, now) == now


def test_a_target_under_an_hour_is_refused():
    with pytest.raises(ValueError):
        t.due_at(1_700_000_000, 0)


@given(PERIOD)
def test_the_next_period_follows(period):
    nxt = t.next_period(period)
    assert nxt > period and len(nxt) == 7
    year, month = int(period[:4]), int(period[5:])
    assert (int(nxt[:4]) * 12 + int(nxt[5:])) - (year * 12 + month) == 1


@given(st.integers(1, 20), st.integers(1, 50), PERIOD, PERIOD)
def test_the_household_size_counts_from_the_next_period_only(persons, registered, approved_in, billed):
    starts = t.next_period(approved_in)
    got = t.billed_persons(persons, registered, starts, billed)
    assert got == (registered if billed >= starts else persons)
    assert t.billed_persons(persons, None, None, billed) == persons
    assert t.billed_persons(0, None, None, billed) == 1  # never below one
    # The bill being made in the month of the approval is not changed.
    assert t.billed_persons(persons, registered, starts, approved_in) == persons


def test_the_period_of_an_instant_is_vietnam_time():
    assert t.period_of(1_714_496_400) == "2024-05"  # 2024-04-30T17:00Z is 00:00 on 1 May in Vietnam


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["leak", "meter_check", "other"]),
            st.sampled_from(t.STATUSES),
            st.integers(-48, 48),
            st.one_of(st.none(), st.integers(1, 5)),
        ),
        max_size=30,
    )
)
def test_the_figures_add_up(rows):
    now = 1_800_000_000
    facts = [
        t.TicketFact(
            type=kind,
            status=status,
            due_at=now - hours * 3600,
            closed_at=(now - 3600) if status in t.CLOSED else None,
            rating=rating,
        )
        for kind, status, hours, rating in rows
    ]
    by_type, total = t.figures(facts, now, ("other", "leak"))
    assert sum(r.tickets for r in by_type) == total.tickets == len(facts)
    assert [r.type for r in by_type] == [k for k in ("other", "leak", "meter_check") if any(f.type == k for f in facts)]
    for r in [*by_type, total]:
        assert r.open + r.resolved + r.rejected == r.tickets
        assert r.on_time + r.late == r.resolved + r.rejected + r.open_overdue
        assert r.average_rating is None or 1 <= r.average_rating <= 5
    rated = [f.rating for f in facts if f.rating is not None]
    assert total.ratings == len(rated)
    if rated:
        assert total.average_rating == round(sum(rated) / len(rated) + 1e-9, 1)


def test_kinds_of_request_are_configured_as_json():
    kinds = t.parse_types(
        '[{"key": "leak", "name_vi": "Rò rỉ", "name_en": "Leak", "sla_hours": 12, "requires": ["photo"]},'
        ' {"key": "quota", "name_vi": "Định mức", "name_en": "Quota", "sla_hours": 48,'
        ' "requires": ["residents"], "effect": "persons"}]'
    )
    assert [(k.key, k.sla_hours, k.requires, k.effect) for k in kinds] == [
        ("leak", 12, ("photo",), None),
        ("quota", 48, ("residents",), "persons"),
    ]
    for bad in (
        "nope",
        "[]",
        '[{"key": "X", "name_vi": "a", "name_en": "a", "sla_hours": 1}]',
        '[{"key": "ok", "name_vi": "a", "name_en": "a", "sla_hours": 0}]',
        '[{"key": "ok", "name_vi": "a", "name_en": "a", "sla_hours": 1, "requires": ["fax"]}]',
        '[{"key": "ok", "name_vi": "a", "name_en": "a", "sla_hours": 1, "effect": "persons"}]',
        '[{"key": "ok", "name_vi": "a", "name_en": "a", "sla_hours": 1},'
        ' {"key": "ok", "name_vi": "b", "name_en": "b", "sla_hours": 2}]',
    ):
        with pytest.raises(ValueError):
            t.parse_types(bad)
    defaults = {k.key for k in t.DEFAULT_TYPES}
    assert len(defaults) == len(t.DEFAULT_TYPES) == 10


def test_settings_refuse_a_bad_list_of_kinds():
    from chalicelib.config import ConfigError, load_settings

    base = {"STAGE": "local", "JWT_SECRET": "x" * 48}
    assert load_settings(base).ticket_types == ()
    with pytest.raises(ConfigError, match="TICKET_TYPES"):
        load_settings({**base, "TICKET_TYPES": "[1]"})


def test_what_a_kind_needs_is_named_by_the_request_fields():
    leak = next(k for k in t.DEFAULT_TYPES if k.key == "leak")
    assert t.missing(leak, photos=0, position=False, residents=False, invoice_id=False) == ["photo_ids", "lat"]
    assert t.missing(leak, photos=1, position=True, residents=False, invoice_id=False) == []


def test_the_customer_notice_sms_is_plain_ascii():
    sms = t.notice(
        "sms",
        ticket_id="TK0123456789ABCDEF",
        customer_code="01031059",
        type_name="Báo rò rỉ, vỡ ống",
        kind="status",
        status_to="resolved",
        text="Đã thay ống",
    )
    assert sms.text.isascii() and "da xu ly xong" in sms.text and "Da thay ong" in sms.text
    push = t.notice(
        "push",
        ticket_id="TK0123456789ABCDEF",
        customer_code="01031059",
        type_name="Khác",
        kind="message",
        status_to=None,
        text="x" * 500,
    )
    assert "phản hồi mới" in push.text and len(push.text) < 300 and push.data["ticket_id"] == "TK0123456789ABCDEF"
