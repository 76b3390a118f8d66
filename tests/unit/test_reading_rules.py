"""The server's decision on a field reading (seed 003's conditions)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.readings import Meter, Thresholds, evaluate


def codes(decision):
    return [r.code for r in decision.reasons]


def test_a_normal_reading_is_billed_and_cash_may_be_taken():
    d = evaluate(286, Meter(old_index=275), [11, 12, 10], "cash")
    assert (d.status, d.consumption, d.collect_on_spot, d.print_kind) == ("billed", 11, True, "receipt")
    assert d.reasons == []


def test_new_index_below_old_is_rejected():
    d = evaluate(270, Meter(old_index=275), [11], "cash")
    assert d.status == "rejected" and codes(d) == ["NEW_INDEX_BELOW_OLD"] and not d.collect_on_spot
    assert "nhỏ hơn chỉ số cũ" in d.reasons[0].message_vi


def test_a_meter_that_rolled_over_is_billed_across_zero():
    d = evaluate(8, Meter(old_index=99995, digits=5), [12, 11, 13], "cash")
    assert d.status == "billed" and d.consumption == 13 and codes(d) == ["METER_ROLLOVER"]
    # Far from the top, a smaller index is not a roll-over.
    assert evaluate(8, Meter(old_index=50000, digits=5), [12], "cash").status == "rejected"
    # Nor is an implausible month across zero.
    assert evaluate(5000, Meter(old_index=99995, digits=5), [12, 11, 13], "cash").status == "rejected"


def test_a_replaced_meter_counts_from_its_first_index():
    meter = Meter(old_index=1234, last_read_on=date(2024, 5, 5), replaced_on=date(2024, 5, 20), start_index=0)
    d = evaluate(6, meter, [10, 11], "cash", read_on=date(2024, 6, 5))
    assert d.consumption == 6 and d.old_index == 0 and "METER_REPLACED" in codes(d)


def test_consumption_drop_is_flagged_no_cash_print_a_notice():
    d = evaluate(285, Meter(old_index=275), [30, 32, 31], "cash")
    assert (d.status, d.collect_on_spot, d.print_kind) == ("flagged", False, "notice")
    assert codes(d) == ["CONSUMPTION_DROP"] and d.consumption == 10


def test_zero_and_spike_are_flagged():
    assert codes(evaluate(275, Meter(old_index=275), [11, 12], "cash")) == ["ZERO_CONSUMPTION"]
    spike = evaluate(335, Meter(old_index=275), [11, 12, 10], "cash")
    assert spike.status == "flagged" and codes(spike) == ["CONSUMPTION_SPIKE"] and not spike.collect_on_spot


@pytest.mark.parametrize(
    "channel,code", [("bank_transfer", "PAYS_BY_BANK_TRANSFER"), ("authorised_debit", "PAYS_BY_AUTHORISED_DEBIT")]
)
def test_non_cash_customers_are_billed_but_not_collected(channel, code):
    d = evaluate(286, Meter(old_index=275), [11, 12], channel)
    assert (d.status, d.collect_on_spot, d.print_kind) == ("billed", False, "notice") and codes(d) == [code]


def test_the_drop_threshold_is_configurable():
    assert evaluate(285, Meter(old_index=275), [20], "cash").status == "flagged"  # 10 m³ < 70 % of 20
    assert evaluate(290, Meter(old_index=275), [20], "cash").status == "billed"  # 15 m³ is not
    assert evaluate(285, Meter(old_index=275), [20], "cash", Thresholds(drop_ratio=0.6)).status == "billed"


@given(
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.lists(st.integers(0, 500), max_size=3),
    st.sampled_from(["cash", "bank_transfer", "authorised_debit"]),
)
def test_cash_only_when_nothing_forbids_it(old, new, history, channel):
    d = evaluate(new, Meter(old_index=old, digits=7), history, channel)
    if d.collect_on_spot:
        assert d.status == "billed" and channel == "cash" and d.consumption is not None
        assert not history or d.consumption >= history[0] * 0.7
    if new < old and d.status != "rejected":
        assert "METER_ROLLOVER" in codes(d)
    if d.status != "rejected":
        assert d.consumption >= 0
