"""Bank statement lines in DynamoDB. A line's key is '<bank>#<bank_ref>', so
a line is recorded once however often its file is imported. A line that
names a customer account is posted through the ledger (store/ledger.py): its
item is written (or moved out of suspense) in the ledger's transaction, as
one of the channel's own labelled items, so the line and its money are
recorded together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ServiceUnavailable, invalid_cursor
from chalicelib.ports.common import AuditEntry
from chalicelib.ports.money import (
    LINE,
    Contended,
    LineNotInSuspense,
    LineResolution,
    NewStatementLine,
    Posting,
    PostingExtras,
)
from chalicelib.store.audit import as_item
from chalicelib.store.ledger import item_of
from chalicelib.store.models import CONNECTION, AuditModel, CustomerModel, InvoiceModel, StatementLineModel
from chalicelib.store.repositories import b64, get_or_none, save_if, storage_errors, unb64


def _reasons(exc: TransactWriteError) -> list[str | None]:
    return [None if r is None else r.code for r in (getattr(exc, "cancellation_reasons", None) or [])]


def _raise_for(exc: TransactWriteError, line_index: int) -> None:
    reasons = _reasons(exc)
    if line_index < len(reasons) and reasons[line_index] == "ConditionalCheckFailed":
        raise LineNotInSuspense from None
    if "TransactionConflict" in reasons or getattr(exc, "cause_response_code", None) in (
        "TransactionConflictException",
        "TransactionInProgressException",
    ):
        raise Contended from None
    raise ServiceUnavailable() from exc


class StatementStore:
    # -- reads -------------------------------------------------------------

    @storage_errors
    def line(self, line_id: str) -> StatementLineModel | None:
        return get_or_none(StatementLineModel, line_id, consistent_read=True)

    @storage_errors
    def existing_lines(self, line_ids: Iterable[str]) -> set[str]:
        """Which of these lines are recorded (BatchGetItem, 100 a call)."""
        keys = list(dict.fromkeys(line_ids))
        if not keys:
            return set()
        return {item.line_id for item in StatementLineModel.batch_get(keys, attributes_to_get=["line_id"])}

    @storage_errors
    def known_customers(self, codes: Iterable[str]) -> set[str]:
        keys = list(dict.fromkeys(codes))
        return {c.code for c in CustomerModel.batch_get(keys, attributes_to_get=["code"])} if keys else set()

    @storage_errors
    def invoices(self, invoice_ids: Iterable[str]) -> dict[str, InvoiceModel]:
        keys = list(dict.fromkeys(invoice_ids))
        if not keys:
            return {}
        return {i.invoice_id: i for i in InvoiceModel.batch_get(keys, consistent_read=True)}

    @storage_errors
    def invoice(self, invoice_id: str) -> InvoiceModel | None:
        return get_or_none(InvoiceModel, invoice_id, consistent_read=True)

    @storage_errors
    def by_status(self, status: str, limit: int, cursor: str | None) -> tuple[list[StatementLineModel], str | None]:
        """One Query on the status index, oldest first, with a cursor."""
        start = None
        if cursor:
            start = unb64(cursor)
            if start.get("status", {}).get("S") != status:
                raise invalid_cursor("cursor does not belong to this query")
        results = StatementLineModel.by_status.query(status, limit=limit, last_evaluated_key=start)
        items = list(results)
        lek = results.last_evaluated_key
        return items, (b64(lek) if lek and len(items) == limit else None)

    # -- writes ------------------------------------------------------------

    @storage_errors
    def record(self, line: NewStatementLine) -> bool:
        """A line that pays nothing (suspense): written once. False if it was there."""
        return save_if(item_of(StatementLineModel, line), StatementLineModel.line_id.does_not_exist())

    @staticmethod
    def add_line(line: Callable[[Posting], NewStatementLine]) -> PostingExtras:
        """In a posting: the line (as this attempt's posting leaves it) recorded, unless it was before (the same
        file again, or at once)."""

        def extra(tx: Any, posting: Posting) -> None:
            tx.put(
                LINE, item_of(StatementLineModel, line(posting)), condition=StatementLineModel.line_id.does_not_exist()
            )

        return extra

    @staticmethod
    def resolve_line(line_id: str, actor: str, resolution: Callable[[Posting], LineResolution]) -> PostingExtras:
        """In a posting: the line suspense -> resolved (only from suspense: exactly once), with its audit entries
        (as this attempt's posting leaves it)."""

        def extra(tx: Any, posting: Posting) -> None:
            done = resolution(posting)
            for n, audit in enumerate(done.audits):
                tx.put(f"audit:{n}", as_item(audit), condition=AuditModel.entity.does_not_exist())
            tx.update(
                LINE,
                StatementLineModel(line_id),
                [
                    StatementLineModel.status.set("resolved"),
                    StatementLineModel.resolved_by.set(actor),
                    StatementLineModel.customer_code.set(done.customer_code),
                    StatementLineModel.invoice_id.set(done.invoice_ids[0])
                    if done.invoice_ids
                    else StatementLineModel.invoice_id.remove(),
                    StatementLineModel.invoice_ids.set(done.invoice_ids),
                    StatementLineModel.allocated.set(done.allocated),
                    StatementLineModel.credited.set(done.credited),
                ],
                condition=StatementLineModel.status == "suspense",
            )

        return extra

    def ignore(self, line_id: str, actor: str, audit: AuditEntry) -> None:
        """suspense -> ignored, with its audit entry. Raises LineNotInSuspense."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(as_item(audit), condition=AuditModel.entity.does_not_exist())
                tx.update(
                    StatementLineModel(line_id),
                    actions=[StatementLineModel.status.set("ignored"), StatementLineModel.resolved_by.set(actor)],
                    condition=StatementLineModel.status == "suspense",
                )
        except TransactWriteError as exc:
            _raise_for(exc, 1)
