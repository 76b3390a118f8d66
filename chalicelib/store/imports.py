"""Imports and the customer upsert in DynamoDB."""

from __future__ import annotations

from chalicelib.store.models import CustomerModel, ImportModel
from chalicelib.store.repositories import get_or_none, storage_errors, update_if

# Fields the customer book owns; everything else on a customer (e-mail set in
# the app, push endpoint, notification choices, meter replacement...) is kept.
BOOK_FIELDS = (
    "ledger_no",
    "name",
    "address",
    "phone",
    "customer_class",
    "persons",
    "meter_serial",
    "payment_channel",
    "last_index",
    "house_no",
    "tariff_area",
    "meter_digits",
    "meter_size",
    "branch",
    "email",
    "last_read_on",
    "ward",
)


class ImportStore:
    @storage_errors
    def create(
        self,
        import_id: str,
        *,
        object_key: str,
        created_by: str,
        now: int,
        kind: str = "customers",
        bank: str | None = None,
    ) -> ImportModel:
        """A new import (customers, or a bank_statement of `bank`), awaiting its upload."""
        item = ImportModel(
            import_id,
            kind=kind,
            bank=bank,
            status="awaiting_upload",
            object_key=object_key,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
        item.save(condition=ImportModel.import_id.does_not_exist())
        return item

    @storage_errors
    def get(self, import_id: str, consistent: bool = False) -> ImportModel | None:
        return get_or_none(ImportModel, import_id, consistent_read=consistent)

    @storage_errors
    def move(self, import_id: str, from_status: str, to_status: str, now: int) -> bool:
        return update_if(
            ImportModel(import_id),
            [ImportModel.status.set(to_status), ImportModel.updated_at.set(now)],
            ImportModel.status == from_status,
        )

    @storage_errors
    def advance(
        self, import_id, offset, next_offset, next_row, header, rows, ok, failed, errors, status, now, max_errors
    ) -> None:
        """Record a chunk's outcome, once: only if the import is still at `offset`."""
        item = self.get(import_id, consistent=True)
        if item is None:
            raise LookupError(f"no import {import_id}")  # imports are never deleted
        room = max(0, max_errors - len(item.errors or []))
        # A chunk delivered twice finds the offset moved on: nothing to record.
        update_if(
            ImportModel(import_id),
            [
                ImportModel.next_offset.set(next_offset),
                ImportModel.next_row.set(next_row),
                ImportModel.header.set(header),
                ImportModel.rows_done.add(rows),
                ImportModel.rows_ok.add(ok),
                ImportModel.rows_failed.add(failed),
                ImportModel.status.set(status),
                ImportModel.updated_at.set(now),
            ]
            + ([ImportModel.errors.set(ImportModel.errors.append(errors[:room]))] if errors[:room] else []),
            ImportModel.next_offset == offset,
        )

    @storage_errors
    def mark_sent(self, import_id: str, offset: int) -> None:
        """The message for the chunk at `offset` is on the queue (only ever forward)."""
        update_if(
            ImportModel(import_id),
            [ImportModel.sent_offset.set(offset)],
            ImportModel.sent_offset.does_not_exist() | (ImportModel.sent_offset < offset),
        )

    @storage_errors
    def set_error_key(self, import_id: str, key: str) -> None:
        ImportModel(import_id).update(actions=[ImportModel.error_key.set(key)])

    @storage_errors
    def finish(self, import_id: str, status: str, summary: dict, result_key: str | None, now: int) -> None:
        """A bank statement's outcome, once: only while it is running."""
        update_if(
            ImportModel(import_id),
            [
                ImportModel.status.set(status),
                ImportModel.summary.set(summary),
                ImportModel.updated_at.set(now),
            ]
            + ([ImportModel.result_key.set(result_key)] if result_key else []),
            ImportModel.status == "running",
        )

    @storage_errors
    def upsert_customers(self, rows: list[dict]) -> int:
        """Batch writes (25 items a call), after a batch read (100 a call) to keep
        what the book does not own. Writing the same row again changes nothing."""
        written = 0
        for start in range(0, len(rows), 100):
            chunk = rows[start : start + 100]
            existing = {c.code: c for c in CustomerModel.batch_get([r["code"] for r in chunk])}
            with CustomerModel.batch_write() as batch:
                for row in chunk:
                    item = existing.get(row["code"]) or CustomerModel(row["code"])
                    for name in BOOK_FIELDS:
                        if name in row:
                            setattr(item, name, row[name])
                    batch.save(item)
                    written += 1
        return written
