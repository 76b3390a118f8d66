"""Bank transfers notified by SePay and Casso, through the handlers on DynamoDB Local: matched by our
payment references (invoice, account, order) or by codes written by hand, parked with a reason, money
out ignored; every bad call a 4xx with no money moved; the same notification twice (or twice at once,
or again after a crash) and the same transfer in tomorrow's statement posted once."""

from __future__ import annotations

import itertools
import json
import secrets
import time

import pytest

from chalicelib import deps
from chalicelib.config import DEMO_CASSO_CHECKSUM_KEY, DEMO_SEPAY_API_KEY, get_settings
from chalicelib.domain import bank_notifications as bn
from chalicelib.domain import payment_reference as pr
from tests.api.ledger_assert import assert_sound, at_once

WATER, TOTAL = 66000, 75900  # local.seed.invoice_item: + VAT 5 % + fee 10 %
SEPAY_URL, CASSO_URL = "/v1/banks/sepay/webhook", "/v1/banks/casso/webhook"
_ids = itertools.count(int(time.time()) % 10**6 * 1000)


def _account() -> str:
    return get_settings().vietqr_account_no


def _bank() -> str:
    return deps.bank_transfers().bank_code()


def sepay_body(amount, content, *, ref=None, id=None, account=None, type="in") -> dict:
    return {
        "id": next(_ids) if id is None else id,
        "gateway": "Vietcombank",
        "transactionDate": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 7 * 3600)),
        "accountNumber": account or _account(),
        "code": None,
        "content": content,
        "transferType": type,
        "transferAmount": amount,
        "accumulated": 19077000,
        "subAccount": None,
        "referenceCode": ref or f"FT{secrets.token_hex(5).upper()}",
        "description": f"BankAPINotify {content}",
    }


def sepay(api, body=None, *, key=DEMO_SEPAY_API_KEY, raw=None, **kw):
    raw = raw if raw is not None else json.dumps(body if body is not None else sepay_body(**kw)).encode()
    return api.call("POST", SEPAY_URL, raw=raw, token="", headers={"Authorization": f"Apikey {key}"})


def casso_body(amount, content, *, ref=None, id=None, account=None) -> dict:
    return {
        "error": 0,
        "data": {
            "id": next(_ids) if id is None else id,
            "reference": ref or f"FT{secrets.token_hex(5).upper()}",
            "description": content,
            "amount": amount,
            "runningBalance": 25000000,
            "transactionDateTime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 7 * 3600)),
            "accountNumber": account or _account(),
            "bankName": "Vietcombank",
            "bankAbbreviation": "VCB",
            "virtualAccountNumber": "",
            "virtualAccountName": "",
            "counterAccountName": "NGUYEN VAN A",
            "counterAccountNumber": "8888888888",
            "counterAccountBankId": "970415",
            "counterAccountBankName": "VietinBank",
        },
    }


def casso(api, body, *, key=DEMO_CASSO_CHECKSUM_KEY, t_ms=None, signature=None, raw=None):
    t_ms = int(time.time() * 1000) if t_ms is None else t_ms
    sig = signature or bn.casso_signature(key, t_ms, body)
    raw = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    return api.call("POST", CASSO_URL, raw=raw, token="", headers={"X-Casso-Signature": f"t={t_ms},v1={sig}"})


def _ok(r):
    assert r.status_code == 200, (r.status_code, r.json)
    assert r.json == {"success": True}


def _invoice(invoice_id):
    from chalicelib.store.models import InvoiceModel

    return InvoiceModel.get(invoice_id, consistent_read=True)


def _line(line_id):
    from chalicelib.store.models import StatementLineModel
    from chalicelib.store.repositories import get_or_none

    return get_or_none(StatementLineModel, line_id, consistent_read=True)


def _payment(payment_id):
    from chalicelib.store.models import PaymentModel
    from chalicelib.store.repositories import get_or_none

    return get_or_none(PaymentModel, payment_id, consistent_read=True)


