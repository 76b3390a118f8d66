"""The customer account as its owner and the managers read it ("sổ theo dõi
công nợ"): one row per ledger line, oldest first, each with the balance after
it (positive: the customer owes; negative: the account is in credit) and a
short description in Vietnamese or English. Pure functions over plain
mappings (the ledger items as dicts), no AWS.

Rows beyond the ledger's own lines:
- ``credit``: what a posting left on the account (`credit_delta` > 0), e.g.
  the 21,745 VND of a 100,000 VND transfer for a 78,255 VND bill: "Tiền thừa
  chuyển kỳ sau". It moves no balance (the payment row already did).
- ``opening``: the balance the ledger does not explain, first: invoices issued
  before the ledger existed (the demo history) have no charge entry, so the
  statement starts from what the account owes now minus what its entries add
  up to, and its last row always shows the balance of today.

A customer sees the channel and a masked reference at most; the managers'
view adds the entry, payment and external references, who posted, flags and
notes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chalicelib.domain import ledger
from chalicelib.domain.vntime import iso

ROW_KINDS = ledger.KINDS + ("credit", "opening")
PERIOD_IN_ID = re.compile(r"-(\d{4})(\d{2})$")
CREDIT_EVENTS = ("charge", "credit_applied")  # an allocation in these takes the account's credit

CSV_COLUMNS = (
    "date",
    "description",
    "kind",
    "event",
    "invoice_id",
    "period",
    "channel",
    "reference",
    "amount",
    "effect",
    "balance",
)
CSV_INTERNAL = ("entry_id", "payment_id", "external_ref", "posted_by", "flags", "note")
INTERNAL_FIELDS = ("entry_id", "payment_id", "external_ref", "posted_by", "flags", "note", "credit_delta")

_PAYMENT = {
    "vi": {
        "vnpay": "Thanh toán VNPay",
        "cash": "Thanh toán tiền mặt",
        "bank_transfer": "Thanh toán chuyển khoản",
        "bank_statement": "Thanh toán chuyển khoản",
        "authorised_debit": "Thanh toán trích nợ tự động",
        "partner": "Thanh toán qua đối tác thu hộ",
        "migration": "Thanh toán (ghi nhận trước khi mở sổ)",
        None: "Thanh toán",
    },
    "en": {
        "vnpay": "Payment by VNPay",
        "cash": "Payment in cash",
        "bank_transfer": "Payment by bank transfer",
        "bank_statement": "Payment by bank transfer",
        "authorised_debit": "Payment by direct debit",
        "partner": "Payment through a collection partner",
        "migration": "Payment (recorded before the ledger)",
        None: "Payment",
    },
}
_REFUND = {
    "vi": {"vnpay": "Hoàn tiền qua VNPay", "cash": "Hoàn tiền mặt", None: "Hoàn tiền"},
    "en": {"vnpay": "Refund through VNPay", "cash": "Refund in cash", None: "Refund"},
}
_TEXT = {
    "vi": {
        "charge": "Hoá đơn {p}",
        "adjustment": "Điều chỉnh hoá đơn {p}",
        "allocation": "Phân bổ vào hoá đơn {p}",
        "from_credit": "Trừ tiền thừa vào hoá đơn {p}",
        "returned": "Hoàn lại từ hoá đơn {p} vào tài khoản",
        "refund_cancelled": "Huỷ hoàn tiền",
        "payment_reversed": "Huỷ thanh toán (hoàn lại cho đối tác thu hộ)",
        "write_off": "Xoá nợ hoá đơn {p}",
        "credit": "Tiền thừa chuyển kỳ sau",
        "opening": "Số dư chuyển sang (trước khi mở sổ)",
    },
    "en": {
        "charge": "Bill {p}",
        "adjustment": "Correction of bill {p}",
        "allocation": "Applied to bill {p}",
        "from_credit": "Credit applied to bill {p}",
        "returned": "Returned from bill {p} to the account",
        "refund_cancelled": "Refund cancelled",
        "payment_reversed": "Payment reversed (returned to the collection partner)",
        "write_off": "Bill {p} written off",
        "credit": "Overpayment carried to the next bill",
        "opening": "Balance brought forward (before the ledger)",
    },
}


# Epoch seconds as Vietnam time, ISO 8601 with its offset: '2023-06-10T09:30:00+07:00' (services/accounts.py
# calls it by this name).
vn_time = iso


def period_label(period: str | None, invoice_id: str | None = None) -> str:
    """'2023-05' -> '05/2023'; without a period, the one in the invoice id ('INV-<code>-202305'), else the id."""
    if period and re.fullmatch(r"\d{4}-\d{2}", period):
        return f"{period[5:]}/{period[:4]}"
    m = PERIOD_IN_ID.search(invoice_id or "")
    if m:
        return f"{m.group(2)}/{m.group(1)}"
    return invoice_id or ""


def mask_reference(ref: str | None) -> str | None:
    """What a customer sees of an external reference: its last 4 characters, not even its length."""
    if not ref:
        return None
    return "****" + ref[-4:] if len(ref) > 4 else "****"


def describe(row: Mapping[str, Any], lang: str = "vi") -> str:
    """The row's short description, e.g. 'Hoá đơn 05/2023', 'Thanh toán VNPay',
    'Phân bổ vào hoá đơn 05/2023', 'Tiền thừa chuyển kỳ sau'."""
    lang = lang if lang in _TEXT else "vi"
    text = _TEXT[lang]
    kind, amount, channel = row["kind"], int(row["amount"]), row.get("channel")
    p = period_label(row.get("period"), row.get("invoice_id"))
    if kind == "payment":
        if amount < 0:  # a payment taken back the same day (a bill-pay partner's reversal)
            return text["payment_reversed"]
        return _PAYMENT[lang].get(channel, _PAYMENT[lang][None])
    if kind == "refund":
        return text["refund_cancelled"] if amount < 0 else _REFUND[lang].get(channel, _REFUND[lang][None])
    if kind == "allocation":
        if amount < 0:
            return text["returned"].format(p=p)
        credit = row.get("event") in CREDIT_EVENTS or channel == "credit"
        return text["from_credit" if credit else "allocation"].format(p=p)
    return text[kind].format(p=p)


def rows(
    entries: Sequence[Mapping[str, Any]],
    *,
    balance: int,
    periods: Mapping[str, str],
    lang: str = "vi",
    internal: bool = False,
) -> list[dict[str, Any]]:
    """The statement's rows: every line of every entry (oldest first), a
    `credit` row where a posting left money on the account, an `opening` row
    first when the entries do not explain today's `balance`, and the balance
    after each. `periods` maps the account's own invoices to their period: an
    invoice id not in it is not shown to the customer."""
    flat: list[dict[str, Any]] = []
    for entry in entries:
        base = {"date": vn_time(entry.get("posted_at")), "event": entry["event"], "channel": entry.get("channel")}
        if internal:
            base.update({name: entry.get(name) for name in INTERNAL_FIELDS})
            base["flags"] = list(entry.get("flags") or [])
        ref = entry.get("external_ref")
        for line in entry.get("lines") or []:
            kind, amount = str(line["kind"]), int(line["amount"])
            invoice_id = line.get("invoice_id")
            if invoice_id is not None and not internal and invoice_id not in periods:
                invoice_id = None
            flat.append(
                dict(
                    base,
                    kind=kind,
                    amount=amount,
                    invoice_id=invoice_id,
                    period=periods.get(invoice_id) if invoice_id else None,
                    reference=(ref if internal else mask_reference(ref)) if kind in ("payment", "refund") else None,
                )
            )
        credit = int(entry.get("credit_delta") or 0)
        if credit > 0:
            flat.append(dict(base, kind="credit", amount=credit, invoice_id=None, period=None, reference=None))
    out = ledger.running(flat)
    opening = balance - (out[-1]["balance"] if out else 0)
    if opening:
        first: dict[str, Any] = {
            "date": None,
            "event": "opening",
            "channel": None,
            "kind": "opening",
            "amount": opening,
            "invoice_id": None,
            "period": None,
            "reference": None,
        }
        if internal:
            first.update(dict.fromkeys(INTERNAL_FIELDS), flags=[])
        out = [dict(first, balance=0)] + out
        for row in out:
            row["balance"] += opening
    for row in out:
        row["effect"] = opening if row["kind"] == "opening" else ledger.line_balance_effect(row["kind"], row["amount"])
        row["description"] = describe(row, lang)
    return out


def open_amounts(invoices: Iterable[ledger.OpenInvoice]) -> list[dict[str, Any]]:
    """The invoices still open, in the order given (oldest first), with what was paid and what is open."""
    return [
        {
            "invoice_id": i.invoice_id,
            "period": i.period,
            "total": i.total,
            "paid_amount": i.paid,
            "written_off": i.written_off,
            "open_amount": i.open_amount,
        }
        for i in invoices
        if i.status != "cancelled" and i.open_amount > 0
    ]


def _cell(value: object) -> object:
    """A CSV cell: None is empty, lists are joined, and text that a spreadsheet
    would run as a formula (=, +, -, @, tab, CR first) is quoted with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_rows(statement: Mapping[str, Any], internal: bool = False) -> list[list[object]]:
    """The entries as a table: a header, then one row per statement row."""
    columns = CSV_COLUMNS + (CSV_INTERNAL if internal else ())
    header: list[object] = list(columns)
    return [header] + [[_cell(row.get(c)) for c in columns] for row in statement["entries"]]
