"""Bill payment through partners (issue 16, section 3) through the handlers on DynamoDB Local (and moto's
SSM and S3): signed requests, look-up, payment once per partner_txn_id, reversal the same day, every bad
request a 4xx with no money moved, the daily file and its compare, the managers' partner accounts."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import time
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import VN_TZ, FixedClock
from tests.api.ledger_assert import account_state, assert_sound, at_once
from tests.sqs_events import sqs_event

WATER = 66000  # invoice_item: + VAT 5 % 3,300 + fee 10 % 6,600
TOTAL = 75900
PREFIX = "/cskh/test/partners/"


# -- a partner, as its developers would write it (docs/partners.md) -----------------------------------


def sign(secret: str, method: str, path: str, query: str, timestamp: int, nonce: str, body: bytes) -> str:
    target = path + (f"?{query}" if query else "")
    text = "\n".join([method, target, str(timestamp), nonce, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class Partner:
    def __init__(self, api, partner_id: str, secret: str) -> None:
        self.api, self.partner_id, self.secret = api, partner_id, secret
        self.now = None  # None: the wall clock; else the instant to sign with (a FixedClock's)

    def headers(self, method, path, query="", body=b"", **over):
        ts = over.pop("timestamp", self.now if self.now is not None else int(time.time()))
        nonce = over.pop("nonce", secrets.token_hex(16))
        out = {
            "X-Partner-Id": over.pop("partner_id", self.partner_id),
            "X-Timestamp": str(ts),
            "X-Nonce": nonce,
            "X-Signature": sign(over.pop("secret", self.secret), method, path, query, ts, nonce, body),
        }
        out.update(over)
        return {k: v for k, v in out.items() if v is not None}

    def call(self, method, path, query="", body=None, raw=None, content_type="application/json", **over):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        headers = dict(self.headers(method, path, query, data, **over), **{"Content-Type": content_type})
        return self.api.call(method, path + (f"?{query}" if query else ""), raw=data, token="", headers=headers)

    def bills(self, code, **over):
        return self.call("GET", "/v1/partners/bills", f"customer_code={code}", **over)

    def pay(self, body, **over):
        return self.call("POST", "/v1/partners/payments", body=body, **over)

    def reverse(self, txn, **over):
        return self.call("POST", f"/v1/partners/payments/{txn}/reversal", **over)


def _letters(n: int) -> str:
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(n))


@pytest.fixture
def make_partner(api, admin):
    """A partner created through the managers' route, its secret put in (moto's) SSM."""
    from chalicelib.adapters.parameters import SsmParameters

    def make(allowlist=(), channels=("bank_app", "wallet")):
        partner_id = "TP" + _letters(6)
        secret = secrets.token_hex(32)
        SsmParameters().put(PREFIX + partner_id, secret)
        r = api.post(
            "/v1/admin/partners",
            {
                "partner_id": partner_id,
                "name": "Ví Thử Nghiệm",
                "secret_param": PREFIX + partner_id,
                "ip_allowlist": list(allowlist),
                "channels": list(channels),
            },
            token=admin,
        )
        assert r.status_code == 201, r.json
        return Partner(api, partner_id, secret)

    return make


@pytest.fixture
def partner(make_partner):
    return make_partner()


@pytest.fixture
def fresh_deps():
    yield
    deps.reset()


def _txn() -> str:
    return f"T{secrets.token_hex(6).upper()}"


def _now_iso() -> str:
    return datetime.now(VN_TZ).isoformat(timespec="seconds")


def _invoice(invoice_id):
    from chalicelib.store.models import InvoiceModel

    return InvoiceModel.get(invoice_id, consistent_read=True)


def _payments_of(code: str) -> list:
    return [e for e in account_state(code)["entries"] if e.event in ("payment", "reversal")]


def _body(code, amount, txn=None, **more):
    return {"partner_txn_id": txn or _txn(), "customer_code": code, "amount": amount, "paid_at": _now_iso(), **more}


# -- the signature: the seeded demo partner and the documented example --------------------------------


def test_the_demo_partner_signs_with_the_documented_default(api):
    """local/seed.py: DEMOBANK, its secret PARTNER_DEMO_SECRET's documented default, put in SSM."""
    from chalicelib.config import PARTNER_DEMO_SECRET_DEFAULT

    demo = Partner(api, "DEMOBANK", PARTNER_DEMO_SECRET_DEFAULT)
    r = demo.bills("01031059")
    assert r.status_code == 200, r.json
    assert r.json["name"] == "D**** T** H***" and r.json["address"].startswith("***, ")


