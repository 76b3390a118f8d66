"""The customer account ("sổ theo dõi công nợ"): the arithmetic of an
append-only ledger per customer code, with no AWS in it.

Money moves in postings; a posting is a list of entries (lines), each of one
kind, all integer VND:

- ``charge``      +T  an invoice issued (the customer owes T more)
- ``adjustment``  ±d  a correction of an invoice: the difference, never a rewrite
- ``payment``     +P  money received on a channel, with its external reference
- ``allocation``  ±a  part of the account's money applied to an invoice
                      (negative: given back to the account when a correction
                      brings an invoice below what was paid on it)
- ``refund``      ±r  money given back (negative: a refund that did not happen)
- ``write_off``   +w  an amount the utility gives up on

Per account, always:
    payments = allocations + credit + refunds
    charges + adjustments - allocations - write_offs = sum of open amounts
and an invoice's open amount is its total - what was allocated to it - what
was written off, never below 0. Credit is what the account holds that no
invoice has taken yet; it goes to the next charge unless it is refunded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS = ("charge", "adjustment", "payment", "allocation", "refund", "write_off")
CHANNELS = ("vnpay", "cash", "bank_transfer", "bank_statement", "authorised_debit", "partner", "credit", "migration")


@dataclass(frozen=True)
class OpenInvoice:
    """What a posting needs to know of an invoice, as read just before it."""

    invoice_id: str
    customer_code: str
    total: int
    paid: int = 0
    written_off: int = 0
    status: str = "unpaid"  # unpaid | paid | cancelled
    period: str = ""

    @property
    def open_amount(self) -> int:
        if self.status == "cancelled":
            return 0
        return max(0, self.total - self.paid - self.written_off)


@dataclass(frozen=True)
class Allocation:
    invoice_id: str
    customer_code: str
    amount: int


@dataclass
class Plan:
    """How money is spread: what goes to which invoice, and what stays as credit per account."""

    allocations: list[Allocation] = field(default_factory=list)
    credit: dict[str, int] = field(default_factory=dict)  # customer code -> credit left
    received: dict[str, int] = field(default_factory=dict)  # customer code -> its part of the money

    @property
    def allocated(self) -> int:
        return sum(a.amount for a in self.allocations)


def allocate(amount: int, invoices: Sequence[OpenInvoice], customer_code: str) -> Plan:
    """`amount` received for one account, applied to `invoices` in the order
    given (the ones a payment names, or the oldest open first) up to each one's
    open amount at this moment; the rest stays on the account as credit."""
    if amount < 0:
        raise ValueError("a payment is never negative")
    left = amount
    plan = Plan(received={customer_code: amount})
    for invoice in invoices:
        if left == 0:
            break
        if invoice.customer_code != customer_code:
            raise ValueError("an account's money pays only its own invoices")
        take = min(left, invoice.open_amount)
        if take > 0:
            plan.allocations.append(Allocation(invoice.invoice_id, customer_code, take))
            left -= take
    plan.credit = {customer_code: left} if left else {}
    return plan


def split_by_items(amount: int, items: Sequence[tuple[str, int]]) -> dict[str, int]:
    """One payment for items of several accounts (a VNPay order for two
    houses): each account's part is what its items ask, in order, while the
    money lasts; money beyond the items goes to the first account."""
    if not items:
        raise ValueError("no items")
    parts: dict[str, int] = {}
    left = amount
    for code, asked in items:
        take = min(left, max(0, asked))
        parts[code] = parts.get(code, 0) + take
        left -= take
    first = items[0][0]
    parts[first] += left
    return parts


def allocate_order(amount: int, items: Sequence[tuple[str, str, int]], invoices: Mapping[str, OpenInvoice]) -> Plan:
    """A payment for an order's items `(invoice_id, customer_code, amount)`:
    each account gets its items' part, applied to those invoices at their open
    amounts now (a corrected invoice pays what is open, not what the order said)."""
    parts = split_by_items(amount, [(code, asked) for _, code, asked in items])
    plan = Plan()
    for code, part in parts.items():
        named = [invoices[i] for i, c, _ in items if c == code and i in invoices]
        one = allocate(part, named, code)
        plan.allocations += one.allocations
        plan.received[code] = part
        if one.credit:
            plan.credit[code] = one.credit[code]
    return plan


@dataclass(frozen=True)
class Correction:
    adjustment: int  # new total - old total
    reversal: int  # allocation given back to the account (>= 0)
    paid_after: int  # what stays allocated to the invoice


def correct(old_total: int, new_total: int, paid: int) -> Correction:
    """A corrected invoice: the difference is an adjustment; what was paid
    stays paid up to the new total and the excess goes back to the account."""
    if min(old_total, new_total, paid) < 0:
        raise ValueError("amounts are never negative")
    reversal = max(0, paid - new_total)
    return Correction(adjustment=new_total - old_total, reversal=reversal, paid_after=paid - reversal)


def apply_credit(credit: int, total: int) -> int:
    """How much of the account's credit a new charge takes."""
    return max(0, min(credit, total))


