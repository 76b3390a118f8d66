"""The one path by which money reaches a customer account, whatever the
channel (VNPay, cash, bank transfer, bank statement, authorised debit, a
bill-pay partner): posted once per (channel, external reference), applied to
the invoices it names (or the oldest open ones) up to what each still owes at
that moment, the rest kept on the account as credit. No Chalice, no boto3."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain import ledger as rules
from chalicelib.errors import ServiceUnavailable
from chalicelib.observability import logger
from chalicelib.ports.common import Clock
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.money import (
    GUARD,
    InvoiceMove,
    Ledger,
    NewPayment,
    PaymentRecord,
    Posting,
    PostingExtras,
    PostingFailed,
    open_invoice,
)

POST_ATTEMPTS = 5  # a busy account or invoice is read and planned again this often


@dataclass
class IncomingPayment:
    """Money received: who sent it through which channel, under which reference."""

    channel: str
    payment_id: str  # '<channel>#<reference>': the exactly-once key
    external_ref: str
    amount: int
    received_at: int  # epoch seconds
    posted_by: str
    paid_at: str  # ISO instant an invoice it pays off is paid at
    display: dict[str, Any] = field(default_factory=dict)  # channel fields shown in each invoice's payment list
    order_id: str | None = None
    transaction_no: str | None = None
    flags: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class Target:
    """What a payment is meant for: an order's items, or invoices of one account (or its oldest open ones)."""

    items: Sequence[tuple[str, str, int]] | None = None  # (invoice_id, customer_code, amount asked)
    customer_code: str | None = None
    invoice_ids: Sequence[str] = ()
    credit_only: bool = False  # keep it all as credit (a second payment of a paid order)
    # The named invoices as the caller just read them (consistently): the first attempt plans with
    # them instead of reading them again; a changed one fails its condition and is read afresh.
    read: Mapping[str, InvoiceRecord] | None = None

    def codes(self) -> list[str]:
        if self.items:
            return list(dict.fromkeys(code for _, code, _ in self.items))
        return [self.customer_code] if self.customer_code else []


@dataclass
class Posted:
    plan: rules.Plan
    duplicate: bool = False
    payment: PaymentRecord | None = None

    @property
    def credited(self) -> int:
        return sum(self.plan.credit.values())

    @property
    def allocated(self) -> int:
        return self.plan.allocated


def _back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))


class LedgerService:
    def __init__(self, *, store: Ledger, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- posting money -----------------------------------------------------

    def plan(
        self, money: IncomingPayment, target: Target, read: Mapping[str, InvoiceRecord] | None = None
    ) -> tuple[rules.Plan, Mapping[str, InvoiceRecord]]:
        """Read the invoices the money is for (as they are now) and spread it."""
        if target.credit_only:
            if target.items:
                parts = rules.split_by_items(money.amount, [(c, a) for _, c, a in target.items])
            elif target.customer_code is not None:
                parts = {target.customer_code: money.amount}
            else:
                raise ValueError("a payment needs an account")
            plan = rules.Plan(received=dict(parts), credit={c: v for c, v in parts.items() if v})
            return plan, {}
        if target.items:
            invoices = self.store.invoices([i for i, _, _ in target.items])
            return rules.allocate_order(
                money.amount, list(target.items), {i: open_invoice(inv) for i, inv in invoices.items()}
            ), invoices
        code = target.customer_code
        if code is None:
            raise ValueError("a payment needs an account")
        if target.invoice_ids:
            invoices = (
                read
                if read is not None and set(target.invoice_ids) <= set(read)
                else self.store.invoices(target.invoice_ids)
            )
            ordered = [invoices[i] for i in target.invoice_ids if i in invoices and invoices[i].customer_code == code]
        else:
            # The index is eventually consistent: read the open invoices it lists again, consistently.
            listed = [i.invoice_id for i in self.store.open_invoices(code)]
            invoices = self.store.invoices(listed)
            ordered = sorted(invoices.values(), key=lambda i: i.period_key)
        return rules.allocate(money.amount, [open_invoice(i) for i in ordered], code), invoices

    def posting(
        self,
        money: IncomingPayment,
        plan: rules.Plan,
        invoices: Mapping[str, InvoiceRecord],
        release_hold: str | None = None,
    ) -> Posting:
        lines, credit = payment_lines(plan)
        moves = [
            InvoiceMove(
                invoices[a.invoice_id],
                a.amount,
                display=dict(
                    money.display,
                    channel=money.channel,
                    amount=a.amount,
                    payment_id=money.payment_id,
                    received_at=money.received_at,
                ),
                paid_at=money.paid_at,
                release_hold=release_hold,
            )
            for a in plan.allocations
        ]
        guard = NewPayment(
            money.payment_id,
            kind="payment",
            channel=money.channel,
            order_id=money.order_id,
            amount=money.amount,
            invoice_ids=[a.invoice_id for a in plan.allocations],
            customer_codes=list(plan.received),
            transaction_no=money.transaction_no,
            external_ref=money.external_ref,
            received_at=money.received_at,
            status="applied",
            allocated=plan.allocated,
            credited=sum(credit.values()),
            refunded=0,
            flags=list(money.flags),
            posted_by=money.posted_by,
            note=money.note,
        )
        return Posting(
            event="payment",
            reference=money.payment_id,
            posted_at=money.received_at,
            posted_by=money.posted_by,
            lines=lines,
            credit=credit,
            invoices=moves,
            guard=guard,
            payment_id=money.payment_id,
            channel=money.channel,
            external_ref=money.external_ref,
            note=money.note,
            flags=list(money.flags),
        )

    def post_payment(
        self,
        money: IncomingPayment,
        target: Target,
        extras: PostingExtras | None = None,
        extra_labels: Sequence[str] = (),
        release_hold: str | None = None,
    ) -> Posted:
        """Post `money` once. A failed condition on an invoice or an account is
        read again and planned again; the payment posted before is a duplicate
        (`Posted.duplicate`); a failed condition of the channel's own items
        (`extra_labels`) is raised as PostingFailed for the caller to decide."""
        if money.amount <= 0:
            raise ValueError("a payment is positive")
        for attempt in range(POST_ATTEMPTS):
            plan, invoices = self.plan(money, target, target.read if attempt == 0 else None)
            posting = self.posting(money, plan, invoices, release_hold)
            try:
                self.store.post(posting, extras)
            except PostingFailed as failed:
                if GUARD in failed.failed:
                    return Posted(plan=plan, duplicate=True, payment=self.store.payment(money.payment_id))
                if failed.failed & set(extra_labels):
                    raise
                _back_off(attempt)
                continue
            logger.info(
                "payment posted",
                extra={
                    "payment_id": money.payment_id,
                    "channel": money.channel,
                    "amount": money.amount,
                    "allocated": plan.allocated,
                    "credited": sum(plan.credit.values()),
                    "flags": ",".join(money.flags),
                },
            )
            return Posted(plan=plan, payment=posting.guard)
        raise ServiceUnavailable()


def payment_lines(plan: rules.Plan) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    """A plan as entries per account: the payment, its allocations; and each account's credit delta."""
    lines: dict[str, list[dict[str, Any]]] = {}
    for code, received in plan.received.items():
        lines.setdefault(code, []).append({"kind": "payment", "amount": received})
    for a in plan.allocations:
        lines.setdefault(a.customer_code, []).append(
            {"kind": "allocation", "amount": a.amount, "invoice_id": a.invoice_id}
        )
    credit = {code: c for code, c in plan.credit.items() if c}
    return lines, credit
