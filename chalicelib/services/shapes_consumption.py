"""The consumption history's shapes, declared once (chalicelib/domain/shapes.py): a period's m³ and
amount, and the history with its average (domain/consumption.py computes them). GET
/v1/customers/{code}/consumption answers a ConsumptionHistory; GET /v1/invoices/{invoice_id} carries
one up to its own period (services/shapes_invoices.CustomerInvoice.consumption)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chalicelib.domain import consumption as rules
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec


@dataclass(frozen=True, kw_only=True)
class ConsumptionPoint:
    """One billed period: a bar of the chart."""

    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2023-05"))
    m3: int = field(metadata=spec(description="m³ billed for the period"))
    amount: int = field(metadata=spec(description="VND billed for the period (the invoice total, VAT and fees in)"))


@dataclass(frozen=True, kw_only=True)
class ConsumptionHistory:
    """The last billed periods of a customer code, oldest first, and their average (null without any)."""

    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    periods: list[ConsumptionPoint] = field(
        metadata=spec(
            max=rules.MAX_PERIODS,
            description="oldest first; a cancelled invoice is left out, a period billed in parts counts once",
        )
    )
    average_m3: float | None = field(metadata=spec(description="m³ a period, rounded half up to a tenth"))
    average_amount: int | None = field(metadata=spec(description="VND a period, rounded half up"))


def history_of(code: str, invoices: Sequence[rules.Billed], periods: int) -> ConsumptionHistory:
    """The shape of `code`'s last `periods` periods among `invoices` (as read, any order)."""
    points = rules.series(invoices, periods)
    mean = rules.average(points)
    return ConsumptionHistory(
        customer_code=code,
        periods=[ConsumptionPoint(period=p.period, m3=p.m3, amount=p.amount) for p in points],
        average_m3=mean.m3,
        average_amount=mean.amount,
    )
