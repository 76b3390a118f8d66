"""A customer's consumption history (issue 18, "Evidence against bill shock"): the m³ and the amount
billed per period, oldest first, and their average, as data for a chart (the website draws it; the
invoice detail carries the history up to its own period).

Plain functions over the invoices as read (newest first or in any order): a cancelled invoice is
left out, and two invoices of one period (a bill in parts) count as one period, summed. Money stays
integer VND; the averages are rounded half up (m³ to a tenth, the amount to a whole đồng) with
integer arithmetic, so a chart's average line and its text say the same number on every client."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

MIN_PERIODS = 12
MAX_PERIODS = 24
DEFAULT_PERIODS = 12


class Billed(Protocol):
    """What the history reads of an invoice (the store's InvoiceModel has it; numbers may be floats)."""

    @property
    def period(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def consumption_m3(self) -> float: ...
    @property
    def total(self) -> float: ...


@dataclass(frozen=True)
class Point:
    """One period of the history: the m³ used and the amount billed (VND, VAT and fees included)."""

    period: str
    m3: int
    amount: int


@dataclass(frozen=True)
class Average:
    """The periods' average: m³ to a tenth, VND whole; None without a period."""

    m3: float | None
    amount: int | None


def series(invoices: Iterable[Billed], periods: int) -> list[Point]:
    """The last `periods` billed periods, oldest first; cancelled invoices left out, one period's
    invoices summed."""
    if periods < 1:
        return []
    by_period: dict[str, tuple[int, int]] = {}
    for invoice in invoices:
        if invoice.status == "cancelled":
            continue
        m3, amount = by_period.get(invoice.period, (0, 0))
        by_period[invoice.period] = (m3 + int(invoice.consumption_m3), amount + int(invoice.total))
    kept = sorted(by_period)[-periods:]
    return [Point(period=p, m3=by_period[p][0], amount=by_period[p][1]) for p in kept]


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (away from zero for halves), in integers."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def average(points: Sequence[Point]) -> Average:
    if not points:
        return Average(m3=None, amount=None)
    count = len(points)
    tenths = _half_up(10 * sum(p.m3 for p in points), count)
    return Average(m3=tenths / 10, amount=_half_up(sum(p.amount for p in points), count))
