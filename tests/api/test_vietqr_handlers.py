"""VietQR through the handlers (chalice.test.Client, DynamoDB Local): the invoice detail's transfer and
its PNG/SVG, one transfer for a code's open invoices, the order's, the invoice PDF, reminders, VietQR
off, and owners only (customer A never gets B's)."""

from __future__ import annotations

import copy
import dataclasses
import io
import re
import shutil
import subprocess

import pytest

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.domain import payment_reference, vietqr
from chalicelib.domain.vietqr import parse
from tests.api.test_payments import PERIODS, ipn, ipn_params, order_for
from tests.api.test_reminders import Reminders, rem  # noqa: F401  (the reminders fixture)

DEMO_BIN, DEMO_ACCOUNT = "970436", "1012345678"  # the local stage's VIETQR_* (config.VIETQR_DEMO)


def invoices_of(api, customer, token, status="all"):
    r = api.get(f"/v1/customers/{customer.code}/invoices?status={status}", token=token)
    assert r.status_code == 200, r.json
    return sorted(r.json["invoices"], key=lambda i: i["period"])


@pytest.fixture
def vietqr_off(app, sms):
    """The same services with VIETQR_* unset, as a deployed stage without them (the `sms` fixture's
    deps.reset() undoes it)."""
    off = dataclasses.replace(get_settings(), vietqr_bank_bin=None, vietqr_account_no=None, vietqr_account_name=None)
    invoices, payments, account = copy.copy(deps.invoices()), copy.copy(deps.payments()), copy.copy(deps.vietqr())
    invoices.settings, payments.s, account.settings = off, off, off
    for name, service in (("invoices", invoices), ("payments", payments), ("vietqr", account)):
        deps.override(name, service)
    return off


# -- the invoice ------------------------------------------------------------------------------------------


def test_an_unpaid_invoice_carries_its_vietqr_and_reference(api, registered):
    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    first = invoices_of(api, customer, token)[0]
    r = api.get(f"/v1/invoices/{first['invoice_id']}", token=token)
    assert r.status_code == 200, r.json
    inv = r.json
    reference = payment_reference.for_invoice(customer.code, first["period"])
    assert inv["payment_reference"] == reference == inv["transfer"]["payment_reference"]
    assert vietqr.PAYLOAD_RE.fullmatch(inv["vietqr_payload"])
    qr = parse(inv["vietqr_payload"])
    assert inv["open_amount"] == inv["total"]
    assert (qr.bank_bin, qr.account_no, qr.amount) == (DEMO_BIN, DEMO_ACCOUNT, inv["total"])
    assert qr.purpose == f"{reference} TIEN NUOC" and qr.bill_number == inv["invoice_id"]
    (found,) = payment_reference.find(qr.purpose).references  # what the matcher reads back
    assert found.invoice_id == inv["invoice_id"]
    t = inv["transfer"]
    assert t["bank"] == {"bin": "970436", "code": "VCB", "short_name": "Vietcombank", "name": t["bank"]["name"]}
    assert (t["account_no"], t["account_name"], t["amount"]) == (DEMO_ACCOUNT, "CTY CP CAP NUOC CA MAU", inv["total"])
    assert t["png_url"] == f"/v1/invoices/{inv['invoice_id']}/vietqr.png" and t["svg_url"].endswith("/vietqr.svg")


def test_the_vietqr_asks_for_what_is_open_now(api, registered):
    from chalicelib.store.models import InvoiceModel

    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    first = invoices_of(api, customer, token)[0]
    InvoiceModel(first["invoice_id"]).update(actions=[InvoiceModel.paid_amount.set(10_000)])  # partly paid
    inv = api.get(f"/v1/invoices/{first['invoice_id']}", token=token).json
    assert inv["open_amount"] == first["total"] - 10_000
    assert parse(inv["vietqr_payload"]).amount == inv["open_amount"] == inv["transfer"]["amount"]


def test_its_png_and_svg(api, registered, tmp_path):
    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    inv = api.get(f"/v1/invoices/{invoices_of(api, customer, token)[0]['invoice_id']}", token=token).json
    png = api.get(inv["transfer"]["png_url"], token=token, headers={"Accept": "image/png"})
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert png.body.startswith(b"\x89PNG\r\n\x1a\n")
    svg = api.get(inv["transfer"]["svg_url"], token=token)
    assert svg.status_code == 200 and svg.headers["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.body
    if shutil.which("zbarimg"):  # a scanner reads back exactly the payload
        (tmp_path / "qr.png").write_bytes(png.body)
        out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "qr.png")], capture_output=True, text=True)
        assert out.stdout.strip() == inv["vietqr_payload"]


