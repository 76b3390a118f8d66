"""What the nightly invariant check and the ledger migration read and write
beyond one account's posting (store/ledger.py): the walk over every customer
code, the credits recorded before the ledger, and the migration's transactions.

The walk Queries the customers table's by_shard index (keys only), its
BOOK_SHARDS partitions shared among parallel segments, one page of codes at a
time: no Scan anywhere. Why the customers table and not the ledger's keys: a
customer code is the account, so an account with invoices and no ledger entry
at all (a charge never posted, an account not migrated) is still found, which
a walk over the ledger would never show; and the book holds one item per
account, while the ledger grows with every posting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.money import GUARD, NewLedgerEntry, NewPayment, PaymentRecord
from chalicelib.store.ledger import LabelledTx, item_of, payment_item, unchanged
from chalicelib.store.models import (
    BOOK_SHARDS,
    CustomerAccountModel,
    CustomerModel,
    InvoiceModel,
    LedgerEntryModel,
    OrderModel,
    PaymentModel,
)
from chalicelib.store.repositories import get_or_none, storage_errors

PAGE = 100


class AccountWalk:
    @storage_errors
    def codes_page(
        self, segment: int, segments: int, start_key: dict[str, Any] | None = None, limit: int = PAGE
    ) -> tuple[list[str], dict[str, Any] | None]:
        """One page of customer codes of one segment (the shards s with s % segments == segment, in
        order), and where to go on from (None: the segment is done). One Query of the by_shard index."""
        shards = [n for n in range(BOOK_SHARDS) if n % segments == segment]
        if not shards:
            return [], None
        shard = int(start_key["shard"]) if start_key else shards[0]
        it = CustomerModel.by_shard.query(
            f"{shard:02d}",
            last_evaluated_key=start_key.get("key") if start_key else None,
            limit=limit,
            page_size=limit,
        )
        codes = [c.code for c in it]
        if it.last_evaluated_key:
            return codes, {"shard": shard, "key": it.last_evaluated_key}
        later = [n for n in shards if n > shard]
        return codes, ({"shard": later[0], "key": None} if later else None)


class MigrationStore:
    """The credits of before the ledger, and the migration's writes (never an overwrite: every entry has a
    deterministic key written only if absent, every invoice is changed only if it is still as read)."""

    @storage_errors
    def legacy_credits(self, status: str) -> list[PaymentModel]:
        """Every credit of before the ledger in one status (the by_status index, all pages)."""
        return [p for p in PaymentModel.by_status.query(status, page_size=PAGE) if p.kind == "credit"]

    @storage_errors
    def order(self, order_id: str) -> OrderModel | None:
        return get_or_none(OrderModel, order_id, consistent_read=True)

    @storage_errors
    def payment(self, payment_id: str) -> PaymentModel | None:
        return get_or_none(PaymentModel, payment_id, consistent_read=True)

    def write(
        self,
        entries: Iterable[NewLedgerEntry],
        invoices: Iterable[tuple[InvoiceRecord, int]] = (),
        credit: Mapping[str, int] | None = None,
        credit_item: PaymentRecord | None = None,
        guard: NewPayment | None = None,
    ) -> None:
        """One transaction: the entries (each only if absent), each invoice's paid amount set (only if the
        invoice is unchanged since read), each account's credit raised, the old credit item marked
        'migrated' (only from the status read) and the channel's exactly-once item (only if absent).
        Raises PostingFailed naming what did not hold."""
        tx = LabelledTx()
        if guard is not None:
            tx.put(GUARD, payment_item(guard), condition=PaymentModel.payment_id.does_not_exist())
        for entry in entries:
            tx.put(
                f"entry:{entry.customer_code}:{entry.entry_id}",
                item_of(LedgerEntryModel, entry),
                condition=LedgerEntryModel.entry_id.does_not_exist(),
            )
        for invoice, paid in invoices:
            tx.update(
                f"invoice:{invoice.invoice_id}",
                InvoiceModel(invoice.invoice_id),
                [InvoiceModel.paid_amount.set(paid)],
                condition=unchanged(invoice),
            )
        for code, amount in (credit or {}).items():
            if amount > 0:
                tx.update(
                    f"credit:{code}",
                    CustomerAccountModel(code),
                    [CustomerAccountModel.credit.add(amount), CustomerAccountModel.credit_flag.set("credit")],
                )
        if credit_item is not None:
            tx.update(
                "credit_item",
                PaymentModel(credit_item.payment_id),
                [
                    PaymentModel.status.set("migrated"),
                    PaymentModel.note.set(f"moved to the customer account's credit (was {credit_item.status})"),
                ],
                condition=PaymentModel.status == credit_item.status,
            )
        tx.commit()
