"""The admin money routes' shapes, declared once (chalicelib/domain/shapes.py): a tariff version (the body
that adds one, checked by domain/tariff.py with its own INVALID_TARIFF code, and the version answered), the
reading an invoice is issued from, the accounts holding credit, and a refund with the bodies that request,
approve, reject and settle it. services/billing.py and services/refunds.py parse and build them;
api/openapi_admin.py documents them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec
from chalicelib.services.shapes_auth import CODE

# -- tariffs ----------------------------------------------------------------------------------------

CustomerClass = Literal["household", "poor_household", "public_service", "production", "business"]
Pricing = Literal["tiers", "per_person", "flat"]
_PERCENT = spec(min=0, max=30)


@dataclass(frozen=True, kw_only=True)
class TariffTier:
    """A step of a tariff: its price up to `up_to` m³ (null: no upper bound)."""

    up_to: int | None = field(default=None, metadata=spec(min=1))
    price: int = field(metadata=spec(min=1, max=1_000_000))


@dataclass(frozen=True, kw_only=True)
class TariffCharge:
    """A per-m³ charge billed on its own line (drainage, forest environment service)."""

    code: str = field(metadata=spec(pattern=ids.CHARGE_CODE))
    description: str
    unit_price: int = field(metadata=spec(min=1, max=100_000, description="VND per m³"))
    vat_percent: int = field(default=0, metadata=_PERCENT)


@dataclass(frozen=True, kw_only=True)
class Tariff:
    """A tariff version (POST /v1/admin/tariffs: its body and its answer); versions never change."""

    tariff_id: str = field(metadata=spec(pattern=ids.TARIFF_ID))
    area: str = field(metadata=spec(pattern=ids.TARIFF_AREA))
    customer_class: CustomerClass
    valid_from: str = field(metadata=spec(format="date"))
    pricing: Pricing
    tiers: list[TariffTier] = field(metadata=spec(min=1))
    legal_ref: str = field(metadata=spec(min=1, max=300))
    prices_include_vat: bool = False
    vat_percent: int = field(default=5, metadata=_PERCENT)
    env_fee_percent: int = field(default=10, metadata=_PERCENT)
    charges: list[TariffCharge] = field(default_factory=list)
    utility: str = ""
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class StoredTariff(Tariff):
    """A version as listed, with who added it."""

    created_by: str = field(metadata=spec(example="admin:admin"))


@dataclass(frozen=True, kw_only=True)
class TariffVersions:
    """GET /v1/admin/tariffs: the versions of one tariff, oldest first."""

    versions: list[StoredTariff]


def tariff_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The arguments of Tariff (or StoredTariff) from a version as domain/tariff.version_to_dict writes it
    (the constructors fail if its keys and the shape part)."""
    return dict(
        data,
        tiers=[TariffTier(**t) for t in data["tiers"]],
        charges=[TariffCharge(**c) for c in data["charges"]],
    )


# -- issuing an invoice -----------------------------------------------------------------------------

MAX_INDEX = 10**8  # a meter index is below this


def _a_date(value: str) -> str:
    date.fromisoformat(value)  # a ValueError fails the field
    return value


_INDEX = spec(
    min=0,
    max=MAX_INDEX - 1,
    message=(
        f"{{field}} must be a whole number of m³ from 0 to {MAX_INDEX - 1}",
        f"{{field}} phải là số nguyên từ 0 đến {MAX_INDEX - 1}.",
    ),
)
_DATE = spec(
    format="date",
    check=_a_date,
    message=("{field} must be a date YYYY-MM-DD", "{field} phải là ngày dạng YYYY-MM-DD."),
)


@dataclass(frozen=True, kw_only=True)
class IssueInvoice:
    """POST /v1/admin/invoices: the reading an invoice is priced from (the period before it ends the day
    before `read_on`'s month-earlier date unless `previous_read_on` says when it started)."""

    customer_code: str = field(metadata=CODE)
    period: str = field(
        metadata=spec(
            pattern=ids.PERIOD,
            example="2026-11",
            message=("period must be YYYY-MM", "Kỳ hoá đơn phải có dạng YYYY-MM."),
        )
    )
    old_index: int = field(metadata=_INDEX)
    new_index: int = field(metadata=_INDEX)
    read_on: str = field(metadata=_DATE)
    previous_read_on: str | None = field(default=None, metadata=_DATE)


