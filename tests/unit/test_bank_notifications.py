"""The bank-notification services' bodies and signatures (domain/bank_notifications.py), their adapters
(adapters/bank_notifications.py), and the one matcher of transfers (domain/transfer_matching.py)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from chalicelib.domain import bank_notifications as bn
from chalicelib.domain import payment_reference as pr
from chalicelib.domain import statements
from chalicelib.domain import transfer_matching as tm
from chalicelib.errors import AppError

# Casso's own sample (its developer docs' "verify the webhook" code, the same in every language): the
# checksum key, the header, and the test transaction its dashboard's "Gọi thử" sends.
CASSO_SAMPLE_KEY = "mgExMrjj4i7a1p8Cs6LmFbpCd8lbw4sSX4LZXPag7TKazeIogtR90tvWYTkwQbvs"
CASSO_SAMPLE_HEADER = (
    "t=1727948258788,v1=ed0a4bd2e826d5cb69988cdb141e6c1a080e21f3b57eb72cd78192220042b9e7dde0868fc667faea8e224900fa"
    "7904e7c88dfa098032fb2d6b6996856e8b7ff3"
)
CASSO_SAMPLE = {
    "error": 0,
    "data": {
        "id": 0,
        "reference": "MA_GIAO_DICH_THU_NGHIEM",
        "description": "giao dich thu nghiem",
        "amount": 599000,
        "runningBalance": 25000000,
        "transactionDateTime": "2024-10-03 15:06:37",
        "accountNumber": "88888888",
        "bankName": "VPBank",
        "bankAbbreviation": "VPB",
        "virtualAccountNumber": "",
        "virtualAccountName": "",
        "counterAccountName": "NGUYEN VAN A",
        "counterAccountNumber": "8888888888",
        "counterAccountBankId": "970415",
        "counterAccountBankName": "VietinBank",
    },
}
SEPAY_SAMPLE = {  # SePay's documented example body
    "id": 92704,
    "gateway": "Vietcombank",
    "transactionDate": "2023-03-25 14:02:37",
    "accountNumber": "0123499999",
    "code": None,
    "content": "chuyen tien mua iphone",
    "transferType": "in",
    "transferAmount": 2277000,
    "accumulated": 19077000,
    "subAccount": None,
    "referenceCode": "MBVCB.3278907687",
    "description": "",
}


def _refused(fn, *args) -> AppError:
    with pytest.raises(AppError) as info:
        fn(*args)
    assert info.value.status == 400, info.value
    return info.value


# -- Casso's signature -------------------------------------------------------------------------


def test_casso_published_sample_verifies_and_signs_the_whole_body():
    t, sig = bn.casso_header(CASSO_SAMPLE_HEADER)
    assert t == 1727948258788
    assert bn.casso_signature_ok(CASSO_SAMPLE_KEY, t, sig, CASSO_SAMPLE)
    assert bn.casso_signature(CASSO_SAMPLE_KEY, t, CASSO_SAMPLE) == sig
    # What is signed is the whole body {error, data}, not the data object alone.
    assert not bn.casso_signature_ok(CASSO_SAMPLE_KEY, t, sig, CASSO_SAMPLE["data"])


def _vector(key: str, t: int, body, *, ascii_only: bool, escape_slash: bool) -> str:
    """The documented algorithm, written out: '<t>.' + JSON with sorted keys, compact; HMAC-SHA512 hex."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
    if escape_slash:
        text = text.replace("/", "\\/")
    return hmac.new(key.encode(), f"{t}.{text}".encode(), hashlib.sha512).hexdigest()


@pytest.mark.parametrize("ascii_only", [False, True])
@pytest.mark.parametrize("escape_slash", [False, True])
def test_casso_signatures_of_every_samples_serialisation_verify(ascii_only, escape_slash):
    """Casso's samples serialise with JavaScript (UTF-8, '/' as is), Python (\\u escapes) and PHP
    (\\u escapes and '\\/'): a purpose with diacritics and a slash verifies whichever signed it."""
    key, t = "k" * 32, 1751969961329
    body = {"error": 0, "data": dict(CASSO_SAMPLE["data"], id=7, description="Thanh toán TH260501031059F T5/2026")}
    sig = _vector(key, t, body, ascii_only=ascii_only, escape_slash=escape_slash)
    assert bn.casso_signature_ok(key, t, sig, body)
    assert bn.casso_signature_ok(key, t, sig.upper(), body)


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b["data"].update(amount=599001),
        lambda b: b["data"].update(description="giao dich thu nghiem TN01031059K"),
        lambda b: b.update(error=1),
    ],
)
def test_casso_a_changed_body_wrong_key_or_other_time_fails(change):
    key, t = "secret-key-of-casso", 1727948258788
    body = json.loads(json.dumps(CASSO_SAMPLE))
    sig = bn.casso_signature(key, t, body)
    assert bn.casso_signature_ok(key, t, sig, body)
    assert not bn.casso_signature_ok("another-key-of-casso", t, sig, body)
    assert not bn.casso_signature_ok(key, t + 1, sig, body)
    change(body)
    assert not bn.casso_signature_ok(key, t, sig, body)


