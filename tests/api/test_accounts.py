"""The customer account statement through the handlers: GET /v1/me/account
(the customer's own, linked codes only) and GET /v1/admin/customers/{code}/account
(managers: references and who posted), JSON and CSV, on ledger data written
through LedgerService / LedgerStore, and the DynamoDB calls of each."""

from __future__ import annotations

import codecs
import csv
import io
import secrets
import time

import pytest
from openapi_schema_validator import OAS30Validator

from chalicelib import deps
from local.seed import invoice_item

MAY = ("2023-05", 264, 275, 68_048, "unpaid")  # 68,048 + VAT 3,402 + fee 6,805 = 78,255
JUNE_WATER = 67_450  # 67,450 + 3,373 + 6,745 = 77,568
PAID_AT = 1_686_364_200  # 2023-06-10 09:30 in Vietnam


def _transfer(code: str, amount: int = 100_000, ref: str | None = None, invoice_ids=()):
    from chalicelib.services.ledger import IncomingPayment, Target

    ref = ref or f"FT{secrets.token_hex(6).upper()}"
    money = IncomingPayment(
        channel="bank_transfer",
        payment_id=f"bank#VCB#{ref}",
        external_ref=ref,
        amount=amount,
        received_at=PAID_AT,
        posted_by="admin:hoa.nguyen",
        paid_at="2023-06-10T09:30:00+07:00",
        flags=["TEST_FLAG"],
        note="chuyển khoản tiền nước",
    )
    return deps.ledger().post_payment(money, Target(customer_code=code, invoice_ids=list(invoice_ids)))


def _bill_with_credit(code: str, credit: int) -> str:
    """A June bill issued after the ledger: its charge entry, and the account's credit applied to it."""
    from chalicelib.ports.money import InvoiceMove, Posting
    from chalicelib.store.ledger import LedgerStore

    item = invoice_item(code, "2023-06", 275, 286, JUNE_WATER, "unpaid", "Nguyễn Văn Thử")
    item.save()
    store = LedgerStore()
    invoice = store.invoice(item.invoice_id)
    total = int(invoice.total)
    lines = [
        {"kind": "charge", "amount": total, "invoice_id": invoice.invoice_id},
        {"kind": "allocation", "amount": credit, "invoice_id": invoice.invoice_id},
    ]
    store.post(
        Posting(
            event="charge",
            reference=invoice.invoice_id,
            posted_at=PAID_AT + 30 * 86_400,
            posted_by="billing",
            lines={code: lines},
            credit={code: -credit},
            credit_seen={code: credit},
            invoices=[InvoiceMove(invoice, credit)],
        )
    )
    return invoice.invoice_id


def _schema(api, path: str) -> dict:
    doc = api.get("/v1/openapi.json", token="").json
    return doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def _csv(resp) -> list[list[str]]:
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.body.startswith(codecs.BOM_UTF8)
    text = resp.body.decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


@pytest.fixture
def paid_by_transfer(registered):
    """A customer whose 78,255 VND May bill (of before the ledger) is paid by a 100,000 VND transfer."""
    customer, tokens = registered(invoices=[MAY])
    posted = _transfer(customer.code)
    assert (posted.allocated, posted.credited) == (78_255, 21_745)
    return customer, tokens["access_token"], posted


def test_before_any_entry_the_open_bill_comes_from_the_invoices(api, registered):
    customer, tokens = registered(invoices=[MAY, ("2023-04", 250, 264, 80_000, "paid")])
    r = api.get(f"/v1/me/account?customer_code={customer.code}", token=tokens["access_token"])
    assert r.status_code == 200, r.json
    body = r.json
    assert (body["balance"], body["credit"], body["open_amount"], body["currency"]) == (78_255, 0, 78_255, "VND")
    assert body["open_invoices"] == [
        {
            "invoice_id": f"INV-{customer.code}-202305",
            "period": "2023-05",
            "total": 78_255,
            "paid_amount": 0,
            "written_off": 0,
            "open_amount": 78_255,
            "due_date": "2023-06-15",
        }
    ]
    assert [(e["kind"], e["balance"], e["description"]) for e in body["entries"]] == [
        ("opening", 78_255, "Số dư chuyển sang (trước khi mở sổ)")
    ]
    assert r.headers["Cache-Control"] == "private, no-store"
    assert body["generated_at"].endswith("+07:00")


