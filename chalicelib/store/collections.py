"""Cash collected in the field, print counters and end-of-day handovers in
DynamoDB. Taking cash is posted to the customer's account (store/ledger.py)
in one transaction that also writes the receipt once (its collection_id) and
moves the staff member's receipt series from n to n+1 (gap-free numbers):
the money, its receipt and its number are all written or none of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ServiceUnavailable
from chalicelib.ports.common import AuditEntry
from chalicelib.ports.money import RECEIPT, SERIES, NewHandover, NewReceipt, Posting, PostingExtras
from chalicelib.store import series as series_numbers
from chalicelib.store.audit import as_item
from chalicelib.store.ledger import item_of
from chalicelib.store.models import (
    CONNECTION,
    AccountModel,
    AuditModel,
    CustomerModel,
    HandoverModel,
    InvoiceModel,
    LedgerEntryModel,
    PrintModel,
    ReadingModel,
    ReceiptModel,
)
from chalicelib.store.repositories import THROTTLED, get_or_none, storage_errors


class CollectionStore:
    # -- reads -------------------------------------------------------------

    @storage_errors
    def receipt(self, collection_id: str) -> ReceiptModel | None:
        return get_or_none(ReceiptModel, collection_id, consistent_read=True)

    @storage_errors
    def invoice(self, invoice_id: str) -> InvoiceModel | None:
        return get_or_none(InvoiceModel, invoice_id, consistent_read=True)

    @storage_errors
    def customer(self, code: str) -> CustomerModel | None:
        return get_or_none(CustomerModel, code)

    @storage_errors
    def account(self, account_id: str) -> AccountModel | None:
        return get_or_none(AccountModel, account_id)

    @storage_errors
    def reading(self, reading_id: str) -> ReadingModel | None:
        return get_or_none(ReadingModel, reading_id)

    @storage_errors
    def last_number(self, series: str) -> int:
        return series_numbers.last_number(series)

    @storage_errors
    def credited_receipt(self, customer_code: str, invoice_id: str, limit: int = 20) -> ReceiptModel | None:
        """The newest cash receipt for an invoice that none of its money reached (the invoice was paid
        meanwhile): found among the account's `limit` latest postings (one Query, one BatchGetItem)."""
        entries = LedgerEntryModel.query(customer_code, scan_index_forward=False, limit=limit, consistent_read=True)
        ids = [e.payment_id.partition("#")[2] for e in entries if e.channel == "cash" and e.payment_id]
        if not ids:
            return None
        receipts = [
            r
            for r in ReceiptModel.batch_get(list(dict.fromkeys(ids)), consistent_read=True)
            if r.invoice_id == invoice_id
        ]
        return max(receipts, key=lambda r: r.collected_at, default=None)

    # -- taking cash -------------------------------------------------------

    @staticmethod
    def receipt_items(receipt: NewReceipt, series: str, number: int) -> PostingExtras:
        """The receipt and its number, as items of the posting's transaction (RECEIPT: this
        collection_id was written first; SERIES: another collection took the number). The
        receipt records how the posting spread the money."""

        def extra(tx: Any, posting: Posting) -> None:
            credited = sum(posting.credit.values())
            spread = replace(receipt, credited=credited, allocated=int(receipt.amount) - credited)
            tx.put(RECEIPT, item_of(ReceiptModel, spread), condition=ReceiptModel.collection_id.does_not_exist())
            series_numbers.take_number(tx, SERIES, series, number)

        return extra

    # -- prints ------------------------------------------------------------

    @storage_errors
    def count_print(self, invoice_id: str, kind: str, staff: str, now: int) -> int:
        """One more print of this document: an atomic counter, so two devices never lose a count."""
        item = PrintModel(invoice_id, kind)
        item.update(
            actions=[PrintModel.count.add(1), PrintModel.last_printed_at.set(now), PrintModel.last_staff.set(staff)]
        )
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
    def handover(self, staff: str, day: str) -> HandoverModel | None:
        return get_or_none(HandoverModel, staff, day, consistent_read=True)

    def record_handover(self, item: NewHandover, audit: AuditEntry) -> None:
        """The handover and its audit entry, both or neither."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(item_of(HandoverModel, item))
                tx.save(as_item(audit), condition=AuditModel.entity.does_not_exist())
        except TransactWriteError as exc:
            if getattr(exc, "cause_response_code", None) in THROTTLED | {"TransactionCanceledException"}:
                raise ServiceUnavailable() from exc
            raise
