"""Payment orders in DynamoDB: an order opens only on invoices nobody else is
collecting (one transaction with conditions), fails or expires once. The
money a VNPay transaction brings is posted through the ledger (store/ledger.py)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ServiceUnavailable
from chalicelib.ports.money import ORDER, InvoicesBusy, NewOrder, OrderRecord, Posting, PostingExtras
from chalicelib.store.ledger import item_of
from chalicelib.store.models import CONNECTION, InvoiceModel, OrderModel, PaymentModel
from chalicelib.store.repositories import get_or_none, storage_errors, update_if


def _reasons(exc: TransactWriteError) -> list[str | None]:
    return [None if r is None else r.code for r in (getattr(exc, "cancellation_reasons", None) or [])]


class OrderStore:
    @storage_errors
    def get(self, order_id: str, consistent: bool = False) -> OrderModel | None:
        return get_or_none(OrderModel, order_id, consistent_read=consistent)

    @storage_errors
    def invoices(self, invoice_ids: list[str], consistent: bool = False) -> dict[str, InvoiceModel]:
        return {i.invoice_id: i for i in InvoiceModel.batch_get(invoice_ids, consistent_read=consistent)}

    def open(self, order: NewOrder, now: int) -> None:
        """Create the order and hold its invoices, or nothing at all."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(item_of(OrderModel, order), condition=OrderModel.order_id.does_not_exist())
                for invoice_id in order.invoice_ids:
                    tx.update(
                        InvoiceModel(invoice_id),
                        actions=[
                            InvoiceModel.pending_order_id.set(order.order_id),
                            InvoiceModel.pending_until.set(order.expires_at),
                        ],
                        condition=(InvoiceModel.status == "unpaid")
                        & (InvoiceModel.pending_order_id.does_not_exist() | (InvoiceModel.pending_until < now)),
                    )
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in _reasons(exc) or "TransactionConflict" in _reasons(exc):
                raise InvoicesBusy from None
            raise ServiceUnavailable() from exc

    @staticmethod
    def paid(
        order_id: str, from_status: str, *, transaction_no: str, paid_at: int, applied_by: str, paid_amount: int
    ) -> PostingExtras:
        """The order's own change, in the posting's transaction (ORDER): from the state read to paid, with the
        credit the posting leaves on the accounts."""

        def extra(tx: Any, posting: Posting) -> None:
            tx.update(
                ORDER,
                OrderModel(order_id),
                [
                    OrderModel.status.set("paid"),
                    OrderModel.transaction_no.set(transaction_no),
                    OrderModel.paid_at.set(paid_at),
                    OrderModel.applied_by.set(applied_by),
                    OrderModel.credit_amount.set(sum(posting.credit.values())),
                    OrderModel.paid_amount.set(paid_amount),
                    OrderModel.response_code.set("00"),
                ],
                condition=OrderModel.status == from_status,
            )

        return extra

    @storage_errors
    def pending_expired_before(self, until: int, limit: int = 100) -> list[OrderModel]:
        return list(OrderModel.by_status.query("pending", OrderModel.expires_at < until, limit=limit))

    @storage_errors
    def in_review(self, limit: int = 100) -> list[OrderModel]:
        return list(OrderModel.by_status.query("review", limit=limit))

    @storage_errors
    def mark_checked(self, order_id: str, now: int) -> None:
        """When VNPay was last asked: the next run starts with the orders asked longest ago."""
        update_if(OrderModel(order_id), [OrderModel.checked_at.set(now)], OrderModel.status == "pending")

    @storage_errors
    def note_unclear(self, order: OrderRecord, why: str, now: int, review_after: int) -> bool:
        """One more answer that could not be acted on; at `review_after` the order leaves the
        pending list for a person (status review). True when it did."""
        seen = int(order.unclear_answers or 0) + 1
        actions = [
            OrderModel.checked_at.set(now),
            OrderModel.unclear_answers.set(seen),
            OrderModel.review_reason.set(why[:200]),
        ]
        if seen >= review_after:
            actions.append(OrderModel.status.set("review"))
        return update_if(OrderModel(order.order_id), actions, OrderModel.status == "pending") and seen >= review_after

    def record_failure(
        self, order: OrderRecord, response_code: str, transaction_no: str | None, status: str = "failed"
    ) -> bool:
        """pending -> failed (or expired), and let go of the invoices. False if the order was not pending."""
        actions: list[Action] = [OrderModel.status.set(status), OrderModel.response_code.set(response_code)]
        if transaction_no:
            actions.append(OrderModel.transaction_no.set(transaction_no))
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.update(OrderModel(order.order_id), actions=actions, condition=OrderModel.status == "pending")
                for invoice_id in order.invoice_ids:
                    tx.update(
                        InvoiceModel(invoice_id),
                        actions=[InvoiceModel.pending_order_id.remove(), InvoiceModel.pending_until.remove()],
                        condition=InvoiceModel.pending_order_id == order.order_id,
                    )
        except TransactWriteError as exc:
            reasons = _reasons(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            if "ConditionalCheckFailed" in reasons:
                # An invoice was already let go (or taken over): fail the order alone.
                return self._fail_order_only(order, response_code, status)
            if "TransactionConflict" in reasons:
                return False
            raise ServiceUnavailable() from exc
        return True

    @storage_errors
    def _fail_order_only(self, order: OrderRecord, response_code: str, status: str) -> bool:
        return update_if(
            OrderModel(order.order_id),
            [OrderModel.status.set(status), OrderModel.response_code.set(response_code)],
            OrderModel.status == "pending",
        )

    @storage_errors
    def payments_of(self, transaction_no: str) -> PaymentModel | None:
        return get_or_none(PaymentModel, f"vnpay#{transaction_no}", consistent_read=True)

    @storage_errors
    def by_status(self, status: str, limit: int = 100) -> list[PaymentModel]:
        return list(PaymentModel.by_status.query(status, limit=limit))

    @storage_errors
    def credit(self, payment_id: str) -> PaymentModel | None:
        return get_or_none(PaymentModel, payment_id, consistent_read=True)

    @storage_errors
    def mark_credit(self, payment_id: str, from_status: str, to_status: str, note: str) -> bool:
        return update_if(
            PaymentModel(payment_id),
            [PaymentModel.status.set(to_status), PaymentModel.note.set(note)],
            PaymentModel.status == from_status,
        )
