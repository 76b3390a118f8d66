"""Managers' KPIs for one billing period (seed 003's results table), computed
from per-customer facts. Pure: no AWS, no clock; the service gathers the facts.

Definitions (each rate is a percentage rounded half up to one decimal, or
None when its denominator is 0):

- customers on route: distinct customers on the period's routes. A customer on
  two routes of the period counts once, for the first staff member (by login).
- readings taken: of those customers, the ones with at least one reading for
  the period, whatever its status (queued, billed, flagged or rejected) and
  whoever took it.
- reading rate = readings taken / customers on route (goal >= 99 %).
- invoices issued: the period's invoices of those customers (status not
  cancelled); billed = the sum of their totals (whole VND).
- collection rate by a cut-off = invoices of those customers for the period
  paid through any channel (cash, VNPay, ...) with `paid_at` on or before the
  end of the cut-off day (Vietnam time) / invoices issued (goal >= 95 %, after
  the sweep). Round 1 (combined reading and collecting) ends on day 15 and the
  sweep on day 22 of the period's month by default (seed 003: 1-15/16 and
  17-22/23); both days are parameters.
- outstanding debt: the sum of the totals of issued invoices still unpaid now,
  and as a percentage of billed (by amount, not by count).

Rows come per staff member, per branch (a customer's branch is its route's,
else its staff member's), and for the company; the company's counts and
amounts are the sums of the branches' (and of the staff's).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.domain.identifiers import PERIOD_RE
from chalicelib.domain.vntime import VN_TZ

ROUND1_ENDS_DAY = 15
SWEEP_ENDS_DAY = 22
READING_GOAL = 99
COLLECTION_GOAL = 95

COUNTS = (
    "customers",
    "readings",
    "invoices",
    "billed",
    "paid_round1",
    "paid_after_sweep",
    "paid",
    "outstanding",
    "outstanding_invoices",
)
CSV_COLUMNS = (
    "level",
    "staff",
    "full_name",
    "branch",
    "customers",
    "readings",
    "reading_rate",
    "invoices",
    "billed",
    "paid_round1",
    "collection_rate_round1",
    "paid_after_sweep",
    "collection_rate_after_sweep",
    "paid",
    "paid_cash",
    "paid_vnpay",
    "paid_other",
    "outstanding",
    "outstanding_rate",
)


@dataclass(frozen=True)
class Cutoffs:
    """The last day (inclusive, Vietnam time) of round 1 and of the sweep."""

    round1_ends: date
    sweep_ends: date

    @property
    def round1_deadline(self) -> datetime:
        return datetime.combine(self.round1_ends + timedelta(days=1), time(0), VN_TZ)

    @property
    def sweep_deadline(self) -> datetime:
        return datetime.combine(self.sweep_ends + timedelta(days=1), time(0), VN_TZ)


def cutoffs(period: str, round1_day: int = ROUND1_ENDS_DAY, sweep_day: int = SWEEP_ENDS_DAY) -> Cutoffs:
    """Round 1 and the sweep end on these days of the period's month (a day past
    the month's end is its last day). ValueError if the period is not YYYY-MM
    or the days are not 1 <= round1_day <= sweep_day <= 31."""
    m = PERIOD_RE.match(period or "")
    if not m:
        raise ValueError("period must be YYYY-MM")
    if not 1 <= round1_day <= sweep_day <= 31:
        raise ValueError("need 1 <= round1_day <= sweep_day <= 31")
    year, month = int(m.group(1)), int(m.group(2))
    last = calendar.monthrange(year, month)[1]
    return Cutoffs(date(year, month, min(round1_day, last)), date(year, month, min(sweep_day, last)))


@dataclass(frozen=True)
class CustomerFact:
    """What is known about one customer on the period's routes."""

    customer_code: str
    staff: str
    branch: str | None
    read: bool = False  # a reading of the period exists (any status)
    invoiced: bool = False  # the period's invoice exists and is not cancelled
    total: int = 0  # the invoice's total, whole VND
    paid: bool = False  # the invoice's status is paid now
    paid_at: datetime | None = None  # when (an aware datetime; naive means Vietnam time)
    channel: str | None = None  # the last payment's channel: cash | vnpay | ...


def parse_instant(value: str | None) -> datetime | None:
    """An ISO instant ('2024-05-03T09:00:00+07:00', '...Z'); naive means Vietnam time; None if unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator as a percentage, one decimal, half up; None for 0 / 0."""
    if not denominator:
        return None
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


