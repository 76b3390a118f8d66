"""The consumption history's rules (domain/consumption.py): the last periods, oldest first, one a
period, cancelled ones left out; the average rounded half up in integers."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.consumption import Average, Point, average, series


@dataclass(frozen=True)
class Bill:
    period: str
    consumption_m3: float
    total: float
    status: str = "paid"


periods = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2015, 2035), st.integers(1, 12))
bills = st.builds(
    Bill,
    periods,
    st.integers(0, 10_000),
    st.integers(0, 50_000_000),
    st.sampled_from(["paid", "unpaid", "cancelled"]),
)


def test_the_last_periods_oldest_first_one_a_period():
    got = series(
        [
            Bill("2023-05", 11, 78255, "unpaid"),
            Bill("2023-04", 11, 78255),
            Bill("2023-03", 10, 71141),
            Bill("2023-03", 2, 10000),  # a period billed in parts counts once
            Bill("2023-02", 99, 999999, "cancelled"),
            Bill("2023-01", 9, 60000),
        ],
        3,
    )
    assert got == [Point("2023-03", 12, 81141), Point("2023-04", 11, 78255), Point("2023-05", 11, 78255)]
    assert series([], 12) == [] and series([Bill("2023-01", 1, 1)], 0) == []


def test_the_average_rounds_half_up():
    assert average([]) == Average(m3=None, amount=None)
    assert average([Point("2023-01", 1, 1), Point("2023-02", 2, 2)]) == Average(m3=1.5, amount=2)  # 1.5 -> 2
    assert average([Point("2023-01", 1, 0), Point("2023-02", 0, 0), Point("2023-03", 0, 0)]) == Average(0.3, 0)
    assert average([Point("2023-01", 2, 5), Point("2023-02", 1, 5), Point("2023-03", 0, 0)]) == Average(1.0, 3)
    # 11 + 11 + 10 = 32 m³ over 3: 10.666.. -> 10.7
    assert average([Point("a", 11, 0), Point("b", 11, 0), Point("c", 10, 0)]).m3 == 10.7


@given(st.lists(bills, max_size=40), st.integers(1, 24))
def test_a_series_is_the_newest_billed_periods_summed(items, n):
    got = series(items, n)
    billed = sorted({b.period for b in items if b.status != "cancelled"})
    assert [p.period for p in got] == billed[-n:]  # oldest first, each once, the newest n
    for p in got:
        same = [b for b in items if b.period == p.period and b.status != "cancelled"]
        assert p.m3 == sum(int(b.consumption_m3) for b in same)
        assert p.amount == sum(int(b.total) for b in same)  # integer VND, nothing lost
    assert series(list(reversed(items)), n) == got  # the order read does not matter


@given(st.lists(st.builds(Point, periods, st.integers(0, 10_000), st.integers(0, 50_000_000)), min_size=1, max_size=24))
def test_the_average_is_the_exact_mean_rounded_half_up(points):
    mean = average(points)
    exact_m3 = Fraction(sum(p.m3 for p in points), len(points))
    exact_amount = Fraction(sum(p.amount for p in points), len(points))
    assert isinstance(mean.amount, int)
    assert -Fraction(1, 2) < mean.amount - exact_amount <= Fraction(1, 2)  # the nearest; halves go up
    assert mean.m3 is not None
    tenths = Fraction(round(mean.m3 * 10))
    assert -Fraction(1, 2) < tenths - exact_m3 * 10 <= Fraction(1, 2)  # the nearest tenth; halves go up
    assert min(p.m3 for p in points) <= mean.m3 <= max(p.m3 for p in points)