def _credit(code) -> int:
    from chalicelib.store.models import CustomerAccountModel
    from chalicelib.store.repositories import get_or_none

    account = get_or_none(CustomerAccountModel, code, consistent_read=True)
    return int(account.credit) if account is not None else 0


def _payments_posted(code) -> list[str]:
    from chalicelib.store.models import LedgerEntryModel

    return [e.payment_id for e in LedgerEntryModel.query(code, consistent_read=True) if e.event == "payment"]


def _line_id(body) -> str:
    data = body.get("data", body)
    return f"{_bank()}#{data.get('referenceCode') or data.get('reference')}"


@pytest.fixture
def one_bill(new_customer):
    """A customer with one unpaid invoice of 05/2024 (75,900 đ)."""
    c = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    return c.code, f"INV-{c.code}-202405"


# -- matched -------------------------------------------------------------------------------------


def test_an_invoice_reference_pays_that_invoice_in_seconds(api, one_bill):
    code, invoice_id = one_bill
    body = sepay_body(TOTAL, f"{pr.for_invoice(code, '2024-05')} Thanh toan tien nuoc")
    _ok(sepay(api, body))
    inv = _invoice(invoice_id)
    assert inv.status == "paid" and int(inv.paid_amount) == TOTAL
    [payment] = [dict(p) for p in inv.payments]
    line_id = _line_id(body)
    assert payment["channel"] == "bank_transfer" and payment["payment_id"] == f"bank#{line_id}"
    assert payment["import_id"] == f"sepay#{body['id']}" and payment["line_id"] == line_id
    assert inv.paid_at == body["transactionDate"].replace(" ", "T") + "+07:00"  # the bank's time, not the day's
    line = _line(line_id)
    assert (line.status, line.customer_code, list(line.invoice_ids), int(line.allocated), int(line.credited)) == (
        "matched",
        code,
        [invoice_id],
        TOTAL,
        0,
    )
    assert line.import_id == f"sepay#{body['id']}" and line.bank_code == _bank() == "VCB"
    assert int(_payment(f"bank#{line_id}").amount) == TOTAL
    assert_sound(code)


def test_an_account_reference_pays_the_oldest_open_invoices_first(api, new_customer):
    c = new_customer(invoices=[("2024-04", 90, 100, WATER, "unpaid"), ("2024-05", 100, 111, WATER, "unpaid")])
    _ok(sepay(api, amount=TOTAL, content=f"CT {pr.for_account(c.code)} tien nuoc"))
    assert _invoice(f"INV-{c.code}-202404").status == "paid"
    assert _invoice(f"INV-{c.code}-202405").status == "unpaid"
    assert _credit(c.code) == 0
    assert_sound(c.code)


def test_a_round_sum_pays_the_bill_and_the_rest_is_credit(api, one_bill):
    code, invoice_id = one_bill
    body = sepay_body(100000, pr.for_invoice(code, "2024-05"))
    _ok(sepay(api, body))
    assert _invoice(invoice_id).status == "paid"
    assert _credit(code) == 100000 - TOTAL
    line = _line(_line_id(body))
    assert (int(line.allocated), int(line.credited)) == (TOTAL, 100000 - TOTAL)
    assert_sound(code)


def test_an_order_reference_pays_the_orders_items(api, payer):
    customer, token, invoice_ids, total = payer
    order = api.post("/v1/payments", {"invoice_ids": invoice_ids}, token=token)
    assert order.status_code == 201, order.json
    order_id = order.json["order_id"]
    body = casso_body(total, f"{pr.for_order(order_id)} FT24 chuyen tien")
    _ok(casso(api, body))
    for invoice_id in invoice_ids:
        inv = _invoice(invoice_id)
        assert inv.status == "paid" and inv.pending_order_id is None, invoice_id
    line = _line(_line_id(body))
    assert line.status == "matched" and sorted(line.invoice_ids) == sorted(invoice_ids)
    assert line.import_id == f"casso#{body['data']['id']}"
    assert_sound(customer.code)


def test_hand_written_codes_still_match_when_there_is_no_reference_of_ours(api, one_bill):
    code, invoice_id = one_bill
    _ok(sepay(api, amount=TOTAL, content=f"TT TIEN NUOC KH {code} T5/2024"))
    assert _invoice(invoice_id).status == "paid"


