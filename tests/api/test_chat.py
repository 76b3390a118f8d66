"""Chat assistants through chalice.test.Client: signed webhooks, linking with a
one-time code, look-ups that tell an unlinked chat nothing, dedupe, rate limits."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import json
import time

import pytest

from chalicelib import deps
from chalicelib.adapters.queues import MemoryPublisher
from chalicelib.config import get_settings, jwt_signing_key
from chalicelib.domain import chat as rules

FB_SECRET = "fb-app-secret-for-tests-0123456789"
VERIFY = "verify-token-for-tests"
ZALO_APP = "3456789012345678"
ZALO_SECRET = "zalo-oa-secret-for-tests"
PAY = "https://cskh.example.vn/pay?invoice="
_ids = itertools.count(1)


class Captured(MemoryPublisher):
    def replies(self, recipient):
        return [b["text"] for q, b in self.messages if q == "chat" and b["recipient"] == recipient]


def _service(settings, publisher):
    from chalicelib.adapters.clock import Clock
    from chalicelib.services.chat import ChatService
    from chalicelib.store import audit
    from chalicelib.store.auth import AccountStore, CounterStore
    from chalicelib.store.chat import ChatStore
    from chalicelib.store.invoices import InvoiceStore

    return ChatService(
        settings=settings,
        store=ChatStore(),
        accounts=AccountStore(),
        invoices=InvoiceStore(),
        counters=CounterStore(),
        publisher=publisher,
        clock=Clock(),
        key=jwt_signing_key,
        audit_entry=audit.entry,
        facebook_secret=lambda: settings.facebook_app_secret,
        zalo_secret=lambda: settings.zalo_oa_secret,
    )


@pytest.fixture
def outbox(api):
    captured = Captured()
    settings = dataclasses.replace(
        get_settings(),
        facebook_app_secret=FB_SECRET,
        facebook_verify_token=VERIFY,
        zalo_app_id=ZALO_APP,
        zalo_oa_secret=ZALO_SECRET,
        payment_link_base=PAY,
    )
    deps.override("chat", _service(settings, captured))
    return captured


def _user() -> str:
    return f"{int(time.time() * 1000)}{next(_ids):04d}"


def fb(api, psid, text, mid=None, secret=FB_SECRET, signature=None, ts_ms=None, body=None):
    mid = mid or f"m_{_user()}"
    raw = (
        body
        if body is not None
        else json.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": "PAGE",
                        "time": 1,
                        "messaging": [
                            {
                                "sender": {"id": psid},
                                "recipient": {"id": "PAGE"},
                                "timestamp": ts_ms or int(time.time() * 1000),
                                "message": {"mid": mid, "text": text},
                            }
                        ],
                    }
                ],
            },
            ensure_ascii=False,
        ).encode()
    )
    sig = signature if signature is not None else "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": sig} if sig else {}
    return api.call("POST", "/v1/chat/facebook", raw=raw, headers=headers, token="")


def zalo(api, user, text, msg_id=None, secret=ZALO_SECRET, ts_ms=None, signature=None):
    stamp = str(ts_ms or int(time.time() * 1000))
    raw = json.dumps(
        {
            "app_id": ZALO_APP,
            "user_id_by_app": "x",
            "event_name": "user_send_text",
            "timestamp": stamp,
            "sender": {"id": user},
            "recipient": {"id": "OA1"},
            "message": {"text": text, "msg_id": msg_id or f"z{_user()}"},
        },
        ensure_ascii=False,
    ).encode()
    sig = (
        signature
        if signature is not None
        else "mac=" + hashlib.sha256(ZALO_APP.encode() + raw + stamp.encode() + secret.encode()).hexdigest()
    )
    return api.call("POST", "/v1/chat/zalo", raw=raw, headers={"X-ZEvent-Signature": sig} if sig else {}, token="")


def _customer_with_invoice(registered):
    customer, tokens = registered(
        invoices=[("2024-04", 264, 275, 71000, "paid"), ("2024-05", 275, 286, 71500, "unpaid")]
    )
    return customer, tokens["access_token"]


def _link_code(api, token):
    r = api.post("/v1/me/chat-link-codes", token=token)
    assert r.status_code == 201, r.json
    assert len(r.json["code"]) == 8 and r.json["expires_in"] == 600
    return r.json["code"]


# -- the platforms' checks -------------------------------------------------------


def test_facebook_verification_handshake(api, outbox):
    ok = api.get(f"/v1/chat/facebook?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444", token="")
    assert ok.status_code == 200 and ok.body == b"1158201444"
    bad = api.get("/v1/chat/facebook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", token="")
    assert bad.status_code == 403 and bad.json["code"] == "INVALID_VERIFY_TOKEN"


def test_a_channel_without_its_secret_is_off(api):
    deps.override("chat", _service(get_settings(), Captured()))
    r = fb(api, "123", "help")
    assert r.status_code == 404 and r.json["code"] == "CHAT_CHANNEL_OFF"
    assert zalo(api, "123", "help").json["code"] == "CHAT_CHANNEL_OFF"
    assert (
        api.get("/v1/chat/facebook?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1", token="").status_code == 404
    )


def test_a_missing_or_wrong_signature_is_refused_before_anything_is_done(api, outbox):
    psid, mid = _user(), f"m_{_user()}"
    raw = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "P",
                    "messaging": [
                        {
                            "sender": {"id": psid},
                            "timestamp": int(time.time() * 1000),
                            "message": {"mid": mid, "text": "help"},
                        }
                    ],
                }
            ],
        }
    ).encode()
    good = "sha256=" + hmac.new(FB_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    for body, sig in (
        (raw, ""),
        (raw, "sha256=" + "0" * 64),
        (raw.replace(b"help", b"hel0"), good),
        (raw, good.replace("sha256=", "sha1=")),
        (raw, "sha256=" + hmac.new(b"another-secret", raw, hashlib.sha256).hexdigest()),
    ):
        r = fb(api, psid, "", body=body, signature=sig)
        assert r.status_code == 401 and r.json["code"] == "INVALID_SIGNATURE", (body, sig)
    assert outbox.messages == []
    # Nothing was recorded either: the same message, signed, is answered.
    assert fb(api, psid, "", body=raw, signature=good).status_code == 200
    assert outbox.replies(psid) == [rules.render_help("en")]
    user = _user()
    for sig in ("", "mac=" + "0" * 64):
        r = zalo(api, user, "help", signature=sig)
        assert r.status_code == 401 and r.json["code"] == "INVALID_SIGNATURE"
    assert zalo(api, user, "help", secret="wrong-secret").status_code == 401
    assert outbox.replies(user) == []
    garbage = api.call("POST", "/v1/chat/zalo", raw=b"not json", headers={"X-ZEvent-Signature": "mac=00"}, token="")
    assert garbage.status_code == 401


# -- linking and looking up ------------------------------------------------------


def test_an_unlinked_chat_learns_nothing_about_any_code(api, outbox, registered):
    customer, _ = _customer_with_invoice(registered)
    psid = _user()
    for text in (f"tra cứu {customer.code}", "tra cứu 99999999", f"{customer.code}", "tra cứu"):
        assert fb(api, psid, text).status_code == 200
    replies = outbox.replies(psid)
    assert replies == [rules.render_how_to_link()] * 4
    assert all("71.500" not in r and "Nguyễn" not in r for r in replies)


def test_link_with_a_one_time_code_then_look_up(api, outbox, registered):
    customer, token = _customer_with_invoice(registered)
    psid = _user()
    code = _link_code(api, token)
    assert fb(api, psid, f"Liên kết {code}").status_code == 200
    assert outbox.replies(psid)[-1] == rules.render_linked([customer.code])
    fb(api, psid, f"tra cuu {customer.code}")
    reply = outbox.replies(psid)[-1]
    from chalicelib.domain.invoices import summary
    from chalicelib.store.models import InvoiceModel

    invoice_id = f"INV-{customer.code}-202405"
    assert reply == rules.render_invoice(summary(InvoiceModel.get(invoice_id)), f"{PAY}{invoice_id}")
    assert f"Thanh toán: {PAY}INV-{customer.code}-202405" in reply and "82.225 đ" in reply
    fb(api, psid, "tra cứu")  # no code: the account's codes
    assert outbox.replies(psid)[-1] == reply
    links = api.get("/v1/me/chat-links", token=token).json["links"]
    assert [(x["platform"], x["user_hint"]) for x in links] == [("facebook", "…" + psid[-4:])]
    from chalicelib.store.models import AuditModel

    audit = list(AuditModel.query(f"chat_link#{links[0]['link_id']}"))
    assert [a.action for a in audit] == ["link"] and psid not in (audit[0].after or "")
    # The code was used up: another chat cannot link with it.
    other = _user()
    fb(api, other, f"liên kết {code}")
    assert outbox.replies(other) == [rules.render_link_failed()]


def test_a_linked_chat_cannot_look_up_another_accounts_code(api, outbox, registered):
    mine, token = _customer_with_invoice(registered)
    theirs, _ = _customer_with_invoice(registered)
    psid = _user()
    fb(api, psid, f"liên kết {_link_code(api, token)}")
    fb(api, psid, f"tra cứu {theirs.code}")
    fb(api, psid, "tra cứu 99999998")
    refused = outbox.replies(psid)[-2:]
    assert refused[0] == refused[1] == rules.render_how_to_link()
    assert mine.code not in refused[0] and theirs.code not in refused[0]


def test_a_redelivered_message_is_answered_once(api, outbox, registered):
    _, token = _customer_with_invoice(registered)
    psid, mid = _user(), f"m_{_user()}"
    code = _link_code(api, token)
    for _ in range(3):
        assert fb(api, psid, f"liên kết {code}", mid=mid).status_code == 200
    assert outbox.replies(psid) == [outbox.replies(psid)[0]] and "Đã liên kết" in outbox.replies(psid)[0]
    user, msg_id = _user(), f"z{_user()}"
    for _ in range(2):
        assert zalo(api, user, "help", msg_id=msg_id).status_code == 200
    assert len(outbox.replies(user)) == 1


def test_an_old_message_is_not_answered(api, outbox):
    user = _user()
    assert zalo(api, user, "help", ts_ms=int((time.time() - 7200) * 1000)).status_code == 200
    assert fb(api, user, "help", ts_ms=int((time.time() - 7200) * 1000)).status_code == 200
    assert outbox.replies(user) == []


def test_guessing_link_codes_is_rate_limited_per_chat_and_per_platform(api, outbox, registered, monkeypatch):
    _, token = _customer_with_invoice(registered)
    code = _link_code(api, token)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    psid = _user()
    for _ in range(5):
        fb(api, psid, f"liên kết {wrong}")
    fb(api, psid, f"liên kết {code}")  # even the right code, once the chat is over its limit
    assert outbox.replies(psid) == [rules.render_link_failed()] * 5 + [rules.render_rate_limited()]
    # Across the platform: many chats guessing share one budget.
    from chalicelib.services import chat as service

    monkeypatch.setattr(service, "LINK_TRIES_PER_PLATFORM_PER_HOUR", 6)  # 5 tries counted so far
    others = [_user() for _ in range(2)]
    for other in others:
        fb(api, other, f"liên kết {wrong}")
    assert outbox.replies(others[0]) == [rules.render_link_failed()]
    assert outbox.replies(others[1]) == [rules.render_rate_limited()]
    user = _user()  # another platform has its own budget
    zalo(api, user, f"liên kết {code}")
    assert "Đã liên kết" in outbox.replies(user)[0]


def test_link_codes_are_rate_limited_per_account(api, outbox, registered):
    _, token = _customer_with_invoice(registered)
    for _ in range(5):
        _link_code(api, token)
    r = api.post("/v1/me/chat-link-codes", token=token)
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_unlink_from_the_chat_and_from_the_account(api, outbox, registered):
    customer, token = _customer_with_invoice(registered)
    _, other_token = _customer_with_invoice(registered)
    psid = _user()
    fb(api, psid, f"liên kết {_link_code(api, token)}")
    fb(api, psid, "hủy liên kết")
    fb(api, psid, f"tra cứu {customer.code}")
    assert outbox.replies(psid)[-2:] == [rules.render_unlinked(True), rules.render_how_to_link()]
    assert api.get("/v1/me/chat-links", token=token).json["links"] == []
    fb(api, psid, f"liên kết {_link_code(api, token)}")
    link_id = api.get("/v1/me/chat-links", token=token).json["links"][0]["link_id"]
    # Someone else's link is not there for them; an unknown id neither.
    assert api.call("DELETE", f"/v1/me/chat-links/{link_id}", token=other_token).status_code == 404
    assert api.call("DELETE", "/v1/me/chat-links/..%2F", token=token).status_code == 404
    assert api.call("DELETE", f"/v1/me/chat-links/{link_id}", token=token).status_code == 204
    assert api.call("DELETE", f"/v1/me/chat-links/{link_id}", token=token).status_code == 404
    fb(api, psid, f"tra cứu {customer.code}")
    assert outbox.replies(psid)[-1] == rules.render_how_to_link()
    from chalicelib.store.models import AuditModel

    assert [a.action for a in AuditModel.query(f"chat_link#{link_id}")] == ["link", "unlink"]


def test_zalo_link_and_look_up_and_identities_are_per_platform(api, outbox, registered):
    customer, token = _customer_with_invoice(registered)
    user = _user()
    assert zalo(api, user, f"lien ket {_link_code(api, token)}").status_code == 200
    zalo(api, user, f"TC {customer.code}")
    assert "82.225 đ" in outbox.replies(user)[-1] and f"{PAY}INV-{customer.code}-202405" in outbox.replies(user)[-1]
    fb(api, user, f"tra cứu {customer.code}")  # the same id on Facebook is another person
    assert outbox.replies(user)[-1] == rules.render_how_to_link()
    assert [q for q, _ in outbox.messages] == ["chat"] * len(outbox.messages)


def test_the_chat_routes_need_a_customer_token(api, outbox):
    assert api.post("/v1/me/chat-link-codes", token="").status_code == 401
    assert api.get("/v1/me/chat-links", token="").status_code == 401


def test_logs_name_chat_users_only_by_a_short_hash(api, outbox, registered, caplog):
    from chalicelib.observability import logger

    customer, token = _customer_with_invoice(registered)
    psid, user = _user() + "1234567", _user() + "7654321"
    level = logger.log_level
    logger.setLevel("INFO")
    try:
        with caplog.at_level("INFO", logger="cskh"):
            fb(api, psid, f"liên kết {_link_code(api, token)}")
            fb(api, psid, f"tra cứu {customer.code}")
            zalo(api, user, "help", ts_ms=int((time.time() - 7200) * 1000))  # the warning for an old message
    finally:
        logger.setLevel(level)
    records = [r for r in caplog.records if r.name == "cskh"]
    logs = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in records)
    assert "chat message answered" in logs and "too old" in logs
    assert psid not in logs and user not in logs and psid[-8:] not in logs
    ref = rules.log_ref(rules.identity_key(jwt_signing_key(), "facebook", psid))
    assert ref in [getattr(r, "chat_user", None) for r in records]


def test_dynamodb_calls_of_a_look_up_and_of_a_forged_call(api, outbox, registered, calls):
    customer, token = _customer_with_invoice(registered)
    psid = _user()
    fb(api, psid, f"liên kết {_link_code(api, token)}")
    calls.clear()
    fb(api, psid, f"tra cứu {customer.code}")
    # PutItem chat_events (dedupe), GetItem chat_links, GetItem accounts, Query invoices: no Scan.
    assert dict(calls) == {"PutItem": 1, "GetItem": 2, "Query": 1}
    calls.clear()
    assert fb(api, psid, "tra cứu", signature="sha256=" + "0" * 64).status_code == 401
    assert dict(calls) == {}


class FailingOnce(Captured):
    def __init__(self):
        super().__init__()
        self.failed = False

    def publish(self, queue, body):
        if not self.failed:
            self.failed = True
            raise RuntimeError("SQS unavailable")
        super().publish(queue, body)


def test_a_message_whose_reply_could_not_be_queued_is_answered_on_redelivery(api):
    publisher = FailingOnce()
    settings = dataclasses.replace(get_settings(), facebook_app_secret=FB_SECRET)
    deps.override("chat", _service(settings, publisher))
    psid, mid = _user(), f"m_{_user()}"
    first = fb(api, psid, "hướng dẫn", mid=mid)
    assert first.status_code == 500 and first.json["code"] == "INTERNAL_ERROR"
    assert fb(api, psid, "hướng dẫn", mid=mid).status_code == 200  # Meta retries: the claim was released
    assert publisher.replies(psid) == [rules.render_help()]
