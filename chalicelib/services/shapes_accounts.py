"""The account statement's shapes ("sổ theo dõi công nợ"), declared once (chalicelib/domain/shapes.py):
the statement a customer reads (`Statement`, of `Row`s) and the one the managers read
(`AdminStatement`, of `AdminRow`s: the same rows with the references and who posted). AccountService
builds them from domain/accounts.py's rows; api/openapi_accounts.py documents them from here. Both
are closed: a customer's rows carry nothing beyond their own fields (no internal reference)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec

# domain/accounts.ROW_KINDS as a type (tests/unit/test_shapes.py checks they are the same).
RowKind = Literal["charge", "adjustment", "payment", "allocation", "refund", "write_off", "credit", "opening"]


@dataclass(frozen=True, kw_only=True)
class Row:
    """A line of the ledger as its customer reads it, with the balance after it."""

    date: str | None = field(
        metadata=spec(format="date-time", description="Vietnam time (+07:00); null on the opening row")
    )
    event: str
    kind: RowKind
    amount: int = field(metadata=spec(description="as posted, VND"))
    effect: int = field(metadata=spec(description="how it moved the balance: + owes more, - owes less"))
    balance: int = field(metadata=spec(description="after this row: positive the customer owes, negative credit"))
    invoice_id: str | None
    period: str | None = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    channel: str | None
    reference: str | None = field(metadata=spec(description="the external reference; masked (****1234) for customers"))
    description: str = field(
        metadata=spec(description="e.g. Hoá đơn 05/2023, Thanh toán VNPay, Tiền thừa chuyển kỳ sau")
    )


@dataclass(frozen=True, kw_only=True)
class AdminRow(Row):
    """The managers' row: the customer's, and the entry's references, who posted it, flags and note."""

    entry_id: str | None
    payment_id: str | None
    external_ref: str | None
    posted_by: str | None
    flags: list[str]
    note: str | None
    credit_delta: int | None


@dataclass(frozen=True, kw_only=True)
class OpenInvoice:
    """An invoice not paid in full yet."""

    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    total: int
    paid_amount: int
    written_off: int
    open_amount: int
    due_date: str | None = field(metadata=spec(format="date"))


@dataclass(frozen=True, kw_only=True)
class _Figures:
    """What both statements show first: whose, when, and the account's figures."""

    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    generated_at: str = field(metadata=spec(format="date-time"))
    currency: Literal["VND"]
    balance: int = field(metadata=spec(description="open amounts - credit: positive owes, negative in credit"))
    credit: int = field(metadata=spec(min=0, description="money on the account no invoice has taken yet"))
    open_amount: int = field(metadata=spec(min=0))


@dataclass(frozen=True, kw_only=True)
class Statement(_Figures):
    """GET /v1/me/account: the entries oldest first, then the open invoices."""

    entries: list[Row]
    open_invoices: list[OpenInvoice]


@dataclass(frozen=True, kw_only=True)
class AdminStatement(_Figures):
    """GET /v1/admin/customers/{code}/account."""

    entries: list[AdminRow]
    open_invoices: list[OpenInvoice]
