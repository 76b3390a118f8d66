"""The customer accounts in DynamoDB: ledger entries, the credit each account
holds, and the one transaction that posts money.

A posting is one TransactWriteItems: the payment's guard item (its
'<channel>#<reference>' key must not exist: exactly once), one ledger item per
account touched (never overwritten), each invoice's paid amount moved from
the value read to the new one (a condition on the value read, so two postings
racing on one invoice cannot both take its open amount), each account's
credit moved (a decrease only from the value read), and whatever the channel
adds (the order's state, the receipt and its number, the bank line). It all
happens or none of it does; the names of the failed conditions say what to
read again."""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Iterable
from typing import Any, TypeVar

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain import ledger as rules
from chalicelib.domain.invoices import paid_amount as paid_of
from chalicelib.errors import ServiceUnavailable
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.money import GUARD, InvoiceMove, NewPayment, Posting, PostingExtras, PostingFailed
from chalicelib.store.models import (
    CONNECTION,
    CustomerAccountModel,
    InvoiceModel,
    LedgerEntryModel,
    PaymentModel,
)
from chalicelib.store.repositories import THROTTLED, get_or_none, storage_errors

M = TypeVar("M", bound=Model)


def item_of(model: type[M], values: Any) -> M:
    """The item of `model` holding a plain value's fields (a dataclass of ports/money.py named like the model's
    attributes); a field that is None is left unset, as the model leaves it."""
    return model(**{k: v for k, v in dataclasses.asdict(values).items() if v is not None})


class LabelledTx:
    """A TransactWrite whose items have names, kept in the order PynamoDB sends
    them (condition checks, puts, updates), so a cancellation names what failed."""

    def __init__(self) -> None:
        self.tx = TransactWrite(connection=CONNECTION)
        self._checks: list[str] = []
        self._puts: list[str] = []
        self._updates: list[str] = []

    def check(
        self,
        label: str,
        model_cls: type[Model],
        hash_key: Any,
        range_key: Any = None,
        condition: Condition | None = None,
    ) -> None:
        self.tx.condition_check(model_cls, hash_key, range_key, condition=condition)
        self._checks.append(label)

    def put(self, label: str, item: Model, condition: Condition | None = None) -> None:
        self.tx.save(item, condition=condition)
        self._puts.append(label)

    def update(self, label: str, item: Model, actions: list[Action], condition: Condition | None = None) -> None:
        self.tx.update(item, actions=actions, condition=condition)
        self._updates.append(label)

    def commit(self) -> None:
        labels = self._checks + self._puts + self._updates
        try:
            with self.tx:
                pass
        except TransactWriteError as exc:
            reasons = [None if r is None else r.code for r in (getattr(exc, "cancellation_reasons", None) or [])]
            failed = {labels[i] for i, r in enumerate(reasons) if r == "ConditionalCheckFailed" and i < len(labels)}
            code = getattr(exc, "cause_response_code", None)
            # A conflict with another transaction, or throttling, is worth another try after a pause:
            # nothing was written.
            contended = (
                "TransactionConflict" in reasons
                or code in ("TransactionConflictException", "TransactionInProgressException")
                or any(r in THROTTLED or r == "ThrottlingError" for r in reasons if r)
                or code in THROTTLED
            )
            if failed or contended:
                raise PostingFailed(failed, contended) from None
            if code == "TransactionCanceledException":
                raise ServiceUnavailable() from exc
            raise


def unchanged(invoice: InvoiceRecord) -> Condition:
    """The condition that the invoice is still as read: its total, status and paid amount."""
    paid = (
        (InvoiceModel.paid_amount == int(invoice.paid_amount))
        if invoice.paid_amount is not None
        else InvoiceModel.paid_amount.does_not_exist()
    )
    return (InvoiceModel.total == int(invoice.total)) & (InvoiceModel.status == invoice.status) & paid


def move_actions(move: InvoiceMove) -> list[Action]:
    """An invoice move as the update of the invoice: its paid amount, status, payment list, hold."""
    inv = move.invoice
    paid = paid_of(inv) + move.allocate
    status = rules.status_after(int(inv.total), paid, int(inv.written_off or 0), inv.status)
    out: list[Action] = [
        InvoiceModel.paid_amount.set(paid),
        InvoiceModel.status.set(status),
        InvoiceModel.customer_status.set(f"{inv.customer_code}#{status}"),
    ]
    if move.display is not None:
        out.append(InvoiceModel.payments.set(InvoiceModel.payments.append([move.display])))
    if status == "paid" and inv.status != "paid":
        out.append(InvoiceModel.paid_at.set(move.paid_at or ""))
    elif status != "paid" and inv.paid_at:
        out.append(InvoiceModel.paid_at.remove())
    if status == "paid" or (move.release_hold and inv.pending_order_id == move.release_hold):
        out += [InvoiceModel.pending_order_id.remove(), InvoiceModel.pending_until.remove()]
    return out


