"""Replies out to the chat platforms (used by the chat worker, never on a request path).

Facebook: the Messenger Send API, POST {FACEBOOK_GRAPH_URL}/me/messages?access_token=<Page token>
with recipient.id = the PSID and messaging_type RESPONSE (a reply to the person's own message).
Zalo: the OA API's customer-service message, POST {ZALO_API_URL}/v3.0/oa/message/cs with the OA
access token in the `access_token` header; the answer's `error` is 0 on success.
Base URLs come from the settings, so the local fakes (local/chat_fakes.py) stand in for both."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Protocol

from chalicelib.config import facebook_page_token, get_settings, zalo_access_token

TIMEOUT_S = (3.05, 10)  # connect, read
MAX_TEXT = 2000  # both platforms cap a text message at 2,000 characters
TOKEN_REFRESH_S = 600  # re-read a token from SSM every 10 minutes (they are rotated there)
REREAD_AFTER_REFUSAL_S = 60  # a token the platform refused is read again, at most once a minute


class ChannelUnavailable(Exception):
    """The platform is not configured here (no token): retrying cannot help."""


class DeliveryFailed(Exception):
    """The platform refused or could not be reached: the message is retried (SQS), then rests in the DLQ."""


class ChatSender(Protocol):
    def send(self, platform: str, recipient: str, text: str) -> None: ...


@functools.lru_cache(maxsize=1)
def _http():
    import requests  # deferred: importing the app stays light

    return requests.Session()


class CachedToken:
    """A platform token read from the environment or SSM, kept TOKEN_REFRESH_S (they are rotated in SSM)."""

    def __init__(self, read: Callable[[], str | None]) -> None:
        self._read = read
        self._value: tuple[float, str | None] = (0.0, None)
        self._lock = threading.Lock()

    def get(self) -> str | None:
        with self._lock:
            fetched_at, value = self._value
            if value is None or time.monotonic() - fetched_at > TOKEN_REFRESH_S:
                value = self._read()
                self._value = (time.monotonic(), value)
            return value

    def refused(self) -> None:
        """The platform refused a call made with this token: read it again at the next use, in case it
        was rotated in SSM meanwhile (the Zalo refresher, jobs/zalo_token.py), but not if it was read
        less than a minute ago (each refusal would cost an SSM call)."""
        with self._lock:
            fetched_at, _ = self._value
            if time.monotonic() - fetched_at > REREAD_AFTER_REFUSAL_S:
                self._value = (0.0, None)


class HttpChatSender:
    def __init__(
        self,
        facebook_token: Callable[[], str | None] = facebook_page_token,
        zalo_token: Callable[[], str | None] = zalo_access_token,
    ) -> None:
        self._facebook = CachedToken(facebook_token)
        self._zalo = CachedToken(zalo_token)

    def send(self, platform: str, recipient: str, text: str) -> None:
        if platform == "facebook":
            self._send_facebook(recipient, text[:MAX_TEXT])
        elif platform == "zalo":
            self._send_zalo(recipient, text[:MAX_TEXT])
        else:
            raise ValueError(f"unknown chat platform {platform!r}")

    def _post(self, url: str, **kw):
        try:
            return _http().post(url, timeout=TIMEOUT_S, **kw)
        except Exception as exc:  # network: retried through SQS
            raise DeliveryFailed(f"{url.split('?')[0]} unreachable: {type(exc).__name__}") from None

    def _send_facebook(self, psid: str, text: str) -> None:
        token = self._facebook.get()
        if not token:
            raise ChannelUnavailable("FACEBOOK_PAGE_TOKEN[_PARAM] is not configured")
        resp = self._post(
            f"{get_settings().facebook_graph_url}/me/messages",
            params={"access_token": token},
            json={"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": text}},
        )
        answer = _json(resp)
        if resp.status_code != 200 or not answer.get("message_id"):
            error = answer.get("error")
            if not isinstance(error, dict):
                error = {}
            raise DeliveryFailed(
                f"Send API answered HTTP {resp.status_code}, error {error.get('code')}: {error.get('message')}"
            )

    def _send_zalo(self, user_id: str, text: str) -> None:
        token = self._zalo.get()
        if not token:
            raise ChannelUnavailable("ZALO_ACCESS_TOKEN[_PARAM] is not configured")
        resp = self._post(
            f"{get_settings().zalo_api_url}/v3.0/oa/message/cs",
            headers={"access_token": token, "Content-Type": "application/json"},
            json={"recipient": {"user_id": user_id}, "message": {"text": text}},
        )
        answer = _json(resp)
        if resp.status_code != 200 or answer.get("error") != 0:
            self._zalo.refused()
            raise DeliveryFailed(
                f"Zalo OA API answered HTTP {resp.status_code}, error {answer.get('error')}: {answer.get('message')}"
            )


class MemoryChatSender:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, platform: str, recipient: str, text: str) -> None:
        self.sent.append({"platform": platform, "recipient": recipient, "text": text})


def _json(resp) -> dict:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