@dataclass
class _Tally:
    customers: int = 0
    readings: int = 0
    invoices: int = 0
    billed: int = 0
    paid_round1: int = 0
    paid_after_sweep: int = 0
    paid: int = 0
    outstanding: int = 0
    outstanding_invoices: int = 0
    channels: dict[str, int] = field(default_factory=dict)

    def add(self, f: CustomerFact, c: Cutoffs) -> None:
        self.customers += 1
        self.readings += 1 if f.read else 0
        if not f.invoiced:
            return
        total = int(f.total)
        self.invoices += 1
        self.billed += total
        if f.paid:
            self.paid += 1
            channel = f.channel or "other"
            self.channels[channel] = self.channels.get(channel, 0) + 1
            if f.paid_at is not None:
                self.paid_round1 += 1 if f.paid_at < c.round1_deadline else 0
                self.paid_after_sweep += 1 if f.paid_at < c.sweep_deadline else 0
        else:
            self.outstanding += total
            self.outstanding_invoices += 1

    def view(self) -> dict[str, Any]:
        reading_rate = rate(self.readings, self.customers)
        after_sweep = rate(self.paid_after_sweep, self.invoices)
        return {
            "customers": self.customers,
            "readings": self.readings,
            "reading_rate": reading_rate,
            "invoices": self.invoices,
            "billed": self.billed,
            "paid_round1": self.paid_round1,
            "collection_rate_round1": rate(self.paid_round1, self.invoices),
            "paid_after_sweep": self.paid_after_sweep,
            "collection_rate_after_sweep": after_sweep,
            "paid": self.paid,
            "paid_by_channel": dict(sorted(self.channels.items())),
            "outstanding": self.outstanding,
            "outstanding_invoices": self.outstanding_invoices,
            "outstanding_rate": rate(self.outstanding, self.billed),
            "meets_reading_goal": None if reading_rate is None else reading_rate >= READING_GOAL,
            "meets_collection_goal": None if after_sweep is None else after_sweep >= COLLECTION_GOAL,
        }


def compute(
    facts: Iterable[CustomerFact], c: Cutoffs, staff_info: Mapping[str, Mapping[str, str | None]] | None = None
) -> dict[str, Any]:
    """{staff: [...], branches: [...], company: {...}}: one row per staff
    member with customers on route (by branch, then login), one per branch
    (by name; None last), and the company line. `staff_info` gives each
    login's full_name and branch."""
    staff_info = dict(staff_info or {})
    per_staff: dict[str, _Tally] = {}
    per_branch: dict[str | None, _Tally] = {}
    company = _Tally()
    seen: set[str] = set()
    for f in sorted(facts, key=lambda f: (f.staff, f.customer_code)):
        if f.customer_code in seen:
            continue
        seen.add(f.customer_code)
        for tally in (per_staff.setdefault(f.staff, _Tally()), per_branch.setdefault(f.branch, _Tally()), company):
            tally.add(f, c)
    info = {login: staff_info.get(login) or {} for login in per_staff}
    staff_rows = [
        dict(
            {"staff": login, "full_name": info[login].get("full_name"), "branch": info[login].get("branch")},
            **per_staff[login].view(),
        )
        for login in sorted(per_staff, key=lambda s: (info[s].get("branch") or "\uffff", s))
    ]
    branch_rows = [
        dict({"branch": b}, **per_branch[b].view()) for b in sorted(per_branch, key=lambda b: (b is None, b or ""))
    ]
    return {"staff": staff_rows, "branches": branch_rows, "company": company.view()}


def csv_rows(report: Mapping[str, Any]) -> list[list[Any]]:
    """The table as rows for a CSV: a header, then staff, branches, company."""

    def row(level: str, r: Mapping[str, Any]) -> list[Any]:
        channels = dict(r.get("paid_by_channel") or {})
        cash, vnpay = channels.pop("cash", 0), channels.pop("vnpay", 0)
        values = dict(r, level=level, paid_cash=cash, paid_vnpay=vnpay, paid_other=sum(channels.values()))
        return ["" if values.get(k) is None else values.get(k) for k in CSV_COLUMNS]

    return (
        [list(CSV_COLUMNS)]
        + [row("staff", r) for r in report["staff"]]
        + [row("branch", r) for r in report["branches"]]
        + [row("company", report["company"])]
    )