@pytest.mark.parametrize(
    "header",
    [None, "", "t=1,v1=ab", "v1=" + "a" * 128, "t=1727948258788", "t=1727948258788,v1=" + "g" * 128, "sha512=x"],
)
def test_casso_unreadable_headers(header):
    assert bn.casso_header(header) is None


# -- SePay's key -------------------------------------------------------------------------------


def test_sepay_key():
    key = "sepay-webhook-key-0123456789"
    assert bn.sepay_key_ok(key, f"Apikey {key}")
    assert bn.sepay_key_ok(key, f"apikey  {key} ")
    for wrong in (None, "", key, f"Bearer {key}", f"Apikey {key}x", f"Apikey {key[:-1]}", "Apikey "):
        assert not bn.sepay_key_ok(key, wrong), wrong


def test_sepay_key_is_compared_in_constant_time_whatever_the_header(monkeypatch):
    """Every check goes through hmac.compare_digest, even with the wrong scheme or a short key: no early
    return that would time differently."""
    calls = []
    real = hmac.compare_digest

    def counting(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(bn.hmac, "compare_digest", counting)
    key = "sepay-webhook-key-0123456789"
    for header in (f"Apikey {key}", "Bearer x", "", None, "Apikey short"):
        bn.sepay_key_ok(key, header)
    assert len(calls) == 5


# -- SePay's body ------------------------------------------------------------------------------


def test_sepay_body():
    t = bn.parse_sepay(SEPAY_SAMPLE)
    assert t == bn.BankTransfer(
        service="sepay",
        service_id="92704",
        account_number="0123499999",
        amount=2277000,
        direction="in",
        content="chuyen tien mua iphone",
        bank_ref="MBVCB.3278907687",
        occurred_at="2023-03-25T14:02:37+07:00",
        sub_account=None,
        gateway="Vietcombank",
    )
    assert t.key == "sepay#92704" and t.booked_on == "2023-03-25"
    out = bn.parse_sepay(dict(SEPAY_SAMPLE, transferType="out", content="", description="SMS  text  TN01031059K"))
    assert out.direction == "out" and out.content == "SMS text TN01031059K"
    assert bn.parse_sepay(dict(SEPAY_SAMPLE, referenceCode=None)).bank_ref == ""
    assert bn.parse_sepay(dict(SEPAY_SAMPLE, subAccount="VQR0001")).sub_account == "VQR0001"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("transferAmount", None),
        ("transferAmount", -2277000),
        ("transferAmount", 0),
        ("transferAmount", 2277000.0),
        ("transferAmount", 2277000.5),
        ("transferAmount", "2277000"),
        ("transferAmount", True),
        ("transferAmount", 10**12 + 1),
        ("transferAmount", 10**30),
        ("transferType", "IN"),
        ("transferType", None),
        ("id", None),
        ("id", -1),
        ("id", "92 704"),
        ("accountNumber", None),
        ("accountNumber", "0123-4999"),
        ("transactionDate", "25/03/2023 14:02"),
        ("transactionDate", 1679727757),
        ("content", 42),
        ("referenceCode", "x" * 65),
    ],
)
def test_sepay_bad_bodies_are_400s_naming_the_field(field, value):
    err = _refused(bn.parse_sepay, dict(SEPAY_SAMPLE, **{field: value}))
    assert err.code == "INVALID_NOTIFICATION" and err.field == field
    missing = dict(SEPAY_SAMPLE)
    missing.pop(field)
    if field not in ("content", "referenceCode"):
        assert _refused(bn.parse_sepay, missing).field == field


@pytest.mark.parametrize("raw", [b"", b"{", b"not json", b"\xff\xfe", b"[" * 100000 + b"]" * 100000])
def test_malformed_json_is_a_400(raw):
    err = _refused(bn.loads, raw)
    assert err.code in ("INVALID_JSON", "BODY_TOO_LARGE")


def test_a_body_that_is_not_an_object_is_a_400():
    assert _refused(bn.parse_sepay, [SEPAY_SAMPLE]).field == "body"
    assert _refused(bn.parse_casso, "x").field == "body"


