"""Whose money is a transfer? One matcher for a bank statement's line (services/statements.py) and a
bank notification (services/bank_transfers.py), so that the same purpose ("nội dung") is read the
same way whichever way it reached us. Pure.

Our own payment references come first (domain/payment_reference.py: TN account, TH invoice, TD order,
each with a check letter): a purpose carrying one is matched by it alone. One that looks like ours
but whose check letter is wrong is never guessed at (BAD_REFERENCE). A purpose without one is read
as before: customer codes and invoice ids written by hand (domain/statements.find_references)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from chalicelib.domain import payment_reference as refs
from chalicelib.domain import statements

# Why a line is in suspense, besides decide()'s own (domain/statements.py REASONS lists them all).
BAD_REFERENCE = "BAD_REFERENCE"  # one of our references with a wrong check letter (a typo)
UNKNOWN_REFERENCE = "UNKNOWN_REFERENCE"  # one of ours, valid, naming no customer or no order
OTHER_ACCOUNT = "OTHER_ACCOUNT"  # money in to an account that is not the utility's receiving one


@dataclass(frozen=True)
class Match:
    """What a purpose names: our references (valid), whether one of ours had a wrong check letter, or
    else the codes and invoice ids written by hand."""

    references: tuple[refs.Reference, ...] = ()
    bad_check: bool = False
    written: statements.References = field(default_factory=statements.References)

    @property
    def customer_codes(self) -> tuple[str, ...]:
        """The codes whose existence the decision needs."""
        if self.references:
            return tuple(dict.fromkeys(r.customer_code for r in self.references if r.customer_code))
        return self.written.customer_codes

    @property
    def invoice_ids(self) -> tuple[str, ...]:
        """The invoices whose facts the decision needs (the ones written by hand; ours need none)."""
        return () if self.references or self.bad_check else self.written.invoice_ids

    @property
    def order_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.order_id for r in self.references if r.order_id))


@dataclass(frozen=True)
class OrderFacts:
    """What a posting to an order's items needs: (invoice_id, customer_code, amount asked) per item."""

    order_id: str
    items: tuple[tuple[str, str, int], ...]


@dataclass(frozen=True)
class Decision(statements.Decision):
    """statements.Decision, and for an order reference: the order and its items (the money goes to them,
    across accounts, as a VNPay payment of the order would)."""

    order_id: str | None = None
    items: tuple[tuple[str, str, int], ...] = ()


def read(description: str) -> Match:
    """Our references in a purpose (diacritics and case folded first), else what is written by hand."""
    found = refs.find(statements.fold(description or ""))
    if found.references or found.bad_check:
        return Match(references=found.references, bad_check=found.bad_check)
    return Match(written=statements.find_references(description or ""))


def decide(
    match: Match,
    invoices: Mapping[str, statements.InvoiceFacts],
    known_codes: Iterable[str],
    orders: Mapping[str, OrderFacts] | None = None,
) -> Decision:
    """Which account(s) does this money pay?

    - one of our references with a bad check letter and none valid: BAD_REFERENCE;
    - our references: one order reference alone pays that order's items (an order we do not have:
      UNKNOWN_REFERENCE); account and invoice references of one customer pay that account (the invoices
      named, then credit; an account reference: its oldest open invoices, then credit); a customer we do
      not have is UNKNOWN_REFERENCE; references of two customers, or an order with anything else,
      SEVERAL_CUSTOMERS (a person decides);
    - no reference of ours: statements.decide on the codes and invoice ids written by hand."""
    if match.bad_check and not match.references:
        return Decision("suspense", reason=BAD_REFERENCE)
    if not match.references:
        d = statements.decide(match.written, invoices, known_codes)
        return Decision(d.status, customer_code=d.customer_code, invoice_ids=d.invoice_ids, reason=d.reason)
    order_ids = match.order_ids
    if order_ids:
        if len(order_ids) > 1 or len(match.references) > len(order_ids):
            return Decision("suspense", reason="SEVERAL_CUSTOMERS")
        order = (orders or {}).get(order_ids[0])
        if order is None or not order.items:
            return Decision("suspense", reason=UNKNOWN_REFERENCE)
        return Decision(
            "matched",
            customer_code=order.items[0][1],
            invoice_ids=tuple(i for i, _, _ in order.items),
            order_id=order.order_id,
            items=order.items,
        )
    codes = match.customer_codes
    if len(codes) > 1:
        return Decision("suspense", reason="SEVERAL_CUSTOMERS")
    if codes[0] not in set(known_codes):
        return Decision("suspense", reason=UNKNOWN_REFERENCE)
    named = sorted({r.invoice_id for r in match.references if r.invoice_id})
    return Decision("matched", customer_code=codes[0], invoice_ids=tuple(named))