# -- look-up ------------------------------------------------------------------------------------------


def test_a_look_up_shows_the_customer_masked_and_the_open_invoices(partner, new_customer):
    c = new_customer(
        invoices=[
            ("2024-03", 100, 111, WATER, "unpaid"),
            ("2024-02", 90, 100, 54000, "unpaid"),
            ("2024-01", 80, 90, 1000, "paid"),
        ]
    )
    r = partner.bills(c.code)
    assert r.status_code == 200, r.json
    assert r.json["name"] == "N***** V** T**" and "Lý Thường Kiệt" not in r.json["address"]
    assert r.json["address"] == "***, Phường 7, TP Cà Mau"
    assert [i["period"] for i in r.json["invoices"]] == ["2024-02", "2024-03"]
    assert r.json["amount_due"] == 62100 + TOTAL and r.json["currency"] == "VND"
    assert r.json["invoices"][1] == {
        "invoice_id": f"INV-{c.code}-202403",
        "period": "2024-03",
        "total": TOTAL,
        "open_amount": TOTAL,
        "due_date": r.json["invoices"][1]["due_date"],
    }


def test_an_unknown_customer_is_a_404_and_a_bad_code_a_400(partner):
    r = partner.bills("0999999991")
    assert r.status_code == 404 and r.json["code"] == "CUSTOMER_NOT_FOUND"
    r = partner.bills("12ab")
    assert r.status_code == 400 and r.json["field"] == "customer_code"
    r = partner.call("GET", "/v1/partners/bills")
    assert r.status_code == 400 and r.json["field"] == "customer_code"


# -- paying -------------------------------------------------------------------------------------------


