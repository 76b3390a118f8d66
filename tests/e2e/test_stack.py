"""The local stack over HTTP: what a newcomer sees after `make run`."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
import requests

from local.run import RunLock, Stack, StackConfig, StackError, ensure_jwt_secret, format_sms

INVOICE_0523 = "INV-01031059-202305"


def test_health(api):
    resp = api.call("GET", "/v1/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "stage": "local", "store": True}
    assert api.call("GET", "/v1/openapi.json").json()["openapi"].startswith("3.")


def test_the_demo_customer_sees_the_invoice_of_may_2023(api):
    tokens = api.login("01031059")
    resp = api.call("GET", "/v1/customers/01031059/invoices", token=tokens["access_token"])
    assert resp.status_code == 200, resp.text
    invoices = resp.json()["invoices"]
    assert [i["period"] for i in invoices] == ["2023-05", "2023-04", "2023-03", "2023-02"]  # newest first
    may = invoices[0]
    assert (may["old_index"], may["new_index"], may["consumption_m3"], may["total"], may["status"]) == (
        264,
        275,
        11,
        78255,
        "unpaid",
    )

    detail = api.call("GET", f"/v1/invoices/{may['invoice_id']}", token=tokens["access_token"])
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["total"] == 78255 == body["subtotal"] + body["vat"] + body["env_fee"]
    assert body["amount_in_words"] == "Bảy mươi tám nghìn hai trăm năm mươi lăm đồng"


def test_a_customer_cannot_read_another_customers_invoices(api):
    token = api.login("01031060")["access_token"]
    assert api.call("GET", f"/v1/invoices/{INVOICE_0523}", token=token).status_code == 404
    assert api.call("GET", "/v1/customers/01031059/invoices", token=token).status_code == 403
    assert api.call("GET", "/v1/customers/01031060/invoices", token=token).status_code == 200
    assert api.call("GET", f"/v1/invoices/{INVOICE_0523}").status_code == 401  # no token at all


def test_registration_end_to_end_through_sqs_and_the_worker(api, stack, sms_code):
    outbox = stack.config.outbox_path
    before = len(Path(outbox).read_text(encoding="utf-8").splitlines()) if os.path.exists(outbox) else 0

    started = api.call("POST", "/v1/auth/register", {"customer_code": "01031061"})
    assert started.status_code == 202, started.text
    assert started.json()["otp_sent_to"].endswith("603")

    # API -> SQS (moto) -> event runner -> notification worker -> SNS + the outbox.
    code = sms_code("01031061", after_line=before, timeout=15)

    weak = api.call(
        "POST", "/v1/auth/register/confirm", {"customer_code": "01031061", "otp": code, "password": "12345678"}
    )
    assert weak.status_code == 400
    confirmed = api.call(
        "POST",
        "/v1/auth/register/confirm",
        {"customer_code": "01031061", "otp": code, "password": "Nuoc-sach-Ca-Mau-61"},
    )
    assert confirmed.status_code == 201, confirmed.text
    tokens = confirmed.json()
    assert tokens["access_token"] and tokens["refresh_token"]

    me = api.call("GET", "/v1/me", token=tokens["access_token"])
    assert me.status_code == 200, me.text
    assert [c["customer_code"] for c in me.json()["customers"]] == ["01031061"]

    # The new password logs in; registering again is refused.
    assert api.login("01031061", "Nuoc-sach-Ca-Mau-61")["role"] == "customer"
    again = api.call("POST", "/v1/auth/register", {"customer_code": "01031061"})
    assert again.status_code == 409, again.text


def test_refresh_tokens_rotate_and_reuse_ends_the_session(api):
    first = api.login("01031059")
    second = api.call("POST", "/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api.call("GET", "/v1/me", token=second["access_token"]).status_code == 200

    third = api.call("POST", "/v1/auth/refresh", {"refresh_token": second["refresh_token"]})
    assert third.status_code == 200, third.text
    third = third.json()

    # An old refresh token used again: the whole session ends, the newest token too.
    reused = api.call("POST", "/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert api.call("POST", "/v1/auth/refresh", {"refresh_token": third["refresh_token"]}).status_code == 401

    # Logout revokes a session.
    other = api.login("01031059")
    assert api.call("POST", "/v1/auth/logout", {"refresh_token": other["refresh_token"]}).status_code == 204
    assert api.call("POST", "/v1/auth/refresh", {"refresh_token": other["refresh_token"]}).status_code == 401


def test_the_admin_demo_login(api, demo_password):
    resp = api.call("POST", "/v1/admin/login", {"username": "admin", "password": demo_password})
    assert resp.status_code == 200, resp.text
    assert resp.json()["role"] == "admin"


# -- starting a second stack --------------------------------------------------


def test_a_second_start_while_one_runs_fails_clearly(stack):
    second = Stack(StackConfig.ephemeral(stack.config.state_dir))
    with pytest.raises(StackError, match=r"another `make run` is already running \(pid \d+"):
        second.start()
    assert second.procs == []
    # The running stack keeps its lock.
    assert Path(stack.config.lock_path).read_text().strip() == str(os.getpid())


def test_a_taken_port_is_named_with_its_variable(stack, tmp_path):
    config = StackConfig.ephemeral(str(tmp_path))
    config.api_port = stack.config.api_port
    with pytest.raises(StackError, match=rf"port {config.api_port} \(API_PORT\) is already in use"):
        Stack(config).start()
    assert not os.path.exists(config.lock_path)  # released on failure


def test_the_lock_is_free_again_once_released(tmp_path):
    path = str(tmp_path / "run.pid")
    first = RunLock(path).acquire()
    with pytest.raises(StackError):
        RunLock(path).acquire()
    first.release()
    assert not os.path.exists(path)
    RunLock(path).acquire().release()
    # A pid file left by a process that died holds no lock.
    with open(path, "w") as f:
        f.write("999999\n")
    RunLock(path).acquire().release()


def test_config_from_env_and_the_local_jwt_secret(tmp_path):
    config = StackConfig.from_env({})
    assert config.ports() == {
        "API_PORT": 8000,
        "DYNAMODB_PORT": 8010,
        "MOTO_PORT": 8011,
        "VNPAY_SANDBOX_PORT": 8001,
        "CHAT_FAKES_PORT": 8002,
        "BANK_FAKES_PORT": 8003,
        "EINVOICE_FAKE_PORT": 8004,
    }
    assert StackConfig.from_env({"API_PORT": "9000"}).api_port == 9000
    with pytest.raises(StackError, match="MOTO_PORT"):
        StackConfig.from_env({"MOTO_PORT": "eighty"})

    path = str(tmp_path / "jwt_secret")
    secret = ensure_jwt_secret(path)
    assert len(secret) >= 32 and ensure_jwt_secret(path) == secret
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_sms_lines_for_the_console():
    line = '{"customer_code": "01031059", "to": "*******601", "text": "CAWACO: Ma xac thuc ... la 123456."}'
    assert format_sms(line) == "SMS to *******601 for 01031059: CAWACO: Ma xac thuc ... la 123456."
    assert format_sms("not json") is None


def test_an_admin_issues_an_invoice_and_the_customer_downloads_it(api, demo_password):
    """Reading → tariff (QĐ 13/2023) → numbered invoice → the customer's list → PDF, over HTTP."""
    import io

    from pypdf import PdfReader

    admin = api.call("POST", "/v1/admin/login", {"username": "admin", "password": demo_password}).json()
    reading = {
        "customer_code": "01031060",
        "period": "2023-06",
        "old_index": 134,
        "new_index": 145,
        "read_on": "2023-07-05",
    }
    r = api.call("POST", "/v1/admin/invoices", reading, token=admin["access_token"])
    assert r.status_code == 201, r.text
    issued = r.json()
    assert (issued["consumption_m3"], issued["total"]) == (11, 77568) and issued["invoice_number"] >= 1
    token = api.login("01031060")["access_token"]
    listed = api.call("GET", "/v1/customers/01031060/invoices?status=unpaid", token=token).json()["invoices"]
    assert [i["period"] for i in listed][:2] == ["2023-06", "2023-05"]
    pdf = api.http.get(
        f"{api.base_url}/v1/invoices/{issued['invoice_id']}/pdf",
        timeout=15,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/pdf"},
    )
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    if "fake S-Invoice" in text:
        # E-invoices are on in the local stack: once issued (in about a second), the PDF is the provider's legal
        # invoice, kept in S3 (docs/einvoice.md); tests/e2e/test_einvoice_e2e.py follows that path.
        assert "77568" in text
    else:  # not issued yet: our payment notice
        assert "Trần Thị Mai" in text and "77.568" in text
        assert "Bảy mươi bảy nghìn năm trăm sáu mươi tám đồng" in text


