"""The e-invoice fields of an invoice in DynamoDB (ports/einvoice_records.py): one conditional update
each, touching nothing else of the invoice (a payment may be writing it at the same time)."""

from __future__ import annotations

import contextlib

from chalicelib.ports.common import ConditionFailed
from chalicelib.ports.einvoices import Issued
from chalicelib.store.models import CustomerModel, InvoiceModel
from chalicelib.store.repositories import get_or_none, storage_errors

_NOT_ISSUED = InvoiceModel.einvoice_status.does_not_exist() | (InvoiceModel.einvoice_status != "issued")


class EInvoiceStore:
    @storage_errors
    def invoice(self, invoice_id: str) -> InvoiceModel | None:
        # Consistent: the message may arrive right after the invoice was written.
        return get_or_none(InvoiceModel, invoice_id, consistent_read=True)

    @storage_errors
    def customer(self, code: str) -> CustomerModel | None:
        return get_or_none(CustomerModel, code)

    def mark_issued(self, invoice_id: str, issued: Issued) -> bool:
        m = InvoiceModel
        actions = [
            m.einvoice_status.set("issued"),
            m.einvoice_number.set(issued.number),
            m.einvoice_series.set(issued.series),
            m.einvoice_template.set(issued.template),
            m.einvoice_lookup_code.set(issued.lookup_code),
            m.einvoice_error.remove(),
        ]
        if issued.issued_at is not None:
            actions.append(m.einvoice_issued_at.set(issued.issued_at.isoformat()))
        if issued.tax_authority_code:
            actions.append(m.einvoice_tax_code.set(issued.tax_authority_code))
        try:
            self._update(invoice_id, actions)
        except ConditionFailed:
            return False  # issued already (a redelivered message): the first answer stays
        return True

    def mark(self, invoice_id: str, status: str, error: str | None = None) -> None:
        m = InvoiceModel
        actions = [m.einvoice_status.set(status)]
        actions.append(m.einvoice_error.set(error[:500]) if error else m.einvoice_error.remove())
        with contextlib.suppress(ConditionFailed):  # issued meanwhile: never overwrite a legal invoice's fields
            self._update(invoice_id, actions)

    @storage_errors
    def _update(self, invoice_id: str, actions: list) -> None:
        InvoiceModel(invoice_id).update(actions=actions, condition=InvoiceModel.invoice_id.exists() & _NOT_ISSUED)
