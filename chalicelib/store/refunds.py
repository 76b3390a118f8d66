"""Refunds of account credit in DynamoDB: the refund items ('refund#<id>', kind refund, in the payments
table), the VNPay payments they go back through and those payments' orders. The moves that take or give
back money are LedgerStore postings (services/refunds.py), to which this store adds the refund's own items
(`with_audit`, `cancelled`); here too are the reads, the approval's and the cash payout's transactions, and
the status moves that touch nothing else."""

from __future__ import annotations

from typing import Any

from chalicelib.ports.common import AuditEntry
from chalicelib.ports.money import REFUND, SOURCE, PaymentRecord, Posting, PostingExtras
from chalicelib.store.audit import as_item
from chalicelib.store.ledger import LabelledTx
from chalicelib.store.models import AuditModel, OrderModel, PaymentModel
from chalicelib.store.repositories import get_or_none, storage_errors, update_if

AUDIT = "audit"  # the audit entry's label in a transaction


class RefundStore:
    @storage_errors
    def payment(self, payment_id: str) -> PaymentModel | None:
        return get_or_none(PaymentModel, payment_id, consistent_read=True)

    @storage_errors
    def order(self, order_id: str) -> OrderModel | None:
        return get_or_none(OrderModel, order_id, consistent_read=True)

    @storage_errors
    def by_status(
        self, status: str, *, limit: int = 100, since: int | None = None, newest_first: bool = True
    ) -> list[PaymentModel]:
        """Refunds in one state (one Query on payments.by_status; the credits of before the ledger share
        some state names and are left out)."""
        range_condition = PaymentModel.received_at >= since if since is not None else None
        return list(
            PaymentModel.by_status.query(
                status,
                range_condition,
                filter_condition=PaymentModel.kind == "refund",
                scan_index_forward=not newest_first,
                limit=limit,
            )
        )

    @storage_errors
    def in_flight(self, source_payment_id: str) -> list[PaymentModel]:
        """Refunds of one payment sent and not yet settled (sending or unconfirmed)."""
        out = []
        for status in ("sending", "unconfirmed"):
            out += [
                r
                for r in PaymentModel.by_status.query(status, filter_condition=PaymentModel.kind == "refund")
                if r.source_payment_id == source_payment_id
            ]
        return out

    @storage_errors
    def move(self, payment_id: str, from_status: str, to_status: str, outcome: str) -> bool:
        """from_status -> to_status with nothing else moving (refunded, unconfirmed); False if it was not
        in from_status any more."""
        return update_if(
            PaymentModel(payment_id),
            [PaymentModel.status.set(to_status), PaymentModel.outcome.set(outcome[:500])],
            PaymentModel.status == from_status,
        )

    # -- the transactions of a refund's moves (PostingFailed names REFUND, SOURCE or AUDIT) ----------------------

    @staticmethod
    def with_audit(audit: AuditEntry) -> PostingExtras:
        """The audit entry, in the posting's transaction."""

        def extra(tx: Any, _posting: Posting) -> None:
            tx.put(AUDIT, as_item(audit), condition=AuditModel.entity.does_not_exist())

        return extra

    def mark_sending(
        self,
        refund: PaymentRecord,
        source: PaymentRecord,
        *,
        actor: str,
        request_id: str,
        now: int,
        audit: AuditEntry,
    ) -> None:
        """requested -> sending, the payment's `refunded` raised by the refund's amount, the audit entry: one
        transaction."""
        amount = int(refund.amount)
        tx = _approved(refund, "sending", actor, now, PaymentModel.request_id.set(request_id))
        # Never more back through a payment than it brought (DynamoDB conditions do no sums: the limit
        # is the payment's amount, which never changes, less this refund).
        room = int(source.amount) - amount
        tx.update(
            SOURCE,
            PaymentModel(source.payment_id),
            [PaymentModel.refunded.add(amount)],
            condition=(PaymentModel.kind == "payment")
            & (PaymentModel.refunded.does_not_exist() | (PaymentModel.refunded <= room)),
        )
        _commit_with(tx, audit)

    def paid_out_in_cash(self, refund: PaymentRecord, *, actor: str, now: int, outcome: str, audit: AuditEntry) -> None:
        """requested -> refunded (paid out at the office), with the audit entry: one transaction."""
        _commit_with(_approved(refund, "refunded", actor, now, PaymentModel.outcome.set(outcome)), audit)

    @staticmethod
    def cancelled(
        refund: PaymentRecord,
        from_status: str,
        to_status: str,
        outcome: str,
        *,
        source_back: bool,
        audit: AuditEntry,
    ) -> PostingExtras:
        """In the posting that puts the money back: the refund from_status -> to_status, the payment's
        `refunded` lowered by the refund's amount (source_back), the audit entry."""
        amount = int(refund.amount)

        def extra(tx: Any, _posting: Posting) -> None:
            tx.update(
                REFUND,
                PaymentModel(refund.payment_id),
                [PaymentModel.status.set(to_status), PaymentModel.outcome.set(outcome)],
                condition=PaymentModel.status == from_status,
            )
            if source_back:
                tx.update(
                    SOURCE,
                    PaymentModel(refund.source_payment_id),
                    [PaymentModel.refunded.add(-amount)],
                    condition=PaymentModel.refunded >= amount,
                )
            tx.put(AUDIT, as_item(audit), condition=AuditModel.entity.does_not_exist())

        return extra

    @staticmethod
    def record_audit(audit: AuditEntry) -> None:
        """An audit entry on its own (written once)."""
        as_item(audit).save(condition=AuditModel.entity.does_not_exist())


def _approved(refund: PaymentRecord, status: str, actor: str, now: int, *more: Any) -> LabelledTx:
    """A transaction that starts with a manager's decision on a requested refund: -> `status`, by `actor`
    at `now` (sent_at), with `more` updates of the refund item."""
    tx = LabelledTx()
    tx.update(
        REFUND,
        PaymentModel(refund.payment_id),
        [PaymentModel.status.set(status), PaymentModel.approved_by.set(actor), PaymentModel.sent_at.set(now), *more],
        condition=PaymentModel.status == "requested",
    )
    return tx


def _commit_with(tx: LabelledTx, audit: AuditEntry) -> None:
    """The audit entry (written once) goes in the same transaction, which is then committed."""
    tx.put(AUDIT, as_item(audit), condition=AuditModel.entity.does_not_exist())
    tx.commit()
