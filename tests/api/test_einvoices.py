"""Charged invoices issued as legal e-invoices (issue 17): queued when charged, issued by the worker
exactly once through the provider (here an in-memory fake of the port), shown in the invoice detail."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import VN_TZ
from chalicelib.adapters.queues import MemoryPublisher
from chalicelib.domain.einvoice import EInvoiceRequest
from chalicelib.ports.einvoices import Issued, Pending, ProviderRejected, ProviderUnavailable
from tests.sqs_events import sqs_event


class FakeProvider:
    """The port in memory: numbers in sequence, our invoice id as the idempotency key, and the next
    outcomes scripted: 'down' (nothing made), 'lost' (made, the answer lost), 'pending', 'reject'."""

    def __init__(self) -> None:
        self.invoices: dict[str, Issued] = {}
        self.pending: set[str] = set()
        self.requests: list[EInvoiceRequest] = []
        self.script: list[str] = []
        self.calls: list[tuple[str, str]] = []

    def _make(self, invoice_id: str) -> Issued:
        if invoice_id not in self.invoices:
            self.invoices[invoice_id] = Issued(
                invoice_id=invoice_id,
                number=f"C26TAA{len(self.invoices) + 1:08d}",
                series="C26TAA",
                template="1/001",
                issued_at=datetime(2026, 12, 6, 9, 0, tzinfo=VN_TZ),
                lookup_code=f"LK{len(self.invoices) + 1:06d}",
            )
        return self.invoices[invoice_id]

    def issue(self, invoice: EInvoiceRequest) -> Issued | Pending:
        self.calls.append(("issue", invoice.invoice_id))
        self.requests.append(invoice)
        outcome = self.script.pop(0) if self.script else "ok"
        if outcome == "down":
            raise ProviderUnavailable("503")
        if outcome == "reject":
            raise ProviderRejected("TEMPLATE_INVALID", "the template is not registered")
        if outcome == "pending":
            self.pending.add(invoice.invoice_id)
            return Pending(invoice.invoice_id)
        issued = self._make(invoice.invoice_id)
        if outcome == "lost":
            raise ProviderUnavailable("read timeout")
        return issued

    def find(self, invoice_id: str) -> Issued | None:
        self.calls.append(("find", invoice_id))
        if invoice_id in self.pending:  # the provider numbers it meanwhile
            self.pending.discard(invoice_id)
            return self._make(invoice_id)
        return self.invoices.get(invoice_id)

    def adjust(self, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        raise NotImplementedError

    def replace(self, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        raise NotImplementedError

    def document(self, issued: Issued) -> bytes:
        return b"%PDF-1.4"


@pytest.fixture
def einvoicing(app):
    provider, queue = FakeProvider(), MemoryPublisher()
    deps.override("einvoices", provider)
    deps.override("publisher", queue)
    return provider, queue


def _charge(api, admin, code: str) -> str:
    # Each test's customer is new: one invoice each, priced as tests/api/test_billing.py's first.
    body = dict(customer_code=code, period="2023-06", old_index=275, new_index=286, read_on="2023-07-05")
    r = api.post("/v1/admin/invoices", body, token=admin)
    assert r.status_code == 201, r.json
    return str(r.json["invoice_id"])


def _messages(queue: MemoryPublisher) -> list[dict]:
    return [body for q, body in queue.messages if q == "einvoices"]


def _work(*invoice_ids: str) -> dict:
    from chalicelib.jobs.einvoices import handle_batch

    return handle_batch(sqs_event(*({"invoice_id": i} for i in invoice_ids)))


def _fails(invoice_id: str) -> None:
    """A batch whose only record fails: the invocation fails (powertools), and SQS delivers it again."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):
        _work(invoice_id)


def _detail(api, invoice_id: str, token: str) -> dict:
    r = api.get(f"/v1/invoices/{invoice_id}", token=token)
    assert r.status_code == 200, r.json
    return r.json


def test_a_charged_invoice_is_queued_then_issued_and_shown(api, admin, registered, einvoicing):
    provider, queue = einvoicing
    customer, tokens = registered()
    invoice_id = _charge(api, admin, customer.code)
    assert _messages(queue) == [{"invoice_id": invoice_id}]
    assert _detail(api, invoice_id, tokens["access_token"])["einvoice"] is None  # a payment notice until issued

    assert _work(invoice_id) == {"batchItemFailures": []}
    assert provider.calls == [("find", invoice_id), ("issue", invoice_id)]
    request = provider.requests[0]
    assert (request.invoice_id, request.buyer.code, request.total) == (invoice_id, customer.code, 77568)
    assert request.meter is not None and (request.meter.previous_index, request.meter.current_index) == (275, 286)
    shown = _detail(api, invoice_id, tokens["access_token"])["einvoice"]
    issued = provider.invoices[invoice_id]
    assert shown == {
        "status": "issued",
        "number": issued.number,
        "series": "C26TAA",
        "template": "1/001",
        "issued_at": "2026-12-06T09:00:00+07:00",
        "lookup_code": issued.lookup_code,
        "tax_authority_code": None,
    }


