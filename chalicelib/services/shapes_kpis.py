"""The managers' KPI report and audit trail, declared once (chalicelib/domain/shapes.py): the report
(`Report`: a row per staff member, per branch and the company's, of the same figures, from
domain/kpis.compute) and the audit trail (`AuditView`). KpiService builds them; api/openapi_kpis.py
documents them from here (the query parameters stay there: they are not bodies)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec

_RATE = spec(min=0, max=100, description="percent, one decimal, half up; null when nothing to count")
_JSON_ANY = spec(schema={"nullable": True}, description="the JSON value recorded")
_CHANNEL_SUMS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "integer"}}


@dataclass(frozen=True, kw_only=True)
class Figures:
    """One row's figures (domain/kpis._Tally.view); the company's row is only these."""

    customers: int = field(metadata=spec(description="distinct customers on the period's routes"))
    readings: int = field(metadata=spec(description="of those, customers with a reading of the period (any status)"))
    reading_rate: float | None = field(metadata=_RATE)
    invoices: int = field(metadata=spec(description="the period's invoices of those customers, not cancelled"))
    billed: int = field(metadata=spec(description="sum of their totals, VND"))
    paid_round1: int
    collection_rate_round1: float | None = field(metadata=_RATE)
    paid_after_sweep: int
    collection_rate_after_sweep: float | None = field(metadata=_RATE)
    paid: int
    paid_by_channel: object = field(metadata=spec(schema=_CHANNEL_SUMS, description="paid amounts by channel, VND"))
    outstanding: int = field(metadata=spec(description="unpaid amount now, VND"))
    outstanding_invoices: int
    outstanding_rate: float | None = field(
        metadata=spec(min=0, max=100, description="outstanding / billed, percent of the amount")
    )
    meets_reading_goal: bool | None
    meets_collection_goal: bool | None


# A row's own columns come before its figures: a dataclass lists a later base's fields first.


@dataclass(frozen=True, kw_only=True)
class _StaffColumns:
    staff: str
    full_name: str | None
    branch: str | None


@dataclass(frozen=True, kw_only=True)
class _BranchColumns:
    branch: str | None


@dataclass(frozen=True, kw_only=True)
class StaffRow(Figures, _StaffColumns):
    """A staff member's row."""


@dataclass(frozen=True, kw_only=True)
class BranchRow(Figures, _BranchColumns):
    """A branch's row (null: routes of no branch)."""


@dataclass(frozen=True, kw_only=True)
class Goals:
    reading: int
    collection: int


@dataclass(frozen=True, kw_only=True)
class TicketRow:
    """One kind of service request's figures of the period (domain/tickets.figures); `type` 'all': every kind."""

    type: str
    tickets: int = field(metadata=spec(description="made in the period"))
    open: int
    resolved: int
    rejected: int
    on_time: int = field(metadata=spec(description="closed by the target time"))
    late: int = field(metadata=spec(description="closed after the target time, or still open past it"))
    open_overdue: int
    ratings: int
    average_rating: float | None = field(metadata=spec(min=1, max=5, description="satisfaction 1-5, one decimal"))


@dataclass(frozen=True, kw_only=True)
class TicketKpis:
    """The service requests made in the period (issue 18), of the branch if one is asked."""

    by_type: list[TicketRow]
    total: TicketRow


@dataclass(frozen=True, kw_only=True)
class Report:
    """GET /v1/admin/kpis."""

    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    branch: str | None
    round1_ends: str = field(metadata=spec(format="date"))
    sweep_ends: str = field(metadata=spec(format="date"))
    staff: list[StaffRow]
    branches: list[BranchRow]
    company: Figures
    goals: Goals
    tickets: TicketKpis | None = field(
        default=None, metadata=spec(omit_none=True, description="service requests by kind, on time vs late")
    )


@dataclass(frozen=True, kw_only=True)
class Change:
    """One change: who, when, what, before and after (`entity` only in one person's changes)."""

    at: str = field(metadata=spec(format="date-time"))
    entity: str | None = field(default=None, metadata=spec(omit_none=True))
    actor: str
    action: str
    before: object = field(metadata=_JSON_ANY)
    after: object = field(metadata=_JSON_ANY)


@dataclass(frozen=True, kw_only=True)
class AuditView:
    """GET /v1/admin/audit: an entity's changes, or one person's (`actor`), newest first."""

    entity: str | None = field(default=None, metadata=spec(omit_none=True))
    actor: str | None = field(default=None, metadata=spec(omit_none=True))
    entries: list[Change]
