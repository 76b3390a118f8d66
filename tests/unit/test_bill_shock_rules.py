"""Issue 18's reading rules: an unusual cycle, a drop and a spike hold the bill for a manager; the days a
customer may read its own meter; the invitation's words."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.readings import (
    Meter,
    Thresholds,
    cycle_reason,
    evaluate,
    invite_message,
    needs_review,
    reading_day,
    self_reading_window,
)


def codes(decision):
    return [r.code for r in decision.reasons]


@pytest.mark.parametrize(
    "days,expected",
    [(24, "CYCLE_TOO_SHORT"), (25, None), (30, None), (35, None), (36, "CYCLE_TOO_LONG"), (None, None)],
)
def test_the_cycle_is_flagged_outside_25_to_35_days_by_default(days, expected):
    reason = cycle_reason(days)
    assert (reason.code if reason else None) == expected
    d = evaluate(286, Meter(old_index=275), [11, 12, 10], "cash", cycle_days=days)
    assert (d.status == "flagged") == (expected is not None) and needs_review(d) == (expected is not None)
    assert not (expected and d.collect_on_spot)  # a held bill takes no cash


def test_the_cycle_limits_are_configurable():
    strict = Thresholds(cycle_min_days=28, cycle_max_days=31)
    assert codes(evaluate(286, Meter(old_index=275), [11], "cash", strict, cycle_days=27)) == ["CYCLE_TOO_SHORT"]
    assert codes(evaluate(286, Meter(old_index=275), [11], "cash", strict, cycle_days=32)) == ["CYCLE_TOO_LONG"]
    assert "32 ngày" in cycle_reason(32, strict).message_vi


def test_zero_consumption_is_flagged_but_not_held():
    d = evaluate(275, Meter(old_index=275), [11, 12, 10], "cash", cycle_days=30)
    assert d.status == "flagged" and codes(d) == ["ZERO_CONSUMPTION"] and not needs_review(d)


@given(
    history=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=3),
    consumption=st.integers(min_value=1, max_value=5000),
    cycle=st.integers(min_value=25, max_value=35),
)
def test_a_spike_or_a_drop_is_held_exactly_when_the_thresholds_say(history, consumption, cycle):
    t = Thresholds()
    d = evaluate(1000 + consumption, Meter(old_index=1000), history, "cash", t, cycle_days=cycle)
    average = sum(history) / len(history)
    drop = consumption < history[0] * (1 - t.drop_ratio) or consumption < average * (1 - t.drop_ratio)
    spike = consumption > average * t.spike_factor and consumption - average >= t.spike_min_m3
    assert ("CONSUMPTION_DROP" in codes(d)) == drop
    assert ("CONSUMPTION_SPIKE" in codes(d)) == spike
    assert needs_review(d) == (drop or spike)
    assert d.consumption == consumption  # the bill, once approved, is for what was read


@given(cycle=st.integers(min_value=1, max_value=400))
def test_a_cycle_outside_the_limits_always_needs_review(cycle):
    d = evaluate(286, Meter(old_index=275), [11, 12, 10], "cash", cycle_days=cycle)
    assert needs_review(d) == (not 25 <= cycle <= 35)


def test_the_reading_day_is_the_routes_first_day_of_its_period():
    assert reading_day("2026-11", [20, 18, 19]) == date(2026, 11, 18)
    assert reading_day("2026-02", [30, 31]) == date(2026, 2, 28)  # past the month's end: its last day
    assert reading_day("2026-11", []) is None


@given(read_on=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), days=st.integers(0, 10))
def test_the_window_is_the_days_before_the_reading_day(read_on, days):
    window = self_reading_window(read_on, days)
    if days == 0:
        assert window is None  # switched off
        return
    assert window == (read_on - timedelta(days=days), read_on - timedelta(days=1))
    assert window[1] < read_on  # the day itself is the staff's


def test_the_invitation_names_no_person_and_sms_is_plain_ascii():
    args = dict(customer_code="01031059", read_on=date(2026, 11, 18), closes_on=date(2026, 11, 17), link="https://x/")
    sms = invite_message("sms", **args)
    assert sms.text.isascii() and "01031059" in sms.text and "17/11/2026" in sms.text
    push = invite_message("push", **args)
    assert "tự gửi chỉ số" in push.text and push.data["level"] == "self_reading"
    with pytest.raises(ValueError):
        invite_message("fax", **args)