# -- paying through the local VNPay sandbox -------------------------------------


def _wait(predicate, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return predicate()


def _issue(api, demo_password, code, period, old, new, read_on):
    admin = api.call("POST", "/v1/admin/login", {"username": "admin", "password": demo_password}).json()
    r = api.call(
        "POST",
        "/v1/admin/invoices",
        {"customer_code": code, "period": period, "old_index": old, "new_index": new, "read_on": read_on},
        token=admin["access_token"],
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_pay_through_the_sandbox_ipn_marks_paid_once_and_return_page(api, stack, demo_password):
    token = api.login("01031059")["access_token"]
    order = api.call("POST", "/v1/payments", {"invoice_ids": ["INV-01031059-202305"]}, token=token)
    assert order.status_code == 201, order.text
    order = order.json()
    assert order["amount"] == 78255 and order["payment_url"].startswith(stack.vnpay_url)
    # The sandbox checks our signature the way VNPay does and shows its page.
    page = requests.get(order["payment_url"], timeout=10)
    assert page.status_code == 200 and "78.255" in page.text and "vnpay-error-code" not in page.text
    paid = requests.post(
        f"{stack.vnpay_url}/sandbox/pay", json={"payment_url": order["payment_url"], "outcome": "success"}, timeout=10
    ).json()
    status = _wait(lambda: api.call("GET", f"/v1/payments/{order['order_id']}", token=token).json()["status"] == "paid")
    assert status, "the IPN did not mark the order paid"
    invoice = api.call("GET", "/v1/invoices/INV-01031059-202305", token=token).json()
    assert invoice["status"] == "paid" and invoice["payments"][0]["transaction_no"] == paid["transaction_no"]
    # VNPay retries and duplicates: five more copies at once, all "already confirmed", nothing applied twice.
    replay = requests.post(
        f"{stack.vnpay_url}/sandbox/ipn/replay", json={"txn_ref": order["order_id"], "count": 5}, timeout=20
    ).json()
    assert [a["rsp_code"] for a in replay["attempts"]] == ["02"] * 5
    assert len(api.call("GET", "/v1/invoices/INV-01031059-202305", token=token).json()["payments"]) == 1
    # The browser's return page: verified, Vietnamese with English, and it changed nothing.
    result = requests.get(paid["return_url"], timeout=10)
    assert result.status_code == 200 and "Thanh toán thành công" in result.text
    tampered = requests.get(paid["return_url"].replace("vnp_Amount=7825500", "vnp_Amount=100"), timeout=10)
    assert tampered.status_code == 400


def test_cancel_at_vnpay_then_pay_by_qr_in_a_bank_app(api, stack, demo_password):
    issued = _issue(api, demo_password, "01031060", "2023-07", 145, 156, "2023-08-05")
    token = api.login("01031060")["access_token"]
    first = api.call("POST", "/v1/payments", {"invoice_ids": [issued["invoice_id"]]}, token=token).json()
    requests.post(
        f"{stack.vnpay_url}/sandbox/pay", json={"payment_url": first["payment_url"], "outcome": "cancel"}, timeout=10
    )
    assert _wait(lambda: api.call("GET", f"/v1/payments/{first['order_id']}", token=token).json()["status"] == "failed")
    # The customer tries again with the QR: a bank app reads merchant, bill number and amount from it.
    second = api.call(
        "POST", "/v1/payments", {"invoice_ids": [issued["invoice_id"]], "bank_code": "VNPAYQR"}, token=token
    )
    assert second.status_code == 201
    second = second.json()
    png = api.http.get(
        f"{api.base_url}{second['qr_png_url']}",
        timeout=10,
        headers={"Authorization": f"Bearer {token}", "Accept": "image/png"},
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    shown = requests.post(
        f"{stack.vnpay_url}/sandbox/qr-pay", json={"payload": second["qr_payload"]}, timeout=10
    ).json()
    assert shown["txn_ref"] == second["order_id"] and int(shown["amount"]) == issued["total"] * 100  # vnp_Amount
    assert _wait(
        lambda: api.call("GET", f"/v1/invoices/{issued['invoice_id']}", token=token).json()["status"] == "paid"
    )


def test_a_forged_ipn_is_refused(api):
    r = requests.get(
        f"{api.base_url}/v1/vnpay/ipn",
        params={
            "vnp_TxnRef": "123456789012",
            "vnp_Amount": "100",
            "vnp_ResponseCode": "00",
            "vnp_SecureHash": "ab" * 64,
        },
        timeout=10,
    )
    assert r.status_code == 200 and r.json() == {"RspCode": "97", "Message": "Invalid signature"}


# -- the field: read and collect in one visit -----------------------------------

IMEI = "356938035643809"


class StaffClient:
    def __init__(self, api, password):
        r = api.call(
            "POST",
            "/v1/staff/login",
            {"username": "ghithu01", "password": password, "device_imei": IMEI, "app_version": "1.4.2"},
        )
        assert r.status_code == 200, r.text
        self.api, self.token = api, r.json()["access_token"]

    def call(self, method, path, body=None):
        headers = {
            "Authorization": f"Bearer {self.token}",
            "X-Device-Imei": IMEI,
            "X-App-Version": "1.4.2",
            "X-Geo": "9.1769,105.1524",
        }
        return self.api.http.request(method, self.api.base_url + path, json=body, headers=headers, timeout=15)


@pytest.fixture(scope="module")
def field(api, demo_password):
    staff = StaffClient(api, demo_password)
    route = staff.call("GET", "/v1/staff/routes/today")
    assert route.status_code == 200, route.text
    customers = {c["customer_code"]: c for r in route.json()["routes"] for c in r["customers"]}
    return staff, route.json(), customers


def _read(staff, code, customers, m3, reading_id, period):
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone(timedelta(hours=7))).isoformat(timespec="seconds")
    return {
        "reading_id": reading_id,
        "customer_code": code,
        "period": period,
        "new_index": customers[code]["old_index"] + m3,
        "read_at": now,
        "lat": 9.1769,
        "lng": 105.1524,
    }


def _settled(staff, reading_id):
    def done():
        r = staff.call("GET", f"/v1/staff/readings/{reading_id}").json()
        return r if r["status"] != "queued" else None

    return _wait(done, 20) or staff.call("GET", f"/v1/staff/readings/{reading_id}").json()


def test_route_reading_billed_collect_receipt_print_reconcile(field):
    staff, route, customers = field
    assert len(customers) >= 10 and {"cash", "bank_transfer", "authorised_debit"} <= {
        c["payment_channel"] for c in customers.values()
    }
    period = route["reading_period"]
    r = staff.call("POST", "/v1/staff/readings", _read(staff, "01031070", customers, 11, "e2e-read-01031070", period))
    assert r.status_code == 202 and r.json()["readings"][0]["status"] == "queued"
    reading = _settled(staff, "e2e-read-01031070")  # through SQS and the worker, within seconds
    assert reading["status"] == "billed" and reading["collect_on_spot"] is True, reading
    invoice = reading["invoice"]
    assert invoice["consumption_m3"] == 11 and invoice["total"] == 77568
    collected = staff.call(
        "POST",
        "/v1/staff/collections",
        {
            "collection_id": "e2e-cash-01031070",
            "invoice_id": invoice["invoice_id"],
            "amount": invoice["total"],
            "collected_at": reading["read_at"],
            "lat": 9.1769,
            "lng": 105.1524,
        },
    )
    assert collected.status_code == 201, collected.text
    receipt_no = collected.json()["receipt_no"]
    printed = staff.call("POST", "/v1/staff/prints", {"invoice_id": invoice["invoice_id"], "kind": "receipt"}).json()
    words = " ".join(printed["text"].split()).lower()
    assert printed["print_count"] == 1 and "bảy mươi bảy nghìn năm trăm sáu mươi tám đồng" in words, printed["text"]
    day = staff.call("GET", "/v1/staff/reconciliation").json()
    assert receipt_no in [x["receipt_no"] for x in day["receipts"]] and day["cash_total"] >= 77568


def test_each_rule_in_the_field(field):
    staff, route, customers = field
    period = route["reading_period"]
    bank = _settled(
        staff,
        staff.call(
            "POST", "/v1/staff/readings", _read(staff, "01031072", customers, 14, "e2e-read-01031072", period)
        ).json()["readings"][0]["reading_id"],
    )
    assert bank["status"] == "billed" and bank["collect_on_spot"] is False and bank["print"] == "notice"
    refused = staff.call(
        "POST",
        "/v1/staff/collections",
        {
            "collection_id": "e2e-cash-01031072",
            "invoice_id": bank["invoice"]["invoice_id"],
            "amount": bank["invoice"]["total"],
            "collected_at": bank["read_at"],
        },
    )
    assert refused.status_code == 409
    cafe = _settled(
        staff,
        staff.call(
            "POST", "/v1/staff/readings", _read(staff, "01031074", customers, 12, "e2e-read-01031074", period)
        ).json()["readings"][0]["reading_id"],
    )
    # Issue 18: a drop needs the meter photo (and then waits for a manager): without one, it is read again.
    assert cafe["status"] == "rejected" and [r["code"] for r in cafe["reasons"]] == [
        "CONSUMPTION_DROP",
        "PHOTO_REQUIRED",
    ]
    below = dict(_read(staff, "01031077", customers, 0, "e2e-read-01031077", period))
    below["new_index"] -= 5
    staff.call("POST", "/v1/staff/readings", below)
    assert _settled(staff, "e2e-read-01031077")["reasons"][0]["code"] == "NEW_INDEX_BELOW_OLD"


def test_an_offline_batch_sent_twice_is_billed_once(field):
    staff, route, customers = field
    period = route["reading_period"]
    # Near each one's usual consumption (01031080 reads ~20 m³): a drop to 9 m³ would now need a meter photo
    # and be held for review (issue 18), which is not what this test is about.
    usual = {"01031075": 7, "01031080": 20}
    batch = {"readings": [_read(staff, code, customers, m3, f"e2e-batch-{code}", period) for code, m3 in usual.items()]}
    assert staff.call("POST", "/v1/staff/readings", batch).status_code == 202
    again = staff.call("POST", "/v1/staff/readings", batch)
    assert again.status_code == 202 and all(r["duplicate"] for r in again.json()["readings"])
    numbers = set()
    for code in usual:
        reading = _settled(staff, f"e2e-batch-{code}")
        assert reading["status"] in ("billed", "flagged"), reading
        numbers.add(reading["invoice"]["invoice_number"])
    assert len(numbers) == 2


def test_a_poison_message_goes_to_the_dlq_while_the_rest_of_its_batch_is_billed(field, stack):
    """Straight onto the readings queue: one good reading and one message the
    worker cannot read, in the same batch. The good one is billed; the poison
    one is retried, then parked in the dead-letter queue (visibility shortened
    to 2 s in this stack, 5 receives)."""
    import json as _json

    import boto3

    staff, route, customers = field
    good = _read(staff, "01031081", customers, 5, "e2e-poison-neighbour", route["reading_period"])
    assert staff.call("POST", "/v1/staff/readings", good).status_code == 202
    env = stack.env
    sqs = boto3.client(
        "sqs",
        region_name=env["AWS_REGION"],
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    prefix = env.get("TABLE_PREFIX") or f"cskh-{env['STAGE']}-"
    url = sqs.get_queue_url(QueueName=f"{prefix}readings")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=f"{prefix}readings-dlq")["QueueUrl"]
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "poison", "MessageBody": "{this is not json"},
            {"Id": "good", "MessageBody": _json.dumps({"reading_id": "e2e-poison-neighbour"})},
        ],
    )
    assert _settled(staff, "e2e-poison-neighbour")["status"] in ("billed", "flagged")

    def parked():
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0).get(
            "Messages", []
        )
        return [m["Body"] for m in got]

    assert "{this is not json" in (_wait(parked, 40) or [])


