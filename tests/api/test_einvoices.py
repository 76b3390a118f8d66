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
        self.originals: dict[str, Issued] = {}  # a correction's id -> the invoice it refers to

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
        return self._correct("adjust", original, request)

    def replace(self, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        return self._correct("replace", original, request)

    def _correct(self, kind: str, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        # A correction refers to an invoice this provider issued, under an id of its own.
        assert self.invoices.get(original.invoice_id) == original and request.invoice_id != original.invoice_id
        self.originals[request.invoice_id] = original
        self.calls.append((kind, request.invoice_id))
        self.requests.append(request)
        outcome = self.script.pop(0) if self.script else "ok"
        if outcome == "down":
            raise ProviderUnavailable("503")
        if outcome == "reject":
            raise ProviderRejected("ADJUSTMENT_INVALID", "the original cannot be adjusted")
        made = self._make(request.invoice_id)
        if outcome == "lost":
            raise ProviderUnavailable("read timeout")
        return made

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
        "corrections": [],
        "document": shown["document"],  # tests/api/test_einvoice_documents.py
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
        # What is to be sent is recorded before the first send: pending (not numbered), never issued.
        assert _einvoice_fields(invoice_id)["einvoice_status"] == "pending"
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


# -- corrections (Decree 70/2025): an adjusting invoice from the same event as the ledger's adjustment --


def _correct(code: str, new_index: int) -> dict:
    """The June 2023 reading read again (as the readings worker does for a second reading of a period)."""
    from datetime import date

    from chalicelib.store.models import CustomerModel

    customer = CustomerModel.get(code)
    return deps.billing().issue(
        "staff:ghithu99", customer, "2023-06", 275, new_index, date(2023, 7, 5), date(2023, 6, 5), replace_unpaid=True
    )


def test_a_correction_after_issue_makes_one_adjusting_invoice_referring_to_the_original(
    api, admin, registered, einvoicing
):
    provider, queue = einvoicing
    customer, tokens = registered()
    invoice_id = _charge(api, admin, customer.code)  # 11 m³, 77,568 VND
    assert _work(invoice_id) == {"batchItemFailures": []}
    original = provider.invoices[invoice_id]

    corrected = _correct(customer.code, 290)  # misread: 15 m³
    assert _messages(queue) == [{"invoice_id": invoice_id}] * 2  # the correction queues the invoice again
    assert _work(invoice_id) == {"batchItemFailures": []}
    adj_id = f"{invoice_id}#ADJ-1"
    assert [c for c in provider.calls if c[0] in ("issue", "adjust")] == [("issue", invoice_id), ("adjust", adj_id)]
    assert provider.originals[adj_id] == original
    request = provider.requests[-1]
    assert request.total == corrected["total"] - 77568 > 0  # the difference, not the whole bill
    assert sum(i.amount + i.vat for i in request.items) == request.total
    assert all(i.amount >= 0 for i in request.items)  # more water: every changed item goes up

    shown = _detail(api, invoice_id, tokens["access_token"])["einvoice"]
    assert (shown["status"], shown["number"]) == ("issued", original.number)  # the original stays as issued
    [adj] = shown["corrections"]
    assert adj["kind"] == "adjustment" and adj["status"] == "issued"
    assert adj["number"] == provider.invoices[adj_id].number and adj["lookup_code"]

    # The same message again, or the next one: nothing more to state.
    assert _work(invoice_id, invoice_id) == {"batchItemFailures": []}
    assert len([c for c in provider.calls if c[0] in ("issue", "adjust")]) == 2


def test_a_correction_down_is_a_decreasing_adjustment(api, admin, new_customer, einvoicing):
    provider, _ = einvoicing
    code = new_customer().code
    invoice_id = _charge(api, admin, code)
    assert _work(invoice_id) == {"batchItemFailures": []}
    corrected = _correct(code, 281)  # 6 m³ instead of 11
    assert _work(invoice_id) == {"batchItemFailures": []}
    request = provider.requests[-1]
    assert request.invoice_id == f"{invoice_id}#ADJ-1"
    assert request.total == corrected["total"] - 77568 < 0
    assert all(i.amount <= 0 and i.vat <= 0 for i in request.items)
    assert sum(g.taxable for g in request.vat_groups) == request.total_without_vat


def test_a_bill_corrected_before_it_was_sent_is_issued_as_corrected(api, admin, new_customer, einvoicing):
    provider, _ = einvoicing
    code = new_customer().code
    invoice_id = _charge(api, admin, code)
    corrected = _correct(code, 290)
    assert _work(invoice_id, invoice_id) == {"batchItemFailures": []}
    assert [c for c in provider.calls if c[0] != "find"] == [("issue", invoice_id)]
    assert provider.requests[0].total == corrected["total"]


def test_a_correction_after_a_lost_answer_adjusts_what_was_sent(api, admin, new_customer, einvoicing):
    """The original was made but its answer lost; the bill is corrected before the retry. The retry
    finds the original (as first sent) and states the correction against it."""
    provider, _ = einvoicing
    code = new_customer().code
    invoice_id = _charge(api, admin, code)
    provider.script = ["lost"]
    _fails(invoice_id)
    corrected = _correct(code, 290)
    assert _work(invoice_id) == {"batchItemFailures": []}
    assert provider.requests[0].total == 77568 and provider.requests[0].invoice_id == invoice_id
    assert [c for c in provider.calls if c[0] != "find"] == [("issue", invoice_id), ("adjust", f"{invoice_id}#ADJ-1")]
    assert provider.requests[1].total == corrected["total"] - 77568


def test_two_corrections_before_the_worker_runs_make_one_adjustment(api, admin, new_customer, einvoicing):
    provider, _ = einvoicing
    code = new_customer().code
    invoice_id = _charge(api, admin, code)
    assert _work(invoice_id) == {"batchItemFailures": []}
    _correct(code, 295)
    final = _correct(code, 288)
    assert _work(invoice_id, invoice_id) == {"batchItemFailures": []}
    adjustments = [r for r in provider.requests if "#ADJ-" in r.invoice_id]
    assert [r.invoice_id for r in adjustments] == [f"{invoice_id}#ADJ-1"]
    assert adjustments[0].total == final["total"] - 77568

    again = _correct(code, 286)  # back to the reading first sent: a second adjustment, against the first
    assert _work(invoice_id) == {"batchItemFailures": []}
    second = provider.requests[-1]
    assert second.invoice_id == f"{invoice_id}#ADJ-2" and second.total == again["total"] - final["total"]


def test_an_adjusting_invoice_whose_answer_was_lost_is_found_not_made_twice(api, admin, new_customer, einvoicing):
    provider, _ = einvoicing
    code = new_customer().code
    invoice_id = _charge(api, admin, code)
    assert _work(invoice_id) == {"batchItemFailures": []}
    _correct(code, 290)
    provider.script = ["lost"]
    _fails(invoice_id)
    provider.script = ["down"]  # a resend would fail: the look-up must answer first
    assert _work(invoice_id) == {"batchItemFailures": []}
    assert [c[0] for c in provider.calls if c[0] == "adjust"] == ["adjust"]
    assert provider.script == ["down"]


def test_a_rejected_adjustment_rests_in_the_dlq_and_the_original_stays(api, admin, registered, einvoicing):
    provider, _ = einvoicing
    customer, tokens = registered()
    invoice_id = _charge(api, admin, customer.code)
    assert _work(invoice_id) == {"batchItemFailures": []}
    _correct(customer.code, 290)
    provider.script = ["reject"]
    _fails(invoice_id)
    _fails(invoice_id)  # stays refused until a person looks: no new adjustment over it
    assert [c[0] for c in provider.calls].count("adjust") == 1
    shown = _detail(api, invoice_id, tokens["access_token"])["einvoice"]
    assert shown["status"] == "issued" and shown["corrections"][0]["status"] == "rejected"


def test_replacement_by_setting_sends_the_whole_corrected_invoice(api, admin, new_customer, einvoicing):
    from chalicelib.services.einvoices import EInvoiceService
    from chalicelib.store.einvoices import EInvoiceStore

    provider, _ = einvoicing
    code = new_customer().code
    invoice_id = _charge(api, admin, code)
    service = EInvoiceService(
        provider=provider,
        records=EInvoiceStore(),
        seller=deps.einvoice_issuer().seller,
        corrections="replacement",
    )
    assert service.process(invoice_id) == "issued"
    corrected = _correct(code, 290)
    assert service.process(invoice_id) == "corrected"
    assert provider.calls[-1] == ("replace", f"{invoice_id}#REP-1")
    assert provider.requests[-1].total == corrected["total"]


def test_deliveries_at_the_same_time_make_one_invoice_and_one_adjustment(api, admin, new_customer, einvoicing):
    """SQS may hand one message to two workers at once (at-least-once delivery): four at a time."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.services.einvoices import NotYetIssued, StateMoved

    provider, _ = einvoicing
    code = new_customer().code
    invoice_id = _charge(api, admin, code)
    service = deps.einvoice_issuer()

    def deliver(_):
        try:
            return service.process(invoice_id)
        except (NotYetIssued, StateMoved) as exc:  # would come back from SQS
            return type(exc).__name__

    for correction in (None, 290):
        if correction:
            _correct(code, correction)
        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(deliver, range(4)))
        assert all(o in ("issued", "corrected", "already", "StateMoved") for o in outcomes), outcomes
    assert service.process(invoice_id) == "already"
    assert sorted(provider.invoices) == [invoice_id, f"{invoice_id}#ADJ-1"]
    fields = _einvoice_fields(invoice_id)
    assert fields["einvoice_number"] == provider.invoices[invoice_id].number


def test_through_the_viettel_adapter_and_the_fake_a_correction_is_an_adjustment_it_accepts(api, admin, new_customer):
    """The same flow over HTTP to local/einvoice_fake.py, whose checks (the signed sums, an original it
    issued) are SInvoice's: the adjusting body the adapter builds from the domain's request passes."""
    from chalicelib.adapters import einvoice_viettel as v
    from chalicelib.config import get_settings
    from local import einvoice_fake as f

    tax = get_settings().seller_tax_code
    fake = f.FakeSInvoice(tax_code=tax, templates={"1/001": ["C26TAA"]}, delay_seconds=0.0, seed=3)
    server = f.make_server(fake)
    try:
        settings = v.ViettelSettings(
            base_url=f"http://127.0.0.1:{server.server_address[1]}{f.PREFIX}",
            supplier_tax_code=tax,
            template_code="1/001",
            invoice_series="C26TAA",
            username=f.DEMO_USERNAME,
            password=f.DEMO_PASSWORD,
        )
        deps.override("einvoices", v.ViettelSInvoice(settings, sleep=lambda _s: None))
        deps.override("publisher", MemoryPublisher())
        code = new_customer().code
        invoice_id = _charge(api, admin, code)
        assert _work(invoice_id) == {"batchItemFailures": []}
        corrected = _correct(code, 281)  # down: every changed item decreases
        assert _work(invoice_id) == {"batchItemFailures": []}
        made = {i.uuid: i for i in fake.invoices.values()}
        original, adj = made[invoice_id], made[f"{invoice_id}#ADJ-1"]
        general = adj.body["generalInvoiceInfo"]
        assert general["adjustmentType"] == "5" and general["originalInvoiceId"] == original.invoice_no()
        summary = adj.body["summarizeInfo"]
        assert summary["isTotalAmountPos"] is False and summary["totalAmountWithTax"] == 77568 - corrected["total"]
        assert _einvoice_fields(invoice_id)["einvoice_number"] == original.invoice_no()
    finally:
        server.shutdown()
        server.server_close()