def test_a_transfer_pays_the_bill_and_the_rest_is_credit(api, paid_by_transfer):
    customer, token, posted = paid_by_transfer
    r = api.get(f"/v1/me/account?customer_code={customer.code}", token=token)
    assert r.status_code == 200, r.json
    body = r.json
    OAS30Validator(_schema(api, "/v1/me/account")).validate(body)  # strict: nothing internal
    assert (body["balance"], body["credit"], body["open_amount"], body["open_invoices"]) == (-21_745, 21_745, 0, [])
    rows = [(e["kind"], e["amount"], e["effect"], e["balance"], e["description"]) for e in body["entries"]]
    assert rows == [
        ("opening", 78_255, 78_255, 78_255, "Số dư chuyển sang (trước khi mở sổ)"),
        ("payment", 100_000, -100_000, -21_745, "Thanh toán chuyển khoản"),
        ("allocation", 78_255, 0, -21_745, "Phân bổ vào hoá đơn 05/2023"),
        ("credit", 21_745, 0, -21_745, "Tiền thừa chuyển kỳ sau"),
    ]
    payment = body["entries"][1]
    ref = posted.payment.external_ref
    assert payment["date"] == "2023-06-10T09:30:00+07:00" and payment["channel"] == "bank_transfer"
    assert payment["reference"] == "****" + ref[-4:]
    text = r.body.decode("utf-8")
    for secret in (ref, posted.payment.payment_id, "admin:hoa.nguyen", "TEST_FLAG", "chuyển khoản tiền nước"):
        assert secret not in text
    assert body["entries"][2]["invoice_id"] == f"INV-{customer.code}-202305"
    en = api.get(f"/v1/me/account?customer_code={customer.code}", token=token, headers={"Accept-Language": "en"})
    assert [e["description"] for e in en.json["entries"]][1:] == [
        "Payment by bank transfer",
        "Applied to bill 05/2023",
        "Overpayment carried to the next bill",
    ]
    invoice = api.get(f"/v1/invoices/INV-{customer.code}-202305", token=token).json
    assert invoice["status"] == "paid"


def test_the_next_bill_takes_the_credit_and_shows_what_is_open(api, paid_by_transfer):
    customer, token, _ = paid_by_transfer
    june = _bill_with_credit(customer.code, 21_745)
    body = api.get(f"/v1/me/account?customer_code={customer.code}", token=token).json
    assert (body["balance"], body["credit"], body["open_amount"]) == (55_823, 0, 55_823)
    assert body["open_invoices"] == [
        {
            "invoice_id": june,
            "period": "2023-06",
            "total": 77_568,
            "paid_amount": 21_745,
            "written_off": 0,
            "open_amount": 55_823,
            "due_date": "2023-07-15",
        }
    ]
    assert [(e["description"], e["balance"]) for e in body["entries"][-2:]] == [
        ("Hoá đơn 06/2023", 55_823),
        ("Trừ tiền thừa vào hoá đơn 06/2023", 55_823),
    ]
    assert body["entries"][-1]["balance"] == body["balance"]


def test_customer_a_cannot_read_customer_b(api, registered, paid_by_transfer):
    b, _, _ = paid_by_transfer
    _a, a_tokens = registered(invoices=[MAY])
    for query in (f"customer_code={b.code}", f"customer_code={b.code}&format=csv"):
        r = api.get(f"/v1/me/account?{query}", token=a_tokens["access_token"])
        assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED", query
    assert api.get(f"/v1/me/account?customer_code={b.code}", token="").status_code == 401


@pytest.mark.parametrize(
    "query, field",
    [
        ("", "customer_code"),
        ("?customer_code=", "customer_code"),
        ("?customer_code=12ab", "customer_code"),
        ("?customer_code=1234567890123", "customer_code"),
        ("?customer_code={code}&format=xml", "format"),
        ("?customer_code={code}&format=", "format"),
    ],
)
def test_a_missing_or_invalid_code_or_format_is_400(api, registered, query, field):
    customer, tokens = registered(invoices=[MAY])
    r = api.get("/v1/me/account" + query.format(code=customer.code), token=tokens["access_token"])
    assert r.status_code == 400 and r.json["field"] == field, (query, r.status_code, r.json)