# -- credits and refunds ----------------------------------------------------------------------------

RefundStatus = Literal["requested", "sending", "unconfirmed", "refunded", "failed", "rejected"]
RefundMethod = Literal["vnpay", "cash"]
MAX_AMOUNT = 999_999_999
NOTE_MAX = 500


def _said(value: str) -> str:
    """A note is kept without its surrounding spaces; one of spaces only says nothing."""
    if not value.strip():
        raise ValueError("empty")
    return value.strip()


NOTE = spec(
    min=1,
    max=NOTE_MAX,
    check=_said,
    message=(f"{{field}}: 1 to {NOTE_MAX} characters saying why", f"Cần ghi chú lý do (tối đa {NOTE_MAX} ký tự)."),
)


@dataclass(frozen=True, kw_only=True)
class Credit:
    """An account holding credit."""

    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    credit: int = field(metadata=spec(description="VND"))
    last_movement: str | None = field(metadata=spec(format="date-time"))


@dataclass(frozen=True, kw_only=True)
class Credits:
    """GET /v1/admin/credits: the accounts holding credit (money no invoice has taken yet)."""

    credits: list[Credit]
    accounts: int
    total: int = field(metadata=spec(description="VND"))


@dataclass(frozen=True, kw_only=True)
class RequestRefund:
    """POST /v1/admin/refunds. `payment_id` is checked by the service after `method` (for VNPay only)."""

    customer_code: str = field(metadata=CODE)
    amount: int = field(
        metadata=spec(
            min=1,
            max=MAX_AMOUNT,
            message=("amount: a whole number of VND, at least 1", "Số tiền hoàn không hợp lệ."),
        )
    )
    method: RefundMethod = field(
        metadata=spec(message=("method must be vnpay or cash", "Hình thức hoàn phải là vnpay hoặc cash."))
    )
    note: str = field(metadata=NOTE)
    payment_id: object = field(
        default=None,
        metadata=spec(schema={"type": "string", "pattern": ids.VNPAY_PAYMENT_ID}, description="only with method vnpay"),
    )


@dataclass(frozen=True, kw_only=True)
class ApproveRefund:
    """POST /v1/admin/refunds/{refund_id}/approve: an optional body."""

    note: str | None = field(default=None, metadata=NOTE)


@dataclass(frozen=True, kw_only=True)
class RejectRefund:
    """POST /v1/admin/refunds/{refund_id}/reject: why."""

    note: str = field(metadata=NOTE)


Outcome = Literal["refunded", "failed"]
_OUTCOME = spec(message=("outcome must be refunded or failed", "Kết quả phải là refunded hoặc failed."))


@dataclass(frozen=True, kw_only=True)
class CheckRefund:
    """POST /v1/admin/refunds/{refund_id}/check: an optional body (none: ask VNPay)."""

    outcome: Outcome | None = field(default=None, metadata=_OUTCOME)
    note: str | None = field(default=None, metadata=NOTE)


@dataclass(frozen=True, kw_only=True)
class SettleRefund:
    """That body with an outcome: what VNPay's merchant portal shows, and a note (checked first)."""

    note: str = field(metadata=NOTE)
    outcome: Outcome = field(metadata=_OUTCOME)


@dataclass(frozen=True, kw_only=True)
class RefundView:
    """A refund of an account's credit."""

    refund_id: str = field(metadata=spec(pattern=ids.REFUND_ID))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    amount: int = field(metadata=spec(description="VND"))
    method: RefundMethod
    status: RefundStatus
    payment_id: str | None = field(metadata=spec(description="the VNPay payment it goes back through"))
    order_id: str | None
    transaction_no: str | None
    requested_by: str
    requested_at: str | None = field(metadata=spec(format="date-time"))
    approved_by: str | None
    sent_at: str | None = field(
        metadata=spec(format="date-time", description="approved: sent to VNPay, or paid out in cash")
    )
    note: str | None
    outcome: str | None = field(metadata=spec(description="VNPay's answer, or what settled it"))


@dataclass(frozen=True, kw_only=True)
class RefundList:
    """GET /v1/admin/refunds: the refunds in one state, newest first."""

    status: RefundStatus
    refunds: list[RefundView]