def test_a_paid_invoice_has_a_reference_but_no_vietqr(api, registered):
    customer, tokens = registered(invoices=[("2024-02", 1, 9, 30000, "paid"), *PERIODS])
    token = tokens["access_token"]
    paid = invoices_of(api, customer, token)[0]
    assert paid["status"] == "paid"
    inv = api.get(f"/v1/invoices/{paid['invoice_id']}", token=token).json
    assert inv["vietqr_payload"] is None and inv["transfer"]["amount"] == 0
    assert inv["payment_reference"] == payment_reference.for_invoice(customer.code, "2024-02")
    assert inv["transfer"]["png_url"] is None and inv["transfer"]["bank"]["code"] == "VCB"
    for suffix in ("png", "svg"):
        r = api.get(f"/v1/invoices/{paid['invoice_id']}/vietqr.{suffix}", token=token)
        assert r.status_code == 409 and r.json["code"] == "NOTHING_TO_PAY", (suffix, r.status_code)


def test_someone_elses_invoice_and_its_vietqr_are_not_found(api, registered):
    _, a_tokens = registered(invoices=PERIODS)
    b, b_tokens = registered(invoices=PERIODS)
    b_invoice = invoices_of(api, b, b_tokens["access_token"])[0]["invoice_id"]
    for suffix in ("", "/vietqr.png", "/vietqr.svg"):
        r = api.get(f"/v1/invoices/{b_invoice}{suffix}", token=a_tokens["access_token"])
        assert r.status_code == 404 and r.json["code"] == "INVOICE_NOT_FOUND", suffix
    assert api.get(f"/v1/invoices/{b_invoice}/vietqr.png", token="").status_code == 401


# -- every open invoice of a code -----------------------------------------------------------------------


def test_one_transfer_for_every_open_invoice_of_a_code(api, registered):
    customer, tokens = registered(invoices=[("2024-02", 1, 9, 30000, "paid"), *PERIODS])
    token = tokens["access_token"]
    open_ = [i for i in invoices_of(api, customer, token) if i["status"] == "unpaid"]
    r = api.get(f"/v1/me/customers/{customer.code}/vietqr", token=token)
    assert r.status_code == 200, r.json
    t = r.json
    assert t["customer_code"] == customer.code
    assert t["invoice_ids"] == [i["invoice_id"] for i in open_]  # oldest first, the paid one left out
    assert t["amount"] == sum(i["open_amount"] for i in open_) > 0
    assert t["payment_reference"] == payment_reference.for_account(customer.code)
    qr = parse(t["vietqr_payload"])
    assert (qr.amount, qr.bank_bin, qr.account_no, qr.bill_number) == (
        t["amount"],
        DEMO_BIN,
        DEMO_ACCOUNT,
        customer.code,
    )
    (found,) = payment_reference.find(qr.purpose).references
    assert (found.kind, found.customer_code) == ("account", customer.code)
    png = api.get(t["png_url"], token=token, headers={"Accept": "image/png"})
    assert png.status_code == 200 and png.body.startswith(b"\x89PNG")
    assert b"<svg" in api.get(t["svg_url"], token=token).body


def test_a_code_with_nothing_open(api, registered):
    customer, tokens = registered(invoices=[("2024-02", 1, 9, 30000, "paid")])
    token = tokens["access_token"]
    t = api.get(f"/v1/me/customers/{customer.code}/vietqr", token=token).json
    assert (t["amount"], t["vietqr_payload"], t["invoice_ids"]) == (0, None, [])
    r = api.get(f"/v1/me/customers/{customer.code}/vietqr.png", token=token)
    assert r.status_code == 409 and r.json["code"] == "NOTHING_TO_PAY"


def test_customer_a_cannot_get_bs_transfer(api, registered):
    _, a_tokens = registered(invoices=PERIODS)
    b, _ = registered(invoices=PERIODS)
    for suffix in ("", ".png", ".svg"):
        r = api.get(f"/v1/me/customers/{b.code}/vietqr{suffix}", token=a_tokens["access_token"])
        assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED", suffix
    r = api.get("/v1/me/customers/12ab/vietqr", token=a_tokens["access_token"])
    assert r.status_code == 400 and r.json["field"] == "code"


# -- orders -------------------------------------------------------------------------------------------------


def test_an_order_can_be_paid_by_transfer_until_it_is_settled(api, payer):
    _, token, ids, total = payer
    order = order_for(api, token, ids)
    assert order["payment_reference"] == payment_reference.for_order(order["order_id"])
    qr = parse(order["vietqr_payload"])
    assert order["amount"] == total
    assert (qr.amount, qr.bill_number, qr.bank_bin) == (total, order["order_id"], DEMO_BIN)
    assert qr.purpose.startswith(order["payment_reference"])
    again = api.get(f"/v1/payments/{order['order_id']}", token=token).json
    assert again["vietqr_payload"] == order["vietqr_payload"]
    assert ipn(api, ipn_params(order))[0] == "00"  # paid through VNPay
    paid = api.get(f"/v1/payments/{order['order_id']}", token=token).json
    assert paid["status"] == "paid" and paid["vietqr_payload"] is None
    assert paid["payment_reference"] == order["payment_reference"]


# -- VietQR off -----------------------------------------------------------------------------------------


