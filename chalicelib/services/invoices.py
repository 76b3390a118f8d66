"""Reading invoices: a customer sees only the codes linked to its account.

An invoice's PDF: the legal e-invoice's document when one is kept (a short-lived link to it,
docs/einvoice.md "The document, stored once"); otherwise our own PDF, rendered now: the payment
notice with its QR codes, for a bill not issued by the provider yet or a utility without one."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import consumption as usage
from chalicelib.domain import invoices as rules
from chalicelib.domain.identifiers import INVOICE_ID_RE
from chalicelib.domain.shapes import to_json
from chalicelib.domain.tokens import Identity
from chalicelib.errors import Forbidden, NotFound, ValidationError, invalid_cursor
from chalicelib.ports.documents import DocumentStore
from chalicelib.ports.invoices import InvoiceRecord, Invoices
from chalicelib.services import vietqr
from chalicelib.services.auth import customer_code
from chalicelib.services.shapes_consumption import history_of
from chalicelib.services.shapes_invoices import CustomerInvoice, InvoicePage, detail_fields, summary_of

# How long a link to a kept document works: enough to follow the redirect and download, too short to share.
DOCUMENT_LINK_SECONDS = 300


@dataclass(frozen=True)
class RenderedPdf:
    """Our own PDF (the payment notice), rendered for this request."""

    filename: str
    body: bytes


@dataclass(frozen=True)
class StoredPdf:
    """The legal e-invoice's document, kept once: a link that downloads it for DOCUMENT_LINK_SECONDS."""

    url: str


