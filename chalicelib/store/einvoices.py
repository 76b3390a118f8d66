"""The e-invoice fields of an invoice in DynamoDB (ports/einvoice_records.py): one conditional update
each, touching nothing else of the invoice (a payment may be writing it at the same time), and made
from the e-invoice state as read (`einvoice_rev`), so two deliveries of one message never both write."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time

from chalicelib.domain import einvoice_due
from chalicelib.ports.common import ConditionFailed
from chalicelib.ports.einvoice_records import Correction, EInvoiceSource, EInvoiceState
from chalicelib.store.models import CustomerModel, InvoiceModel
from chalicelib.store.repositories import get_or_none, storage_errors

_SCALARS = {
    "status": InvoiceModel.einvoice_status,
    "number": InvoiceModel.einvoice_number,
    "series": InvoiceModel.einvoice_series,
    "template": InvoiceModel.einvoice_template,
    "issued_at": InvoiceModel.einvoice_issued_at,
    "lookup_code": InvoiceModel.einvoice_lookup_code,
    "tax_authority_code": InvoiceModel.einvoice_tax_code,
    "error": InvoiceModel.einvoice_error,
}

_SETTLED = ("issued", "rejected", "unchanged")  # a correction (or an invoice) the provider is done with


def _sweep_actions(state: EInvoiceState) -> list:
    """The e-invoice sweep's sparse index (domain/einvoice_due.py): an invoice leaves it once the provider has
    settled it and its corrections (a rejection is a person's, through the DLQ's alarm); one the provider keeps
    pending is looked at again later (re-queued if it stays so)."""
    m = InvoiceModel
    if state.status in _SETTLED and all(c.status in _SETTLED for c in state.corrections):
        return [m.einvoice_due.remove(), m.einvoice_due_at.remove()]
    if state.status == "pending" or any(c.status == "pending" for c in state.corrections):
        return [m.einvoice_due_at.set(einvoice_due.next_look(int(time.time())))]
    return []


class EInvoiceStore:
    @storage_errors
    def invoice(self, invoice_id: str) -> InvoiceModel | None:
        # Consistent: the message may arrive right after the invoice was written.
        return get_or_none(InvoiceModel, invoice_id, consistent_read=True)

    def state(self, invoice: EInvoiceSource) -> EInvoiceState:
        item = invoice
        assert isinstance(item, InvoiceModel), "read through invoice()"
        corrections = json.loads(item.einvoice_corrections) if item.einvoice_corrections else []
        return EInvoiceState(
            rev=int(item.einvoice_rev or 0),
            basis=json.loads(item.einvoice_basis) if item.einvoice_basis else None,
            corrections=tuple(Correction(**c) for c in corrections),
            **{name: getattr(item, attr.attr_name) for name, attr in _SCALARS.items()},
        )

    @storage_errors
    def customer(self, code: str) -> CustomerModel | None:
        return get_or_none(CustomerModel, code)

    def write(self, invoice_id: str, state: EInvoiceState, *, rev_read: int, invoice_number: int | None = None) -> bool:
        m = InvoiceModel
        actions = [
            attr.set(value) if (value := getattr(state, name)) is not None else attr.remove()
            for name, attr in _SCALARS.items()
        ]
        actions.append(
            m.einvoice_basis.set(json.dumps(state.basis, ensure_ascii=False))
            if state.basis
            else m.einvoice_basis.remove()
        )
        corrections = [dataclasses.asdict(c) for c in state.corrections]
        actions.append(
            m.einvoice_corrections.set(json.dumps(corrections, ensure_ascii=False))
            if corrections
            else m.einvoice_corrections.remove()
        )
        actions.append(m.einvoice_rev.set(rev_read + 1))
        actions += _sweep_actions(state)
        condition = m.invoice_id.exists() & (
            (m.einvoice_rev == rev_read) if rev_read else m.einvoice_rev.does_not_exist()
        )
        if invoice_number is not None:
            condition &= m.invoice_number == invoice_number
        try:
            self._update(invoice_id, actions, condition)
        except ConditionFailed:
            return False
        return True

    def mark_document(self, invoice_id: str, key: str) -> None:
        m = InvoiceModel
        with contextlib.suppress(ConditionFailed):  # kept already: the first key stays
            self._update(invoice_id, [m.einvoice_document_key.set(key)], m.einvoice_document_key.does_not_exist())

    @storage_errors
    def _update(self, invoice_id: str, actions: list, condition) -> None:
        InvoiceModel(invoice_id).update(actions=actions, condition=condition)