# -- Casso's body ------------------------------------------------------------------------------


def test_casso_body():
    body = {"error": 0, "data": dict(CASSO_SAMPLE["data"], id=1234, reference="FT24277123", accountNumber="1012345678")}
    [t] = bn.parse_casso(body)
    assert (t.service, t.key, t.amount, t.direction, t.bank_ref, t.occurred_at, t.test) == (
        "casso",
        "casso#1234",
        599000,
        "in",
        "FT24277123",
        "2024-10-03T15:06:37+07:00",
        False,
    )
    assert t.sub_account is None and t.gateway == "VPB"
    [out] = bn.parse_casso({"error": 0, "data": dict(body["data"], amount=-50000)})
    assert (out.direction, out.amount) == ("out", 50000)
    [sample] = bn.parse_casso(CASSO_SAMPLE)
    assert sample.test
    two = bn.parse_casso({"error": 0, "data": [body["data"], dict(body["data"], id=1235)]})
    assert [x.key for x in two] == ["casso#1234", "casso#1235"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "data.amount"),
        ({"amount": 599000.0}, "data.amount"),
        ({"amount": "599000"}, "data.amount"),
        ({"amount": None}, "data.amount"),
        ({"amount": -(10**13)}, "data.amount"),
        ({"id": None}, "data.id"),
        ({"transactionDateTime": "2024-10-03"}, "data.transactionDateTime"),
        ({"accountNumber": None}, "data.accountNumber"),
    ],
)
def test_casso_bad_bodies_are_400s_naming_the_field(change, field):
    body = {"error": 0, "data": dict(CASSO_SAMPLE["data"], **change)}
    assert _refused(bn.parse_casso, body).field == field


def test_casso_envelope_errors():
    assert _refused(bn.parse_casso, {"error": 1, "data": CASSO_SAMPLE["data"]}).field == "error"
    assert _refused(bn.parse_casso, {"error": 0, "data": []}).field == "data"
    assert _refused(bn.parse_casso, {"error": 0}).field == "data"
    assert _refused(bn.parse_casso, {"error": 0, "data": [CASSO_SAMPLE["data"]] * 101}).field == "data"
    assert _refused(bn.parse_casso, {"error": 0, "data": [CASSO_SAMPLE["data"], {"id": 2}]}).field.startswith(
        "data[1]."
    )


# -- the adapters ------------------------------------------------------------------------------


class _Clock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> int:
        return self._now

    def vn_now(self):  # pragma: no cover - not used here
        raise NotImplementedError


