"""The chat assistants over HTTP on the local stack: local/chat_fakes.py plays
Messenger and a Zalo OA (signs and posts user messages to our webhooks, takes
our Send API / OA API calls); replies travel through SQS and the chat worker."""

from __future__ import annotations

import re
import time

import requests

AMOUNT = re.compile(r"\d\.\d{3} đ")


def _fakes(stack) -> str:
    return f"http://127.0.0.1:{stack.config.chat_fakes_port}"


def _say(stack, platform: str, user: str, text: str, **extra) -> dict:
    who = {"facebook": "psid", "zalo": "user_id"}[platform]
    resp = requests.post(f"{_fakes(stack)}/fake/{platform}/send", json={who: user, "text": text, **extra}, timeout=20)
    resp.raise_for_status()
    return resp.json()


def _replies(stack, platform: str, user: str, count: int, timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        got = requests.get(
            f"{_fakes(stack)}/fake/outbox", params={"platform": platform, "recipient": user}, timeout=10
        ).json()["messages"]
        if len(got) >= count or time.monotonic() > deadline:
            assert len(got) >= count, f"{len(got)} replies to {platform} user, wanted {count}: {got}"
            return [m["text"] for m in got]
        time.sleep(0.2)


def _latest_invoice(api, token: str, code: str) -> dict:
    resp = api.call("GET", f"/v1/customers/{code}/invoices?limit=1", token=token)
    assert resp.status_code == 200, resp.text
    return resp.json()["invoices"][0]


def _check_summary(reply: str, invoice: dict) -> None:
    y, m = invoice["period"].split("-")
    assert f"Mã KH {invoice['customer_code']} – kỳ {m}/{y}" in reply
    assert f"Số tiền: {invoice['total_text']}" in reply and f"({invoice['consumption_m3']} m³)" in reply
    if invoice["status"] == "unpaid":
        line = [x for x in reply.splitlines() if x.startswith("Thanh toán: ")]
        assert line and line[0].endswith(invoice["invoice_id"]), reply
    else:
        assert "Thanh toán: " not in reply


def test_a_messenger_user_links_with_a_code_and_looks_up_the_invoice(stack, api):
    token = api.login("01031059")["access_token"]
    psid = f"{time.time_ns()}"
    answer = _say(stack, "facebook", psid, "tra cứu 01031059")
    assert answer["status"] == 200 and answer["answer"]["status"] == "EVENT_RECEIVED"
    before = _replies(stack, "facebook", psid, 1)[0]
    assert "liên kết" in before and "01031059" not in before and not AMOUNT.search(before)  # nothing about it

    code = api.call("POST", "/v1/me/chat-link-codes", token=token).json()["code"]
    _say(stack, "facebook", psid, f"liên kết {code}")
    assert "Đã liên kết" in _replies(stack, "facebook", psid, 2)[1]
    again = _say(stack, "facebook", psid, "Tra cứu 01031059", mid="m_e2e_redelivered")
    _say(stack, "facebook", psid, "Tra cứu 01031059", mid="m_e2e_redelivered")  # Meta redelivers: one answer
    assert again["status"] == 200
    reply = _replies(stack, "facebook", psid, 3)[2]
    _check_summary(reply, _latest_invoice(api, token, "01031059"))
    time.sleep(1.5)
    assert len(_replies(stack, "facebook", psid, 3)) == 3

    links = api.call("GET", "/v1/me/chat-links", token=token).json()["links"]
    assert {(x["platform"], x["user_hint"]) for x in links} >= {("facebook", "…" + psid[-4:])}


def test_a_zalo_user_links_and_looks_up_and_unlinks(stack, api):
    token = api.login("01031060")["access_token"]
    user = f"{time.time_ns()}"
    code = api.call("POST", "/v1/me/chat-link-codes", token=token).json()["code"]
    assert _say(stack, "zalo", user, f"lien ket {code}")["status"] == 200
    assert "Đã liên kết" in _replies(stack, "zalo", user, 1)[0]
    _say(stack, "zalo", user, "tc 01031060")
    _check_summary(_replies(stack, "zalo", user, 2)[1], _latest_invoice(api, token, "01031060"))
    _say(stack, "zalo", user, "tra cứu 01031059")  # the neighbour's code: refused, says nothing
    refused = _replies(stack, "zalo", user, 3)[2]
    assert "01031059" not in refused and not AMOUNT.search(refused)
    _say(stack, "zalo", user, "hủy liên kết")
    assert "Đã huỷ liên kết" in _replies(stack, "zalo", user, 4)[3]


def test_the_messenger_handshake_and_forged_calls(stack):
    handshake = requests.post(f"{_fakes(stack)}/fake/facebook/verify", json={}, timeout=20).json()
    assert handshake["status"] == 200 and str(handshake["answer"]) == handshake["challenge"]
    wrong = requests.post(f"{_fakes(stack)}/fake/facebook/verify", json={"verify_token": "guess"}, timeout=20).json()
    assert wrong["status"] == 403
    forged = requests.post(
        f"{stack.api_url}/v1/chat/zalo",
        timeout=20,
        headers={"X-ZEvent-Signature": "mac=00"},
        json={
            "event_name": "user_send_text",
            "timestamp": "1",
            "sender": {"id": "1"},
            "message": {"text": "tc 01031059", "msg_id": "x"},
        },
    )
    assert forged.status_code == 401 and forged.json()["code"] == "INVALID_SIGNATURE"
    unsigned = requests.post(f"{stack.api_url}/v1/chat/facebook", json={"object": "page", "entry": []}, timeout=20)
    assert unsigned.status_code == 401
