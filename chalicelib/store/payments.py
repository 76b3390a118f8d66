"""Orders and payments in DynamoDB. Every write that moves money is one
transaction with conditions: an order opens only on invoices nobody else is
collecting, and a VNPay transaction is applied once and only once."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ServiceUnavailable
from chalicelib.store.models import CONNECTION, InvoiceModel, OrderModel, PaymentModel
from chalicelib.store.repositories import _THROTTLED, get_or_none, save_if, storage_errors, update_if


class InvoicesBusy(Exception):
    """An invoice was paid or taken by another order meanwhile."""


class ApplyConflict(Exception):
    """The apply transaction lost: `reason` says on what."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason   # 'order' | 'payment' | 'invoice' | 'race'


def _reasons(exc: TransactWriteError) -> list:
    return [None if r is None else r.code for r in (getattr(exc, "cancellation_reasons", None) or [])]


@dataclass
class Receipt:
    transaction_no: str
    amount: int
    bank_code: Optional[str]
    bank_tran_no: Optional[str]
    pay_date: Optional[str]
    response_code: str
    received_at: int
    applied_by: str


class OrderStore:
    @storage_errors
    def get(self, order_id: str, consistent: bool = False) -> Optional[OrderModel]:
        return get_or_none(OrderModel, order_id, consistent_read=consistent)

    @storage_errors
    def invoices(self, invoice_ids: list[str], consistent: bool = False) -> dict[str, InvoiceModel]:
        return {i.invoice_id: i for i in InvoiceModel.batch_get(invoice_ids, consistent_read=consistent)}

    def open(self, order: OrderModel, now: int) -> None:
        """Create the order and hold its invoices, or nothing at all."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(order, condition=OrderModel.order_id.does_not_exist())
                for invoice_id in order.invoice_ids:
                    tx.update(InvoiceModel(invoice_id),
                              actions=[InvoiceModel.pending_order_id.set(order.order_id),
                                       InvoiceModel.pending_until.set(order.expires_at)],
                              condition=(InvoiceModel.status == "unpaid")
                              & (InvoiceModel.pending_order_id.does_not_exist()
                                 | (InvoiceModel.pending_until < now)))
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in _reasons(exc) or "TransactionConflict" in _reasons(exc):
                raise InvoicesBusy() from None
            raise ServiceUnavailable() from exc

    @storage_errors
    def pending_expired_before(self, until: int, limit: int = 100) -> list[OrderModel]:
        return list(OrderModel.by_status.query("pending", OrderModel.expires_at < until, limit=limit))

    def record_failure(self, order: OrderModel, response_code: str, transaction_no: Optional[str],
                       status: str = "failed") -> bool:
        """pending -> failed (or expired), and let go of the invoices. False if the order was not pending."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.update(OrderModel(order.order_id),
                          actions=[OrderModel.status.set(status), OrderModel.response_code.set(response_code)]
                          + ([OrderModel.transaction_no.set(transaction_no)] if transaction_no else []),
                          condition=OrderModel.status == "pending")
                for invoice_id in order.invoice_ids:
                    tx.update(InvoiceModel(invoice_id),
                              actions=[InvoiceModel.pending_order_id.remove(), InvoiceModel.pending_until.remove()],
                              condition=InvoiceModel.pending_order_id == order.order_id)
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
    def _fail_order_only(self, order: OrderModel, response_code: str, status: str) -> bool:
        return update_if(OrderModel(order.order_id),
                         [OrderModel.status.set(status), OrderModel.response_code.set(response_code)],
                         OrderModel.status == "pending")

    def apply(self, order: OrderModel, receipt: Receipt, pay: list[InvoiceModel], credit: list[InvoiceModel]) -> None:
        """One transaction: the order becomes paid, the VNPay transaction is
        recorded once, each invoice in `pay` goes unpaid -> paid, and the share
        of each invoice in `credit` (paid meanwhile by someone else) is kept as
        a credit flagged for refund."""
        amounts = {item["invoice_id"]: int(item["amount"]) for item in order.items}
        credit_amount = sum(amounts[i.invoice_id] for i in credit)
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.update(OrderModel(order.order_id), actions=[
                    OrderModel.status.set("paid"), OrderModel.transaction_no.set(receipt.transaction_no),
                    OrderModel.bank_tran_no.set(receipt.bank_tran_no or ""),
                    OrderModel.pay_date.set(receipt.pay_date or ""),
                    OrderModel.response_code.set(receipt.response_code), OrderModel.paid_at.set(receipt.received_at),
                    OrderModel.applied_by.set(receipt.applied_by), OrderModel.credit_amount.set(credit_amount)],
                    condition=OrderModel.status.is_in("pending", "failed", "expired"))
                tx.save(PaymentModel(f"vnpay#{receipt.transaction_no}", kind="payment", order_id=order.order_id,
                                     amount=receipt.amount, invoice_ids=[i.invoice_id for i in pay],
                                     transaction_no=receipt.transaction_no, received_at=receipt.received_at,
                                     status="applied"),
                        condition=PaymentModel.payment_id.does_not_exist())
                for invoice in credit:
                    tx.save(PaymentModel(f"credit#{receipt.transaction_no}#{invoice.invoice_id}", kind="credit",
                                         order_id=order.order_id, amount=amounts[invoice.invoice_id],
                                         invoice_ids=[invoice.invoice_id], transaction_no=receipt.transaction_no,
                                         received_at=receipt.received_at, status="refund_pending",
                                         note="invoice already paid when this payment arrived"),
                            condition=PaymentModel.payment_id.does_not_exist())
                for invoice in pay:
                    entry = {"channel": "vnpay", "order_id": order.order_id, "transaction_no": receipt.transaction_no,
                             "amount": amounts[invoice.invoice_id], "received_at": receipt.received_at}
                    tx.update(InvoiceModel(invoice.invoice_id), actions=[
                        InvoiceModel.status.set("paid"),
                        InvoiceModel.customer_status.set(f"{invoice.customer_code}#paid"),
                        InvoiceModel.paid_at.set(_iso(receipt.received_at)),
                        InvoiceModel.payments.set(InvoiceModel.payments.append([entry])),
                        InvoiceModel.pending_order_id.remove(), InvoiceModel.pending_until.remove()],
                        condition=InvoiceModel.status == "unpaid")
        except TransactWriteError as exc:
            raise ApplyConflict(_which(_reasons(exc), len(credit), len(pay))) from None

    @storage_errors
    def payments_of(self, transaction_no: str) -> Optional[PaymentModel]:
        return get_or_none(PaymentModel, f"vnpay#{transaction_no}", consistent_read=True)

    @storage_errors
    def by_status(self, status: str, limit: int = 100) -> list[PaymentModel]:
        return list(PaymentModel.by_status.query(status, limit=limit))

    @storage_errors
    def credit(self, payment_id: str) -> Optional[PaymentModel]:
        return get_or_none(PaymentModel, payment_id, consistent_read=True)

    @storage_errors
    def mark_credit(self, payment_id: str, from_status: str, to_status: str, note: str) -> bool:
        return update_if(PaymentModel(payment_id), [PaymentModel.status.set(to_status), PaymentModel.note.set(note)],
                         PaymentModel.status == from_status)

    @storage_errors
    def record_credit(self, order: OrderModel, receipt: Receipt) -> bool:
        """Money for an order that was already paid by another transaction:
        keep all of it as a credit to refund. False if already recorded."""
        credit = PaymentModel(f"credit#{receipt.transaction_no}#order", kind="credit", order_id=order.order_id,
                              amount=receipt.amount, invoice_ids=list(order.invoice_ids),
                              transaction_no=receipt.transaction_no, received_at=receipt.received_at,
                              status="refund_pending", note="second payment for an order already paid")
        return save_if(credit, PaymentModel.payment_id.does_not_exist())


def _which(reasons: list, n_credit: int, n_pay: int) -> str:
    """Map cancellation reasons to what lost. Order of items as PynamoDB sends
    them: puts (payment record, then credits), then updates (order, invoices)."""
    if not reasons:
        return "race"
    if any(r == "TransactionConflict" for r in reasons):
        return "race"
    puts = 1 + n_credit
    if any(r == "ConditionalCheckFailed" for r in reasons[:puts]):
        return "payment"
    if len(reasons) > puts and reasons[puts] == "ConditionalCheckFailed":
        return "order"
    if any(r == "ConditionalCheckFailed" for r in reasons[puts + 1:]):
        return "invoice"
    if any(r in _THROTTLED or r == "ThrottlingError" for r in reasons if r):
        return "race"
    return "race"


def _iso(epoch: int) -> str:
    from datetime import datetime, timedelta, timezone
    return datetime.fromtimestamp(epoch, timezone(timedelta(hours=7))).isoformat(timespec="seconds")