def test_casso_test_delivery_is_acknowledged_and_recorded_nowhere(api):
    from tests.unit.test_bank_notifications import CASSO_SAMPLE

    _ok(casso(api, CASSO_SAMPLE))
    assert _line(f"{_bank()}#MA_GIAO_DICH_THU_NGHIEM") is None


# -- parked, ignored -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("CHUYEN TIEN", "NO_REFERENCE"),
        ("{bad} tien nuoc", "BAD_REFERENCE"),
        ("{nobody}", "UNKNOWN_REFERENCE"),
        ("{order}", "UNKNOWN_REFERENCE"),
        ("{ok}", "OTHER_ACCOUNT"),
    ],
)
def test_what_cannot_be_matched_waits_in_the_suspense_list(content, reason, api, admin, one_bill):
    code, invoice_id = one_bill
    good = pr.for_invoice(code, "2024-05")
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    text = content.format(bad=bad, nobody=pr.for_account("0999999999"), order=pr.for_order("K00000000000A"), ok=good)
    account = "9999999999" if reason == "OTHER_ACCOUNT" else None
    body = sepay_body(TOTAL, text, account=account)
    _ok(sepay(api, body))
    line_id = _line_id(body)
    line = _line(line_id)
    assert (line.status, line.reason) == ("suspense", reason)
    assert _invoice(invoice_id).status == "unpaid" and _payment(f"bank#{line_id}") is None
    r = api.get("/v1/admin/suspense?limit=500", token=admin)
    listed = {x["line_id"]: x for x in r.json["items"]}
    assert listed[line_id]["reason"] == reason and listed[line_id]["amount"] == TOTAL
    # A person resolves it (audited), once; the notification again changes nothing.
    done = api.post(f"/v1/admin/suspense/{line_id.replace('#', '%23')}", {"invoice_id": invoice_id}, token=admin)
    assert done.status_code == 200, done.json
    assert _invoice(invoice_id).status == "paid"
    _ok(sepay(api, body))
    assert _payments_posted(code) == [f"bank#{line_id}"]
    assert_sound(code)


def test_money_out_is_acknowledged_and_ignored(api, one_bill):
    code, _ = one_bill
    body = sepay_body(TOTAL, pr.for_account(code), type="out")
    _ok(sepay(api, body))
    cbody = casso_body(-TOTAL, pr.for_account(code))
    _ok(casso(api, cbody))
    assert _line(_line_id(body)) is None and _line(_line_id(cbody)) is None
    assert _payments_posted(code) == [] and _credit(code) == 0


# -- refused: 4xx, nothing moved -----------------------------------------------------------------


def _nothing_moved(code, invoice_id, body):
    assert _line(_line_id(body)) is None
    assert _payments_posted(code) == [] and _invoice(invoice_id).status == "unpaid" and _credit(code) == 0
    assert_sound(code)


@pytest.mark.parametrize(
    ("how", "status", "error"),
    [
        ("wrong key", 401, "INVALID_API_KEY"),
        ("no key", 401, "INVALID_API_KEY"),
        ("malformed JSON", 400, "INVALID_JSON"),
        ("negative amount", 400, "INVALID_NOTIFICATION"),
        ("zero amount", 400, "INVALID_NOTIFICATION"),
        ("float amount", 400, "INVALID_NOTIFICATION"),
        ("text amount", 400, "INVALID_NOTIFICATION"),
        ("huge amount", 400, "INVALID_NOTIFICATION"),
        ("no amount", 400, "INVALID_NOTIFICATION"),
        ("future date", 400, "INVALID_NOTIFICATION"),
    ],
)
def test_sepay_bad_calls_are_4xx_and_move_no_money(how, status, error, api, one_bill):
    code, invoice_id = one_bill
    body = sepay_body(TOTAL, pr.for_invoice(code, "2024-05"))
    raw, key = None, DEMO_SEPAY_API_KEY
    if how == "wrong key":
        key = "x" + DEMO_SEPAY_API_KEY
    elif how == "no key":
        r = api.call("POST", SEPAY_URL, raw=json.dumps(body).encode(), token="")
    elif how == "malformed JSON":
        raw = json.dumps(body).encode()[:-5]
    elif how == "future date":
        body["transactionDate"] = "2099-01-01 00:00:00"
    elif how == "no amount":
        body.pop("transferAmount")
    else:
        body["transferAmount"] = {
            "negative amount": -TOTAL,
            "zero amount": 0,
            "float amount": float(TOTAL),
            "text amount": str(TOTAL),
            "huge amount": 10**15,
        }[how]
    if how != "no key":
        r = sepay(api, body, key=key, raw=raw)
    assert (r.status_code, r.json["code"]) == (status, error), r.json
    _nothing_moved(code, invoice_id, body)


