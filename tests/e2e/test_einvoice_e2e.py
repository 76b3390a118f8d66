"""Legal e-invoices end to end over HTTP on the local stack (issue 17): a reading billed, the invoice
queued (moto SQS), the e-invoices worker (local/events.py) issuing it at the fake Viettel S-Invoice
(local/einvoice_fake.py, started by the stack like `make run`), its number and look-up code in the
invoice detail within seconds; the provider down for a while, then issued once it is back, once."""

from __future__ import annotations

import os
import time

import pytest
import requests

CODE = "01031079"  # a route customer no other end-to-end test bills or registers
PASSWORD = "Nuoc-sach-Ca-Mau-79"
ISSUED_WITHIN_S = 15.0


@pytest.fixture(scope="module")
def fake(stack) -> str:
    url = stack.config.einvoice_url
    # Deterministic here: no random pending answers or 5xx (the fake's own defaults are for `make run`).
    r = requests.post(f"{url}/fake/settings", json={"pending_rate": 0, "error_rate": 0, "down": False}, timeout=10)
    assert r.status_code == 200, r.text
    return url


@pytest.fixture(scope="module")
def admin(api, demo_password) -> str:
    r = api.call("POST", "/v1/admin/login", {"username": "admin", "password": demo_password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture(scope="module")
def customer(stack, api, sms_code) -> str:
    """CODE registered (its one-time code from the SMS outbox): a customer token."""
    return _register(stack, api, sms_code, CODE)


def _bill(api, admin, period: str, old: int) -> str:
    reading = {
        "customer_code": CODE,
        "period": period,
        "old_index": old,
        "new_index": old + 9,
        "read_on": f"{period}-27",
    }
    r = api.call("POST", "/v1/admin/invoices", reading, token=admin)
    assert r.status_code == 201, r.text
    return r.json()["invoice_id"]


def _detail(api, token: str, invoice_id: str) -> dict:
    r = api.call("GET", f"/v1/invoices/{invoice_id}", token=token)
    assert r.status_code == 200, r.text
    return r.json()


def _wait_issued(api, token: str, invoice_id: str, timeout: float) -> tuple[dict, float]:
    started = time.monotonic()
    while True:
        detail = _detail(api, token, invoice_id)
        if (detail.get("einvoice") or {}).get("status") == "issued":
            return detail, time.monotonic() - started
        assert time.monotonic() - started < timeout, f"not issued within {timeout}s: {detail.get('einvoice')}"
        time.sleep(0.1)


def _at_fake(fake: str, invoice_id: str) -> list[dict]:
    rows = requests.get(f"{fake}/fake/invoices", timeout=10).json()["invoices"]
    return [row for row in rows if row["transactionUuid"] == invoice_id]


def test_a_reading_billed_is_issued_by_the_provider_within_seconds(stack, api, admin, customer, fake):
    started = time.monotonic()
    invoice_id = _bill(api, admin, "2024-02", 500)
    detail, _ = _wait_issued(api, customer, invoice_id, ISSUED_WITHIN_S)
    elapsed = time.monotonic() - started
    print(f"billed -> e-invoice issued by the fake -> in the invoice detail in {elapsed * 1000:.0f} ms")

    [made] = _at_fake(fake, invoice_id)
    einvoice = detail["einvoice"]
    assert einvoice["number"] == made["invoiceNo"] and einvoice["lookup_code"] == made["reservationCode"]
    assert (einvoice["series"], einvoice["template"]) == ("C26TAA", "1/001")
    assert made["total"] == detail["total"]
    # Where the buyer looks it up: the provider's page (here the fake's), which finds it by its code.
    assert detail["einvoice_lookup_url"] == f"{fake}/tra-cuu"
    page = requests.get(detail["einvoice_lookup_url"], params={"code": einvoice["lookup_code"]}, timeout=10)
    assert page.status_code == 200 and einvoice["number"] in page.text


def test_the_provider_down_for_a_while_issues_once_it_is_back_exactly_once(stack, api, admin, customer, fake):
    requests.post(f"{fake}/fake/settings", json={"down": True}, timeout=10)
    try:
        invoice_id = _bill(api, admin, "2024-03", 509)
        deadline = time.monotonic() + 20
        # The worker tries (the queue's visibility is 2 s here) and is refused each time; no number is written.
        while sum(c["call"] == "down" for c in requests.get(f"{fake}/fake/calls", timeout=10).json()["calls"]) < 3:
            assert time.monotonic() < deadline, "the worker did not try the provider while it was down"
            time.sleep(0.2)
        shown = _detail(api, customer, invoice_id)["einvoice"]  # not sent yet, or sent and not answered
        assert shown is None or (shown["status"] == "pending" and shown["number"] is None), shown
        assert _at_fake(fake, invoice_id) == []
    finally:
        requests.post(f"{fake}/fake/settings", json={"down": False}, timeout=10)
    back = time.monotonic()
    detail, _ = _wait_issued(api, customer, invoice_id, ISSUED_WITHIN_S)
    print(f"provider back -> issued in {(time.monotonic() - back) * 1000:.0f} ms")
    [made] = _at_fake(fake, invoice_id)  # exactly one legal invoice for the charge
    assert detail["einvoice"]["number"] == made["invoiceNo"]
    creates = [c for c in requests.get(f"{fake}/fake/calls", timeout=10).json()["calls"] if c.get("uuid") == invoice_id]
    assert [c["call"] for c in creates].count("create") == 1
    time.sleep(3)  # a redelivery meanwhile changes nothing
    assert len(_at_fake(fake, invoice_id)) == 1
    assert _detail(api, customer, invoice_id)["einvoice"]["number"] == made["invoiceNo"]


CORRECTED = "01031071"  # a route customer no other end-to-end test reads, bills or registers


def _staff_reading(field, reading_id: str, m3: int) -> dict:
    from tests.e2e.test_stack import _read, _settled

    staff, route, customers = field
    body = _read(staff, CORRECTED, customers, m3, reading_id, route["reading_period"])
    r = staff.call("POST", "/v1/staff/readings", body)
    assert r.status_code == 202, r.text
    reading = _settled(staff, reading_id)
    assert reading["status"] == "billed", reading
    return reading


def test_a_correction_is_an_adjusting_invoice_and_the_pdf_comes_from_s3(stack, api, sms_code, fake, demo_password):
    """A field reading billed and issued; its PDF is the provider's, kept once in S3 behind a short link;
    the reading read again (a correction) makes one adjusting invoice referring to the original."""
    from tests.e2e.test_stack import StaffClient

    staff = StaffClient(api, demo_password)
    route = staff.call("GET", "/v1/staff/routes/today").json()
    customers = {c["customer_code"]: c for r in route["routes"] for c in r["customers"]}
    field = (staff, route, customers)
    token = _register(stack, api, sms_code, CORRECTED)

    first = _staff_reading(field, "e2e-einv-01031071-a", 8)
    invoice_id = first["invoice"]["invoice_id"]
    detail, _ = _wait_issued(api, token, invoice_id, ISSUED_WITHIN_S)
    original = detail["einvoice"]

    # The PDF: once kept, a redirect to a short-lived link to the document in S3 (the provider's bytes).
    deadline = time.monotonic() + ISSUED_WITHIN_S
    while not _detail(api, token, invoice_id)["einvoice"].get("document"):
        assert time.monotonic() < deadline, "the document was not kept"
        time.sleep(0.2)
    pdf = api.http.get(
        f"{api.base_url}/v1/invoices/{invoice_id}/pdf",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/pdf"},
        allow_redirects=False,
        timeout=15,
    )
    assert pdf.status_code == 302, pdf.text
    link = pdf.headers["Location"]
    assert "X-Amz-Signature=" in link and "X-Amz-Expires=300" in link
    kept = requests.get(link, timeout=15)
    assert kept.status_code == 200 and kept.content.startswith(b"%PDF")
    assert f"Ma tra cuu {original['lookup_code']}".encode() in kept.content  # the fake's PDF of this invoice

    corrected = _staff_reading(field, "e2e-einv-01031071-b", 10)  # read again: 10 m³, not 8
    assert corrected["invoice"]["invoice_id"] == invoice_id
    deadline = time.monotonic() + ISSUED_WITHIN_S
    while True:
        shown = _detail(api, token, invoice_id)["einvoice"]
        if shown["corrections"] and shown["corrections"][0]["status"] == "issued":
            break
        assert time.monotonic() < deadline, f"no adjusting invoice: {shown}"
        time.sleep(0.2)
    assert shown["number"] == original["number"]  # the original stands, corrected by another invoice
    [adj] = _at_fake(fake, f"{invoice_id}#ADJ-1")
    assert adj["invoiceNo"] == shown["corrections"][0]["number"]
    assert adj["adjustmentType"] in ("5", 5) and adj["originalInvoiceId"] == original["number"]
    assert len(_at_fake(fake, invoice_id)) == 1


def _register(stack, api, sms_code, code: str) -> str:
    """`code` registered (its one-time code from the SMS outbox): a customer token."""
    outbox = stack.config.outbox_path
    before = 0
    if os.path.exists(outbox):
        with open(outbox, encoding="utf-8") as f:
            before = len(f.read().splitlines())
    assert api.call("POST", "/v1/auth/register", {"customer_code": code}).status_code == 202
    otp = sms_code(code, after_line=before, timeout=15)
    r = api.call("POST", "/v1/auth/register/confirm", {"customer_code": code, "otp": otp, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return r.json()["access_token"]
