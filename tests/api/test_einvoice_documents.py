"""The document, stored once (issue 17, docs/einvoice.md): once our invoice is issued as a legal e-invoice,
the worker fetches the provider's PDF once, keeps it in the documents bucket (moto's S3 here: private,
SSE) and records its key; the invoice's PDF request then answers 302 to a presigned link instead of
rendering our payment notice, which stays the answer until the document is kept."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import VN_TZ
from chalicelib.adapters.queues import MemoryPublisher
from chalicelib.domain.einvoice import EInvoiceRequest
from chalicelib.ports.einvoices import Issued, Pending, ProviderRejected, ProviderUnavailable
from tests.sqs_events import sqs_event

PROVIDER_PDF = b"%PDF-1.7\n% the provider's legal invoice, not ours\n%%EOF\n"


class Provider:
    """The port in memory, with the document's next outcomes scripted: 'not_ready' (the provider has
    no file yet, as right after issuing), 'refused'; otherwise the provider's PDF."""

    def __init__(self) -> None:
        self.invoices: dict[str, Issued] = {}
        self.calls: list[tuple[str, str]] = []
        self.document_script: list[str] = []

    def find(self, invoice_id: str) -> Issued | None:
        self.calls.append(("find", invoice_id))
        return self.invoices.get(invoice_id)

    def issue(self, invoice: EInvoiceRequest) -> Issued | Pending:
        self.calls.append(("issue", invoice.invoice_id))
        n = len(self.invoices) + 1
        issued = Issued(
            invoice_id=invoice.invoice_id,
            number=f"C26TAA{n:08d}",
            series="C26TAA",
            template="1/001",
            issued_at=datetime(2026, 12, 6, 9, 0, tzinfo=VN_TZ),
            lookup_code=f"LK{n:06d}",
        )
        self.invoices[invoice.invoice_id] = issued
        return issued

    def adjust(self, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        raise NotImplementedError

    def replace(self, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        raise NotImplementedError

    def document(self, issued: Issued) -> bytes:
        self.calls.append(("document", issued.invoice_id))
        outcome = self.document_script.pop(0) if self.document_script else "ok"
        if outcome == "not_ready":
            raise ProviderUnavailable("S-Invoice has no file for this invoice yet")
        if outcome == "refused":
            raise ProviderRejected("FILE_NOT_FOUND", "no representation file for this template")
        return PROVIDER_PDF


@pytest.fixture
def provider(app):
    fake = Provider()
    deps.override("einvoices", fake)
    deps.override("publisher", MemoryPublisher())
    return fake


def _charge(api, admin, code: str) -> str:
    body = dict(customer_code=code, period="2023-06", old_index=275, new_index=286, read_on="2023-07-05")
    r = api.post("/v1/admin/invoices", body, token=admin)
    assert r.status_code == 201, r.json
    return str(r.json["invoice_id"])


def _work(invoice_id: str) -> dict:
    from chalicelib.jobs.einvoices import handle_batch

    return handle_batch(sqs_event({"invoice_id": invoice_id}))


def _fails(invoice_id: str) -> None:
    """The record fails (the invocation with it): SQS delivers the message again later."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):
        _work(invoice_id)


def _fields(invoice_id: str) -> tuple[str | None, str | None]:
    from chalicelib.store.models import InvoiceModel

    inv = InvoiceModel.get(invoice_id, consistent_read=True)
    return inv.einvoice_status, inv.einvoice_document_key


def _s3():
    from chalicelib.adapters.aws import s3_client

    return s3_client()


def _bucket() -> str:
    from chalicelib.config import get_settings

    return get_settings().documents_bucket


def _pdf(api, invoice_id: str, token: str):
    return api.get(f"/v1/invoices/{invoice_id}/pdf", token=token, headers={"Accept": "application/pdf"})


def _calls(provider: Provider, what: str) -> int:
    return sum(1 for name, _ in provider.calls if name == what)


def test_an_issued_invoice_has_its_document_stored_once_private_and_encrypted(api, admin, registered, provider):
    customer, tokens = registered()
    invoice_id = _charge(api, admin, customer.code)
    detail = api.get(f"/v1/invoices/{invoice_id}", token=tokens["access_token"]).json
    assert detail["einvoice"] is None  # not sent yet: a payment notice

    assert _work(invoice_id) == {"batchItemFailures": []}
    issued = provider.invoices[invoice_id]
    key = f"einvoices/{invoice_id}/C26TAA-{issued.number}.pdf"
    assert _fields(invoice_id) == ("issued", key)
    head = _s3().head_object(Bucket=_bucket(), Key=key)
    assert head["ServerSideEncryption"] == "AES256" and head["ContentType"] == "application/pdf"
    assert _s3().get_object(Bucket=_bucket(), Key=key)["Body"].read() == PROVIDER_PDF
    # Private: no grant to anyone but the owner.
    grants = _s3().get_object_acl(Bucket=_bucket(), Key=key)["Grants"]
    assert [g["Grantee"].get("URI") for g in grants if g["Grantee"].get("Type") == "Group"] == []
    detail = api.get(f"/v1/invoices/{invoice_id}", token=tokens["access_token"]).json
    assert detail["einvoice"]["status"] == "issued" and detail["einvoice"]["document"] is True

    # Delivered again (SQS is at least once): neither issued nor fetched again.
    assert _work(invoice_id) == {"batchItemFailures": []}
    assert (_calls(provider, "issue"), _calls(provider, "document")) == (1, 1)


def test_the_pdf_request_redirects_to_a_short_lived_link_that_downloads_the_providers_document(
    api, admin, registered, provider
):
    import requests

    customer, tokens = registered()
    invoice_id = _charge(api, admin, customer.code)
    assert _work(invoice_id) == {"batchItemFailures": []}

    r = _pdf(api, invoice_id, tokens["access_token"])
    assert r.status_code == 302, r.body
    assert r.headers["Cache-Control"] == "private, no-store"
    link = r.headers["Location"]
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Signature"]
    number = provider.invoices[invoice_id].number
    assert query["response-content-disposition"] == [f'attachment; filename="hoa-don-dien-tu-C26TAA-{number}.pdf"']

    # The link itself, without our bearer token (S3 refuses a second authorisation).
    got = requests.get(link, timeout=10)
    assert got.status_code == 200 and got.content == PROVIDER_PDF
    assert got.headers["Content-Disposition"] == f'attachment; filename="hoa-don-dien-tu-C26TAA-{number}.pdf"'
    assert got.headers["Content-Type"] == "application/pdf"
    # Tampered with (another key), the signature no longer holds.
    assert requests.get(link.replace(invoice_id, invoice_id[:-1] + "0"), timeout=10).status_code == 403


def test_a_document_not_ready_is_fetched_on_the_next_delivery_and_the_notice_answers_meanwhile(
    api, admin, registered, provider
):
    customer, tokens = registered()
    invoice_id = _charge(api, admin, customer.code)
    provider.document_script = ["not_ready"]
    _fails(invoice_id)  # issued, but the provider has no file yet: the message comes back
    assert _fields(invoice_id) == ("issued", None)
    detail = api.get(f"/v1/invoices/{invoice_id}", token=tokens["access_token"]).json
    assert detail["einvoice"]["status"] == "issued" and detail["einvoice"]["document"] is False
    r = _pdf(api, invoice_id, tokens["access_token"])
    assert r.status_code == 200 and r.body.startswith(b"%PDF") and r.body != PROVIDER_PDF  # our notice
    assert f"hoa-don-{invoice_id}.pdf" in r.headers["Content-Disposition"]

    assert _work(invoice_id) == {"batchItemFailures": []}  # the next delivery: the document only
    assert _fields(invoice_id)[1] is not None
    assert (_calls(provider, "issue"), _calls(provider, "document")) == (1, 2)
    assert _pdf(api, invoice_id, tokens["access_token"]).status_code == 302


def test_a_refused_document_is_not_asked_again_and_the_notice_stands_in(api, admin, registered, provider):
    customer, tokens = registered()
    invoice_id = _charge(api, admin, customer.code)
    provider.document_script = ["refused"]
    assert _work(invoice_id) == {"batchItemFailures": []}  # not worth a retry: logged at ERROR
    assert _fields(invoice_id) == ("issued", None)
    assert _pdf(api, invoice_id, tokens["access_token"]).status_code == 200


def test_a_storage_failure_fails_the_record_and_the_next_delivery_stores_it(api, admin, new_customer, provider):
    class Broken:
        def put(self, key, data, content_type="application/pdf"):
            raise ConnectionError("S3 unreachable")

        def url(self, key, filename, ttl=300):
            raise AssertionError("no link to a document never kept")

    invoice_id = _charge(api, admin, new_customer().code)
    deps.override("documents", Broken())
    _fails(invoice_id)
    assert _fields(invoice_id) == ("issued", None)
    from chalicelib.adapters.documents import S3Documents

    deps.override("documents", S3Documents(_bucket()))
    assert _work(invoice_id) == {"batchItemFailures": []}
    assert _fields(invoice_id)[1] is not None and _calls(provider, "issue") == 1


def test_a_customer_cannot_get_another_customers_document(api, admin, registered, provider):
    _a, a_tokens = registered()
    b, b_tokens = registered()
    b_invoice = _charge(api, admin, b.code)
    assert _work(b_invoice) == {"batchItemFailures": []}
    assert _pdf(api, b_invoice, b_tokens["access_token"]).status_code == 302
    r = _pdf(api, b_invoice, a_tokens["access_token"])
    assert r.status_code == 404 and "Location" not in r.headers
    assert r.json["code"] == "INVOICE_NOT_FOUND"


def test_without_a_provider_the_pdf_is_our_notice(api, registered, app):
    assert deps.einvoices() is None
    customer, tokens = registered(invoices=[("2023-05", 264, 275, 78255, "unpaid")])
    invoice_id = f"INV-{customer.code}-202305"
    r = _pdf(api, invoice_id, tokens["access_token"])
    assert r.status_code == 200 and r.body.startswith(b"%PDF")