def test_the_adapters_refuse_a_wrong_key_or_signature_with_401s_before_reading_the_body():
    from chalicelib.adapters.bank_notifications import CassoNotifications, SepayNotifications

    sepay = SepayNotifications(lambda: "sepay-webhook-key-0123456789")
    raw = json.dumps(SEPAY_SAMPLE).encode()
    assert [t.key for t in sepay.verify({"authorization": "Apikey sepay-webhook-key-0123456789"}, raw)] == [
        "sepay#92704"
    ]
    assert sepay.answer() == {"success": True}
    for headers in ({}, {"authorization": "Apikey wrong"}):
        with pytest.raises(AppError) as info:
            sepay.verify(headers, b"not even json")
        assert (info.value.status, info.value.code) == (401, "INVALID_API_KEY")

    key, t = "casso-checksum-key-0123", 1727948258788
    casso = CassoNotifications(lambda: key, _Clock(t // 1000), tolerance_seconds=300)
    header = f"t={t},v1={bn.casso_signature(key, t, CASSO_SAMPLE)}"
    assert casso.verify({"x-casso-signature": header}, json.dumps(CASSO_SAMPLE).encode())[0].test
    for headers, code in (
        ({}, "INVALID_SIGNATURE"),
        ({"x-casso-signature": header.replace(f"t={t}", f"t={t + 1}")}, "INVALID_SIGNATURE"),
        ({"x-casso-signature": CASSO_SAMPLE_HEADER}, "INVALID_SIGNATURE"),  # another key
    ):
        with pytest.raises(AppError) as info:
            casso.verify(headers, json.dumps(CASSO_SAMPLE).encode())
        assert (info.value.status, info.value.code) == (401, code)
    late = CassoNotifications(lambda: key, _Clock(t // 1000 + 301), tolerance_seconds=300)
    with pytest.raises(AppError) as info:
        late.verify({"x-casso-signature": header}, json.dumps(CASSO_SAMPLE).encode())
    assert (info.value.status, info.value.code) == (401, "STALE_SIGNATURE")
    early = CassoNotifications(lambda: key, _Clock(t // 1000 - 301), tolerance_seconds=300)
    with pytest.raises(AppError):
        early.verify({"x-casso-signature": header}, json.dumps(CASSO_SAMPLE).encode())
    assert CassoNotifications(lambda: key, _Clock(t // 1000 + 299), 300).verify(
        {"x-casso-signature": header}, json.dumps(CASSO_SAMPLE).encode()
    )


# -- the matcher -------------------------------------------------------------------------------

CODE, OTHER = "01031059", "01031060"
INVOICE = statements.InvoiceFacts(f"INV-{CODE}-202605", CODE, "unpaid", 78255)


def _decide(text: str, known=(CODE, OTHER), orders=None) -> tm.Decision:
    match = tm.read(text)
    facts = {INVOICE.invoice_id: INVOICE} if INVOICE.invoice_id in match.invoice_ids else {}
    return tm.decide(match, facts, known, orders or {})


def test_our_references_name_the_account_the_invoice_or_the_order():
    account, invoice = pr.for_account(CODE), pr.for_invoice(CODE, "2026-05")
    assert _decide(f"{account} thanh toan tien nuoc") == tm.Decision("matched", customer_code=CODE)
    assert _decide(f"MBVCB.3278907687.{invoice}.CT tu 0907186555") == tm.Decision(
        "matched", customer_code=CODE, invoice_ids=(f"INV-{CODE}-202605",)
    )
    assert _decide(f"{account} {invoice}").invoice_ids == (f"INV-{CODE}-202605",)
    assert _decide(f"Chuyển tiền nước {invoice.lower()}").customer_code == CODE  # case and diacritics folded
    order_id = "K0123456789AB"
    items = ((f"INV-{CODE}-202605", CODE, 78255), (f"INV-{OTHER}-202605", OTHER, 50000))
    decision = _decide(pr.for_order(order_id), orders={order_id: tm.OrderFacts(order_id, items)})
    assert (decision.status, decision.order_id, decision.items, decision.customer_code) == (
        "matched",
        order_id,
        items,
        CODE,
    )


def test_our_references_that_name_nobody_or_several_or_have_a_bad_check_letter_are_parked():
    account = pr.for_account(CODE)
    wrong = account[:-1] + ("A" if account[-1] != "A" else "B")
    assert _decide(f"{wrong} tien nuoc").reason == tm.BAD_REFERENCE
    assert _decide(f"{wrong} KH {CODE}").reason == tm.BAD_REFERENCE  # never guessed from the code written by hand
    assert _decide(pr.for_account("0999999999")).reason == tm.UNKNOWN_REFERENCE
    assert _decide(pr.for_order("K0123456789AB")).reason == tm.UNKNOWN_REFERENCE
    assert _decide(f"{account} {pr.for_account(OTHER)}").reason == "SEVERAL_CUSTOMERS"
    assert _decide(f"{pr.for_order('K0123456789AB')} {account}").reason == "SEVERAL_CUSTOMERS"
    assert _decide(f"{account} {wrong}") == tm.Decision("matched", customer_code=CODE)  # one valid: it counts


def test_without_our_reference_the_hand_written_codes_decide_as_before():
    assert _decide(f"TT TIEN NUOC KH {CODE} T5/2026") == tm.Decision(
        "matched", customer_code=CODE, invoice_ids=(f"INV-{CODE}-202605",)
    )
    assert _decide("CHUYEN TIEN").reason == "NO_REFERENCE"
    assert _decide("KH 0999999999").reason == "UNKNOWN_CUSTOMER"
    assert _decide(f"KH {CODE} VA {OTHER}").reason == "SEVERAL_CUSTOMERS"
    # The old matcher and this one agree on hand-written text.
    for text in (f"TT TIEN NUOC KH {CODE} T5/2026", "CHUYEN TIEN", f"INV-{CODE}-202605"):
        refs = statements.find_references(text)
        facts = {INVOICE.invoice_id: INVOICE}
        old = statements.decide(refs, facts, (CODE, OTHER))
        new = tm.decide(tm.read(text), facts, (CODE, OTHER))
        assert (old.status, old.customer_code, old.invoice_ids, old.reason) == (
            new.status,
            new.customer_code,
            new.invoice_ids,
            new.reason,
        )


def test_the_new_reasons_are_known_to_the_suspense_list():
    assert {tm.BAD_REFERENCE, tm.UNKNOWN_REFERENCE, tm.OTHER_ACCOUNT} <= set(statements.REASONS)