# -- balances and the invariant ----------------------------------------------


@dataclass
class Totals:
    charges: int = 0
    adjustments: int = 0
    payments: int = 0
    allocations: int = 0
    refunds: int = 0
    write_offs: int = 0

    def add(self, kind: str, amount: int) -> None:
        name = {
            "charge": "charges",
            "adjustment": "adjustments",
            "payment": "payments",
            "allocation": "allocations",
            "refund": "refunds",
            "write_off": "write_offs",
        }[kind]
        setattr(self, name, getattr(self, name) + amount)

    @property
    def credit(self) -> int:
        """What the entries say the account holds unallocated."""
        return self.payments - self.allocations - self.refunds

    @property
    def owed(self) -> int:
        """What the entries say is still open on the invoices."""
        return self.charges + self.adjustments - self.allocations - self.write_offs

    @property
    def balance(self) -> int:
        """Positive: the customer owes this much; negative: the account is in credit."""
        return self.owed - self.credit


def totals(lines: Iterable[Mapping[str, Any]]) -> Totals:
    t = Totals()
    for line in lines:
        t.add(str(line["kind"]), int(line["amount"]))
    return t


def line_balance_effect(kind: str, amount: int) -> int:
    """How one entry moves the customer's balance (what they owe)."""
    if kind in ("charge", "adjustment", "refund"):
        return amount
    if kind in ("payment", "write_off"):
        return -amount
    return 0  # allocations move money inside the account


def invoice_allocations(lines: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        if line["kind"] == "allocation":
            out[str(line["invoice_id"])] = out.get(str(line["invoice_id"]), 0) + int(line["amount"])
    return out


def breaches(lines: Sequence[Mapping[str, Any]], *, credit: int, invoices: Sequence[OpenInvoice]) -> list[str]:
    """What does not add up for one account: its entries against the credit
    it holds and the invoices as stored. Empty when the account is sound."""
    t = totals(lines)
    out = []
    if t.credit != credit:
        out.append(f"payments {t.payments} != allocations {t.allocations} + credit {credit} + refunds {t.refunds}")
    if credit < 0:
        out.append(f"credit is negative: {credit}")
    open_sum = sum(i.open_amount for i in invoices if i.status != "cancelled")
    if t.owed != open_sum:
        out.append(
            f"charges {t.charges} + adjustments {t.adjustments} - allocations {t.allocations} - "
            f"write-offs {t.write_offs} != open amounts {open_sum}"
        )
    allocated = invoice_allocations(lines)
    for invoice in invoices:
        if allocated.get(invoice.invoice_id, 0) != invoice.paid:
            out.append(
                f"{invoice.invoice_id}: allocations {allocated.get(invoice.invoice_id, 0)} != paid {invoice.paid}"
            )
        if invoice.paid + invoice.written_off > invoice.total and invoice.status != "cancelled":
            out.append(f"{invoice.invoice_id}: paid {invoice.paid} over its total {invoice.total}")
    return out


def running(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The statement: every entry in posting order with the balance after it."""
    balance = 0
    out = []
    for entry in entries:
        balance += line_balance_effect(str(entry["kind"]), int(entry["amount"]))
        out.append(dict(entry, balance=balance))
    return out


def status_after(total: int, paid: int, written_off: int = 0, current: str | None = None) -> str:
    if current == "cancelled":
        return "cancelled"
    return "paid" if paid + written_off >= total else "unpaid"
