"""Bill payment through partners: the shapes of its requests and answers, declared once
(chalicelib/domain/shapes.py): services/partners.py parses the bodies and builds the answers with them,
api/openapi_partners.py and api/openapi_partners_admin.py document them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec

MAX_AMOUNT = 999_999_999_999  # VND: a number no bill comes near, far inside DynamoDB's and JSON's
MAX_INVOICES = 20
CHANNELS = ("bank_app", "wallet", "counter", "atm", "agent")
Channel = Literal["bank_app", "wallet", "counter", "atm", "agent"]
SSM_PARAM = r"^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$"


# -- the partner's calls ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OpenInvoiceView:
    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2023-05"))
    total: int = field(metadata=spec(description="VND"))
    open_amount: int = field(metadata=spec(description="VND still owed on it"))
    due_date: str | None = field(metadata=spec(format="date"))


@dataclass(frozen=True, kw_only=True)
class BillView:
    """GET /v1/partners/bills: what a partner shows its customer before taking the money."""

    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    name: str = field(metadata=spec(description="masked: D**** T** H***", example="D**** T** H***"))
    address: str = field(metadata=spec(description="masked: the house and street hidden"))
    amount_due: int = field(metadata=spec(description="VND: the open amounts of the invoices below"))
    currency: Literal["VND"]
    invoices: list[OpenInvoiceView] = field(metadata=spec(description="open invoices, oldest period first"))


@dataclass(frozen=True, kw_only=True)
class PaymentBody:
    """POST /v1/partners/payments."""

    partner_txn_id: str = field(
        metadata=spec(
            pattern=ids.PARTNER_TXN_ID,
            description="the partner's own id of this payment: a repeat with it is answered the same",
            message=("partner_txn_id is 1-64 of A-Z a-z 0-9 _ . -", "partner_txn_id gồm 1-64 ký tự A-Z a-z 0-9 _ . -"),
        )
    )
    customer_code: str = field(
        metadata=spec(
            pattern=ids.CUSTOMER_CODE,
            example="01031059",
            message=("customer_code is 6-12 digits", "Mã khách hàng gồm 6-12 chữ số."),
        )
    )
    amount: int = field(
        metadata=spec(
            min=1,
            max=MAX_AMOUNT,
            description="whole VND, at most the amount due",
            message=("amount must be a positive whole number of VND", "Số tiền phải là số nguyên dương (đồng)."),
        )
    )
    paid_at: str = field(
        metadata=spec(format="date-time", description="when the partner took the money, ISO 8601 with its offset")
    )
    invoice_ids: list[str] | None = field(
        default=None,
        metadata=spec(
            pattern=ids.INVOICE_ID,
            min=1,
            max=MAX_INVOICES,
            unique=True,
            description="the invoices it pays, in this order (default: the oldest open ones)",
        ),
    )
    channel: Channel | None = field(
        default=None, metadata=spec(description="where the customer paid (default: the partner's first channel)")
    )


@dataclass(frozen=True, kw_only=True)
class Applied:
    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    period: str = field(metadata=spec(description="YYYY-MM, or '' for an imported invoice without one"))
    amount: int = field(metadata=spec(description="VND applied to it (negative in a reversal: taken back)"))


@dataclass(frozen=True, kw_only=True)
class PaymentAnswer:
    """A partner's payment as posted: the first request's answer, and every repeat's."""

    partner_id: str = field(metadata=spec(pattern=ids.PARTNER_ID, example="DEMOBANK"))
    partner_txn_id: str = field(metadata=spec(pattern=ids.PARTNER_TXN_ID))
    payment_id: str = field(metadata=spec(description="'partner#<partner_id>#<partner_txn_id>'"))
    receipt_no: str = field(metadata=spec(description="the utility's receipt number", example="DEMOBANK-2024-0000001"))
    status: Literal["paid"]
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    amount: int
    allocated: int = field(metadata=spec(description="VND applied to invoices"))
    credited: int = field(metadata=spec(description="VND kept on the account as credit (an invoice paid meanwhile)"))
    invoices: list[Applied]
    paid_at: str = field(metadata=spec(format="date-time"))
    day: str = field(metadata=spec(format="date", description="the payment's day (Vietnam time): its daily file"))
    received_at: str = field(metadata=spec(format="date-time"))


@dataclass(frozen=True, kw_only=True)
class ReversalAnswer:
    """A payment taken back out of the account, exactly as it went in (once; a repeat is answered the same)."""

    partner_id: str = field(metadata=spec(pattern=ids.PARTNER_ID))
    partner_txn_id: str = field(metadata=spec(pattern=ids.PARTNER_TXN_ID))
    payment_id: str
    receipt_no: str
    status: Literal["reversed"]
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    amount: int
    invoices: list[Applied] = field(metadata=spec(description="what each invoice gave back (negative amounts)"))
    credit_taken: int = field(metadata=spec(description="VND of account credit taken back"))
    reversed_at: str = field(metadata=spec(format="date-time"))


@dataclass(frozen=True, kw_only=True)
class UploadAnswer:
    """PUT /v1/partners/reconciliation/{day}: the file is kept and its compare queued."""

    partner_id: str = field(metadata=spec(pattern=ids.PARTNER_ID))
    day: str = field(metadata=spec(format="date"))
    status: Literal["queued"]
    object_key: str = field(metadata=spec(description="where the file is kept"))
    bytes: int


# -- the managers' routes --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreatePartner:
    """POST /v1/admin/partners."""

    partner_id: str = field(
        metadata=spec(
            pattern=ids.PARTNER_ID,
            example="DEMOBANK",
            message=("partner_id is 3-10 capital letters", "Mã đối tác gồm 3-10 chữ cái in hoa."),
        )
    )
    name: str = field(metadata=spec(min=1, max=100))
    secret_param: str = field(
        metadata=spec(
            pattern=SSM_PARAM,
            max=1011,
            description="the SSM SecureString holding its HMAC secret, under PARTNER_SECRET_PREFIX; never the secret",
        )
    )
    ip_allowlist: list[str] = field(
        default_factory=list, metadata=spec(max=50, description="CIDR blocks; empty: any address")
    )
    channels: list[Channel] = field(default_factory=lambda: ["bank_app"], metadata=spec(min=1, max=5, unique=True))
    enabled: bool = True


@dataclass(frozen=True, kw_only=True)
class UpdatePartner:
    """PATCH /v1/admin/partners/{partner_id}: the fields given change, from the version read."""

    version: int = field(
        metadata=spec(min=1, description="the partner's version as read: a change made meanwhile is a 409")
    )
    name: str | None = field(default=None, metadata=spec(min=1, max=100))
    secret_param: str | None = field(default=None, metadata=spec(pattern=SSM_PARAM, max=1011))
    ip_allowlist: list[str] | None = field(default=None, metadata=spec(max=50))
    channels: list[Channel] | None = field(default=None, metadata=spec(min=1, max=5, unique=True))
    enabled: bool | None = None


@dataclass(frozen=True, kw_only=True)
class PartnerView:
    partner_id: str = field(metadata=spec(pattern=ids.PARTNER_ID))
    name: str
    secret_param: str = field(metadata=spec(description="where the secret is: the secret itself is never shown"))
    ip_allowlist: list[str]
    channels: list[str]
    enabled: bool
    version: int
    created_at: str = field(metadata=spec(format="date-time"))
    created_by: str
    updated_at: str = field(metadata=spec(format="date-time"))
    updated_by: str


@dataclass(frozen=True, kw_only=True)
class PartnerList:
    partners: list[PartnerView]
