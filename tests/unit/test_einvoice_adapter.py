"""The Viettel S-Invoice adapter against the local fake (local/einvoice_fake.py), in process on a free
port: exactly one legal invoice whatever is lost on the way, idempotency, pending, refusals, the PDF."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from chalicelib.adapters import einvoice_viettel as v
from chalicelib.domain import einvoice as e
from chalicelib.ports.einvoices import Issued, Pending, ProviderRejected, ProviderUnavailable
from local import einvoice_fake as f

TAX = "2000107187"
AT = datetime(2026, 6, 5, 3, 0, tzinfo=UTC)
SELLER = e.Party("Công ty Cấp nước Cà Mau", "204 Quang Trung, Cà Mau", tax_code=TAX)
BUYER = e.Party("Khách hàng", "Phường 5, Cà Mau", code="CM000001")
LINES = [
    e.BillLine("water", "Tiền nước 0–10 m³", 60000, quantity=None, unit_price=None),
    e.BillLine("vat", "Thuế GTGT 5%", 3000, rate_percent=5),
    e.BillLine("env_fee", "Phí BVMT 10%", 6000),
]


def request(invoice_id: str, lines=LINES, seller=SELLER, note="") -> e.EInvoiceRequest:
    return e.build_request(invoice_id, AT, seller, BUYER, lines, note=note)


@pytest.fixture
def fake():
    fake = f.FakeSInvoice(tax_code=TAX, templates={"1/001": ["C26TAA"]}, delay_seconds=1.0, seed=1)
    server = f.make_server(fake)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


def adapter(fake, **changes) -> v.ViettelSInvoice:
    settings = v.ViettelSettings(
        base_url=fake.url + f.PREFIX,
        supplier_tax_code=TAX,
        template_code="1/001",
        invoice_series="C26TAA",
        username=f.DEMO_USERNAME,
        password=f.DEMO_PASSWORD,
        read_timeout=0.4,
        connect_timeout=0.5,
    )
    return v.ViettelSInvoice(replace(settings, **changes), sleep=lambda _s: None)


def calls(fake, kind=None):
    return [c["call"] for c in fake.calls if kind is None or c["call"] == kind]


def test_issue_numbers_in_sequence_per_series(fake):
    provider = adapter(fake)
    first, second = provider.issue(request("INV-1")), provider.issue(request("INV-2"))
    assert isinstance(first, Issued) and isinstance(second, Issued)
    assert (first.number, second.number) == ("C26TAA1", "C26TAA2")
    assert (first.series, first.template, first.invoice_id) == ("C26TAA", "1/001", "INV-1")
    assert first.lookup_code and first.lookup_code != second.lookup_code
    assert calls(fake) == ["create", "create"]  # the happy path sends once and looks nothing up


def test_the_same_invoice_twice_is_the_same_legal_invoice(fake):
    provider = adapter(fake)
    once, again = provider.issue(request("INV-1")), provider.issue(request("INV-1"))
    assert isinstance(once, Issued) and isinstance(again, Issued)
    assert (once.number, once.lookup_code) == (again.number, again.lookup_code)
    assert len(fake.invoices) == 1


def test_a_reused_uuid_answered_as_an_error_is_looked_up(fake):
    provider = adapter(fake)
    once = provider.issue(request("INV-1"))
    fake.duplicate_as_error = True
    again = provider.issue(request("INV-1"))
    assert isinstance(again, Issued) and again.number == once.number
    assert calls(fake) == ["create", "create", "search"] and len(fake.invoices) == 1


def test_a_timeout_after_sending_looks_up_before_any_resend(fake):
    fake.script = ["slow_after"]  # created, but the answer comes after the adapter stopped waiting
    issued = adapter(fake).issue(request("INV-1"))
    assert isinstance(issued, Issued) and issued.number == "C26TAA1"
    assert calls(fake) == ["create", "search"]  # looked up, found: never sent again
    assert len(fake.invoices) == 1


def test_a_5xx_after_creating_is_found_by_the_look_up(fake):
    fake.script = ["5xx_after"]
    issued = adapter(fake).issue(request("INV-1"))
    assert isinstance(issued, Issued) and calls(fake) == ["create", "search"] and len(fake.invoices) == 1


def test_a_5xx_then_ok_sends_again_only_after_the_look_up_found_nothing(fake):
    fake.script = ["5xx_before"]
    issued = adapter(fake).issue(request("INV-1"))
    assert isinstance(issued, Issued) and issued.number == "C26TAA1"
    assert calls(fake) == ["create", "search", "create"] and len(fake.invoices) == 1


def test_down_for_a_while_then_issued_once(fake):
    provider = adapter(fake, send_attempts=2)
    fake.script = ["5xx_before", "5xx_before", "5xx_after"]
    with pytest.raises(ProviderUnavailable):
        provider.issue(request("INV-1"))
    assert fake.invoices == {}
    # the worker's next attempt: this one is created, its answer lost, found by the look-up
    issued = provider.issue(request("INV-1"))
    assert isinstance(issued, Issued) and len(fake.invoices) == 1
    assert calls(fake) == ["create", "search", "create", "search", "create", "search"]


def test_unreachable_is_unavailable(fake):
    provider = adapter(SimpleNamespace(url="http://127.0.0.1:9"))  # nothing listens there
    with pytest.raises(ProviderUnavailable):
        provider.issue(request("INV-1"))


def test_an_answer_without_a_number_is_pending_then_found(fake):
    fake.script = ["pending"]
    fake.pending_seconds = 0.0
    provider = adapter(fake)
    pending = provider.issue(request("INV-1"))
    assert isinstance(pending, Pending) and pending.invoice_id == "INV-1" and pending.provider_ref
    found = provider.find("INV-1")
    assert isinstance(found, Issued) and found.number == "C26TAA1" and found.lookup_code
    assert found.issued_at is not None


def test_find_an_unknown_invoice_is_none(fake):
    assert adapter(fake).find("NEVER-SENT") is None


def test_an_error_code_is_a_rejection_with_the_providers_code(fake):
    provider = adapter(fake)
    wrong_seller = replace(SELLER, tax_code="0999999999")
    with pytest.raises(ProviderRejected) as refused:
        provider.issue(request("INV-1", seller=wrong_seller))
    assert refused.value.code == "INVALID_INVOICE" and "sellerTaxCode" in refused.value.message
    with pytest.raises(ProviderRejected) as unknown_series:
        adapter(fake, invoice_series="K26TZZ").issue(request("INV-2"))
    assert unknown_series.value.code == "INVOICE_SERIAL_NOT_FOUND"
    assert calls(fake, "search") == [] and fake.invoices == {}  # refusals are final: nothing looked up or resent


def test_wrong_credentials_are_rejected_in_both_modes(fake):
    for auth in ("token", "basic"):
        with pytest.raises(ProviderRejected) as refused:
            adapter(fake, auth=auth, password="wrong").issue(request("INV-1"))
        assert refused.value.code == "AUTH" and "wrong" not in str(refused.value)
    assert fake.invoices == {}


def test_basic_auth_works_too(fake):
    issued = adapter(fake, auth="basic").issue(request("INV-1"))
    assert isinstance(issued, Issued)


def test_the_pdf_of_an_issued_invoice(fake):
    provider = adapter(fake)
    issued = provider.issue(request("INV-1"))
    assert isinstance(issued, Issued)
    pdf = provider.document(issued)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and b"C26TAA" in pdf
    with pytest.raises(ProviderRejected):
        provider.document(replace(issued, number="C26TAA999"))


def test_adjust_and_replace_reference_the_original(fake):
    provider = adapter(fake)
    original = provider.issue(request("INV-1"))
    assert isinstance(original, Issued)
    decrease = [
        e.BillLine("water", "Tiền nước 0–10 m³", -6000),
        e.BillLine("vat", "Thuế GTGT 5%", -300, rate_percent=5),
        e.BillLine("env_fee", "Phí BVMT 10%", -600),
    ]
    adjusting = provider.adjust(original, request("INV-1#ADJ-1", lines=decrease, note="Đọc sai chỉ số"))
    replacing = provider.replace(original, request("INV-1#REP-1", note="Sai địa chỉ"))
    assert isinstance(adjusting, Issued) and isinstance(replacing, Issued)
    rows = {i.uuid: i.body["generalInvoiceInfo"] for i in fake.invoices.values()}
    assert (rows["INV-1#ADJ-1"]["adjustmentType"], rows["INV-1#ADJ-1"]["originalInvoiceId"]) == ("5", "C26TAA1")
    assert (rows["INV-1#REP-1"]["adjustmentType"], rows["INV-1#REP-1"]["originalInvoiceId"]) == ("3", "C26TAA1")
    with pytest.raises(ValueError, match="own invoice id"):
        provider.adjust(original, request("INV-1"))


def test_the_fake_refuses_an_adjustment_of_an_unknown_invoice(fake):
    provider = adapter(fake)
    ghost = Issued("X", "C26TAA77", "C26TAA", "1/001", AT, "ABC")
    with pytest.raises(ProviderRejected, match="originalInvoiceId"):
        provider.replace(ghost, request("X#REP-1"))


def test_a_token_is_reused_until_it_expires(fake):
    provider = adapter(fake)
    provider.issue(request("INV-1"))
    provider.issue(request("INV-2"))
    assert len(fake.tokens) == 1
    fake.tokens.clear()  # the provider forgot it: a 401, one login again, then the call
    assert isinstance(provider.issue(request("INV-3")), Issued)
    assert len(fake.tokens) == 1 and len(fake.invoices) == 3
