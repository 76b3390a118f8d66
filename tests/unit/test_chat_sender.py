"""The chat worker and the outbound adapter: the requests each platform expects,
and what is retried (SQS) or dropped."""

from __future__ import annotations

import json

import pytest
import responses
from chalice.app import SQSEvent

from chalicelib import deps
from chalicelib.adapters import chat_platforms
from chalicelib.adapters.chat_platforms import ChannelUnavailable, DeliveryFailed, HttpChatSender, MemoryChatSender
from chalicelib.config import get_settings
from chalicelib.jobs.chat import handle_batch
from tests.sqs_events import sqs_event


def _event(*bodies):
    return SQSEvent(sqs_event(*bodies), context=None)


@responses.activate
def test_facebook_send_api_request():
    url = f"{get_settings().facebook_graph_url}/me/messages"
    responses.post(url, json={"recipient_id": "6001", "message_id": "m_1"})
    HttpChatSender(facebook_token=lambda: "PAGE-TOKEN", zalo_token=lambda: None).send("facebook", "6001", "xin chào")
    call = responses.calls[0].request
    assert call.url == f"{url}?access_token=PAGE-TOKEN"
    assert json.loads(call.body) == {
        "recipient": {"id": "6001"},
        "messaging_type": "RESPONSE",
        "message": {"text": "xin chào"},
    }


@responses.activate
def test_zalo_oa_customer_service_message_request():
    url = f"{get_settings().zalo_api_url}/v3.0/oa/message/cs"
    responses.post(url, json={"error": 0, "message": "Success", "data": {"message_id": "z1"}})
    HttpChatSender(facebook_token=lambda: None, zalo_token=lambda: "OA-TOKEN").send("zalo", "2468", "x" * 3000)
    call = responses.calls[0].request
    assert call.headers["access_token"] == "OA-TOKEN"
    assert json.loads(call.body) == {"recipient": {"user_id": "2468"}, "message": {"text": "x" * 2000}}


@responses.activate
def test_refusals_and_outages_are_retried_and_a_missing_token_is_not():
    responses.post(
        f"{get_settings().zalo_api_url}/v3.0/oa/message/cs", json={"error": -216, "message": "Access token is invalid"}
    )
    responses.post(
        f"{get_settings().facebook_graph_url}/me/messages",
        status=400,
        json={"error": {"message": "Invalid OAuth access token", "code": 190}},
    )
    sender = HttpChatSender(facebook_token=lambda: "T", zalo_token=lambda: "T")
    with pytest.raises(DeliveryFailed, match="-216"):
        sender.send("zalo", "1", "a")
    with pytest.raises(DeliveryFailed, match="190"):
        sender.send("facebook", "1", "a")
    with pytest.raises(ChannelUnavailable):
        HttpChatSender(facebook_token=lambda: None, zalo_token=lambda: None).send("facebook", "1", "a")


def test_tokens_are_read_once_per_ten_minutes(monkeypatch):
    reads = []
    token = chat_platforms.CachedToken(lambda: reads.append(1) or "T")
    assert token.get() == token.get() == "T" and len(reads) == 1
    now = chat_platforms.time.monotonic()
    monkeypatch.setattr(chat_platforms.time, "monotonic", lambda: now + 601)
    token.get()
    assert len(reads) == 2


class Flaky(MemoryChatSender):
    def send(self, platform, recipient, text):
        if recipient == "down":
            raise DeliveryFailed("503")
        if recipient == "off":
            raise ChannelUnavailable("no token")
        super().send(platform, recipient, text)


def test_the_worker_reports_only_what_can_succeed_later():
    sender = Flaky()
    deps.override("chat_sender", sender)
    try:
        msg = lambda r: json.dumps({"platform": "zalo", "recipient": r, "text": "t", "reply_to": "z1"})  # noqa: E731
        result = handle_batch(_event(msg("1"), msg("down"), msg("off"), "not json", json.dumps({"platform": "x"})))
    finally:
        deps.reset()
    assert result == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m3"}, {"itemIdentifier": "m4"}]
    }
    assert sender.sent == [{"platform": "zalo", "recipient": "1", "text": "t"}]
