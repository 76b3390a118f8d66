"""Issuing our charged invoices as legal e-invoices, exactly once, and correcting them as Decree 70/2025
says (issue 17, docs/einvoice.md).

The queue's worker (jobs/einvoices.py) calls `process` once per message, and `process` brings the
invoice's legal side level with the bill, whatever was done before:

1. The original. Before the first send, what it will say (`basis`: the lines and the reading) is
   written with the invoice, from the bill as read; a send, and any resend after a lost answer, says
   exactly that. The provider is asked first (`find`) whether it has the invoice already: our invoice
   id is its idempotency key, so a redelivered message, or one whose answer was lost, never makes a
   second legal invoice.
2. Corrections. A correction of the bill (services/billing.py) is one event: the ledger's adjustment
   and the bill's new lines are written in one transaction. If the original was sent by then, the
   bill no longer says what the legal invoice says; `process` states the difference as an adjusting
   invoice (or a replacing one, by setting) with its own id `<invoice id>#ADJ-<n>`, referring to the
   original, and records it before sending it, so it too is made once. A bill corrected before the
   original was sent is simply issued as corrected.

What cannot be settled now raises, so SQS delivers the message again after its visibility timeout:
a provider down (ProviderUnavailable) or numbering later (NotYetIssued). A refusal (ProviderRejected,
or an invoice the request cannot be built from) is recorded and raises too: after the queue's receives
the message rests in the dead-letter queue and its alarm calls a person.
No Chalice, no boto3."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from chalicelib.domain.einvoice import (
    Basis,
    EInvoiceError,
    EInvoiceRequest,
    Party,
    bill_lines,
    build_adjustment,
    build_request,
    meter_of,
)
from chalicelib.domain.vntime import VN_TZ
from chalicelib.observability import logger
from chalicelib.ports.documents import DocumentStore
from chalicelib.ports.einvoice_records import Correction, EInvoiceRecords, EInvoiceSource, EInvoiceState
from chalicelib.ports.einvoices import EInvoiceProvider, Issued, Pending, ProviderRejected

ADJUSTMENT, REPLACEMENT = "adjustment", "replacement"
CORRECTION_NOTE = "Điều chỉnh theo chỉ số/giá đã sửa của kỳ {period}"
_OPEN = ("queued", "pending")
WRITE_ATTEMPTS = 5  # reads again when another write moved the invoice meanwhile


class NotYetIssued(Exception):
    """The provider accepted an invoice without a number yet: the message comes back later."""


class EInvoiceRejected(Exception):
    """The provider (or the request's own checks) refused the invoice for good: a person looks."""


class StateMoved(Exception):
    """Another write moved the invoice each time it was read: SQS delivers the message again."""


class EInvoiceService:
    def __init__(
        self,
        *,
        provider: EInvoiceProvider,
        records: EInvoiceRecords,
        seller: Party,
        documents: DocumentStore | None = None,
        corrections: str = ADJUSTMENT,
        now: Callable[[], datetime] = lambda: datetime.now(VN_TZ),
    ) -> None:
        if corrections not in (ADJUSTMENT, REPLACEMENT):
            raise ValueError("corrections must be 'adjustment' or 'replacement'")
        self.provider = provider
        self.records = records
        self.documents = documents
        self.seller = seller
        self.corrections = corrections
        self.now = now

    def process(self, invoice_id: str) -> str:
        """What became of the invoice: issued | corrected | already | skipped; raises to have it retried."""
        for _ in range(WRITE_ATTEMPTS):
            invoice = self.records.invoice(invoice_id)
            if invoice is None:
                logger.warning("e-invoice: no such invoice; dropped", extra={"invoice_id": invoice_id})
                return "skipped"
            state = self.records.state(invoice)
            if state.basis is None and (invoice.status == "cancelled" or invoice.source != "billing"):
                # Imported history was invoiced by the old system; a cancelled bill is no sale.
                logger.info("e-invoice: not to be issued", extra={"invoice_id": invoice_id, "status": invoice.status})
                return "skipped"
            outcome = self._level(invoice, state)
            if outcome is not None:
                return outcome
        raise StateMoved(invoice_id)

    # -- one pass over the state as read; None: a write found it moved, read again ---------------

    def _level(self, invoice: EInvoiceSource, state: EInvoiceState) -> str | None:
        invoice_id = invoice.invoice_id
        bill = basis_of(invoice)
        # Not sent yet, or refused (so the provider holds nothing): what the bill says now is to be sent.
        unsent = state.basis is None or (state.status == "rejected" and not state.corrections)
        if unsent and (state.basis != bill.to_json() or state.status == "rejected"):
            claimed = dataclasses.replace(state, basis=bill.to_json(), status="pending", error=None)
            if not self._write(invoice_id, claimed, state, invoice.invoice_number):
                return None
            state = dataclasses.replace(claimed, rev=state.rev + 1)
        did = ""
        if state.status != "issued":
            issued = self._original(invoice, state)
            if issued is None:
                return None
            state, did = issued, "issued"
        rejected = [c for c in state.corrections if c.status == "rejected"]
        if rejected:
            raise EInvoiceRejected(f"{rejected[0].correction_id}: {rejected[0].error}")
        for correction in state.corrections:
            if correction.status in _OPEN:
                moved = self._correct(invoice, state, correction)
                if moved is None:
                    return None
                state, did = moved, "corrected"
        legal = Basis.from_json(state.corrections[-1].after if state.corrections else state.basis or {})
        if legal.money() != bill.money():
            # The bill was corrected after the legal invoice was sent: one more correction, recorded first.
            n = len(state.corrections) + 1
            tag = "ADJ" if self.corrections == ADJUSTMENT else "REP"
            correction = Correction(
                correction_id=f"{invoice_id}#{tag}-{n}",
                kind=self.corrections,
                before=legal.to_json(),
                after=bill.to_json(),
                status="queued",
                created_at=self.now().isoformat(timespec="seconds"),
            )
            recorded = dataclasses.replace(state, corrections=(*state.corrections, correction))
            if not self._write(invoice_id, recorded, state, invoice.invoice_number):
                return None
            logger.info(
                "e-invoice: correction recorded", extra={"invoice_id": invoice_id, "id": correction.correction_id}
            )
            return None  # read again: the next pass issues it
        # Nothing left to send, yet the sweep still has it (a correction that moved no money): this write
        # of the settled state takes it out of the sweep's index.
        if not did and invoice.einvoice_due and not self._write(invoice_id, state, state):
            return None
        # Last: a document not ready yet brings the message back without holding a correction up.
        self._keep_document(invoice, state)
        return did or "already"

    def _original(self, invoice: EInvoiceSource, state: EInvoiceState) -> EInvoiceState | None:
        invoice_id = invoice.invoice_id
        found = self.provider.find(invoice_id)  # an earlier attempt's answer may have been lost
        if found is None:
            try:
                request = self._request(invoice, Basis.from_json(state.basis or {}))
            except EInvoiceError as exc:
                self._refused(invoice_id, state, "INVALID_REQUEST", str(exc))
                raise EInvoiceRejected(str(exc)) from None
            try:
                answer = self.provider.issue(request)
            except ProviderRejected as exc:
                self._refused(invoice_id, state, exc.code, exc.message)
                raise EInvoiceRejected(str(exc)) from None
            # ProviderUnavailable goes up as it is: nothing was made twice, the next delivery finds or sends.
            if isinstance(answer, Pending):
                logger.info("e-invoice: accepted without a number yet", extra={"invoice_id": invoice_id})
                raise NotYetIssued(invoice_id)
            found = answer
        issued = dataclasses.replace(state, status="issued", error=None, **_identity(found))
        if not self._write(invoice_id, issued, state):
            return None
        logger.info(
            "e-invoice: issued", extra={"invoice_id": invoice_id, "series": found.series, "number": found.number}
        )
        return dataclasses.replace(issued, rev=state.rev + 1)

    def _keep_document(self, invoice: EInvoiceSource, state: EInvoiceState) -> None:
        """The issued invoice's PDF, fetched from the provider once and kept (ports/documents.py): the
        invoice's PDF request then redirects to it. Right after issuing the provider may not have the
        file yet (ProviderUnavailable): that goes up, and the message comes back; it is never re-issued."""
        if self.documents is None or invoice.einvoice_document_key:
            return
        issued = _issued_of(invoice.invoice_id, state)
        try:
            pdf = self.provider.document(issued)
        except ProviderRejected as exc:
            # Asking again changes nothing: the invoice stays issued and its PDF request answers our notice.
            logger.error(
                "e-invoice: document refused",
                extra={"invoice_id": invoice.invoice_id, "code": exc.code, "reason": exc.message[:200]},
            )
            return
        key = document_key(invoice.invoice_id, issued)
        self.documents.put(key, pdf)  # the same key again writes the same bytes: a redelivery is harmless
        self.records.mark_document(invoice.invoice_id, key)
        logger.info("e-invoice: document kept", extra={"invoice_id": invoice.invoice_id, "bytes": len(pdf)})

    def _correct(self, invoice: EInvoiceSource, state: EInvoiceState, correction: Correction) -> EInvoiceState | None:
        cid = correction.correction_id
        found = self.provider.find(cid)
        if found is None:
            original = _issued_of(invoice.invoice_id, state)
            try:
                request = self._correction_request(invoice, original, correction)
            except EInvoiceError as exc:
                self._settle(invoice, state, correction, status="rejected", error=f"INVALID_REQUEST: {exc}")
                raise EInvoiceRejected(str(exc)) from None
            if request is None:  # the lines' money is the same: nothing to state
                return self._settle(invoice, state, correction, status="unchanged")
            try:
                if correction.kind == REPLACEMENT:
                    answer = self.provider.replace(original, request)
                else:
                    answer = self.provider.adjust(original, request)
            except ProviderRejected as exc:
                self._settle(invoice, state, correction, status="rejected", error=f"{exc.code}: {exc.message}")
                raise EInvoiceRejected(str(exc)) from None
            if isinstance(answer, Pending):
                if correction.status != "pending":
                    self._settle(invoice, state, correction, status="pending")
                raise NotYetIssued(cid)
            found = answer
        settled = self._settle(invoice, state, correction, status="issued", **_identity(found))
        if settled is not None:
            logger.info("e-invoice: correction issued", extra={"invoice_id": invoice.invoice_id, "id": cid})
        return settled

    def _settle(
        self, invoice: EInvoiceSource, state: EInvoiceState, correction: Correction, **changes: Any
    ) -> EInvoiceState | None:
        changed = dataclasses.replace(correction, **changes)
        new = dataclasses.replace(
            state, corrections=tuple(changed if c is correction else c for c in state.corrections)
        )
        if not self._write(invoice.invoice_id, new, state):
            return None
        if changed.status == "rejected":
            logger.error(
                "e-invoice: correction rejected",
                extra={"id": changed.correction_id, "reason": (changed.error or "")[:200]},
            )
        return dataclasses.replace(new, rev=state.rev + 1)

    def _refused(self, invoice_id: str, state: EInvoiceState, code: str, message: str) -> None:
        self._write(invoice_id, dataclasses.replace(state, status="rejected", error=f"{code}: {message}"[:500]), state)
        logger.error("e-invoice: rejected", extra={"invoice_id": invoice_id, "code": code, "reason": message[:200]})

    def _write(
        self, invoice_id: str, new: EInvoiceState, read: EInvoiceState, invoice_number: float | None = None
    ) -> bool:
        number = None if invoice_number is None else int(invoice_number)
        return self.records.write(invoice_id, new, rev_read=read.rev, invoice_number=number)

    # -- the requests ------------------------------------------------------------------------------

    def _buyer(self, inv: EInvoiceSource, basis: Basis) -> Party:
        customer = self.records.customer(inv.customer_code)
        return Party(
            name=basis.customer_name,
            address=basis.customer_address or (customer.address if customer is not None else ""),
            code=inv.customer_code,
            email=(customer.email or "") if customer is not None else "",
        )

    def _request(self, inv: EInvoiceSource, basis: Basis) -> EInvoiceRequest:
        return build_request(
            inv.invoice_id,
            datetime.combine(date.fromisoformat(basis.issued_on), time(0), VN_TZ),
            self.seller,
            self._buyer(inv, basis),
            basis.lines,
            expected_total=basis.total,
            period=basis.period,
            meter=meter_of(basis),
        )

    def _correction_request(
        self, inv: EInvoiceSource, original: Issued, correction: Correction
    ) -> EInvoiceRequest | None:
        before, after = Basis.from_json(correction.before), Basis.from_json(correction.after)
        issued_at = datetime.fromisoformat(correction.created_at)
        note = CORRECTION_NOTE.format(period=after.period)
        if correction.kind == REPLACEMENT:
            if before.money() == after.money():
                return None
            return build_request(
                correction.correction_id,
                issued_at,
                self.seller,
                self._buyer(inv, after),
                after.lines,
                expected_total=after.total,
                period=after.period,
                meter=meter_of(after),
                note=note,
            )
        return build_adjustment(
            correction.correction_id, issued_at, self.seller, self._buyer(inv, after), before, after, note=note
        )


def basis_of(inv: EInvoiceSource) -> Basis:
    """What the bill says now, as a legal invoice would say it."""
    return Basis(
        lines=tuple(bill_lines(inv.lines)),
        total=int(inv.total),
        issued_on=inv.issued_on,
        period=inv.period,
        customer_name=inv.customer_name,
        customer_address=inv.customer_address or "",
        old_index=int(inv.old_index),
        new_index=int(inv.new_index),
        consumption_m3=int(inv.consumption_m3),
    )


def document_key(invoice_id: str, issued: Issued) -> str:
    """Where an issued invoice's document is kept: one key per legal invoice, never overwritten by another."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", f"{issued.series}-{issued.number}")  # the provider's text, in a key
    return f"einvoices/{invoice_id}/{safe}.pdf"


def _identity(issued: Issued) -> dict[str, Any]:
    return {
        "number": issued.number,
        "series": issued.series,
        "template": issued.template,
        "issued_at": issued.issued_at.isoformat() if issued.issued_at is not None else None,
        "lookup_code": issued.lookup_code,
        "tax_authority_code": issued.tax_authority_code or None,
    }


def _issued_of(invoice_id: str, state: EInvoiceState) -> Issued:
    """The original as issued, for a correction to refer to."""
    return Issued(
        invoice_id=invoice_id,
        number=state.number or "",
        series=state.series or "",
        template=state.template or "",
        issued_at=datetime.fromisoformat(state.issued_at) if state.issued_at else None,
        lookup_code=state.lookup_code or "",
        tax_authority_code=state.tax_authority_code or "",
    )
