"""A bill paid by bank transfer, end to end over HTTP on the local stack: the bill, its VietQR code,
the customer's bank app (local/bank_fakes.py) paying it, SePay's / Casso's notification to the API,
the invoice paid; a round sum leaves credit; the same notification again changes nothing."""

from __future__ import annotations

import time

import pytest
import requests

from chalicelib.domain import vietqr

CODE = "01031081"  # a route customer no other end-to-end test bills or pays


@pytest.fixture(scope="module")
def admin(api, demo_password) -> str:
    r = api.call("POST", "/v1/admin/login", {"username": "admin", "password": demo_password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _fakes(stack) -> str:
    return f"http://127.0.0.1:{stack.config.bank_fakes_port}"


def _bill(api, admin, period: str, old: int) -> dict:
    reading = {
        "customer_code": CODE,
        "period": period,
        "old_index": old,
        "new_index": old + 11,
        "read_on": f"{period}-28",
    }
    r = api.call("POST", "/v1/admin/invoices", reading, token=admin)
    assert r.status_code == 201, r.text
    return r.json()


def _account(api, admin) -> dict:
    r = api.call("GET", f"/v1/admin/customers/{CODE}/account", token=admin)
    assert r.status_code == 200, r.text
    return r.json()


def _vietqr(stack, bill: dict) -> str:
    """The bill's VietQR payload, as the invoice shows it (section 1 of issue 16: domain/vietqr.py)."""
    env = stack.env
    reference = vietqr.invoice_reference(bill["invoice_id"], CODE, bill["period"])
    return vietqr.build(
        vietqr.Transfer(
            bank_bin=env.get("VIETQR_BANK_BIN") or "970436",
            account_no=env.get("VIETQR_ACCOUNT_NO") or "1012345678",
            amount=bill["total"],
            purpose=vietqr.purpose(reference),
        )
    )


def test_a_bill_paid_from_its_vietqr_code_is_paid_within_a_second(stack, api, admin):
    bill = _bill(api, admin, "2024-02", 400)
    assert bill["invoice_id"] in {i["invoice_id"] for i in _account(api, admin)["open_invoices"]}
    payload = _vietqr(stack, bill)
    started = time.monotonic()
    r = requests.post(f"{_fakes(stack)}/fake/notify", json={"service": "sepay", "payload": payload}, timeout=30)
    assert r.status_code == 200, r.text
    [sent] = r.json()["sent"]
    assert sent["delivered"] and [a["status"] for a in sent["attempts"]] == [200], sent
    assert sent["attempts"][0]["body"] == {"success": True}
    while bill["invoice_id"] in {i["invoice_id"] for i in _account(api, admin)["open_invoices"]}:
        assert time.monotonic() - started < 1.0, "the invoice is not paid a second after the transfer"
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    print(f"transfer -> notification -> invoice paid in {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0


def test_a_round_sum_pays_the_bill_and_the_rest_is_credit_once_however_often_it_is_notified(stack, api, admin):
    bill = _bill(api, admin, "2024-03", 500)
    credit_before = _account(api, admin)["credit"]
    paid = (bill["total"] // 100000 + 1) * 100000
    reference = vietqr.invoice_reference(bill["invoice_id"], CODE, bill["period"])
    r = requests.post(
        f"{_fakes(stack)}/fake/notify",
        json={"service": "both", "content": f"{reference} TIEN NUOC", "amount": paid},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    sepay, casso = r.json()["sent"]  # one transfer, notified by both services (one bank reference)
    assert sepay["delivered"] and casso["delivered"] and sepay["reference"] == casso["reference"]
    again = requests.post(f"{_fakes(stack)}/fake/resend", json={"service": "casso", "id": casso["id"]}, timeout=30)
    assert again.status_code == 200 and again.json()["delivered"], again.text
    account = _account(api, admin)
    assert bill["invoice_id"] not in {i["invoice_id"] for i in account["open_invoices"]}
    assert account["credit"] - credit_before == paid - bill["total"]


def test_the_bank_app_lists_the_demo_customers_open_bills(stack):
    page = requests.get(f"{_fakes(stack)}/bank-app", timeout=30)
    assert page.status_code == 200 and "Pay a VietQR code" in page.text
    assert "01031059" in page.text or "01031060" in page.text  # an unpaid demo bill and its reference