def test_with_vietqr_off_the_fields_are_null_not_wrong(api, registered, vietqr_off):
    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    invoice_id = invoices_of(api, customer, token)[0]["invoice_id"]
    inv = api.get(f"/v1/invoices/{invoice_id}", token=token).json
    assert inv["vietqr_payload"] is None and inv["transfer"]["bank"] is None
    assert inv["transfer"]["account_no"] is None and inv["transfer"]["png_url"] is None
    assert inv["payment_reference"].startswith("TH")  # the reference alone still names the bill
    for path in (f"/v1/invoices/{invoice_id}/vietqr.png", f"/v1/me/customers/{customer.code}/vietqr.svg"):
        r = api.get(path, token=token)
        assert r.status_code == 404 and r.json["code"] == "VIETQR_OFF", path
    account = api.get(f"/v1/me/customers/{customer.code}/vietqr", token=token).json
    assert account["bank"] is None and account["vietqr_payload"] is None and account["amount"] > 0
    order = order_for(api, token, [invoice_id])
    assert order["vietqr_payload"] is None and order["payment_reference"].startswith("TD")
    pdf = api.get(f"/v1/invoices/{invoice_id}/pdf", token=token, headers={"Accept": "application/pdf"})
    assert "VietQR" not in _text(pdf.body) and "Thanh toán qua VNPay" in _text(pdf.body)


# -- the invoice PDF ----------------------------------------------------------------------------------------


def _text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_shows_the_vietqr_beside_the_vnpay_qr_each_labelled(api, registered):
    customer, tokens = registered(invoices=[("2024-02", 1, 9, 30000, "paid"), *PERIODS])
    token = tokens["access_token"]
    paid, unpaid = invoices_of(api, customer, token)[:2]
    pdf = api.get(f"/v1/invoices/{unpaid['invoice_id']}/pdf", token=token, headers={"Accept": "application/pdf"})
    assert pdf.status_code == 200
    text = _text(pdf.body)
    reference = payment_reference.for_invoice(customer.code, unpaid["period"])
    for expected in (
        "Chuyển khoản VietQR (miễn phí)",
        f"STK {DEMO_ACCOUNT}",
        "Vietcombank",
        reference,
        "Thanh toán qua VNPay",
    ):
        assert expected in text, expected
    paid_pdf = api.get(f"/v1/invoices/{paid['invoice_id']}/pdf", token=token, headers={"Accept": "application/pdf"})
    text = _text(paid_pdf.body)
    assert "VietQR" not in text and "Quét mã" not in text  # a paid bill has nothing to scan


# -- reminders ------------------------------------------------------------------------------------------------


def test_text_reminders_say_where_to_transfer_and_the_reference(rem):  # noqa: F811
    sms_customer = rem.customer("overdue_7")
    email_customer = rem.customer("overdue_7", notify_channels=["email", "zalo"], email="khach@example.vn")
    rem.plan()
    rem.deliver()
    sent = {(m["customer_code"], m["channel"]): m for m in rem.notifier.sent}
    sms = sent[(sms_customer.code, "sms")]["text"]
    period = re.search(r"-(\d{4})(\d{2})$", sms_customer.invoice_id)
    reference = payment_reference.for_invoice(sms_customer.code, f"{period[1]}-{period[2]}")
    assert sms.endswith(f" CK Vietcombank {DEMO_ACCOUNT} ND {reference}") and sms.isascii()
    email = sent[(email_customer.code, "email")]["text"]
    assert f"số tài khoản {DEMO_ACCOUNT}" in email and "nội dung chuyển khoản: TH" in email
    zalo = sent[(email_customer.code, "zalo")]
    assert zalo["data"]["account_no"] == DEMO_ACCOUNT and zalo["data"]["transfer_reference"].startswith("TH")


def test_an_order_whose_id_no_reference_carries_is_still_shown(api, registered):
    """Orders written before this code may have other ids (the pattern allows 8-40 of A-Z, 0-9)."""
    import time

    from chalicelib.store.models import OrderModel

    customer, tokens = registered(invoices=PERIODS)
    invoice = invoices_of(api, customer, tokens["access_token"])[0]
    now = int(time.time())
    OrderModel(
        "LEGACY00042",
        account_id=f"customer:{customer.code}",
        invoice_ids=[invoice["invoice_id"]],
        items=[dict(invoice_id=invoice["invoice_id"], customer_code=customer.code, period=invoice["period"], amount=1)],
        amount=1,
        fee=0,
        status="pending",
        created_at=now,
        expires_at=now + 900,
        vnp_create_date="20240101000000",
        order_info="x",
        client_ip="127.0.0.1",
        payment_url="https://pay",
        qr_payload="000201",
        credit_amount=0,
    ).save()
    r = api.get("/v1/payments/LEGACY00042", token=tokens["access_token"])
    assert r.status_code == 200, r.json
    assert r.json["payment_reference"] is None and r.json["vietqr_payload"] is None
