"""VNPay orders, IPN and return through the handlers. IPNs here are signed by
the test's own small signer, written from VNPay's rules, not by the code under test."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import secrets
import threading
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import pytest

from tests.api.ledger_assert import assert_sound

SECRET = os.environ["VNPAY_HASH_SECRET"]
PERIODS = [("2024-03", 10, 21, 66000, "unpaid"), ("2024-04", 21, 30, 54000, "unpaid")]


def vnp_sign(params: dict, secret: str = SECRET) -> str:
    data = "&".join(
        f"{quote_plus(k)}={quote_plus(str(v))}"
        for k, v in sorted(params.items())
        if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType")
    )
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


# VNPay's transaction numbers are unique, and a payment is posted once per number whatever the order.
# This module is imported twice in one process (collected as `test_payments`, imported by other tests
# as `tests.api.test_payments`): each copy's counter starts at its own random place.
_txn = itertools.count(10**9 + secrets.randbelow(8 * 10**9))


def ipn_params(order: dict, *, txn=None, code="00", status="00", amount=None, secret=SECRET, **extra):
    txn = txn or order.setdefault("_txn", str(next(_txn)))  # one VNPay transaction per order unless told
    p = {
        "vnp_TmnCode": "CSKHTEST",
        "vnp_Amount": str((order["amount"] if amount is None else amount) * 100),
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP" + txn,
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan",
        "vnp_PayDate": "20240505101010",
        "vnp_ResponseCode": code,
        "vnp_TransactionNo": txn,
        "vnp_TransactionStatus": status,
        "vnp_TxnRef": order["order_id"],
        **extra,
    }
    p["vnp_SecureHash"] = vnp_sign(p, secret)
    return p


def ipn(api, params: dict):
    r = api.get("/v1/vnpay/ipn?" + urlencode(params), token="")
    assert r.status_code == 200
    return r.json["RspCode"], r.json["Message"]


def order_for(api, token, ids, **body):
    r = api.post("/v1/payments", {"invoice_ids": ids, **body}, token=token)
    assert r.status_code in (200, 201), r.json
    return r.json


def test_an_order_has_a_signed_vnpay_url_and_a_qr(api, payer):
    _customer, token, ids, total = payer
    r = api.post(
        "/v1/payments",
        {"invoice_ids": ids, "bank_code": "VNPAYQR"},
        token=token,
        headers={"X-Forwarded-For": "1.2.3.4"},
    )
    assert r.status_code == 201
    order = r.json
    assert order["amount"] == total and order["fee"] == 0 and order["status"] == "pending"
    url = urlsplit(order["payment_url"])
    params = dict(parse_qsl(url.query))
    assert params["vnp_SecureHash"] == vnp_sign(params)
    assert params["vnp_Amount"] == str(total * 100) and params["vnp_TxnRef"] == order["order_id"]
    assert params["vnp_Version"] == "2.1.0" and params["vnp_Command"] == "pay" and params["vnp_CurrCode"] == "VND"
    assert params["vnp_BankCode"] == "VNPAYQR" and params["vnp_OrderInfo"].isascii()
    assert params["vnp_ReturnUrl"].endswith("/v1/vnpay/return") and params["vnp_IpAddr"]
    # Vietnam time, whatever the server's zone: the order's instants say so too.
    assert order["expires_at"].endswith("+07:00")
    assert params["vnp_ExpireDate"][-6:-2] == order["expires_at"][11:16].replace(":", "")
    assert "5802VN" in order["qr_payload"] and "5303704" in order["qr_payload"]
    png = api.get(order["qr_png_url"], token=token, headers={"Accept": "image/png"})
    assert png.status_code == 200 and png.body.startswith(b"\x89PNG")
    status = api.get(f"/v1/payments/{order['order_id']}", token=token)
    assert status.json["status"] == "pending"


def test_asking_again_returns_the_open_order_and_others_are_refused(api, payer, registered):
    _customer, token, ids, _ = payer
    first = order_for(api, token, ids)
    again = api.post("/v1/payments", {"invoice_ids": ids}, token=token)
    assert again.status_code == 200 and again.json["order_id"] == first["order_id"]
    part = api.post("/v1/payments", {"invoice_ids": ids[:1]}, token=token)
    assert part.status_code == 409 and part.json["code"] == "INVOICE_PAYMENT_PENDING"
    _, other = registered()
    r = api.post("/v1/payments", {"invoice_ids": ids}, token=other["access_token"])
    assert r.status_code == 404 and r.json["code"] == "INVOICE_NOT_FOUND"
    r = api.get(f"/v1/payments/{first['order_id']}", token=other["access_token"])
    assert r.status_code == 404 and r.json["code"] == "ORDER_NOT_FOUND"


def test_idempotency_key_returns_the_first_result(api, payer):
    _, token, ids, _ = payer
    a = api.post("/v1/payments", {"invoice_ids": ids}, token=token, headers={"Idempotency-Key": "app-key-0001"})
    b = api.post("/v1/payments", {"invoice_ids": ids}, token=token, headers={"Idempotency-Key": "app-key-0001"})
    assert a.status_code == 201 and b.status_code == 200 and a.json["order_id"] == b.json["order_id"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "invoice_ids"),
        ({"invoice_ids": []}, "invoice_ids"),
        ({"invoice_ids": ["x", "x"]}, "invoice_ids"),
        ({"invoice_ids": "INV-1"}, "invoice_ids"),
        ({"invoice_ids": ["INV-1"], "bank_code": "PAYPAL"}, "bank_code"),
        ({"invoice_ids": ["INV-1"], "amount": 1}, None),
    ],
)
def test_bad_order_requests(api, payer, body, field):
    _, token, _, _ = payer
    r = api.post("/v1/payments", body, token=token)
    assert 400 <= r.status_code < 500 and r.json.get("field") == field


def test_ipn_success_pays_once_and_duplicates_are_already_confirmed(api, payer):
    customer, token, ids, _total = payer
    order = order_for(api, token, ids)
    params = ipn_params(order)
    assert ipn(api, params) == ("00", "Confirm Success")
    assert ipn(api, params) == ("02", "Order already confirmed")
    status = api.get(f"/v1/payments/{order['order_id']}", token=token).json
    assert status["status"] == "paid" and status["transaction_no"] == order["_txn"]
    unpaid = api.get(f"/v1/customers/{customer.code}/invoices?status=unpaid", token=token).json["invoices"]
    assert unpaid == []
    detail = api.get(f"/v1/invoices/{ids[0]}", token=token).json
    assert detail["status"] == "paid" and detail["payments"][0]["transaction_no"] == order["_txn"]
    r = api.post("/v1/payments", {"invoice_ids": ids[:1]}, token=token)
    assert r.status_code == 409 and r.json["code"] == "INVOICE_ALREADY_PAID"


def test_ipn_checks_in_vnpays_order(api, payer):
    _, token, ids, total = payer
    order = order_for(api, token, ids)
    assert ipn(api, ipn_params(order, secret="wrong-secret"))[0] == "97"
    tampered = ipn_params(order)
    tampered["vnp_Amount"] = "100"
    assert ipn(api, tampered)[0] == "97"  # changed after signing
    assert ipn(api, ipn_params(dict(order, order_id="999999999999999999")))[0] == "01"
    # A failed payment of another amount: no money moved, VNPay hears 04.
    assert ipn(api, ipn_params(order, amount=total - 1, code="24", status="02"))[0] == "04"
    assert ipn(api, {k: v for k, v in ipn_params(order).items() if k != "vnp_SecureHash"})[0] == "97"
    assert ipn(api, {})[0] == "97"
    assert api.get(f"/v1/payments/{order['order_id']}", token=token).json["status"] == "pending"
    # VNPay may add fields: they are signed too, and missing optional ones are fine.
    extra = ipn_params(order, vnp_NewField="x")
    del extra["vnp_SecureHash"], extra["vnp_BankTranNo"]
    extra["vnp_SecureHash"] = vnp_sign(extra)
    assert ipn(api, extra)[0] == "00"


def test_a_different_amount_signed_by_vnpay_is_posted_flagged_and_answered_04(api, payer):
    """VNPay signed it, so the customer was charged that much: the money is recorded as what VNPay
    says was paid (flagged), VNPay hears 04, and its retries find it recorded (02), never posted twice."""
    from chalicelib.store.models import CustomerAccountModel, InvoiceModel, PaymentModel

    customer, token, ids, total = payer
    order = order_for(api, token, ids)
    params = ipn_params(order, amount=total - 1)
    assert ipn(api, params)[0] == "04"
    assert ipn(api, params)[0] == "02"
    payment = PaymentModel.get(f"vnpay#{order['_txn']}", consistent_read=True)
    assert int(payment.amount) == total - 1 and "AMOUNT_MISMATCH" in payment.flags
    paid = sum(int(InvoiceModel.get(i, consistent_read=True).paid_amount or 0) for i in ids)
    assert paid == total - 1  # 1 VND still open, nothing invented
    assert api.get(f"/v1/payments/{order['order_id']}", token=token).json["status"] == "paid"
    account = (
        CustomerAccountModel.get(customer.code, consistent_read=True)
        if CustomerAccountModel.count(customer.code)
        else None
    )
    assert account is None or int(account.credit) == 0


def test_a_failed_payment_is_recorded_and_frees_the_invoices(api, payer):
    _, token, ids, _ = payer
    order = order_for(api, token, ids)
    assert ipn(api, ipn_params(order, code="24", status="02")) == ("00", "Confirm Success")
    assert api.get(f"/v1/payments/{order['order_id']}", token=token).json["status"] == "failed"
    assert ipn(api, ipn_params(order, code="24", status="02"))[0] == "02"
    retry = api.post("/v1/payments", {"invoice_ids": ids}, token=token)
    assert retry.status_code == 201 and retry.json["order_id"] != order["order_id"]


def test_success_only_when_both_codes_are_00(api, payer):
    _, token, ids, _ = payer
    order = order_for(api, token, ids)
    assert ipn(api, ipn_params(order, code="00", status="01"))[0] == "00"
    assert api.get(f"/v1/payments/{order['order_id']}", token=token).json["status"] == "failed"


def test_simultaneous_identical_ipns_apply_once(app, api, payer):
    from chalicelib import deps
    from chalicelib.store.models import PaymentModel

    _customer, token, ids, _ = payer
    order = order_for(api, token, ids)
    params = ipn_params(order, txn="14000077")
    service = deps.payments()
    answers, barrier = [], threading.Barrier(8)

    def call():
        barrier.wait()
        answers.append(service.handle_ipn(params, "127.0.0.1")[0])

    threads = [threading.Thread(target=call) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(answers) == ["00"] + ["02"] * 7
    payment = PaymentModel.get("vnpay#14000077")
    assert payment.amount == order["amount"] and payment.status == "applied"
    detail = api.get(f"/v1/invoices/{ids[0]}", token=token).json
    assert len(detail["payments"]) == 1


def test_money_for_an_invoice_paid_meanwhile_is_kept_as_a_credit(app, api, payer):
    from chalicelib.store.models import InvoiceModel, PaymentModel

    customer, token, ids, total = payer
    order = order_for(api, token, ids)
    # Cash collected in the field for the first invoice while the order was open.
    InvoiceModel(ids[0]).update(
        actions=[InvoiceModel.status.set("paid"), InvoiceModel.customer_status.set(f"{customer.code}#paid")]
    )
    assert ipn(api, ipn_params(order, txn="14000088"))[0] == "00"
    first_amount = next(i["amount"] for i in order["items"] if i["invoice_id"] == ids[0])
    payment = PaymentModel.get("vnpay#14000088")
    # The money is posted whole; the share of the invoice paid meanwhile stays on the account as credit.
    assert (int(payment.amount), int(payment.credited)) == (total, first_amount)
    assert assert_sound(customer.code)["credit"] == first_amount
    assert api.get(f"/v1/invoices/{ids[1]}", token=token).json["status"] == "paid"
    view = api.get(f"/v1/payments/{order['order_id']}", token=token).json
    assert view["status"] == "paid" and view["credit_amount"] == first_amount
    # A second, different payment of the same (paid) order: all of it is credit.
    assert ipn(api, ipn_params(order, txn="14000089"))[0] == "02"
    second = PaymentModel.get("vnpay#14000089")
    assert (int(second.amount), int(second.credited)) == (total, total) and "SECOND_PAYMENT" in second.flags
    assert assert_sound(customer.code)["credit"] == first_amount + total


def test_one_order_for_two_linked_customer_codes(api, sms, registered, new_customer):
    from tests.api.conftest import otp_from

    customer, tokens = registered(invoices=PERIODS[:1])
    other = new_customer(invoices=PERIODS[1:])
    token = tokens["access_token"]
    api.post("/v1/me/customers", {"customer_code": other.code}, token=token)
    token = api.post(
        "/v1/me/customers/confirm", {"customer_code": other.code, "otp": otp_from(sms, other.code)}, token=token
    ).json["access_token"]
    ids = [
        api.get(f"/v1/customers/{c}/invoices", token=token).json["invoices"][0]["invoice_id"]
        for c in (customer.code, other.code)
    ]
    order = order_for(api, token, ids)
    assert {i["customer_code"] for i in order["items"]} == {customer.code, other.code}
    assert ipn(api, ipn_params(order, txn="14000099"))[0] == "00"
    for code in (customer.code, other.code):
        assert api.get(f"/v1/customers/{code}/invoices?status=unpaid", token=token).json["invoices"] == []


def test_return_page_verifies_and_never_pays(api, payer):
    _, token, ids, _ = payer
    order = order_for(api, token, ids)
    params = ipn_params(order)
    r = api.get("/v1/vnpay/return?" + urlencode(params), token="")
    assert (
        r.status_code == 200 and "Thanh toán thành công" in r.body.decode() and "Payment successful" in r.body.decode()
    )
    assert api.get(f"/v1/payments/{order['order_id']}", token=token).json["status"] == "pending"
    bad = dict(params, vnp_Amount="1")
    r = api.get("/v1/vnpay/return?" + urlencode(bad), token="")
    assert r.status_code == 400 and "không hợp lệ" in r.body.decode()
    cancelled = ipn_params(order, code="24", status="02")
    r = api.get("/v1/vnpay/return?" + urlencode(cancelled), token="")
    assert "Khách hàng huỷ giao dịch" in r.body.decode()


def test_an_ipn_allow_list_refuses_other_callers(app, api, payer):
    import dataclasses

    from chalicelib import deps
    from chalicelib.config import get_settings, vnpay_hash_secret
    from chalicelib.domain.vnpay_qr import merchant_payload
    from chalicelib.services.payments import PaymentService
    from chalicelib.store.payments import OrderStore

    _, token, ids, _ = payer
    order = order_for(api, token, ids)
    strict = PaymentService(
        settings=dataclasses.replace(get_settings(), vnpay_ipn_allowed_ips=("113.160.92.202",)),
        orders=OrderStore(),
        clock=deps.clock(),
        hash_secret=vnpay_hash_secret,
        qr_payload=merchant_payload,
        ledger=deps.ledger(),
    )
    params = ipn_params(order)
    assert strict.handle_ipn(params, "127.0.0.1")[0] == "99"
    assert api.get(f"/v1/payments/{order['order_id']}", token=token).json["status"] == "pending"
    assert strict.handle_ipn(params, "113.160.92.202")[0] == "00"