@pytest.mark.parametrize("how", ["format", "accept"])
def test_the_customers_csv(api, paid_by_transfer, how):
    customer, token, posted = paid_by_transfer
    path = f"/v1/me/account?customer_code={customer.code}"
    r = (
        api.get(path + "&format=csv", token=token)
        if how == "format"
        else api.get(path, token=token, headers={"Accept": "text/csv"})
    )
    assert r.status_code == 200
    assert (
        r.headers["Content-Disposition"] == f'attachment; filename="so-cong-no-{customer.code}-'
        f'{time.strftime("%Y%m%d", time.gmtime(time.time() + 7 * 3600))}.csv"'
    )
    header, *rows = _csv(r)
    assert header == [
        "date",
        "description",
        "kind",
        "event",
        "invoice_id",
        "period",
        "channel",
        "reference",
        "amount",
        "effect",
        "balance",
    ]
    assert [(x[1], x[8], x[10]) for x in rows] == [
        ("Số dư chuyển sang (trước khi mở sổ)", "78255", "78255"),
        ("Thanh toán chuyển khoản", "100000", "-21745"),
        ("Phân bổ vào hoá đơn 05/2023", "78255", "-21745"),
        ("Tiền thừa chuyển kỳ sau", "21745", "-21745"),
    ]
    assert posted.payment.external_ref not in r.body.decode("utf-8")


def test_managers_see_references_who_posted_flags_and_notes(api, admin, paid_by_transfer):
    customer, _, posted = paid_by_transfer
    r = api.get(f"/v1/admin/customers/{customer.code}/account", token=admin)
    assert r.status_code == 200, r.json
    OAS30Validator(_schema(api, "/v1/admin/customers/{code}/account")).validate(r.json)
    payment = r.json["entries"][1]
    assert (
        payment["reference"],
        payment["external_ref"],
        payment["payment_id"],
        payment["posted_by"],
        payment["flags"],
        payment["note"],
    ) == (
        posted.payment.external_ref,
        posted.payment.external_ref,
        posted.payment.payment_id,
        "admin:hoa.nguyen",
        ["TEST_FLAG"],
        "chuyển khoản tiền nước",
    )
    assert payment["entry_id"].split("#")[1] == "payment" and payment["credit_delta"] == 21_745
    assert r.json["balance"] == -21_745
    header, *rows = _csv(api.get(f"/v1/admin/customers/{customer.code}/account?format=csv", token=admin))
    assert header[-6:] == ["entry_id", "payment_id", "external_ref", "posted_by", "flags", "note"]
    assert rows[1][header.index("external_ref")] == posted.payment.external_ref
    assert rows[1][header.index("posted_by")] == "admin:hoa.nguyen"


def test_managers_unknown_code_is_404_and_an_empty_account_is_empty(api, admin, new_customer):
    r = api.get("/v1/admin/customers/99999999999/account", token=admin)
    assert r.status_code == 404 and r.json["code"] == "CUSTOMER_NOT_FOUND"
    assert api.get("/v1/admin/customers/12ab/account", token=admin).json["field"] == "code"
    quiet = new_customer()
    r = api.get(f"/v1/admin/customers/{quiet.code}/account", token=admin)
    assert r.status_code == 200
    assert (r.json["entries"], r.json["open_invoices"], r.json["balance"], r.json["credit"]) == ([], [], 0, 0)


def test_dynamodb_calls_per_statement(api, admin, paid_by_transfer, new_customer, calls):
    customer, token, _ = paid_by_transfer
    for path, tok in (
        (f"/v1/me/account?customer_code={customer.code}", token),
        (f"/v1/me/account?customer_code={customer.code}&format=csv", token),
        (f"/v1/admin/customers/{customer.code}/account", admin),
    ):
        calls.clear()
        assert api.get(path, token=tok).status_code == 200
        assert dict(calls) == {"Query": 2, "GetItem": 1}, (path, dict(calls))  # ledger, invoices; the credit
    calls.clear()
    assert api.get("/v1/admin/customers/99999999998/account", token=admin).status_code == 404
    assert dict(calls) == {"Query": 2, "GetItem": 2}  # and the customer book, to say 404
