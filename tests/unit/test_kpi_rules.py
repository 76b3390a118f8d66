"""The managers' KPIs on a known data set, figures computed by hand, and their
invariants under hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import kpis
from chalicelib.domain.kpis import CustomerFact as F

P = kpis.parse_instant
CUT = kpis.cutoffs("2024-05")
INFO = {
    "a1": {"full_name": "Nguyễn Văn An", "branch": "CNCN số 1"},
    "a2": {"full_name": "Trần Thị Bình", "branch": "CNCN số 1"},
    "b1": {"full_name": "Lê Văn Cường", "branch": "CNCN An Bình"},
}
A, B = "CNCN số 1", "CNCN An Bình"

FACTS = [
    # a1: 4 customers, 3 read; 3 invoices 230,000; round 1: c1 and c2 (23:59:59 on day 15); c3 paid 00:30 on day 16
    F(
        "c1",
        "a1",
        A,
        read=True,
        invoiced=True,
        total=100_000,
        paid=True,
        paid_at=P("2024-05-10T10:00:00+07:00"),
        channel="cash",
    ),
    F(
        "c2",
        "a1",
        A,
        read=True,
        invoiced=True,
        total=50_000,
        paid=True,
        paid_at=P("2024-05-15T23:59:59+07:00"),
        channel="vnpay",
    ),
    F(
        "c3",
        "a1",
        A,
        read=True,
        invoiced=True,
        total=80_000,
        paid=True,
        paid_at=P("2024-05-15T17:30:00Z"),
        channel="vnpay",
    ),
    F("c4", "a1", A),
    # a2: 2 customers, both read; c5 unpaid 60,000; c6 paid at the sweep (day 22, evening)
    F("c5", "a2", A, read=True, invoiced=True, total=60_000),
    F(
        "c6",
        "a2",
        A,
        read=True,
        invoiced=True,
        total=40_000,
        paid=True,
        paid_at=P("2024-05-22T18:00:00+07:00"),
        channel="cash",
    ),
    # b1: 4 customers, all read; c7 round 1, c8 paid after the sweep, c9 unpaid, c10's invoice cancelled
    F(
        "c7",
        "b1",
        B,
        read=True,
        invoiced=True,
        total=30_000,
        paid=True,
        paid_at=P("2024-05-03T08:00:00"),
        channel="cash",
    ),
    F(
        "c8",
        "b1",
        B,
        read=True,
        invoiced=True,
        total=30_000,
        paid=True,
        paid_at=P("2024-05-23T08:00:00+07:00"),
        channel="cash",
    ),
    F("c9", "b1", B, read=True, invoiced=True, total=30_000),
    F("c10", "b1", B, read=True),
    # c4 is also on b1's route: counted once, for a1
    F("c4", "b1", B, read=True),
]


def _figures(row: dict) -> tuple:
    return (
        row["customers"],
        row["readings"],
        row["reading_rate"],
        row["invoices"],
        row["billed"],
        row["paid_round1"],
        row["collection_rate_round1"],
        row["paid_after_sweep"],
        row["collection_rate_after_sweep"],
        row["outstanding"],
        row["outstanding_rate"],
    )


def test_the_known_data_set_gives_the_hand_computed_table():
    report = kpis.compute(FACTS, CUT, INFO)
    staff = {r["staff"]: r for r in report["staff"]}
    assert [r["staff"] for r in report["staff"]] == ["b1", "a1", "a2"]  # by branch name, then login
    assert _figures(staff["a1"]) == (4, 3, 75.0, 3, 230_000, 2, 66.7, 3, 100.0, 0, 0.0)
    assert _figures(staff["a2"]) == (2, 2, 100.0, 2, 100_000, 0, 0.0, 1, 50.0, 60_000, 60.0)
    assert _figures(staff["b1"]) == (4, 4, 100.0, 3, 90_000, 1, 33.3, 1, 33.3, 30_000, 33.3)
    assert staff["a1"]["full_name"] == "Nguyễn Văn An" and staff["a1"]["branch"] == A
    assert staff["a1"]["paid_by_channel"] == {"cash": 1, "vnpay": 2}
    assert staff["b1"]["paid"] == 2 and staff["b1"]["outstanding_invoices"] == 1
    assert staff["a1"]["meets_reading_goal"] is False and staff["a1"]["meets_collection_goal"] is True
    assert staff["a2"]["meets_reading_goal"] is True and staff["a2"]["meets_collection_goal"] is False
    branches = {r["branch"]: r for r in report["branches"]}
    assert [r["branch"] for r in report["branches"]] == [B, A]
    assert _figures(branches[A]) == (6, 5, 83.3, 5, 330_000, 2, 40.0, 4, 80.0, 60_000, 18.2)
    assert _figures(branches[B]) == _figures(staff["b1"])
    company = report["company"]
    assert _figures(company) == (10, 9, 90.0, 8, 420_000, 3, 37.5, 5, 62.5, 90_000, 21.4)
    assert company["paid_by_channel"] == {"cash": 4, "vnpay": 2} and company["paid"] == 6


def test_cut_off_days_are_parameters():
    # Seed 003 also names day 16 and day 23: c3 (00:30 on the 16th) joins round 1, c8 (the 23rd) the sweep.
    report = kpis.compute(FACTS, kpis.cutoffs("2024-05", 16, 23), INFO)
    assert report["company"]["paid_round1"] == 4 and report["company"]["collection_rate_round1"] == 50.0
    assert report["company"]["paid_after_sweep"] == 6 and report["company"]["collection_rate_after_sweep"] == 75.0


def test_cutoffs_are_whole_days_in_vietnam_time_and_clamped_to_the_month():
    c = kpis.cutoffs("2024-02", 15, 31)
    assert (c.round1_ends, c.sweep_ends) == (date(2024, 2, 15), date(2024, 2, 29))
    assert c.round1_deadline == datetime(2024, 2, 15, 17, 0, tzinfo=UTC)
    for bad in (("2024-13", 15, 22), ("2024-5", 15, 22), ("2024-05", 0, 22), ("2024-05", 23, 22), ("2024-05", 15, 32)):
        with pytest.raises(ValueError):
            kpis.cutoffs(*bad)


def test_rates_round_half_up_and_are_none_without_a_denominator():
    assert kpis.rate(1, 16) == 6.3 and kpis.rate(2, 3) == 66.7 and kpis.rate(1, 3) == 33.3
    assert kpis.rate(0, 0) is None and kpis.rate(0, 5) == 0.0 and kpis.rate(5, 5) == 100.0
    empty = kpis.compute([], CUT)
    assert empty["staff"] == [] and empty["branches"] == []
    assert empty["company"]["reading_rate"] is None and empty["company"]["meets_collection_goal"] is None


def test_paid_without_a_time_counts_as_paid_but_not_by_a_cut_off():
    report = kpis.compute([F("x", "s", None, read=True, invoiced=True, total=10, paid=True, channel=None)], CUT)
    row = report["company"]
    assert (row["paid"], row["paid_round1"], row["paid_after_sweep"], row["outstanding"]) == (1, 0, 0, 0)
    assert row["paid_by_channel"] == {"other": 1} and report["branches"][0]["branch"] is None


def test_csv_rows_staff_then_branches_then_company():
    rows = kpis.csv_rows(kpis.compute(FACTS, CUT, INFO))
    assert rows[0] == list(kpis.CSV_COLUMNS)
    assert [r[0] for r in rows[1:]] == ["staff"] * 3 + ["branch"] * 2 + ["company"]
    header = rows[0]
    company = dict(zip(header, rows[-1]))
    assert company["staff"] == "" and company["collection_rate_round1"] == 37.5
    assert (company["paid_cash"], company["paid_vnpay"], company["paid_other"]) == (4, 2, 0)


_instants = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(2024, 4, 20), max_value=datetime(2024, 6, 10), timezones=st.sampled_from([UTC, kpis.VN_TZ])
    ),
)


@st.composite
def _facts(draw):
    out = []
    for _ in range(draw(st.integers(0, 40))):
        invoiced = draw(st.booleans())
        paid = invoiced and draw(st.booleans())
        out.append(
            F(
                f"c{draw(st.integers(0, 30))}",
                draw(st.sampled_from(["s1", "s2", "s3", "s4"])),
                draw(st.sampled_from(["X", "Y", None])),
                read=draw(st.booleans()),
                invoiced=invoiced,
                total=draw(st.integers(0, 10**9)) if invoiced else 0,
                paid=paid,
                paid_at=draw(_instants) if paid else None,
                channel=draw(st.sampled_from(["cash", "vnpay", None])),
            )
        )
    return out


@settings(max_examples=200, deadline=None)
@given(_facts(), st.integers(1, 28), st.integers(0, 5))
def test_rates_stay_in_range_and_the_company_is_the_sum(facts, round1_day, extra):
    report = kpis.compute(facts, kpis.cutoffs("2024-05", round1_day, min(31, round1_day + extra)))
    rows = report["staff"] + report["branches"] + [report["company"]]
    for row in rows:
        for name in ("reading_rate", "collection_rate_round1", "collection_rate_after_sweep", "outstanding_rate"):
            assert row[name] is None or 0 <= row[name] <= 100
        assert row["paid_round1"] <= row["paid_after_sweep"] <= row["paid"] <= row["invoices"] <= row["customers"]
        assert row["readings"] <= row["customers"]
    company = report["company"]
    assert company["customers"] == len({f.customer_code for f in facts})
    for name in kpis.COUNTS:
        assert company[name] == sum(r[name] for r in report["branches"]) == sum(r[name] for r in report["staff"])
    for channel, n in company["paid_by_channel"].items():
        assert n == sum(r["paid_by_channel"].get(channel, 0) for r in report["staff"])