class InvoiceService:
    def __init__(
        self,
        *,
        invoices: Invoices,
        settings: Settings,
        page_max: int = 50,
        documents: DocumentStore | None = None,
        evidence: Callable[[str], dict[str, Any] | None] | None = None,
    ) -> None:
        self.invoices = invoices
        self.settings = settings
        self.page_max = page_max
        self.documents = documents
        self.evidence = evidence  # issue 18: the reading behind a bill (services/readings.ReadingService.evidence)

    def list_for_customer(
        self, identity: Identity, code: str, status: str | None, limit: str | None, cursor: str | None
    ) -> dict[str, Any]:
        code = self._linked(identity, code)
        status = status or "all"
        if status not in rules.STATUSES + ("all",):
            raise ValidationError(
                "status must be unpaid, paid or all", "status phải là unpaid, paid hoặc all.", field="status"
            )
        try:
            size = int(limit) if limit not in (None, "") else 12
        except ValueError:
            size = 0
        if not 1 <= size <= self.page_max:
            raise ValidationError(
                f"limit must be 1 to {self.page_max}", f"limit phải từ 1 đến {self.page_max}.", field="limit"
            )
        if cursor is not None and len(cursor) > 1024:
            raise invalid_cursor()
        items, next_cursor = self.invoices.list_for_customer(code, None if status == "all" else status, size, cursor)
        page = InvoicePage(customer_code=code, invoices=[summary_of(i) for i in items], next_cursor=next_cursor)
        answer: dict[str, Any] = to_json(page)
        return answer

    @staticmethod
    def _linked(identity: Identity, code: str) -> str:
        """A well-formed code linked to the caller's account; any other (someone else's or nobody's) is 403."""
        code = customer_code(code)
        if not identity.owns(code):
            raise Forbidden(
                "this customer code is not linked to your account",
                "Mã khách hàng này chưa được liên kết với tài khoản của bạn.",
                code="CUSTOMER_NOT_LINKED",
            )
        return code

    def pdf(self, identity: Identity, invoice_id: str) -> RenderedPdf | StoredPdf:
        record = self._owned(identity, invoice_id)
        key = record.einvoice_document_key
        if key and self.documents is not None:
            name = posixpath.basename(key)
            return StoredPdf(self.documents.url(key, f"hoa-don-dien-tu-{name}", DOCUMENT_LINK_SECONDS))
        # Not issued by the provider yet (or no provider): the payment notice, rendered now.
        from chalicelib.documents.invoice_pdf import render_invoice_pdf  # deferred: fpdf2 is a cold-start cost

        invoice = self._shown(record)
        s = self.settings
        seller = {
            "name": s.seller_name,
            "tax_code": s.seller_tax_code,
            "address": s.seller_address,
            "hotline": s.seller_hotline,
        }
        # An unpaid bill carries a QR that opens the payment page for it (VNPay
        # QR codes are per order and expire in minutes; a printed bill lives longer).
        qr = f"{s.payment_link_base}{invoice['invoice_id']}" if invoice["status"] == "unpaid" else None
        # And, beside it, the VietQR of a free bank transfer of what is open (it never expires).
        transfer = invoice["transfer"] if invoice["vietqr_payload"] and invoice["status"] == "unpaid" else None
        return RenderedPdf(f"hoa-don-{invoice['invoice_id']}.pdf", render_invoice_pdf(invoice, seller, qr, transfer))

    def get(self, identity: Identity, invoice_id: str) -> dict[str, Any]:
        invoice = self._owned(identity, invoice_id)
        shown = self._shown(invoice)
        # The consumption up to this bill's period, for its chart: one Query more (issue 18).
        recent = self.invoices.history(invoice.customer_code, invoice.period, usage.DEFAULT_PERIODS)
        shown["consumption"] = to_json(history_of(invoice.customer_code, recent, usage.DEFAULT_PERIODS))
        if self.evidence is not None and invoice.reading_id and getattr(invoice, "reading_evidence", None):
            # The meter photo and the flags of the reading that billed it (issue 18): one GetItem more, only
            # for a bill whose reading had either (most bills have neither: no read on the hot path).
            evidence = self.evidence(invoice.reading_id)
            if evidence is not None:
                shown["evidence"] = evidence
        return shown

    def consumption(self, identity: Identity, code: str, periods: str | None) -> dict[str, Any]:
        """GET /v1/customers/{code}/consumption: the last 12 to 24 billed periods of a linked code."""
        code = self._linked(identity, code)
        low, high = usage.MIN_PERIODS, usage.MAX_PERIODS
        try:
            count = int(periods) if periods not in (None, "") else usage.DEFAULT_PERIODS
        except ValueError:
            count = 0
        if not low <= count <= high:
            raise ValidationError(
                f"periods must be {low} to {high}", f"periods phải từ {low} đến {high}.", field="periods"
            )
        answer: dict[str, Any] = to_json(history_of(code, self.invoices.history(code, None, count), count))
        return answer

    def _owned(self, identity: Identity, invoice_id: str) -> InvoiceRecord:
        invoice = self.invoices.get(invoice_id) if INVOICE_ID_RE.match(invoice_id) else None
        # Someone else's invoice is answered exactly like a missing one.
        if invoice is None or not identity.owns(invoice.customer_code):
            raise NotFound("no such invoice", "Không tìm thấy hoá đơn.", code="INVOICE_NOT_FOUND")
        return invoice

    def _shown(self, invoice: InvoiceRecord) -> dict[str, Any]:
        detail = detail_fields(invoice)
        # Paying it by bank transfer: the reference to write, and the VietQR of what is open.
        transfer = vietqr.for_invoice(self.settings, detail)
        shown = CustomerInvoice(
            **detail,
            payment_reference=transfer.payment_reference,
            vietqr_payload=transfer.vietqr_payload,
            transfer=transfer,
            einvoice_lookup_url=self.settings.einvoice_lookup_url if detail.get("einvoice") else None,
        )
        answer: dict[str, Any] = to_json(shown)
        return answer

    def vietqr_payload(self, identity: Identity, invoice_id: str) -> str:
        """The invoice's VietQR, for its image: 404 for someone else's invoice or VietQR off, 409 when
        nothing is open."""
        invoice = self._shown(self._owned(identity, invoice_id))
        if invoice["transfer"]["bank"] is None:
            raise vietqr.vietqr_off()
        if not invoice["vietqr_payload"]:
            raise vietqr.not_payable(invoice["open_amount"])
        payload: str = invoice["vietqr_payload"]
        return payload
