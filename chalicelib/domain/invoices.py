"""How an invoice is shown to its owner. Plain functions over any object with
the invoice's attributes; money stays integer VND."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from chalicelib.domain.words import amount_in_words

STATUSES = ("unpaid", "paid")


def format_vnd(amount: int) -> str:
    """78255 -> '78.255 đ' (Vietnamese grouping)."""
    return f"{amount:,}".replace(",", ".") + " đ"


class LineLike(Protocol):
    """One line of an invoice: the store's InvoiceLine, or tariff.Line."""

    @property
    def kind(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def amount(self) -> float: ...


class InvoiceLike(Protocol):
    """The attributes these functions read (the store's InvoiceModel has them). Numbers may be floats
    (DynamoDB's); the optional ones (paid_amount, written_off, the e-invoice identity...) are read
    with getattr, so items written before they existed still show."""

    @property
    def invoice_id(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def customer_name(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def old_index(self) -> float: ...
    @property
    def new_index(self) -> float: ...
    @property
    def consumption_m3(self) -> float: ...
    @property
    def subtotal(self) -> float: ...
    @property
    def vat(self) -> float: ...
    @property
    def env_fee(self) -> float: ...
    @property
    def total(self) -> float: ...
    @property
    def issued_on(self) -> str: ...
    @property
    def due_date(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def tariff_ref(self) -> str | None: ...
    @property
    def paid_at(self) -> str | None: ...
    @property
    def lines(self) -> Iterable[LineLike]: ...
    @property
    def payments(self) -> Iterable[Any] | None: ...


def summary(inv: InvoiceLike) -> dict[str, Any]:
    return {
        "invoice_id": inv.invoice_id,
        "customer_code": inv.customer_code,
        "customer_name": inv.customer_name,
        "period": inv.period,
        "old_index": int(inv.old_index),
        "new_index": int(inv.new_index),
        "consumption_m3": int(inv.consumption_m3),
        "total": int(inv.total),
        "total_text": format_vnd(int(inv.total)),
        "due_date": inv.due_date,
        "status": inv.status,
        "paid_amount": paid_amount(inv),
        "open_amount": open_amount(inv),
    }


def paid_amount(inv: InvoiceLike) -> int:
    """What the customer account has allocated to the invoice. Items written
    before the ledger have none: paid means the whole total was paid."""
    paid = getattr(inv, "paid_amount", None)
    if paid is not None:
        return int(paid)
    return int(inv.total) if inv.status == "paid" else 0


def open_amount(inv: InvoiceLike) -> int:
    """What is still to pay: total - paid - written off, never below 0."""
    if inv.status == "cancelled":
        return 0
    written_off = int(getattr(inv, "written_off", None) or 0)
    return max(0, int(inv.total) - paid_amount(inv) - written_off)


def detail(inv: InvoiceLike) -> dict[str, Any]:
    out = summary(inv)
    out.update(
        {
            "issued_on": inv.issued_on,
            "lines": [_line(line) for line in inv.lines],
            "subtotal": int(inv.subtotal),
            "vat": int(inv.vat),
            "env_fee": int(inv.env_fee),
            "amount_in_words": amount_in_words(int(inv.total)),
            "source": inv.source,
            "tariff_ref": inv.tariff_ref,
            "paid_at": inv.paid_at,
            "payments": [dict(p) for p in (inv.payments or [])],
            "invoice_template": getattr(inv, "invoice_template", None),
            "invoice_symbol": getattr(inv, "invoice_symbol", None),
            "invoice_number": _int_or_none(getattr(inv, "invoice_number", None)),
            "customer_address": getattr(inv, "customer_address", None),
            "ledger_no": getattr(inv, "ledger_no", None),
            "period_start": getattr(inv, "period_start", None),
            "period_end": getattr(inv, "period_end", None),
            "proration": list(getattr(inv, "proration", None) or []),
            "einvoice": einvoice(inv),
        }
    )
    return out


def einvoice(inv: object) -> dict[str, Any] | None:
    """The provider's e-invoice of the bill (services/einvoices.py), or None while none was sent. The
    rejection's reason stays with the staff (it may name the provider's internals)."""
    status = getattr(inv, "einvoice_status", None)
    if status is None:
        return None
    return {
        "status": status,
        "number": getattr(inv, "einvoice_number", None),
        "series": getattr(inv, "einvoice_series", None),
        "template": getattr(inv, "einvoice_template", None),
        "issued_at": getattr(inv, "einvoice_issued_at", None),
        "lookup_code": getattr(inv, "einvoice_lookup_code", None),
        "tax_authority_code": getattr(inv, "einvoice_tax_code", None),
        # The provider's document is kept (services/einvoices.py): the PDF request redirects to it.
        "document": bool(getattr(inv, "einvoice_document_key", None)),
        "corrections": [
            {key: c.get(key) for key in ("kind", "status", "number", "series", "template", "issued_at", "lookup_code")}
            for c in json.loads(getattr(inv, "einvoice_corrections", None) or "[]")
        ],
    }


def _int_or_none(value: float | str | None) -> int | None:
    return None if value is None else int(value)


def _line(line: LineLike) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": line.kind, "description": line.description, "amount": int(line.amount)}
    for name in ("quantity", "unit_price", "rate_percent"):
        value = getattr(line, name, None)
        if value is not None:
            out[name] = int(value) if float(value).is_integer() else value
    return out


def lines_add_up(lines: Iterable[LineLike], subtotal: int, vat: int, env_fee: int, total: int) -> bool:
    """The invariant every stored invoice keeps: the lines are the total."""
    water = sum(int(x.amount) for x in lines if x.kind in ("water", "charge"))
    vat_l = sum(int(x.amount) for x in lines if x.kind == "vat")
    fee_l = sum(int(x.amount) for x in lines if x.kind == "env_fee")
    return water == subtotal and vat_l == vat and fee_l == env_fee and subtotal + vat + env_fee == total
