"""Refunds of account credit in DynamoDB: the refund items ('refund#<id>', kind refund, in the payments
table), the VNPay payments they go back through and those payments' orders. The moves that take or give
back money are LedgerStore postings (services/refunds.py); here are the reads and the status moves that
touch nothing else."""

from __future__ import annotations

from chalicelib.store.models import OrderModel, PaymentModel
from chalicelib.store.repositories import get_or_none, storage_errors, update_if


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
