"""Issuing our charged invoices as legal e-invoices, exactly once (issue 17, docs/einvoice.md).

The queue's worker (jobs/einvoices.py) calls `process` once per message. Our invoice id is the
provider's idempotency key, and the provider is asked first (`find`) whether it has the invoice
already, so a redelivered message, or one whose answer was lost, never makes a second legal invoice.
What cannot be settled now raises, so SQS delivers the message again after its visibility timeout:
a provider down (ProviderUnavailable) or numbering later (Pending). A refusal (ProviderRejected, or
an invoice the request cannot be built from) marks the invoice rejected and raises too: after the
queue's receives the message rests in the dead-letter queue and its alarm calls a person.
No Chalice, no boto3."""

from __future__ import annotations

from datetime import date, datetime, time

from chalicelib.domain.einvoice import EInvoiceError, EInvoiceRequest, MeterReading, Party, bill_lines, build_request
from chalicelib.domain.vntime import VN_TZ
from chalicelib.observability import logger
from chalicelib.ports.einvoice_records import EInvoiceRecords, EInvoiceSource
from chalicelib.ports.einvoices import EInvoiceProvider, Issued, Pending, ProviderRejected


class NotYetIssued(Exception):
    """The provider accepted the invoice without a number yet: the message comes back later."""


class EInvoiceRejected(Exception):
    """The provider (or the request's own checks) refused the invoice for good: a person looks."""


class EInvoiceService:
    def __init__(self, *, provider: EInvoiceProvider, records: EInvoiceRecords, seller: Party) -> None:
        self.provider = provider
        self.records = records
        self.seller = seller

    def process(self, invoice_id: str) -> str:
        """What became of the invoice: issued | already | skipped; raises to have it retried."""
        invoice = self.records.invoice(invoice_id)
        if invoice is None:
            logger.warning("e-invoice: no such invoice; dropped", extra={"invoice_id": invoice_id})
            return "skipped"
        if invoice.einvoice_status == "issued":
            return "already"
        if invoice.status == "cancelled" or invoice.source != "billing":
            # Imported history was invoiced by the old system; a cancelled bill is no sale.
            logger.info("e-invoice: not to be issued", extra={"invoice_id": invoice_id, "status": invoice.status})
            return "skipped"
        found = self.provider.find(invoice_id)  # an earlier attempt's answer may have been lost
        if found is not None:
            return self._issued(found)
        try:
            request = self._request(invoice)
        except EInvoiceError as exc:
            self._rejected(invoice_id, "INVALID_REQUEST", str(exc))
            raise EInvoiceRejected(str(exc)) from None
        try:
            answer = self.provider.issue(request)
        except ProviderRejected as exc:
            self._rejected(invoice_id, exc.code, exc.message)
            raise EInvoiceRejected(str(exc)) from None
        # ProviderUnavailable goes up as it is: nothing was made twice, the next delivery finds or sends.
        if isinstance(answer, Pending):
            self.records.mark(invoice_id, "pending")
            logger.info("e-invoice: accepted without a number yet", extra={"invoice_id": invoice_id})
            raise NotYetIssued(invoice_id)
        return self._issued(answer)

    def _issued(self, issued: Issued) -> str:
        wrote = self.records.mark_issued(issued.invoice_id, issued)
        logger.info(
            "e-invoice: issued",
            extra={"invoice_id": issued.invoice_id, "series": issued.series, "number": issued.number, "new": wrote},
        )
        return "issued" if wrote else "already"

    def _rejected(self, invoice_id: str, code: str, message: str) -> None:
        self.records.mark(invoice_id, "rejected", f"{code}: {message}")
        logger.error("e-invoice: rejected", extra={"invoice_id": invoice_id, "code": code, "reason": message[:200]})

    def _request(self, inv: EInvoiceSource) -> EInvoiceRequest:
        customer = self.records.customer(inv.customer_code)
        buyer = Party(
            name=inv.customer_name,
            address=inv.customer_address or (customer.address if customer is not None else ""),
            code=inv.customer_code,
            email=(customer.email or "") if customer is not None else "",
        )
        old, new, m3 = int(inv.old_index), int(inv.new_index), int(inv.consumption_m3)
        # A meter that rolled over or was replaced (consumption given, not new - old): leave the block out.
        meter = MeterReading(previous_index=old, current_index=new, consumption_m3=m3) if new - old == m3 else None
        return build_request(
            inv.invoice_id,
            datetime.combine(date.fromisoformat(inv.issued_on), time(0), VN_TZ),
            self.seller,
            buyer,
            bill_lines(inv.lines),
            expected_total=int(inv.total),
            period=inv.period,
            meter=meter,
        )
