"""An invoice's shapes, declared once (chalicelib/domain/shapes.py): a line, the summary a list shows,
the detail (domain/invoices.py builds both from a stored invoice), the detail as its customer reads
it (with how to pay it by bank transfer) and a page of a customer's invoices. services/invoices.py
builds them; api/openapi_common.py and api/openapi_invoices.py document them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain import invoices as rules
from chalicelib.domain import vietqr
from chalicelib.domain.shapes import json_schema, spec
from chalicelib.services.shapes_consumption import ConsumptionHistory
from chalicelib.services.shapes_self_readings import Evidence
from chalicelib.services.shapes_vietqr import TransferView

InvoiceStatus = Literal["unpaid", "paid", "cancelled"]
LineKind = Literal["water", "charge", "vat", "env_fee"]
_SHOWN = spec(omit_none=True)  # a line's quantity, unit price or rate: shown when the line has one


@dataclass(frozen=True, kw_only=True)
class InvoiceLine:
    """One line of an invoice: a tariff step, a charge, the VAT or the environment fee."""

    kind: LineKind
    description: str
    amount: int = field(metadata=spec(description="VND"))
    quantity: float | None = field(default=None, metadata=_SHOWN)
    unit_price: float | None = field(default=None, metadata=_SHOWN)
    rate_percent: float | None = field(default=None, metadata=_SHOWN)


@dataclass(frozen=True, kw_only=True)
class InvoicePayment:
    """A line of an invoice's payment list, for the document only: the ledger writes channel, amount,
    payment_id and received_at, and each channel adds its own references (so the list stays open)."""

    channel: str = field(metadata=spec(example="vnpay", description="vnpay, cash, a bank channel, credit, correction"))
    amount: int = field(
        metadata=spec(description="VND applied to this invoice (negative: a correction gave some back)")
    )
    payment_id: str | None = field(default=None, metadata=_SHOWN)
    received_at: int | None = field(default=None, metadata=spec(omit_none=True, description="epoch seconds"))
    note: str | None = field(default=None, metadata=_SHOWN)
    order_id: str | None = field(default=None, metadata=_SHOWN)
    transaction_no: str | None = field(default=None, metadata=_SHOWN)
    bank_code: str | None = field(default=None, metadata=_SHOWN)
    pay_date: str | None = field(default=None, metadata=_SHOWN)
    receipt_no: str | None = field(default=None, metadata=_SHOWN)
    staff: str | None = field(default=None, metadata=_SHOWN)
    collected_at: str | None = field(default=None, metadata=_SHOWN)
    collection_id: str | None = field(default=None, metadata=_SHOWN)
    line_id: str | None = field(default=None, metadata=_SHOWN)
    bank_ref: str | None = field(default=None, metadata=_SHOWN)
    booked_on: str | None = field(default=None, metadata=_SHOWN)
    import_id: str | None = field(default=None, metadata=_SHOWN)


@dataclass(frozen=True, kw_only=True)
class InvoiceSummary:
    """An invoice in a list (domain/invoices.summary)."""

    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    customer_name: str
    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    old_index: int
    new_index: int
    consumption_m3: int
    total: int = field(metadata=spec(description="VND"))
    total_text: str = field(metadata=spec(example="78.255 đ"))
    due_date: str = field(metadata=spec(format="date"))
    status: InvoiceStatus
    paid_amount: int = field(metadata=spec(description="VND the customer account has applied to it"))
    open_amount: int = field(metadata=spec(description="VND still to pay: total - paid - written off, never below 0"))


@dataclass(frozen=True, kw_only=True)
class EInvoiceCorrectionView:
    """An adjusting (or replacing) legal invoice referring to the original."""

    kind: Literal["adjustment", "replacement"]
    status: Literal["queued", "pending", "issued", "rejected", "unchanged"] = field(
        metadata=spec(description="unchanged: the correction moved no money, so no invoice was needed")
    )
    number: str | None
    series: str | None
    template: str | None
    issued_at: str | None = field(metadata=spec(format="date-time"))
    lookup_code: str | None


@dataclass(frozen=True, kw_only=True)
class EInvoiceView:
    """The legal e-invoice the licensed provider issued for this bill (issue 17, docs/einvoice.md)."""

    status: Literal["pending", "issued", "rejected"] = field(
        metadata=spec(description="pending: sent, not numbered yet; rejected: the utility is looking into it")
    )
    number: str | None = field(metadata=spec(description="the provider's invoice number, once issued"))
    series: str | None = field(metadata=spec(example="C26TAA", description="ký hiệu"))
    template: str | None = field(metadata=spec(example="1/001", description="mẫu số"))
    issued_at: str | None = field(metadata=spec(format="date-time"))
    lookup_code: str | None = field(
        metadata=spec(description="what the buyer types on the provider's look-up page (Viettel's reservationCode)")
    )
    tax_authority_code: str | None = field(metadata=spec(description="the tax authority's code, if any"))
    corrections: list[EInvoiceCorrectionView] = field(
        default_factory=list,
        metadata=spec(description="adjusting or replacing invoices made after the bill was corrected (Decree 70/2025)"),
    )
    document: bool = field(
        default=False,
        metadata=spec(
            description="the provider's PDF of the legal invoice is kept: GET /v1/invoices/{invoice_id}/pdf "
            "redirects to it (false: that request answers the payment notice)"
        ),
    )


@dataclass(frozen=True, kw_only=True)
class InvoiceDetail(InvoiceSummary):
    """An invoice in full (domain/invoices.detail): its lines, its payments, its e-invoice identity."""

    issued_on: str = field(metadata=spec(format="date"))
    lines: list[InvoiceLine]
    subtotal: int
    vat: int
    env_fee: int
    amount_in_words: str
    source: str
    tariff_ref: str | None
    paid_at: str | None
    # Each payment as the ledger wrote it, its channel's references included: an open object.
    payments: list[object] = field(metadata=spec(schema={"items": json_schema(InvoicePayment, closed=False)}))
    invoice_template: str | None
    invoice_symbol: str | None
    invoice_number: int | None
    customer_address: str | None
    ledger_no: str | None
    period_start: str | None
    period_end: str | None
    proration: list[str] = field(metadata=spec(description="notes on a period billed in parts; empty for a month"))
    einvoice: EInvoiceView | None = field(
        default=None,
        metadata=spec(description="the legal e-invoice; null while e-invoices are off or it was not sent yet"),
    )


@dataclass(frozen=True, kw_only=True)
class CustomerInvoice(InvoiceDetail):
    """GET /v1/invoices/{invoice_id}: the detail, with how to pay it by bank transfer."""

    payment_reference: str = field(
        metadata=spec(
            pattern=vietqr.REFERENCE_PATTERN,
            example="TH230501031059G",
            description="what the transfer's description must contain (it starts the VietQR's purpose)",
        )
    )
    vietqr_payload: str | None = field(
        metadata=spec(
            pattern=vietqr.PAYLOAD_PATTERN,
            description="the VietQR of a free NAPAS 247 transfer of the open amount; null when nothing is open "
            "or VietQR is off",
        )
    )
    transfer: TransferView
    einvoice_lookup_url: str | None = field(
        default=None,
        metadata=spec(
            description="the provider's page where the buyer looks the e-invoice up with its lookup_code "
            "(Tra cứu hoá đơn điện tử); null without an e-invoice or when the utility set none"
        ),
    )
    consumption: ConsumptionHistory | None = field(
        default=None,
        metadata=spec(
            omit_none=True,
            description="the code's last 12 billed periods up to this invoice's, with their average (issue 18)",
        ),
    )
    evidence: Evidence | None = field(
        default=None,
        metadata=spec(
            omit_none=True,
            description="the reading behind this bill: the meter photo and what the rules flagged (a spike, a "
            "drop, an unusual cycle); absent when there is neither (issue 18)",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class InvoicePage:
    """GET /v1/customers/{code}/invoices: a page of a linked code's invoices, newest first."""

    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    invoices: list[InvoiceSummary]
    next_cursor: str | None


def summary_of(invoice: rules.InvoiceLike) -> InvoiceSummary:
    """The summary domain/invoices.py shows (the constructor fails if its keys and the shape part)."""
    return InvoiceSummary(**rules.summary(invoice))


def detail_fields(invoice: rules.InvoiceLike) -> dict[str, Any]:
    """The detail domain/invoices.py shows, its lines as shapes: the arguments of InvoiceDetail (or of a
    shape extending it)."""
    out = rules.detail(invoice)
    out["lines"] = [InvoiceLine(**line) for line in out["lines"]]
    if out.get("einvoice") is not None:
        shown = dict(out["einvoice"])
        shown["corrections"] = [EInvoiceCorrectionView(**c) for c in shown.get("corrections", [])]
        out["einvoice"] = EInvoiceView(**shown)
    return out
