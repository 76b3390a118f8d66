"""Bank statement lines in DynamoDB. A line's key is '<bank>#<bank_ref>', so
a line is recorded once however often its file is imported. A line that
names a customer account is posted through the ledger (store/ledger.py): its
item is written (or moved out of suspense) in the ledger's transaction, as
one of the channel's own labelled items, so the line and its money are
recorded together or not at all."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ServiceUnavailable, ValidationError
from chalicelib.store.ledger import LabelledTx
from chalicelib.store.models import CONNECTION, AuditModel, CustomerModel, InvoiceModel, StatementLineModel
from chalicelib.store.repositories import _b64, _unb64, get_or_none, save_if, storage_errors


class LineNotInSuspense(Exception):
    """The line was applied, resolved or ignored meanwhile."""


class Contended(Exception):
    """Another transaction touched the same items at the same moment; read again and retry."""


def _reasons(exc: TransactWriteError) -> list:
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


# The ledger's label of the line in a posting's transaction (LedgerService.post_payment's extra_labels).
LINE = "line"


def add_line(tx: LabelledTx, line: StatementLineModel) -> None:
    """In a posting: the line recorded, unless it was before (the same file again, or at once)."""
    tx.put(LINE, line, condition=StatementLineModel.line_id.does_not_exist())


def resolve_line(
    tx: LabelledTx,
    line_id: str,
    actor: str,
    customer_code: str,
    invoice_ids: list[str],
    allocated: int,
    credited: int,
    audits: list[AuditModel],
) -> None:
    """In a posting: the line suspense -> resolved (only from suspense: exactly once), with its audit entries."""
    for n, audit in enumerate(audits):
        tx.put(f"audit:{n}", audit, condition=AuditModel.entity.does_not_exist())
    tx.update(
        LINE,
        StatementLineModel(line_id),
        [
            StatementLineModel.status.set("resolved"),
            StatementLineModel.resolved_by.set(actor),
            StatementLineModel.customer_code.set(customer_code),
            StatementLineModel.invoice_id.set(invoice_ids[0])
            if invoice_ids
            else StatementLineModel.invoice_id.remove(),
            StatementLineModel.invoice_ids.set(invoice_ids),
            StatementLineModel.allocated.set(allocated),
            StatementLineModel.credited.set(credited),
        ],
        condition=StatementLineModel.status == "suspense",
    )


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
            start = _unb64(cursor)
            if start.get("status", {}).get("S") != status:
                raise ValidationError(
                    "cursor does not belong to this query",
                    "Tham số cursor không hợp lệ.",
                    field="cursor",
                    code="INVALID_CURSOR",
                )
        results = StatementLineModel.by_status.query(status, limit=limit, last_evaluated_key=start)
        items = list(results)
        lek = results.last_evaluated_key
        return items, (_b64(lek) if lek and len(items) == limit else None)

    # -- writes ------------------------------------------------------------

    @storage_errors
    def record(self, line: StatementLineModel) -> bool:
        """A line that pays nothing (suspense): written once. False if it was there."""
        return save_if(line, StatementLineModel.line_id.does_not_exist())

    def ignore(self, line_id: str, actor: str, audit: AuditModel) -> None:
        """suspense -> ignored, with its audit entry. Raises LineNotInSuspense."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(audit, condition=AuditModel.entity.does_not_exist())
                tx.update(
                    StatementLineModel(line_id),
                    actions=[StatementLineModel.status.set("ignored"), StatementLineModel.resolved_by.set(actor)],
                    condition=StatementLineModel.status == "suspense",
                )
        except TransactWriteError as exc:
            _raise_for(exc, 1)