@pytest.mark.parametrize(
    ("how", "status", "error"),
    [
        ("bad signature", 401, "INVALID_SIGNATURE"),
        ("other key", 401, "INVALID_SIGNATURE"),
        ("no signature", 401, "INVALID_SIGNATURE"),
        ("body changed", 401, "INVALID_SIGNATURE"),
        ("stale timestamp", 401, "STALE_SIGNATURE"),
        ("malformed JSON", 400, "INVALID_JSON"),
        ("float amount", 400, "INVALID_NOTIFICATION"),
        ("zero amount", 400, "INVALID_NOTIFICATION"),
    ],
)
def test_casso_bad_calls_are_4xx_and_move_no_money(how, status, error, api, one_bill):
    code, invoice_id = one_bill
    body = casso_body(TOTAL, pr.for_invoice(code, "2024-05"))
    if how == "bad signature":
        r = casso(api, body, signature="0" * 128)
    elif how == "other key":
        r = casso(api, body, key="another-checksum-key-of-someone")
    elif how == "no signature":
        r = api.call("POST", CASSO_URL, raw=json.dumps(body).encode(), token="")
    elif how == "body changed":
        t_ms = int(time.time() * 1000)
        signature = bn.casso_signature(DEMO_CASSO_CHECKSUM_KEY, t_ms, body)
        body["data"]["amount"] = TOTAL * 10
        r = casso(api, body, t_ms=t_ms, signature=signature)
    elif how == "stale timestamp":
        r = casso(api, body, t_ms=int((time.time() - 3600) * 1000))
    elif how == "malformed JSON":
        r = casso(api, body, raw=b'{"error": 0, "data": {')
    else:
        body["data"]["amount"] = float(TOTAL) if how == "float amount" else 0
        r = casso(api, body)
    assert (r.status_code, r.json["code"]) == (status, error), r.json
    _nothing_moved(code, invoice_id, body)


def test_a_service_that_is_not_configured_is_off(api):
    from chalicelib.services.bank_transfers import BankTransferService

    real = deps.bank_transfers()
    deps.override(
        "bank_transfers",
        BankTransferService(
            settings=real.s, sources={}, notifications=real.notifications, statements=real.statements, clock=real.clock
        ),
    )
    try:
        r = sepay(api, amount=TOTAL, content="x")
        assert (r.status_code, r.json["code"]) == (404, "BANK_CHANNEL_OFF")
    finally:
        deps.reset()


# -- exactly once ----------------------------------------------------------------------------------


def test_the_same_notification_twice_is_posted_once(api, one_bill):
    from chalicelib.store.models import BankNotificationModel

    code, invoice_id = one_bill
    body = sepay_body(100000, pr.for_invoice(code, "2024-05"))
    _ok(sepay(api, body))
    _ok(sepay(api, body))  # SePay's retry: answered at once from the notification record
    record = BankNotificationModel.get(f"sepay#{body['id']}", consistent_read=True)
    assert (record.line_id, record.outcome) == (_line_id(body), "matched")
    # A retry after a crash between the money and the record: the line's guard answers duplicate.
    record.delete()
    _ok(sepay(api, body))
    assert BankNotificationModel.get(f"sepay#{body['id']}", consistent_read=True).outcome == "duplicate"
    # The same transfer notified by the other service (another id, the same bank reference): once too.
    _ok(casso(api, casso_body(100000, pr.for_invoice(code, "2024-05"), ref=body["referenceCode"])))
    assert _payments_posted(code) == [f"bank#{_line_id(body)}"]
    assert _credit(code) == 100000 - TOTAL and _invoice(invoice_id).status == "paid"
    assert_sound(code)


