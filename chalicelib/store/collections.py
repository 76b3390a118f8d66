"""Cash collected in the field, print counters and end-of-day handovers in
DynamoDB. Taking cash is one transaction with conditions: the receipt is
written once (its collection_id), the staff member's receipt series moves
from n to n+1 (gap-free numbers), and the invoice goes unpaid -> paid. Any
of them failing writes nothing, so cash and VNPay cannot both pay an invoice."""
from __future__ import annotations

from typing import Iterable, Optional

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ServiceUnavailable
from chalicelib.store.models import (
    CONNECTION,
    AccountModel,
    AuditModel,
    CustomerModel,
    HandoverModel,
    InvoiceModel,
    InvoiceSeriesModel,
    PrintModel,
    ReadingModel,
    ReceiptModel,
)
from chalicelib.store.repositories import _THROTTLED, get_or_none, storage_errors


class ReceiptExists(Exception):
    """A receipt with this collection_id was written first (a replay racing the original)."""


class InvoiceChanged(Exception):
    """The invoice is no longer unpaid for this amount (paid by VNPay meanwhile, corrected, cancelled)."""


class SeriesTaken(Exception):
    """Another collection of the same staff member took the next number; read again and retry."""


def _reasons(exc: TransactWriteError) -> list:
    return [None if r is None else r.code for r in (getattr(exc, "cancellation_reasons", None) or [])]


class CollectionStore:
    # -- reads -------------------------------------------------------------

    @storage_errors
    def receipt(self, collection_id: str) -> Optional[ReceiptModel]:
        return get_or_none(ReceiptModel, collection_id, consistent_read=True)

    @storage_errors
    def invoice(self, invoice_id: str) -> Optional[InvoiceModel]:
        return get_or_none(InvoiceModel, invoice_id, consistent_read=True)

    @storage_errors
    def customer(self, code: str) -> Optional[CustomerModel]:
        return get_or_none(CustomerModel, code)

    @storage_errors
    def account(self, account_id: str) -> Optional[AccountModel]:
        return get_or_none(AccountModel, account_id)

    @storage_errors
    def reading(self, reading_id: str) -> Optional[ReadingModel]:
        return get_or_none(ReadingModel, reading_id)

    @storage_errors
    def last_number(self, series: str) -> int:
        try:
            return int(InvoiceSeriesModel.get(series, consistent_read=True).last_number)
        except DoesNotExist:
            return 0

    # -- taking cash -------------------------------------------------------

    def collect(self, receipt: ReceiptModel, series: str, number: int, invoice: InvoiceModel,
                payment: dict, paid_at: str) -> None:
        """Receipt, series and invoice in one transaction. Raises ReceiptExists,
        InvoiceChanged or SeriesTaken for the condition that failed (in that order
        of precedence); a concurrent transaction on the same items is SeriesTaken
        (the caller reads again and retries)."""
        amount = int(receipt.amount)
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(receipt, condition=ReceiptModel.collection_id.does_not_exist())
                tx.update(InvoiceSeriesModel(series), actions=[InvoiceSeriesModel.last_number.set(number)],
                          condition=InvoiceSeriesModel.series.does_not_exist() if number == 1
                          else InvoiceSeriesModel.last_number == number - 1)
                tx.update(InvoiceModel(invoice.invoice_id), actions=[
                    InvoiceModel.status.set("paid"),
                    InvoiceModel.customer_status.set(f"{invoice.customer_code}#paid"),
                    InvoiceModel.paid_at.set(paid_at),
                    InvoiceModel.payments.set(InvoiceModel.payments.append([payment]))],
                    # Unpaid, for exactly this amount, and still one the rules let the worker collect.
                    condition=(InvoiceModel.status == "unpaid") & (InvoiceModel.total == amount)
                    & (InvoiceModel.field_collect.does_not_exist() | (InvoiceModel.field_collect != 0)))
        except TransactWriteError as exc:
            reasons = _reasons(exc)
            # PynamoDB sends puts before updates: 0 the receipt, 1 the series, 2 the invoice.
            failed = {i for i, r in enumerate(reasons) if r == "ConditionalCheckFailed"}
            if 0 in failed:
                raise ReceiptExists(receipt.collection_id) from None
            if 2 in failed:
                raise InvoiceChanged(invoice.invoice_id) from None
            if 1 in failed or "TransactionConflict" in reasons:
                raise SeriesTaken(series) from None
            raise ServiceUnavailable() from exc

    # -- prints ------------------------------------------------------------

    @storage_errors
    def count_print(self, invoice_id: str, kind: str, staff: str, now: int) -> int:
        """One more print of this document: an atomic counter, so two devices never lose a count."""
        item = PrintModel(invoice_id, kind)
        item.update(actions=[PrintModel.count.add(1), PrintModel.last_printed_at.set(now),
                             PrintModel.last_staff.set(staff)])
        return int(item.count)

    @storage_errors
    def print_count(self, invoice_id: str, kind: str) -> int:
        try:
            return int(PrintModel.get(invoice_id, kind).count)
        except DoesNotExist:
            return 0

    @storage_errors
    def print_counts(self, invoice_ids: Iterable[str], kind: str) -> dict[str, int]:
        keys = [(i, kind) for i in dict.fromkeys(invoice_ids)]
        return {p.invoice_id: int(p.count) for p in PrintModel.batch_get(keys)} if keys else {}

    # -- the day's receipts and the handover --------------------------------

    @storage_errors
    def day_receipts(self, staff: str, day: str) -> list[ReceiptModel]:
        """One Query on the staff-day index, in receipt-number order."""
        return list(ReceiptModel.by_staff_day.query(f"{staff}#{day}"))

    @storage_errors
    def handover(self, staff: str, day: str) -> Optional[HandoverModel]:
        return get_or_none(HandoverModel, staff, day, consistent_read=True)

    def record_handover(self, item: HandoverModel, audit: AuditModel) -> None:
        """The handover and its audit entry, both or neither."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(item)
                tx.save(audit, condition=AuditModel.entity.does_not_exist())
        except TransactWriteError as exc:
            if getattr(exc, "cause_response_code", None) in _THROTTLED | {"TransactionCanceledException"}:
                raise ServiceUnavailable() from exc
            raise
