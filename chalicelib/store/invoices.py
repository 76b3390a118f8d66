"""Invoices in DynamoDB, and their issue: the invoice, its gap-free number and
its ledger posting in one transaction (store.ledger's, which this module joins)."""

from __future__ import annotations

import dataclasses

from chalicelib.errors import invalid_cursor
from chalicelib.ports.invoices import (
    CreditChanged,
    InvoiceExists,
    InvoicePosting,
    InvoiceRecord,
    IssueUnclear,
    NewInvoice,
    SeriesTaken,
)
from chalicelib.store import series as series_numbers
from chalicelib.store.ledger import LedgerStore, Posting, PostingFailed, unchanged
from chalicelib.store.models import InvoiceLine, InvoiceModel
from chalicelib.store.repositories import b64, get_or_none, storage_errors, unb64


class InvoiceStore:
    """Reads invoices, and issues them with gap-free numbers: the series counter
    moves from n to n+1 in the same transaction that creates invoice n+1, so a
    number is never skipped or used twice, whatever runs at the same time. The
    invoice's ledger posting (its charge, or a correction's adjustment) is
    written in that transaction too, so the account never misses or repeats one."""

    @storage_errors
    def get(self, invoice_id: str) -> InvoiceModel | None:
        return get_or_none(InvoiceModel, invoice_id)

    @storage_errors
    def list_for_customer(
        self, code: str, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[InvoiceModel], str | None]:
        """Newest first, one Query: the status filter is the key of its own index."""
        start = None
        if cursor:
            start = unb64(cursor)
            hash_attr = "customer_status" if status else "customer_code"
            expected = f"{code}#{status}" if status else code
            if start.get(hash_attr, {}).get("S") != expected:
                raise invalid_cursor("cursor does not belong to this query")
        if status:
            results = InvoiceModel.by_customer_status.query(
                f"{code}#{status}", scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        else:
            results = InvoiceModel.by_customer.query(
                code, scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        items = list(results)
        lek = results.last_evaluated_key
        return items, (b64(lek) if lek and len(items) == limit else None)

    @storage_errors
    def recent(self, code: str, limit: int) -> list[InvoiceModel]:
        return list(InvoiceModel.by_customer.query(code, scan_index_forward=False, limit=limit))

    @storage_errors
    def history(self, code: str, until_period: str | None, limit: int) -> list[InvoiceModel]:
        """One Query, newest first; up to a period: its sort keys are '<period>#<invoice id>', all below
        '<period>#' followed by the highest character."""
        if until_period is None:
            return self.recent(code, limit)
        until = InvoiceModel.period_key <= f"{until_period}#\uffff"
        return list(InvoiceModel.by_customer.query(code, until, scan_index_forward=False, limit=limit))

    # -- the issue -----------------------------------------------------------------------

    @storage_errors
    def last_number(self, series: str) -> int:
        return series_numbers.last_number(series)

    def issue(
        self,
        invoice: NewInvoice,
        series: str,
        number: int,
        posting: InvoicePosting,
        replacing: InvoiceRecord | None = None,
        at: int | None = None,
    ) -> None:
        """One transaction: series n-1 -> n, the invoice numbered n, and `posting`.
        `replacing`: a correction of that invoice as read; it must be unchanged since
        and not held by an open payment order at `at`."""
        item = _item(invoice, number)
        if replacing is None:
            invoice_condition = InvoiceModel.invoice_id.does_not_exist()
        else:
            invoice_condition = unchanged(replacing) & (
                InvoiceModel.pending_order_id.does_not_exist() | (InvoiceModel.pending_until < at)
            )

        def numbered(tx, _posting) -> None:
            series_numbers.take_number(tx, "series", series, number)
            if replacing is None:
                tx.put("invoice", item, condition=invoice_condition)
            else:
                tx.update("invoice", item, _rewrite(item), condition=invoice_condition)

        try:
            LedgerStore().post(_ledger_posting(invoice.customer_code, posting), extras=numbered)
        except PostingFailed as failed:
            if "invoice" in failed.failed:
                raise InvoiceExists(invoice.invoice_id) from None
            if any(label.startswith("credit:") for label in failed.failed):
                raise CreditChanged(invoice.customer_code) from None
            if not failed.failed:
                raise IssueUnclear(series) from None
            raise SeriesTaken(series) from None  # the series moved: read the number again


def _item(invoice: NewInvoice, number: int) -> InvoiceModel:
    """The table item of a new invoice, numbered."""
    fields = {f.name: getattr(invoice, f.name) for f in dataclasses.fields(invoice)}
    del fields["invoice_id"]
    fields["lines"] = [InvoiceLine(**dataclasses.asdict(line)) for line in invoice.lines]
    fields["invoice_number"] = number
    return InvoiceModel(invoice.invoice_id, **fields)


_SWEEP = ("einvoice_due", "einvoice_due_at")


def _rewrite(item: InvoiceModel) -> list:
    """A correction rewrites the bill as a new item would be written, except its legal side: the
    e-invoice fields stay as the worker wrote them (services/einvoices.py states the correction
    against what was sent)."""
    actions = []
    for name, attr in InvoiceModel.get_attributes().items():
        value = getattr(item, name)
        if name in _SWEEP and value is not None:  # charged again: due for the e-invoice sweep (domain/einvoice_due.py)
            actions.append(attr.set(value))
            continue
        if attr.is_hash_key or name.startswith("einvoice_"):
            continue
        actions.append(attr.remove() if value is None else attr.set(value))
    return actions


def _ledger_posting(code: str, posting: InvoicePosting) -> Posting:
    """The invoice's posting on its customer's account, as the ledger store writes it."""
    return Posting(
        event=posting.event,
        reference=posting.reference,
        posted_at=posting.posted_at,
        posted_by=posting.posted_by,
        lines={code: [dict(line) for line in posting.lines]},
        credit={code: posting.credit} if posting.credit else {},
        credit_seen={} if posting.credit_seen is None else {code: posting.credit_seen},
    )
