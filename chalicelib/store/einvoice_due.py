"""The e-invoice sweep's sparse index (ports/einvoice_due.py, domain/einvoice_due.py): a Query on
by_einvoice_due, and updates that touch only its two attributes."""

from __future__ import annotations

import contextlib

from chalicelib.domain.einvoice_due import DUE_PARTITION
from chalicelib.ports.common import ConditionFailed
from chalicelib.ports.einvoice_due import DueInvoice
from chalicelib.store.models import InvoiceModel
from chalicelib.store.repositories import storage_errors


class EInvoiceDueStore:
    @storage_errors
    def due(self, now: int, limit: int) -> list[DueInvoice]:
        # A GSI is read eventually consistent: the sweep only re-queues, and the worker reads the invoice itself.
        query = InvoiceModel.by_einvoice_due.query(
            DUE_PARTITION, InvoiceModel.einvoice_due_at <= now, limit=limit, page_size=limit
        )
        return [_due(item) for item in query]

    def look_again(self, invoice_id: str, at: int) -> None:
        m = InvoiceModel
        # Only while it is in the index: an issue meanwhile removed it, and it stays out.
        self._update(invoice_id, [m.einvoice_due_at.set(at)], m.einvoice_due.exists())

    def leave(self, invoice_id: str, rev: int) -> None:
        m = InvoiceModel
        same = (m.einvoice_rev == rev) if rev else m.einvoice_rev.does_not_exist()
        self._update(invoice_id, [m.einvoice_due.remove(), m.einvoice_due_at.remove()], m.einvoice_due.exists() & same)

    def _update(self, invoice_id: str, actions: list, condition) -> None:
        with contextlib.suppress(ConditionFailed):  # moved on meanwhile: the state written since decides
            _update(invoice_id, actions, condition)


@storage_errors
def _update(invoice_id: str, actions: list, condition) -> None:
    InvoiceModel(invoice_id).update(actions=actions, condition=condition)


def _due(item: InvoiceModel) -> DueInvoice:
    ours = item.status != "cancelled" and item.source == "billing"
    return DueInvoice(item.invoice_id, to_issue=ours, rev=int(item.einvoice_rev or 0))