@pytest.mark.parametrize("service", ["sepay", "casso"])
def test_the_same_notification_twice_at_once_is_posted_once(service, app, one_bill):
    code, invoice_id = one_bill
    svc = deps.bank_transfers()
    if service == "sepay":
        body = sepay_body(100000, pr.for_invoice(code, "2024-05"))
        headers = {"authorization": f"Apikey {DEMO_SEPAY_API_KEY}"}
    else:
        body = casso_body(100000, pr.for_invoice(code, "2024-05"))
        t_ms = int(time.time() * 1000)
        headers = {"x-casso-signature": f"t={t_ms},v1={bn.casso_signature(DEMO_CASSO_CHECKSUM_KEY, t_ms, body)}"}
    raw = json.dumps(body).encode()
    results = at_once(*[lambda: svc.receive(service, headers, raw)] * 4)
    assert results == [{"success": True}] * 4, results
    assert _payments_posted(code) == [f"bank#{_line_id(body)}"]
    assert _credit(code) == 100000 - TOTAL and int(_invoice(invoice_id).paid_amount) == TOTAL
    assert_sound(code)


def test_a_notified_transfer_then_its_statement_line_is_posted_once(api, admin, one_bill):
    code, invoice_id = one_bill
    assert _invoice(invoice_id).status == "unpaid"
    body = sepay_body(100000, pr.for_invoice(code, "2024-05"))
    _ok(sepay(api, body))
    day = body["transactionDate"][:10]
    statement = (
        "Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Mô tả\n"
        f"{day[8:]}/{day[5:7]}/{day[:4]};{body['referenceCode']};;100.000;{body['content']}\n"
    )
    r = api.call(
        "POST",
        f"/v1/admin/imports/bank-statements?bank={_bank()}",
        raw=statement.encode(),
        token=admin,
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 201, r.json
    assert (r.json["matched"], r.json["duplicates"]) == (0, 1)
    assert _payments_posted(code) == [f"bank#{_line_id(body)}"] and _credit(code) == 100000 - TOTAL
    assert _invoice(invoice_id).status == "paid"
    assert_sound(code)


def test_a_statement_line_carrying_our_reference_is_matched_by_it(api, admin, new_customer):
    """The statement import reads TN/TH/TD as the notifications do: the reference, not the digits."""
    c = new_customer(invoices=[("2024-04", 90, 100, WATER, "unpaid"), ("2024-05", 100, 111, WATER, "unpaid")])
    ref, bad = f"FT{secrets.token_hex(5).upper()}", f"FT{secrets.token_hex(5).upper()}"
    good = pr.for_invoice(c.code, "2024-05")
    wrong = good[:-1] + ("A" if good[-1] != "A" else "B")
    statement = (
        "Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Mô tả\n"
        f"15/05/2024;{ref};;75.900;MBVCB.3278907687.{pr.for_invoice(c.code, '2024-05')}.CT tu 0907186555\n"
        f"15/05/2024;{bad};;75.900;{wrong} KH {c.code}\n"
    )
    r = api.call(
        "POST",
        "/v1/admin/imports/bank-statements?bank=VCB",
        raw=statement.encode(),
        token=admin,
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 201, r.json
    by_ref = {x["line_id"]: x for x in r.json["results"]}
    assert by_ref[f"VCB#{ref}"]["invoice_id"] == f"INV-{c.code}-202405"  # the invoice named, not the oldest
    assert (by_ref[f"VCB#{bad}"]["status"], by_ref[f"VCB#{bad}"]["reason"]) == ("suspense", "BAD_REFERENCE")
    assert _invoice(f"INV-{c.code}-202404").status == "unpaid"
    assert_sound(c.code)
