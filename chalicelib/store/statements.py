"""Bank statement lines in DynamoDB. A line's key is '<bank>#<bank_ref>', so
a line is recorded once however often its file is imported. Paying an
invoice from a line is one transaction with conditions, like cash and VNPay:
the line is written (or moved out of suspense) only if it was not applied
before, and the invoice goes unpaid -> paid only if it still is unpaid for
exactly this amount. Either both happen or neither does."""
from __future__ import annotations

from typing import Iterable, Optional

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ServiceUnavailable, ValidationError
from chalicelib.store.models import CONNECTION, AuditModel, CustomerModel, InvoiceModel, StatementLineModel
from chalicelib.store.repositories import _b64, _unb64, get_or_none, save_if, storage_errors


class LineExists(Exception):
    """The line was recorded before (the same file, or another file with the same line)."""


class LineNotInSuspense(Exception):
    """The line was applied, resolved or ignored meanwhile."""


class InvoiceChanged(Exception):
    """The invoice is no longer unpaid for this amount (paid by VNPay or cash meanwhile, cancelled)."""


class Contended(Exception):
    """Another transaction touched the same items at the same moment; read again and retry."""


def _reasons(exc: TransactWriteError) -> list:
    return [None if r is None else r.code for r in (getattr(exc, "cancellation_reasons", None) or [])]


def _raise_for(exc: TransactWriteError, line_index: int, invoice_index: int, line_error: type) -> None:
    reasons = _reasons(exc)
    failed = {i for i, r in enumerate(reasons) if r == "ConditionalCheckFailed"}
    if line_index in failed:
        raise line_error() from None
    if invoice_index in failed:
        raise InvoiceChanged() from None
    if "TransactionConflict" in reasons or getattr(exc, "cause_response_code", None) in (
            "TransactionConflictException", "TransactionInProgressException"):
        raise Contended() from None
    raise ServiceUnavailable() from exc


def _pay_actions(invoice: InvoiceModel, payment: dict, paid_at: str) -> list:
    return [InvoiceModel.status.set("paid"),
            InvoiceModel.customer_status.set(f"{invoice.customer_code}#paid"),
            InvoiceModel.paid_at.set(paid_at),
            InvoiceModel.payments.set(InvoiceModel.payments.append([payment])),
            # A VNPay order still open on it will find it paid and keep its money as a credit.
            InvoiceModel.pending_order_id.remove(), InvoiceModel.pending_until.remove()]


def _pay_condition(amount: int):
    return (InvoiceModel.status == "unpaid") & (InvoiceModel.total == amount)


class StatementStore:
    # -- reads -------------------------------------------------------------

    @storage_errors
    def line(self, line_id: str) -> Optional[StatementLineModel]:
        return get_or_none(StatementLineModel, line_id, consistent_read=True)

    @storage_errors
    def existing_lines(self, line_ids: Iterable[str]) -> set[str]:
        """Which of these lines are recorded (BatchGetItem, 100 a call)."""
        keys = list(dict.fromkeys(line_ids))
        if not keys:
            return set()
        return {item.line_id for item in StatementLineModel.batch_get(
            keys, attributes_to_get=["line_id"])}

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
    def invoice(self, invoice_id: str) -> Optional[InvoiceModel]:
        return get_or_none(InvoiceModel, invoice_id, consistent_read=True)

    @storage_errors
    def unpaid_of(self, code: str, limit: int = 50) -> list[InvoiceModel]:
        """One Query on the status index: the customer's unpaid invoices."""
        return list(InvoiceModel.by_customer_status.query(f"{code}#unpaid", limit=limit))

    @storage_errors
    def by_status(self, status: str, limit: int, cursor: Optional[str]) -> tuple[list[StatementLineModel],
                                                                                   Optional[str]]:
        """One Query on the status index, oldest first, with a cursor."""
        start = None
        if cursor:
            start = _unb64(cursor)
            if start.get("status", {}).get("S") != status:
                raise ValidationError("cursor does not belong to this query", "Tham số cursor không hợp lệ.",
                                      field="cursor", code="INVALID_CURSOR")
        results = StatementLineModel.by_status.query(status, limit=limit, last_evaluated_key=start)
        items = list(results)
        lek = results.last_evaluated_key
        return items, (_b64(lek) if lek and len(items) == limit else None)

    # -- writes ------------------------------------------------------------

    @storage_errors
    def record(self, line: StatementLineModel) -> bool:
        """A line that pays nothing (suspense): written once. False if it was there."""
        return save_if(line, StatementLineModel.line_id.does_not_exist())

    def apply(self, line: StatementLineModel, invoice: InvoiceModel, payment: dict, paid_at: str) -> None:
        """The line recorded as matched and the invoice paid, in one transaction.
        Raises LineExists (recorded before: nothing changes), InvoiceChanged
        (paid or changed meanwhile: the caller records the line in suspense)
        or Contended."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(line, condition=StatementLineModel.line_id.does_not_exist())
                tx.update(InvoiceModel(invoice.invoice_id), actions=_pay_actions(invoice, payment, paid_at),
                          condition=_pay_condition(int(line.amount)))
        except TransactWriteError as exc:
            # PynamoDB sends puts before updates: 0 the line, 1 the invoice.
            _raise_for(exc, 0, 1, LineExists)

    def resolve(self, line: StatementLineModel, invoice: InvoiceModel, payment: dict, paid_at: str,
                actor: str, audits: list[AuditModel]) -> None:
        """A manager applies a suspense line to an invoice: the line suspense ->
        resolved, the invoice paid and the audit entries, all or nothing. Raises
        LineNotInSuspense, InvoiceChanged or Contended."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                for audit in audits:
                    tx.save(audit, condition=AuditModel.entity.does_not_exist())
                tx.update(StatementLineModel(line.line_id), actions=[
                    StatementLineModel.status.set("resolved"),
                    StatementLineModel.invoice_id.set(invoice.invoice_id),
                    StatementLineModel.resolved_by.set(actor)],
                    condition=StatementLineModel.status == "suspense")
                tx.update(InvoiceModel(invoice.invoice_id), actions=_pay_actions(invoice, payment, paid_at),
                          condition=_pay_condition(int(line.amount)))
        except TransactWriteError as exc:
            # PynamoDB sends puts before updates: the audit entries, then the line, then the invoice.
            _raise_for(exc, len(audits), len(audits) + 1, LineNotInSuspense)

    def ignore(self, line_id: str, actor: str, audit: AuditModel) -> None:
        """suspense -> ignored, with its audit entry. Raises LineNotInSuspense."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(audit, condition=AuditModel.entity.does_not_exist())
                tx.update(StatementLineModel(line_id), actions=[
                    StatementLineModel.status.set("ignored"), StatementLineModel.resolved_by.set(actor)],
                    condition=StatementLineModel.status == "suspense")
        except TransactWriteError as exc:
            _raise_for(exc, 1, -1, LineNotInSuspense)