def test_cash_and_vnpay_race_for_one_invoice_and_only_one_is_applied(api, stack, field, sms_code):
    """A customer on the route registers, opens a VNPay order for the invoice the
    worker just issued, and pays it while the worker takes the cash: one wins."""
    import threading

    staff, route, customers = field
    code = "01031076"
    assert api.call("POST", "/v1/auth/register", {"customer_code": code}).status_code == 202
    tokens = api.call(
        "POST",
        "/v1/auth/register/confirm",
        {"customer_code": code, "otp": sms_code(code), "password": "Nuoc-sach-2024"},
    ).json()
    staff.call(
        "POST", "/v1/staff/readings", _read(staff, code, customers, 5, "e2e-race-01031076", route["reading_period"])
    )
    reading = _settled(staff, "e2e-race-01031076")
    assert reading["collect_on_spot"] is True, reading
    invoice = reading["invoice"]
    order = api.call(
        "POST", "/v1/payments", {"invoice_ids": [invoice["invoice_id"]]}, token=tokens["access_token"]
    ).json()
    results = {}

    def pay_vnpay():
        results["vnpay"] = requests.post(
            f"{stack.vnpay_url}/sandbox/pay",
            timeout=20,
            json={"payment_url": order["payment_url"], "outcome": "success"},
        ).status_code

    def pay_cash():
        answer = staff.call(
            "POST",
            "/v1/staff/collections",
            {
                "collection_id": "e2e-race-cash",
                "invoice_id": invoice["invoice_id"],
                "amount": invoice["total"],
                "collected_at": reading["read_at"],
            },
        )
        results["cash"], results["receipt"] = answer.status_code, answer.json()

    threads = [threading.Thread(target=pay_vnpay), threading.Thread(target=pay_cash)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # Wait for VNPay's IPN to land either way, then look: one payment on the invoice, whoever won.
    _wait(
        lambda: (
            api.call("GET", f"/v1/payments/{order['order_id']}", token=tokens["access_token"]).json()["status"]
            == "paid"
        ),
        20,
    )
    paid = api.call("GET", f"/v1/invoices/{invoice['invoice_id']}", token=tokens["access_token"]).json()
    assert paid["status"] == "paid" and len(paid["payments"]) == 1, paid["payments"]
    winner = paid["payments"][0]["channel"]
    if winner == "cash":
        assert results["cash"] == 201
        order_view = api.call("GET", f"/v1/payments/{order['order_id']}", token=tokens["access_token"]).json()
        assert order_view["credit_amount"] == invoice["total"]  # VNPay's money kept for refund
    else:
        # The cash in the worker's hand is recorded all the same (issue 13): a receipt, all of it credit.
        assert results["cash"] == 201 and results["receipt"]["credited"] == invoice["total"], results
        assert results["receipt"]["notice"]["code"] == "ALREADY_PAID_ONLINE"