def entry_id(posting: Posting, code: str) -> str:
    """The key of the posting's entry on one account. posted_at is in seconds (the clock's); the wall clock's
    milliseconds keep postings of one second in the order they were made, so a statement's running balance
    reads in order."""
    ms = int(posting.posted_at) * 1000 + time.time_ns() // 1_000_000 % 1000
    return f"{ms:013d}#{posting.event}#{posting.reference}#{secrets.token_hex(2)}"


def payment_item(payment: NewPayment) -> PaymentModel:
    return item_of(PaymentModel, payment)


class LedgerStore:
    # -- reads -------------------------------------------------------------

    @storage_errors
    def invoices(self, invoice_ids: Iterable[str], consistent: bool = True) -> dict[str, InvoiceModel]:
        keys = list(dict.fromkeys(invoice_ids))
        if not keys:
            return {}
        return {i.invoice_id: i for i in InvoiceModel.batch_get(keys, consistent_read=consistent)}

    @storage_errors
    def invoice(self, invoice_id: str) -> InvoiceModel | None:
        return get_or_none(InvoiceModel, invoice_id, consistent_read=True)

    @storage_errors
    def open_invoices(self, code: str, limit: int = 100) -> list[InvoiceModel]:
        """The account's open invoices, oldest period first (one Query on the status index)."""
        return list(InvoiceModel.by_customer_status.query(f"{code}#unpaid", scan_index_forward=True, limit=limit))

    @storage_errors
    def all_invoices(self, code: str) -> list[InvoiceModel]:
        return list(InvoiceModel.by_customer.query(code, scan_index_forward=True))

    @storage_errors
    def account(self, code: str, consistent: bool = True) -> CustomerAccountModel | None:
        return get_or_none(CustomerAccountModel, code, consistent_read=consistent)

    @storage_errors
    def accounts(self, codes: Iterable[str]) -> dict[str, CustomerAccountModel]:
        keys = list(dict.fromkeys(codes))
        return {a.customer_code: a for a in CustomerAccountModel.batch_get(keys, consistent_read=True)} if keys else {}

    @storage_errors
    def entries(self, code: str) -> list[LedgerEntryModel]:
        """Every posting of the account, oldest first (one Query, paged by PynamoDB)."""
        return list(LedgerEntryModel.query(code, scan_index_forward=True, consistent_read=True))

    @storage_errors
    def payment(self, payment_id: str) -> PaymentModel | None:
        return get_or_none(PaymentModel, payment_id, consistent_read=True)

    @storage_errors
    def with_credit(self, limit: int = 500) -> list[CustomerAccountModel]:
        return list(CustomerAccountModel.with_credit.query("credit", limit=limit))

    # -- the posting -------------------------------------------------------

    def post(self, posting: Posting, extras: PostingExtras | None = None) -> None:
        """Write the posting (and the channel's own items) in one transaction,
        or raise PostingFailed naming what changed: 'guard' (posted before),
        'invoice:<id>', 'credit:<code>', 'entry:<code>' or an extra's label."""
        tx = LabelledTx()
        if posting.guard is not None:
            tx.put(GUARD, payment_item(posting.guard), condition=PaymentModel.payment_id.does_not_exist())
        for code in posting.codes():
            entry = LedgerEntryModel(
                code,
                entry_id(posting, code),
                event=posting.event,
                posted_at=int(posting.posted_at),
                lines=posting.lines.get(code, []),
                credit_delta=posting.credit.get(code, 0),
                payment_id=posting.payment_id,
                channel=posting.channel,
                external_ref=posting.external_ref,
                posted_by=posting.posted_by,
                note=posting.note,
                flags=list(posting.flags),
            )
            tx.put(f"entry:{code}", entry, condition=LedgerEntryModel.entry_id.does_not_exist())
        for move in posting.invoices:
            tx.update(
                f"invoice:{move.invoice.invoice_id}",
                InvoiceModel(move.invoice.invoice_id),
                move_actions(move),
                condition=unchanged(move.invoice),
            )
        for code, delta in posting.credit.items():
            if delta == 0:
                continue
            item = CustomerAccountModel(code)
            if delta > 0:
                tx.update(
                    f"credit:{code}",
                    item,
                    [
                        CustomerAccountModel.credit.add(delta),
                        CustomerAccountModel.credit_flag.set("credit"),
                        CustomerAccountModel.updated_at.set(int(posting.posted_at)),
                    ],
                )
            else:
                seen = posting.credit_seen[code]
                after = seen + delta
                if after < 0:
                    raise ValueError("credit would go negative")
                actions: list[Action] = [
                    CustomerAccountModel.credit.set(after),
                    CustomerAccountModel.updated_at.set(int(posting.posted_at)),
                ]
                actions.append(
                    CustomerAccountModel.credit_flag.set("credit")
                    if after > 0
                    else CustomerAccountModel.credit_flag.remove()
                )
                tx.update(f"credit:{code}", item, actions, condition=CustomerAccountModel.credit == seen)
        if extras is not None:
            extras(tx, posting)
        tx.commit()