def test_the_same_message_twice_issues_once(api, admin, new_customer, einvoicing):
    provider, _ = einvoicing
    invoice_id = _charge(api, admin, new_customer().code)
    assert _work(invoice_id, invoice_id) == {"batchItemFailures": []}
    assert _work(invoice_id) == {"batchItemFailures": []}
    assert [c for c in provider.calls if c[0] == "issue"] == [("issue", invoice_id)]
    assert len(provider.invoices) == 1


def test_an_answer_lost_after_creating_is_found_not_sent_again(api, admin, new_customer, einvoicing):
    provider, _ = einvoicing
    invoice_id = _charge(api, admin, new_customer().code)
    provider.script = ["lost"]
    _fails(invoice_id)
    assert _work(invoice_id) == {"batchItemFailures": []}  # SQS delivers it again: find() has it
    assert [c[0] for c in provider.calls] == ["find", "issue", "find"]
    assert _einvoice_fields(invoice_id)["einvoice_status"] == "issued"


def test_pending_is_retried_later_then_issued(api, admin, new_customer, einvoicing):
    provider, _ = einvoicing
    invoice_id = _charge(api, admin, new_customer().code)
    provider.script = ["pending"]
    _fails(invoice_id)
    assert _einvoice_fields(invoice_id)["einvoice_status"] == "pending"
    assert _work(invoice_id) == {"batchItemFailures": []}
    fields = _einvoice_fields(invoice_id)
    assert fields["einvoice_status"] == "issued" and fields["einvoice_number"] == provider.invoices[invoice_id].number
    assert [c for c in provider.calls if c[0] == "issue"] == [("issue", invoice_id)]


def test_provider_down_is_retried_and_nothing_is_lost(api, admin, new_customer, einvoicing):
    provider, _ = einvoicing
    invoice_id = _charge(api, admin, new_customer().code)
    provider.script = ["down", "down"]
    for _ in range(2):
        _fails(invoice_id)
        assert _einvoice_fields(invoice_id)["einvoice_status"] is None
    assert _work(invoice_id) == {"batchItemFailures": []}
    assert _einvoice_fields(invoice_id)["einvoice_status"] == "issued"
    assert len(provider.invoices) == 1


def test_a_rejected_invoice_is_marked_and_its_record_fails(api, admin, registered, einvoicing):
    provider, _ = einvoicing
    customer, tokens = registered()
    invoice_id = _charge(api, admin, customer.code)
    provider.script = ["reject"]
    _fails(invoice_id)  # to the DLQ after its receives
    fields = _einvoice_fields(invoice_id)
    assert fields["einvoice_status"] == "rejected"
    assert fields["einvoice_error"] == "TEMPLATE_INVALID: the template is not registered"
    shown = _detail(api, invoice_id, tokens["access_token"])["einvoice"]
    assert shown["status"] == "rejected" and shown["number"] is None and "error" not in shown


def test_a_malformed_message_fails_alone(api, admin, new_customer, einvoicing):
    from chalicelib.jobs.einvoices import handle_batch

    invoice_id = _charge(api, admin, new_customer().code)
    event = sqs_event("not json", {"invoice_id": invoice_id})
    assert handle_batch(event) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert _einvoice_fields(invoice_id)["einvoice_status"] == "issued"


def test_a_customer_cannot_see_another_customers_einvoice(api, admin, registered, einvoicing):
    _a, a_tokens = registered()
    b, _ = registered()
    b_invoice = _charge(api, admin, b.code)
    assert _work(b_invoice) == {"batchItemFailures": []}
    r = api.get(f"/v1/invoices/{b_invoice}", token=a_tokens["access_token"])
    assert r.status_code == 404 and "einvoice" not in r.json


def test_provider_off_nothing_is_queued_and_einvoice_is_null(api, admin, registered, app):
    queue = MemoryPublisher()
    deps.override("publisher", queue)
    assert deps.einvoices() is None  # the test stage configures no provider
    customer, tokens = registered()
    invoice_id = _charge(api, admin, customer.code)
    assert _messages(queue) == []
    assert _detail(api, invoice_id, tokens["access_token"])["einvoice"] is None
    # A message left from before the provider was switched off is dropped, not retried.
    assert _work(invoice_id) == {"batchItemFailures": []}


def test_a_queue_that_fails_loses_no_invoice(api, admin, new_customer, einvoicing):
    class Broken:
        def publish(self, queue, body):
            raise ConnectionError("SQS unreachable")

    deps.override("publisher", Broken())
    deps.override("einvoices", einvoicing[0])
    invoice_id = _charge(api, admin, new_customer().code)  # 201: the charge stands
    assert _einvoice_fields(invoice_id)["einvoice_status"] is None


def _einvoice_fields(invoice_id: str) -> dict:
    from chalicelib.store.models import InvoiceModel

    inv = InvoiceModel.get(invoice_id, consistent_read=True)
    return {name: getattr(inv, name) for name in ("einvoice_status", "einvoice_number", "einvoice_error")}
