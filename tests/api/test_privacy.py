"""GET /v1/me/data: the right of access (Decree 13/2023/ND-CP). A customer sees
everything held about her, and nothing of anyone else's; staff and managers
cannot use it; secrets never come out; no Scan."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
from urllib.parse import quote_plus, urlencode

import pytest

from tests.api.conftest import otp_from

SECRET = os.environ["VNPAY_HASH_SECRET"]
PERIODS = [("2024-03", 10, 21, 66000, "unpaid"), ("2024-04", 21, 30, 54000, "unpaid")]
PUSH_ENDPOINT = "arn:aws:sns:ap-southeast-1:000000000000:endpoint/GCM/cskh/3b1f0c9e-a11c-4e5b-9d2e-7f00d15ea5e1"
_txn = itertools.count(27000000)


def _pay_by_vnpay(api, token: str, invoice_id: str) -> dict:
    order = api.post("/v1/payments", {"invoice_ids": [invoice_id]}, token=token)
    assert order.status_code in (200, 201), order.json
    order = order.json
    txn = str(next(_txn))
    p = {
        "vnp_TmnCode": "CSKHTEST",
        "vnp_Amount": str(order["amount"] * 100),
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP" + txn,
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan",
        "vnp_PayDate": "20240505101010",
        "vnp_ResponseCode": "00",
        "vnp_TransactionNo": txn,
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": order["order_id"],
    }
    data = "&".join(f"{quote_plus(k)}={quote_plus(str(v))}" for k, v in sorted(p.items()))
    p["vnp_SecureHash"] = hmac.new(SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()
    r = api.get("/v1/vnpay/ipn?" + urlencode(p), token="")
    assert r.json["RspCode"] == "00", r.json
    return dict(order, transaction_no=txn)


def text_of(r) -> str:
    return r.body.decode() if isinstance(r.body, bytes) else r.body


def _rename(customer, name: str, phone: str, address: str) -> None:
    from chalicelib.store.models import CustomerModel

    customer.update(
        actions=[CustomerModel.name.set(name), CustomerModel.phone.set(phone), CustomerModel.address.set(address)]
    )


@pytest.fixture
def alice(api, registered, sms, admin, new_customer):
    """A customer with a bit of everything: invoices, a VNPay payment, a second linked code,
    reminder preferences, a push endpoint, a confirmed payment-channel request (an audit
    entry), a link code waiting, two sessions."""
    from chalicelib.store.models import CustomerModel

    home, tokens = registered(invoices=PERIODS, password="Alice-nuoc-2024")
    _rename(home, "Trần Thị Alixa", "0911000111", "12 Đường Alixa, Phường 5, TP Cà Mau")
    token = tokens["access_token"]
    invoices = api.get(f"/v1/customers/{home.code}/invoices?status=unpaid", token=token).json["invoices"]
    paid = _pay_by_vnpay(api, token, invoices[-1]["invoice_id"])
    # A second house, linked with its own SMS proof.
    shop = new_customer(invoices=[("2024-04", 5, 9, 24000, "unpaid")])
    assert api.post("/v1/me/customers", {"customer_code": shop.code}, token=token).status_code == 202
    linked = api.post(
        "/v1/me/customers/confirm", {"customer_code": shop.code, "otp": otp_from(sms, shop.code)}, token=token
    )
    assert linked.status_code == 200, linked.json
    token = linked.json["access_token"]
    # Preferences, a push endpoint, a payment-channel request the utility confirms.
    r = api.call(
        "PUT",
        "/v1/me/notifications",
        {"customer_code": home.code, "channels": ["sms", "email"], "email": "alixa@example.vn"},
        token=token,
    )
    assert r.status_code == 200, r.json
    CustomerModel(home.code).update(actions=[CustomerModel.push_endpoint.set(PUSH_ENDPOINT)])
    req = api.post(
        "/v1/me/payment-channel",
        {
            "customer_code": shop.code,
            "channel": "bank_transfer",
            "bank_code": "VCB",
            "account_holder": "TRAN THI ALIXA",
            "account_no": "0071000987654",
        },
        token=token,
    )
    assert req.status_code == 202, req.json
    assert (
        api.post(
            f"/v1/admin/payment-channel-requests/{req.json['request_id']}", {"decision": "confirm"}, token=admin
        ).status_code
        == 200
    )
    # A linked chat identity, where this deployment keeps chat links.
    from chalicelib.store import models

    if hasattr(models, "ChatLinkModel"):
        models.ChatLinkModel(
            "f" * 56 + home.code,
            link_id=f"LNK{home.code}",
            account_id=f"customer:{home.code}",
            platform="zalo",
            user_hint="…4821",
            linked_at=1_750_000_000,
        ).save()
    # A second session, and a password-reset code waiting (never shown: only that it exists).
    second = api.login(home.code, "Alice-nuoc-2024")
    assert api.post("/v1/auth/password/forgot", {"customer_code": home.code}, token="").status_code == 202
    return {
        "home": home,
        "shop": shop,
        "token": token,
        "tokens": tokens,
        "second": second,
        "order": paid,
        "invoices": invoices,
        "request_id": req.json["request_id"],
        "reset_otp": otp_from(sms, home.code),
    }


@pytest.fixture
def bob(registered):
    customer, tokens = registered(invoices=[("2024-04", 1, 8, 40000, "unpaid")])
    _rename(customer, "Lê Văn Bobby", "0922000222", "99 Hẻm Bobby, Phường 8, TP Cà Mau")
    return customer, tokens


def test_a_customer_sees_everything_held_about_her_and_nothing_of_bob(api, alice, bob, calls):
    calls.clear()
    r = api.get("/v1/me/data", token=alice["token"])
    assert r.status_code == 200, r.json
    assert r.headers["Cache-Control"] == "no-store"
    assert "Scan" not in calls, dict(calls)  # Queries, GetItems and BatchGets only
    data = r.json
    home, shop = alice["home"], alice["shop"]

    assert data["account"]["login"] == home.code and data["account"]["role"] == "customer"
    assert "hash is held" in data["account"]["password"]
    by_code = {c["customer_code"]: c for c in data["customers"]}
    assert set(by_code) == {home.code, shop.code}
    mine = by_code[home.code]
    assert (mine["name"], mine["phone"], mine["address"]) == (
        "Trần Thị Alixa",
        "0911000111",
        "12 Đường Alixa, Phường 5, TP Cà Mau",
    )
    assert mine["linked_at"] and mine["ledger_no"] == home.ledger_no and "serial" in mine["meter"]
    assert mine["notifications"]["channels"] == ["sms", "email"]
    assert mine["notifications"]["email"] == "alixa@example.vn"
    assert mine["notifications"]["push_endpoint"].endswith(PUSH_ENDPOINT[-6:])
    assert mine["invoices"]["count"] == 2 and {i["invoice_id"] for i in mine["invoices"]["items"]} == {
        i["invoice_id"] for i in alice["invoices"]
    }
    paid = [i for i in mine["invoices"]["items"] if i["status"] == "paid"]
    assert len(paid) == 1 and paid[0]["payments"][0]["transaction_no"] == alice["order"]["transaction_no"]
    assert by_code[shop.code]["invoices"]["count"] == 1
    assert by_code[shop.code]["payment_channel"] == "bank_transfer"
    [request] = by_code[shop.code]["payment_channel_requests"]
    assert request["request_id"] == alice["request_id"] and request["account_no"] == "****7654"
    assert request["status"] == "confirmed"

    assert len(data["sessions"]) == 2 and sum(s["current"] for s in data["sessions"]) == 1
    assert all(s["expires_at"] and s["created_at"] and s["device"] is None for s in data["sessions"])
    [order] = data["orders"]
    assert order["order_id"] == alice["order"]["order_id"] and order["status"] == "paid"
    assert [p["payment_id"] for p in data["payments"]] == [f"vnpay#{alice['order']['transaction_no']}"]
    assert {(c["purpose"], c["customer_code"]) for c in data["one_time_codes"]} == {("reset", home.code)}
    assert any(
        a["entity"] == f"customer#{shop.code}" and a["action"] == "payment_channel.confirmed" for a in data["audit"]
    )
    from chalicelib.store import models

    if hasattr(models, "ChatLinkModel"):
        [chat] = data["chat_links"]
        assert chat["platform"] == "zalo" and chat["user_hint"] == "…4821"
        assert "f" * 56 not in text_of(r)  # the identity's keyed hash stays masked
    else:
        assert data["chat_links"] is None
    assert data["truncated"] == [] and data["limits"]["orders"] >= 1

    text = r.body.decode() if isinstance(r.body, bytes) else r.body
    bob_customer, _bob_tokens = bob
    for theirs in (bob_customer.code, "Bobby", "0922000222", "Hẻm Bobby"):
        assert theirs not in text
    # Secrets never come out: no password hash, no one-time code or its hash, no token, no full endpoint.
    from chalicelib.store.models import AccountModel, OneTimeCodeModel, SessionModel

    account = AccountModel.get(f"customer:{home.code}")
    otp_item = OneTimeCodeModel.get(f"reset#{home.code}")
    families = [s.family_id for s in SessionModel.by_account.query(account.account_id)]
    for secret in (
        account.password_hash,
        account.password_hash.split("$")[-1],
        otp_item.code_hash,
        otp_item.nonce,
        alice["reset_otp"],
        alice["tokens"]["refresh_token"],
        alice["second"]["refresh_token"],
        alice["token"],
        PUSH_ENDPOINT,
        "Alice-nuoc-2024",
        *families,
    ):
        assert secret not in text


def test_the_download_is_the_same_document_as_an_attachment(api, alice):
    r = api.get("/v1/me/data?format=json", token=alice["token"])
    assert r.status_code == 200
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and alice["home"].code in disposition
    inline = api.get("/v1/me/data", token=alice["token"]).json
    assert {k: v for k, v in r.json.items() if k != "generated_at"} == {
        k: v for k, v in inline.items() if k != "generated_at"
    }
    bad = api.get("/v1/me/data?format=xml", token=alice["token"])
    assert bad.status_code == 400 and bad.json["field"] == "format"


def test_bob_sees_only_his_own(api, alice, bob):
    customer, tokens = bob
    data = api.get("/v1/me/data", token=tokens["access_token"]).json
    assert [c["customer_code"] for c in data["customers"]] == [customer.code]
    assert data["orders"] == [] and data["payments"] == [] and len(data["sessions"]) == 1
    text = json.dumps(data, ensure_ascii=False)
    for hers in (alice["home"].code, alice["shop"].code, "Alixa", "0911000111", alice["order"]["order_id"]):
        assert hers not in text


def test_staff_and_managers_cannot_use_it(api, admin):
    assert api.get("/v1/me/data", token="").status_code == 401
    assert api.get("/v1/me/data", token=admin).status_code == 403  # the authorizer: not a customer route
    from chalicelib.config import get_settings, jwt_signing_key
    from chalicelib.domain import tokens

    now = int(__import__("time").time())
    staff = tokens.encode_access(
        jwt_signing_key(),
        get_settings().jwt_issuer,
        tokens.Identity("staff:thu01", "staff", (), "fam", device="356938035643809"),
        now,
        900,
    )
    assert api.get("/v1/me/data", token=staff).status_code == 403
    # Behind the authorizer too, the service answers customers only.
    from chalicelib import deps
    from chalicelib.errors import Forbidden

    with pytest.raises(Forbidden):
        deps.privacy().export(tokens.Identity("admin:admin", "admin"))


def test_a_customer_whose_account_is_gone_is_refused(api, registered):
    from chalicelib.store.models import AccountModel

    customer, tokens = registered()
    AccountModel(f"customer:{customer.code}").delete()
    assert api.get("/v1/me/data", token=tokens["access_token"]).status_code == 401


# -- masking: what a caller who has not proved ownership sees, and what the logs carry ------------

NAME, PHONE, ADDRESS = "Phạm Sentinelo Quý", "0933777444", "77 Đường Sentinela, Phường 9, TP Cà Mau"
PASSWORD, NEW_PASSWORD = "Sentinel-pass-2024", "Sentinel-moi-2025"


@pytest.fixture
def captured_logs():
    """Everything the Powertools logger writes (at DEBUG) while a test runs, after the PII filter."""
    import io

    from chalicelib.observability import logger

    buffer = io.StringIO()
    previous_stream = logger.registered_handler.setStream(buffer)
    previous_level = logger.log_level
    logger.setLevel("DEBUG")
    try:
        yield buffer
    finally:
        logger.registered_handler.setStream(previous_stream)
        logger.setLevel(previous_level)


def test_answers_before_proof_of_ownership_are_masked_and_logs_hold_no_personal_data(
    api, sms, new_customer, admin, captured_logs
):
    from chalicelib.observability import logger

    c = new_customer(invoices=PERIODS, phone=PHONE, house_no="77", ledger_no="SNT-0001")
    _rename(c, NAME, PHONE, ADDRESS)
    secrets_seen = [PASSWORD, NEW_PASSWORD]
    anonymous = []

    # Before any proof: look-up, registration start, a wrong confirmation, password forgot.
    for body in ({"phone": PHONE}, {"ledger_no": "SNT-0001", "house_no": "77"}):
        r = api.post("/v1/auth/customer-code-lookup", body, token="")
        assert r.status_code == 200 and r.json["customers"][0]["customer_code"] == c.code
        anonymous.append(r)
    anonymous.append(api.post("/v1/auth/register", {"customer_code": c.code}, token=""))
    assert anonymous[-1].status_code == 202 and anonymous[-1].json["otp_sent_to"].endswith("444")
    otp = otp_from(sms, c.code)
    wrong = "000000" if otp != "000000" else "111111"
    anonymous.append(
        api.post("/v1/auth/register/confirm", {"customer_code": c.code, "otp": wrong, "password": PASSWORD}, token="")
    )
    assert anonymous[-1].status_code == 400
    r = api.post("/v1/auth/register/confirm", {"customer_code": c.code, "otp": otp, "password": PASSWORD}, token="")
    assert r.status_code == 201
    tokens = r.json
    secrets_seen += [otp, tokens["access_token"], tokens["refresh_token"]]
    anonymous.append(api.post("/v1/auth/login", {"customer_code": c.code, "password": "Wrong-pass-2024"}, token=""))
    anonymous.append(api.post("/v1/auth/password/forgot", {"customer_code": c.code}, token=""))
    reset_otp = otp_from(sms, c.code)
    r = api.post(
        "/v1/auth/password/reset", {"customer_code": c.code, "otp": reset_otp, "new_password": NEW_PASSWORD}, token=""
    )
    assert r.status_code == 200, r.json
    secrets_seen.append(reset_otp)
    # Signed in: the owner's own views (full data is fine in the answer, never in the logs).
    login = api.login(c.code, NEW_PASSWORD)
    token = login["access_token"]
    secrets_seen += [token, login["refresh_token"]]
    assert api.get("/v1/me", token=token).json["customers"][0]["name"] == NAME
    invoices = api.get(f"/v1/customers/{c.code}/invoices", token=token).json["invoices"]
    assert api.get(f"/v1/invoices/{invoices[0]['invoice_id']}", token=token).status_code == 200
    order = _pay_by_vnpay(api, token, invoices[0]["invoice_id"])
    # The VNPay return page is public (the browser comes back from VNPay): it shows the order, not the customer.
    ret = api.get("/v1/vnpay/return?vnp_TxnRef=" + order["order_id"], token="")
    anonymous.append(ret)
    r = api.post(
        "/v1/me/payment-channel",
        {
            "customer_code": c.code,
            "channel": "authorised_debit",
            "bank_code": "AGR",
            "account_holder": NAME,
            "account_no": "4455667788990",
        },
        token=token,
    )
    assert r.status_code == 202
    assert api.get("/v1/me/data", token=token).json["customers"][0]["phone"] == PHONE
    assert api.post("/v1/auth/refresh", {"refresh_token": login["refresh_token"]}, token="").status_code == 200
    # A handler that fails with personal data in the exception still logs none of it.
    try:
        raise RuntimeError(f"boom for {PHONE}")
    except RuntimeError:
        logger.exception(
            "probe",
            extra={"phone": PHONE, "customer_name": NAME, "address": ADDRESS, "detail": f"sms to {PHONE} failed"},
        )

    for r in anonymous:
        text = r.body.decode() if isinstance(r.body, bytes) else (r.body or "")
        for plain in (NAME, *NAME.split(), PHONE, ADDRESS, "Sentinela", "4455667788990"):
            assert plain not in text, (plain, text[:300])

    # Read back as JSON and written out again unescaped, so an escaped name cannot hide.
    logs = "\n".join(
        json.dumps(json.loads(line), ensure_ascii=False)
        for line in captured_logs.getvalue().splitlines()
        if line.strip()
    )
    assert logs.count("\n") > 20, "the flow should have logged its requests"
    name_words = [w for w in NAME.split() if len(w) > 3]
    for plain in (PHONE, PHONE[1:], ADDRESS, "Sentinela", *name_words, "4455667788990", *secrets_seen):
        assert plain not in logs, plain
    for line in logs.splitlines():
        assert not (c.code in line and any(w in line for w in name_words)), line


def test_a_kept_local_table_gains_the_indexes_its_model_added(app):
    """`make run` keeps .local/dynamodb: bootstrap adds an index such as sessions.by_account to an old table."""
    import boto3
    from pynamodb.attributes import NumberAttribute, UnicodeAttribute
    from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
    from pynamodb.models import Model

    from chalicelib.config import get_settings
    from local import bootstrap

    s = get_settings()
    client = boto3.client("dynamodb", region_name=s.region, endpoint_url=s.dynamodb_endpoint)
    name = s.table_name("index-probe")
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )

    class ByOwner(GlobalSecondaryIndex):
        class Meta:
            index_name = "by_owner"
            projection = KeysOnlyProjection()

        owner = UnicodeAttribute(hash_key=True)
        at = NumberAttribute(range_key=True)

    class Probe(Model):
        class Meta:
            table_name, region, host = name, s.region, s.dynamodb_endpoint

        pk = UnicodeAttribute(hash_key=True)
        owner = UnicodeAttribute()
        at = NumberAttribute()
        by_owner = ByOwner()

    try:
        bootstrap._add_missing_indexes(client, Probe)
        bootstrap._add_missing_indexes(client, Probe)  # idempotent
        indexes = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
        assert [ix["IndexName"] for ix in indexes] == ["by_owner"]
    finally:
        client.delete_table(TableName=name)