def test_a_payment_is_posted_once_with_a_receipt_and_a_repeat_gets_the_same_answer(partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    invoice_id = f"INV-{c.code}-202403"
    body = _body(c.code, TOTAL)
    r = partner.pay(body)
    assert r.status_code == 201, r.json
    first = r.json
    assert first["status"] == "paid" and first["receipt_no"].startswith(f"{partner.partner_id}-")
    assert first["payment_id"] == f"partner#{partner.partner_id}#{body['partner_txn_id']}"
    assert (first["allocated"], first["credited"]) == (TOTAL, 0)
    assert first["invoices"] == [{"invoice_id": invoice_id, "period": "2024-03", "amount": TOTAL}]
    assert _invoice(invoice_id).status == "paid"
    again = partner.pay(body)
    assert again.status_code == 200 and again.json == first
    state = assert_sound(c.code)
    assert [e.payment_id for e in state["entries"] if e.event == "payment"] == [first["payment_id"]]
    assert state["totals"].payments == TOTAL
    shown = _invoice(invoice_id).payments[-1]
    assert shown["channel"] == "partner" and shown["receipt_no"] == first["receipt_no"]


def test_receipt_numbers_follow_each_other(partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    numbers = [partner.pay(_body(c.code, 1000)).json["receipt_no"] for _ in range(3)]
    tails = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert tails == [tails[0], tails[0] + 1, tails[0] + 2], numbers


def test_a_part_payment_is_allowed_and_named_invoices_are_paid_in_order(partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid"), ("2024-02", 90, 100, 54000, "unpaid")])
    march, feb = f"INV-{c.code}-202403", f"INV-{c.code}-202402"
    r = partner.pay(_body(c.code, 80000, invoice_ids=[march, feb]))
    assert r.status_code == 201, r.json
    assert [(i["invoice_id"], i["amount"]) for i in r.json["invoices"]] == [(march, TOTAL), (feb, 80000 - TOTAL)]
    assert _invoice(march).status == "paid" and _invoice(feb).status == "unpaid"
    r = partner.pay(_body(c.code, 1000))  # no invoice named: the oldest open one
    assert r.json["invoices"][0]["invoice_id"] == feb
    assert_sound(c.code)


def test_a_repeat_with_another_body_is_a_409(partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    other = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = _body(c.code, 30000)
    assert partner.pay(body).status_code == 201
    for changed in ({"amount": 30001}, {"customer_code": other.code}, {"invoice_ids": [f"INV-{c.code}-202403"]}):
        r = partner.pay(dict(body, **changed))
        assert r.status_code == 409 and r.json["code"] == "PARTNER_TXN_CONFLICT", (changed, r.json)
    assert account_state(c.code)["totals"].payments == 30000
    assert account_state(other.code)["totals"].payments == 0


def test_paying_more_than_is_due_is_refused_and_moves_nothing(partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    r = partner.pay(_body(c.code, TOTAL + 1))
    assert r.status_code == 422 and r.json["code"] == "AMOUNT_EXCEEDS_DUE" and r.json["field"] == "amount"
    paid = new_customer(invoices=[("2024-03", 100, 111, WATER, "paid")])
    r = partner.pay(_body(paid.code, 1))
    assert r.status_code == 422 and r.json["code"] == "AMOUNT_EXCEEDS_DUE"
    for code in (c.code, paid.code):
        assert _payments_of(code) == [] and account_state(code)["credit"] == 0
    assert _invoice(f"INV-{c.code}-202403").status == "unpaid"


@pytest.mark.parametrize(
    "change",
    [
        {"amount": -1000},
        {"amount": 0},
        {"amount": 1000.5},
        {"amount": 1000.0},
        {"amount": "1000"},
        {"amount": True},
        {"amount": None},
        {"customer_code": "12ab"},
        {"partner_txn_id": "has space"},
        {"partner_txn_id": ""},
        {"paid_at": "yesterday"},
        {"paid_at": "2020-01-01T00:00:00+07:00"},
        {"invoice_ids": []},
        {"invoice_ids": "INV-1"},
        {"channel": "pigeon"},
    ],
)
def test_bad_bodies_are_400s_and_move_nothing(change, partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    r = partner.pay(dict(_body(c.code, 1000), **change))
    assert r.status_code == 400, (change, r.status_code, r.json)
    assert r.json["code"] in ("VALIDATION_ERROR", "INVALID_JSON") and r.json.get("field"), r.json
    assert _payments_of(c.code) == []


def test_malformed_json_is_a_400_and_moves_nothing(partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    for raw in (b'{"amount": 1000,', b"[1, 2]", b"", b"\xff\xfe"):
        r = partner.call("POST", "/v1/partners/payments", raw=raw)
        assert r.status_code == 400 and r.json["code"] == "INVALID_JSON", (raw, r.json)
    assert _payments_of(c.code) == []


def test_an_invoice_of_another_customer_and_an_unknown_one_are_404s(partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    other = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    for invoice_id in (f"INV-{other.code}-202403", "INV-NOPE-202403"):
        r = partner.pay(_body(c.code, 1000, invoice_ids=[invoice_id]))
        assert r.status_code == 404 and r.json["code"] == "INVOICE_NOT_FOUND"
    r = partner.pay(_body("0999999992", 1000))
    assert r.status_code == 404 and r.json["code"] == "CUSTOMER_NOT_FOUND"
    assert _payments_of(c.code) == [] and _payments_of(other.code) == []


def test_a_channel_the_partner_has_not_is_a_403(make_partner, new_customer):
    p = make_partner(channels=("counter",))
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    r = p.pay(_body(c.code, 1000, channel="wallet"))
    assert r.status_code == 403 and r.json["code"] == "CHANNEL_NOT_ENABLED"
    assert p.pay(_body(c.code, 1000, channel="counter")).status_code == 201


def test_the_same_payment_twice_at_once_is_posted_once(app, partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = _body(c.code, 50000)
    service = deps.partners()
    record = service.partners.get(partner.partner_id)
    results = at_once(*[lambda: service.pay(record, dict(body)) for _ in range(4)])
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert len({json.dumps(a, sort_keys=True) for a, _ in results}) == 1
    state = assert_sound(c.code)
    assert [e.event for e in state["entries"]] == ["payment"] and state["totals"].payments == 50000


def test_two_payments_of_one_partner_at_once_get_two_receipt_numbers(app, partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    service = deps.partners()
    record = service.partners.get(partner.partner_id)
    results = at_once(*[lambda: service.pay(record, _body(c.code, 10000)) for _ in range(3)])
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({a["receipt_no"] for a, _ in results}) == 3
    assert assert_sound(c.code)["totals"].payments == 30000


# -- reversal -----------------------------------------------------------------------------------------


def test_a_reversal_takes_the_money_back_as_it_went_in_once(api, admin, partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid"), ("2024-02", 90, 100, 54000, "unpaid")])
    march, feb = f"INV-{c.code}-202403", f"INV-{c.code}-202402"
    body = _body(c.code, 100000, invoice_ids=[feb, march])
    paid = partner.pay(body).json
    assert _invoice(feb).status == "paid"
    r = partner.reverse(body["partner_txn_id"])
    assert r.status_code == 201, r.json
    assert r.json["status"] == "reversed" and r.json["credit_taken"] == 0
    assert [(i["invoice_id"], i["amount"]) for i in r.json["invoices"]] == [(feb, -62100), (march, -(100000 - 62100))]
    for invoice_id in (feb, march):
        inv = _invoice(invoice_id)
        assert inv.status == "unpaid" and int(inv.paid_amount) == 0 and not inv.paid_at
    again = partner.reverse(body["partner_txn_id"])
    assert again.status_code == 200 and again.json == r.json
    state = assert_sound(c.code)
    # (sorted: entries of one second may list out of order, store/ledger.py entry_id)
    assert sorted(e.event for e in state["entries"]) == ["payment", "reversal"]
    assert state["totals"].payments == 0 and state["credit"] == 0
    # The payment itself is answered as it was; the look-up shows the bills open again.
    assert partner.pay(body).json == paid
    assert partner.bills(c.code).json["amount_due"] == 62100 + TOTAL
    from chalicelib.store.models import PartnerPaymentModel, PaymentModel

    assert PaymentModel.get(paid["payment_id"]).status == "reversed"
    assert PaymentModel.get(paid["payment_id"] + "#reversal").kind == "reversal"
    assert PartnerPaymentModel.get(paid["payment_id"]).status == "reversed"
    # The account statement says so.
    entries = api.get(f"/v1/admin/customers/{c.code}/account", token=admin).json["entries"]
    assert [e["amount"] for e in entries if e["description"].startswith("Huỷ thanh toán")] == [-100000]


def test_a_reversal_gives_back_the_credit_a_payment_left(app, partner, new_customer, fresh_deps):
    """An invoice paid between the look-up and the posting: the partner's money became credit; the reversal
    takes that credit back."""
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = _body(c.code, TOTAL)
    _pay_while_the_invoice_is_paid_by_the_bank(partner, c.code, body)
    assert account_state(c.code)["credit"] == TOTAL
    r = partner.reverse(body["partner_txn_id"])
    assert r.status_code == 201 and r.json["credit_taken"] == TOTAL and r.json["invoices"] == [], r.json
    state = assert_sound(c.code)
    assert state["credit"] == 0 and _invoice(f"INV-{c.code}-202403").status == "paid"


def _pay_while_the_invoice_is_paid_by_the_bank(partner, code: str, body: dict) -> dict:
    """The partner's payment, with a bank line paying the invoice after its due check and before it posts."""
    service = deps.partners()
    store, original = service.payments, service.payments.last_number
    done = []

    def bank_pays_first(series):
        if not done:
            done.append(1)
            text = (
                "Ngày giao dịch;Số tham chiếu;Số tiền ghi có;Mô tả\n"
                f"20/05/2024;FT{secrets.token_hex(5)};{TOTAL};TT KH {code}\n"
            )
            assert deps.statements().import_statement("admin:test", "VCB", text.encode())["matched"] == 1
        return original(series)

    store.last_number = bank_pays_first
    try:
        answer, created = service.pay(service.partners.get(partner.partner_id), body)
    finally:
        del store.last_number
    assert created and answer["credited"] == TOTAL, answer
    return answer


def test_a_reversal_whose_credit_was_spent_meanwhile_moves_nothing(app, partner, new_customer, fresh_deps):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = _body(c.code, TOTAL)
    _pay_while_the_invoice_is_paid_by_the_bank(partner, c.code, body)
    deps.refunds().request("admin:test", {"customer_code": c.code, "amount": 1000, "method": "cash", "note": "t"})
    before = account_state(c.code)
    r = partner.reverse(body["partner_txn_id"])
    assert r.status_code == 409 and r.json["code"] == "REVERSAL_NOT_POSSIBLE", r.json
    after = assert_sound(c.code)
    assert len(after["entries"]) == len(before["entries"]) and after["credit"] == TOTAL - 1000


def test_a_reversal_after_a_new_bill_took_the_credit_moves_nothing(app, partner, new_customer, fresh_deps):
    from datetime import date

    from chalicelib.store.models import CustomerModel

    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = _body(c.code, TOTAL)
    _pay_while_the_invoice_is_paid_by_the_bank(partner, c.code, body)
    customer = CustomerModel.get(c.code)
    deps.billing().issue("staff:ghithu01", customer, "2024-04", 111, 120, date(2024, 4, 28), date(2024, 3, 29))
    assert account_state(c.code)["credit"] < TOTAL  # the new bill took it
    r = partner.reverse(body["partner_txn_id"])
    assert r.status_code == 409 and r.json["code"] == "REVERSAL_NOT_POSSIBLE", r.json
    assert sorted(e.event for e in assert_sound(c.code)["entries"]) == ["charge", "payment", "payment"]


def test_a_reversal_on_another_day_is_refused(app, partner, new_customer, fresh_deps):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = _body(c.code, 10000)
    assert partner.pay(body).status_code == 201
    tomorrow = int(time.time()) + 86400
    deps.override("clock", FixedClock(tomorrow))
    partner.now = tomorrow
    r = partner.reverse(body["partner_txn_id"])
    assert r.status_code == 409 and r.json["code"] == "REVERSAL_TOO_LATE"
    assert account_state(c.code)["totals"].payments == 10000


def test_what_a_reversal_refuses(make_partner, new_customer):
    a, b = make_partner(), make_partner()
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = _body(c.code, 10000)
    assert a.pay(body).status_code == 201
    r = b.reverse(body["partner_txn_id"])  # another partner's transaction: not found, as a missing one
    assert r.status_code == 404 and r.json["code"] == "PAYMENT_NOT_FOUND"
    assert a.reverse("T-NOT-THERE").status_code == 404
    assert account_state(c.code)["totals"].payments == 10000


def test_the_same_reversal_twice_at_once_takes_the_money_back_once(app, partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = _body(c.code, 50000)
    assert partner.pay(body).status_code == 201
    service = deps.partners()
    record = service.partners.get(partner.partner_id)
    results = at_once(*[lambda: service.reverse(record, body["partner_txn_id"]) for _ in range(3)])
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(created for _, created in results) == [False, False, True]
    state = assert_sound(c.code)
    assert sorted(e.event for e in state["entries"]) == ["payment", "reversal"] and state["totals"].payments == 0


# -- the signed request: everything else is a 401 (or a 403 for the address) -------------------------


def _no_money(code):
    assert _payments_of(code) == []


@pytest.mark.parametrize(
    "tamper, code",
    [
        ({"X-Partner-Id": None}, "SIGNATURE_MISSING"),
        ({"X-Timestamp": None}, "SIGNATURE_MISSING"),
        ({"X-Nonce": None}, "SIGNATURE_MISSING"),
        ({"X-Signature": None}, "SIGNATURE_MISSING"),
        ({"partner_id": "NOSUCHONE"}, "PARTNER_UNKNOWN"),
        ({"partner_id": "lower"}, "PARTNER_UNKNOWN"),
        ({"secret": "not-the-partners-secret"}, "SIGNATURE_INVALID"),
        ({"X-Signature": "0" * 64}, "SIGNATURE_INVALID"),
        ({"X-Signature": "not hex"}, "SIGNATURE_INVALID"),
        ({"X-Nonce": "short"}, "SIGNATURE_INVALID"),
        ({"timestamp": "stale"}, "TIMESTAMP_OUT_OF_RANGE"),
        ({"timestamp": "ahead"}, "TIMESTAMP_OUT_OF_RANGE"),
        ({"X-Timestamp": "soon"}, "TIMESTAMP_OUT_OF_RANGE"),
    ],
)
def test_a_request_not_signed_right_is_a_401_and_moves_nothing(tamper, code, partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    over = dict(tamper)
    if over.get("timestamp") == "stale":
        over["timestamp"] = int(time.time()) - 301
    elif over.get("timestamp") == "ahead":
        over["timestamp"] = int(time.time()) + 400
    r = partner.pay(_body(c.code, 1000), **over)
    assert r.status_code == 401 and r.json["code"] == code, (tamper, r.status_code, r.json)
    _no_money(c.code)


def test_a_signature_of_another_request_does_not_carry_over(partner, new_customer):
    """The body, the path, the query and the method are all signed."""
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = json.dumps(_body(c.code, 1000)).encode()
    headers = partner.headers("POST", "/v1/partners/payments", "", body)
    changed = json.dumps(_body(c.code, 2000)).encode()
    r = partner.api.call("POST", "/v1/partners/payments", raw=changed, token="", headers=headers)
    assert r.status_code == 401 and r.json["code"] == "SIGNATURE_INVALID"
    headers = partner.headers("GET", "/v1/partners/bills", f"customer_code={c.code}")
    r = partner.api.get("/v1/partners/bills?customer_code=01031059", token="", headers=headers)
    assert r.status_code == 401 and r.json["code"] == "SIGNATURE_INVALID"
    headers = partner.headers("POST", "/v1/partners/bills", f"customer_code={c.code}")
    r = partner.api.get(f"/v1/partners/bills?customer_code={c.code}", token="", headers=headers)
    assert r.status_code == 401
    _no_money(c.code)


def test_a_replayed_nonce_is_refused(partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    body = json.dumps(_body(c.code, 1000)).encode()
    headers = dict(partner.headers("POST", "/v1/partners/payments", "", body), **{"Content-Type": "application/json"})
    first = partner.api.call("POST", "/v1/partners/payments", raw=body, token="", headers=headers)
    assert first.status_code == 201
    again = partner.api.call("POST", "/v1/partners/payments", raw=body, token="", headers=headers)
    assert again.status_code == 401 and again.json["code"] == "NONCE_REPLAYED"
    # Another request with the same nonce, signed afresh, is refused too.
    r = partner.bills(c.code, nonce=headers["X-Nonce"])
    assert r.status_code == 401 and r.json["code"] == "NONCE_REPLAYED"
    assert account_state(c.code)["totals"].payments == 1000


def test_an_expired_nonce_may_be_used_again(partner, new_customer):
    from chalicelib.store.models import PartnerNonceModel

    nonce = secrets.token_hex(16)
    PartnerNonceModel(f"{partner.partner_id}#{nonce}", expires_at=int(time.time()) - 1).save()  # TTL not run yet
    assert partner.bills("01031059", nonce=nonce).status_code == 200


def test_a_disabled_partner_is_refused_and_an_address_off_its_list_is_a_403(api, admin, make_partner, new_customer):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    listed = make_partner(allowlist=["203.0.113.0/24", "2001:db8::/32"])
    r = listed.pay(_body(c.code, 1000))
    assert r.status_code == 403 and r.json["code"] == "IP_NOT_ALLOWED"  # the test client is 127.0.0.1
    local = make_partner(allowlist=["127.0.0.1/32"])
    assert local.bills(c.code).status_code == 200
    assert api.post(f"/v1/admin/partners/{local.partner_id}/disable", token=admin).json["enabled"] is False
    r = local.pay(_body(c.code, 1000))
    assert r.status_code == 401 and r.json["code"] == "PARTNER_DISABLED"
    _no_money(c.code)


def test_a_partner_whose_secret_cannot_be_read_gets_a_503_not_a_pass(api, admin, new_customer):
    partner_id = "TP" + _letters(6)
    r = api.post(
        "/v1/admin/partners",
        {"partner_id": partner_id, "name": "Không có bí mật", "secret_param": PREFIX + partner_id + "-missing"},
        token=admin,
    )
    assert r.status_code == 201, r.json
    r = Partner(api, partner_id, "whatever-it-signs-with").bills("01031059")
    assert r.status_code == 503


# -- the daily file and its compare --------------------------------------------------------------------


@pytest.fixture
def queue(fresh_deps):
    from chalicelib.adapters.queues import MemoryPublisher

    fake = MemoryPublisher()
    deps.override("publisher", fake)
    return fake


def test_the_daily_file_lists_the_days_payments(app, partner, new_customer, fresh_deps):
    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid")])
    kept, reversed_ = _body(c.code, 20000), _body(c.code, 10000)
    receipt = partner.pay(kept).json["receipt_no"]
    partner.pay(reversed_)
    partner.reverse(reversed_["partner_txn_id"])
    today = datetime.now(VN_TZ).date().isoformat()
    r = partner.call("GET", f"/v1/partners/reconciliation/{today}")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = r.body.decode().splitlines()
    assert rows[0] == "partner_txn_id,customer_code,amount,paid_at,receipt_no,status"
    assert sorted(rows[1:]) == sorted(
        [
            f"{kept['partner_txn_id']},{c.code},20000,{kept['paid_at']},{receipt},paid",
            *[x for x in rows[1:] if x.startswith(reversed_["partner_txn_id"]) and x.endswith(",reversed")],
        ]
    )
    assert len(rows) == 3
    # The 01:00 job writes yesterday's (here: today's, as if a day had passed) to the bucket.
    deps.override("clock", FixedClock(int(time.time()) + 86400))
    from chalicelib.jobs.partners import partner_daily_files

    out = partner_daily_files(*_scheduled_event())
    key = f"imports/partners/{partner.partner_id}/outgoing/{today}.csv"
    assert key in out["files"]
    from chalicelib.adapters.objects import S3Objects
    from chalicelib.config import get_settings

    objects = S3Objects(get_settings().imports_bucket)
    assert objects.read(key, 0, objects.size(key)).decode() == r.body.decode()


def _scheduled_event():
    """What EventBridge hands the job (local/events.py builds it as AWS does), and a Lambda context."""
    from local.events import lambda_context, scheduled_event

    when = datetime.now(VN_TZ)
    return scheduled_event(
        "arn:aws:events:ap-southeast-1:123456789012:rule/partner_daily_files", when, "ap-southeast-1"
    ), lambda_context("partner_daily_files")


def test_the_partners_file_is_compared_and_differences_go_to_suspense(api, admin, partner, new_customer, queue):
    from chalicelib.jobs.imports import handle_batch

    c = new_customer(invoices=[("2024-03", 100, 111, WATER, "unpaid"), ("2024-02", 90, 100, 54000, "unpaid")])
    same, differs, ours_only = (_body(c.code, 10000), _body(c.code, 20000), _body(c.code, 5000))
    for body in (same, differs, ours_only):
        assert partner.pay(body).status_code == 201
    theirs_only = _txn()
    today = datetime.now(VN_TZ).date().isoformat()
    file = (
        "partner_txn_id,customer_code,amount,paid_at,status\n"
        f"{same['partner_txn_id']},{c.code},10000,{same['paid_at']},paid\n"
        f"{differs['partner_txn_id']},{c.code},25000,{differs['paid_at']},paid\n"
        f"{ours_only['partner_txn_id']},{c.code},5000,{ours_only['paid_at']},reversed\n"
        f"{theirs_only},{c.code},30000,{_now_iso()},paid\n"
        "bad line,,x,,\n"
    ).encode()
    r = partner.call("PUT", f"/v1/partners/reconciliation/{today}", raw=file, content_type="text/csv")
    assert r.status_code == 202 and r.json["status"] == "queued", r.json
    assert r.json["object_key"] == f"imports/partners/{partner.partner_id}/incoming/{today}.csv"
    ((queue_name, message),) = queue.messages
    assert queue_name == "imports" and message == {
        "kind": "partner_file",
        "partner_id": partner.partner_id,
        "day": today,
    }
    assert handle_batch(sqs_event(message)) == {"batchItemFailures": []}
    suspense = {x["line_id"]: x for x in _suspense(api, admin) if x["bank_code"] == partner.partner_id}
    pid = partner.partner_id
    assert {k: v["reason"] for k, v in suspense.items()} == {
        f"{pid}#{differs['partner_txn_id']}": "AMOUNT_DIFFERS",
        f"{pid}#{ours_only['partner_txn_id']}": "OURS_ONLY",
        f"{pid}#{theirs_only}": "PARTNER_ONLY",
    }
    assert (
        suspense[f"{pid}#{theirs_only}"]["amount"] == 30000
        and c.code in suspense[f"{pid}#{theirs_only}"]["description"]
    )
    # The same file again records nothing twice.
    assert handle_batch(sqs_event(message)) == {"batchItemFailures": []}
    result = _result(pid, today)
    assert result["new_in_suspense"] == 0 and len(result["differences"]) == 3 and result["errors_count"] == 1
    # Money the utility holds already cannot be posted again by hand; the partner's alone can, as its payment.
    line = quote(f"{pid}#{ours_only['partner_txn_id']}", safe="")
    r = api.post(f"/v1/admin/suspense/{line}", {"customer_code": c.code}, token=admin)
    assert r.status_code == 409 and r.json["code"] == "LINE_NOT_POSTABLE"
    line = quote(f"{pid}#{theirs_only}", safe="")
    r = api.post(f"/v1/admin/suspense/{line}", {"customer_code": c.code, "note": "đối tác đã thu"}, token=admin)
    assert r.status_code == 200 and r.json["status"] == "resolved", r.json
    state = assert_sound(c.code)
    posted = [e for e in state["entries"] if e.payment_id == f"partner#{pid}#{theirs_only}"]
    assert len(posted) == 1 and posted[0].channel == "partner"
    # A late retry of that payment finds it posted: nothing twice.
    r = partner.pay(_body(c.code, 30000, txn=theirs_only))
    assert r.status_code == 409 and r.json["code"] == "PAYMENT_RECORDED_BY_HAND"
    assert assert_sound(c.code)["totals"].payments == 10000 + 20000 + 5000 + 30000
    # Compared again, a difference settled by hand is no longer one.
    assert handle_batch(sqs_event(message)) == {"batchItemFailures": []}
    assert {d["partner_txn_id"] for d in _result(pid, today)["differences"]} == {
        differs["partner_txn_id"],
        ours_only["partner_txn_id"],
    }


def _suspense(api, token) -> list:
    out, cursor = [], None
    while True:
        r = api.get(f"/v1/admin/suspense?limit=500{f'&cursor={cursor}' if cursor else ''}", token=token)
        assert r.status_code == 200, r.json
        out += r.json["items"]
        cursor = r.json["next_cursor"]
        if not cursor:
            return out


def _result(partner_id, day) -> dict:
    from chalicelib.adapters.objects import S3Objects
    from chalicelib.config import get_settings

    objects = S3Objects(get_settings().imports_bucket)
    key = f"imports/partners/{partner_id}/results/{day}.json"
    return json.loads(objects.read(key, 0, objects.size(key)))


def test_what_an_upload_refuses(partner, queue):
    today = datetime.now(VN_TZ).date()
    for day in ("2024-13-01", "tomorrow", (today + timedelta(days=1)).isoformat(), "2000-01-01"):
        r = partner.call(
            "PUT", f"/v1/partners/reconciliation/{day}", raw=b"partner_txn_id,amount\n", content_type="text/csv"
        )
        assert r.status_code == 400 and r.json["field"] == "day", (day, r.json)
    for raw in (b"", b"txn;money\n1;2\n", b"\xff\xfe\x00"):
        r = partner.call("PUT", f"/v1/partners/reconciliation/{today}", raw=raw, content_type="text/csv")
        assert r.status_code == 400 and r.json["code"] == "INVALID_PARTNER_FILE", (raw, r.json)
    assert queue.messages == []


# -- the managers' partner accounts -------------------------------------------------------------------


def test_managers_keep_the_partners_and_every_change_is_audited(api, admin):
    partner_id = "TP" + _letters(6)
    body = {"partner_id": partner_id, "name": "Ví A", "secret_param": PREFIX + partner_id}
    r = api.post("/v1/admin/partners", body, token=admin)
    assert r.status_code == 201
    assert r.json["enabled"] is True and r.json["channels"] == ["bank_app"] and r.json["version"] == 1
    assert "secret" not in json.dumps({k: v for k, v in r.json.items() if k != "secret_param"})
    assert api.post("/v1/admin/partners", body, token=admin).json["code"] == "PARTNER_EXISTS"
    r = api.call(
        "PATCH",
        f"/v1/admin/partners/{partner_id}",
        {"version": 1, "ip_allowlist": ["198.51.100.7"], "channels": ["wallet", "counter"]},
        token=admin,
    )
    assert r.status_code == 200 and r.json["version"] == 2 and r.json["ip_allowlist"] == ["198.51.100.7"], r.json
    stale = api.call("PATCH", f"/v1/admin/partners/{partner_id}", {"version": 1, "name": "X"}, token=admin)
    assert stale.status_code == 409 and stale.json["code"] == "PARTNER_CHANGED"
    assert api.post(f"/v1/admin/partners/{partner_id}/disable", token=admin).json["enabled"] is False
    listed = {p["partner_id"]: p for p in api.get("/v1/admin/partners", token=admin).json["partners"]}
    assert listed[partner_id]["enabled"] is False and listed["DEMOBANK"]["enabled"] is True
    trail = api.get(f"/v1/admin/audit?entity=partner%23{partner_id}", token=admin).json["entries"]
    # (newest first, to the millisecond: changes within one may list in either order)
    assert sorted(t["action"] for t in trail) == ["partner.create", "partner.disable", "partner.update"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"partner_id": "VCB"}, "partner_id"),  # a bank code of the statement import
        ({"partner_id": "Lower"}, "partner_id"),
        ({"partner_id": "DEMO1"}, "partner_id"),
        ({"secret_param": "/cskh/prod/jwt-secret"}, "secret_param"),
        ({"secret_param": PREFIX}, "secret_param"),
        ({"ip_allowlist": ["not an address"]}, "ip_allowlist"),
        ({"channels": ["pigeon"]}, "channels[0]"),
        ({"channels": []}, "channels"),
        ({"name": ""}, "name"),
    ],
)
def test_what_a_partner_account_refuses(change, field, api, admin):
    partner_id = "TP" + _letters(6)
    body = dict({"partner_id": partner_id, "name": "Ví B", "secret_param": PREFIX + partner_id}, **change)
    r = api.post("/v1/admin/partners", body, token=admin)
    assert r.status_code == 400 and r.json["field"] == field, (change, r.json)
    assert (
        api.call("PATCH", "/v1/admin/partners/NOSUCHONE", {"version": 1, "name": "X"}, token=admin).status_code == 404
    )
