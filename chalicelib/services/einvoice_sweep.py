"""The e-invoice sweep (issue 17, docs/einvoice.md): charged invoices whose e-invoice the normal path
did not settle are put on the e-invoices queue again. A charge's publish that failed (it is only
logged), a message lost, an invoice the provider kept `pending` for hours: each is in the sparse index
by_einvoice_due (domain/einvoice_due.py) until issued or rejected, and comes up when its time is due.
Re-queuing is harmless: the worker reads the invoice, asks the provider first (find) and never issues
twice. Bounded per run (a page); a re-queued invoice is looked at again only hours later, so the next
run reaches the ones behind it. No Chalice, no boto3."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain import einvoice_due
from chalicelib.domain.messages import EInvoiceToIssue
from chalicelib.domain.shapes import to_json
from chalicelib.observability import logger
from chalicelib.ports.common import Clock, Publisher
from chalicelib.ports.einvoice_due import EInvoiceDue


class EInvoiceSweep:
    def __init__(
        self,
        *,
        due: EInvoiceDue,
        publisher: Publisher,
        clock: Clock,
        einvoices_on: Callable[[], bool],
        page: int = einvoice_due.SWEEP_PAGE,
    ) -> None:
        self.due = due
        self.publisher = publisher
        self.clock = clock
        self.einvoices_on = einvoices_on
        self.page = page

    def run(self) -> dict[str, object]:
        """{queued, left, failed, full}: full means the page was full (the next run goes on)."""
        if not self.einvoices_on():
            return {"status": "off"}
        now = self.clock.now()
        found = self.due.due(now, self.page)
        counts = {"queued": 0, "left": 0, "failed": 0}
        for invoice in found:
            if not invoice.to_issue:  # cancelled, imported: the worker would skip it
                self.due.leave(invoice.invoice_id, invoice.rev)
                counts["left"] += 1
                continue
            message = EInvoiceToIssue(invoice_id=invoice.invoice_id)
            try:
                self.publisher.publish(message.QUEUE, to_json(message))
            except Exception:  # this one stays due: the next run tries again
                logger.exception("e-invoice sweep: could not queue", extra={"invoice_id": invoice.invoice_id})
                counts["failed"] += 1
                continue
            self.due.look_again(invoice.invoice_id, einvoice_due.next_look(now))
            counts["queued"] += 1
        if counts["queued"] or counts["failed"]:
            logger.info("e-invoice sweep", extra=counts)
        return {**counts, "full": len(found) >= self.page}
