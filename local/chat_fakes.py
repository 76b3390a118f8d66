"""Local stand-ins for Facebook Messenger and a Zalo Official Account, for
`make run` and the tests (one small stdlib HTTP server plays both).

    python -m local.chat_fakes --port 8002 --api-url http://127.0.0.1:8000

Secrets come from the environment, as the API gets them (FACEBOOK_APP_SECRET,
FACEBOOK_PAGE_TOKEN, FACEBOOK_VERIFY_TOKEN, ZALO_APP_ID, ZALO_OA_SECRET,
ZALO_ACCESS_TOKEN; ZALO_APP_SECRET, optional, switches the OAuth endpoint on). It
signs with its own code (it imports nothing from chalicelib), so a mistake on
either side shows up against the other.

As the platforms, towards our API:
  POST /fake/facebook/send  {"psid", "text", "mid"?}    a person writes to the Page: the webhook call
                            Meta makes (entry[].messaging[], X-Hub-Signature-256) -> {status, answer, mid}
  POST /fake/facebook/verify                            the subscription handshake (GET hub.*) -> {status, answer}
  POST /fake/zalo/send      {"user_id", "text", "msg_id"?}  a follower writes to the OA: Zalo's
                            user_send_text call, signed with X-ZEvent-Signature -> {status, answer, msg_id}
The APIs our worker calls:
  POST /graph/<version>/me/messages?access_token=..     the Messenger Send API (token checked)
  POST /zalo/v3.0/oa/message/cs   (header access_token)  the OA customer-service message (token checked)
  POST /zalo-oauth/v4/oa/access_token   (header secret_key, form app_id, grant_type=refresh_token,
                            refresh_token)  Zalo's OAuth refresh: a new pair each time; the refresh token
                            sent is spent, and the previous access token stops working at once (stricter
                            than Zalo may be: a sender still holding it shows up). Errors as Zalo gives
                            them: HTTP 200, {"error": <negative>, "error_name", "error_description"}
                            (the codes here are illustrative; our side relies only on `error` != 0)
As the OA's administrator:
  POST /fake/zalo/authorize                 grant the app again: a fresh pair -> {access_token,
                            refresh_token, expires_in} (what the operator gets from Zalo's portal)
For tests:
  GET  /fake/outbox[?platform=&recipient=]   what our side sent, oldest first
  GET  /fake/health
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from local.fake_server import bound_server, serve_until_stopped

PAGE_ID = "100000000000001"
OA_ID = "4000000000000000001"


@dataclass
class Fakes:
    api_url: str
    facebook_app_secret: str
    facebook_page_token: str
    facebook_verify_token: str
    zalo_app_id: str
    zalo_oa_secret: str
    zalo_access_token: str
    zalo_app_secret: str = ""  # the Zalo app's secret key (OAuth); empty: OAuth refuses everything
    zalo_refresh_token: str = ""  # the one refresh token that works now (single use)
    outbox: list = field(default_factory=list)
    oauth_calls: list = field(default_factory=list)  # Zalo's `error` of each refresh call, 0 for success
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_env(cls, api_url: str, env=None) -> Fakes:
        env = os.environ if env is None else env
        need = (
            "FACEBOOK_APP_SECRET",
            "FACEBOOK_PAGE_TOKEN",
            "FACEBOOK_VERIFY_TOKEN",
            "ZALO_APP_ID",
            "ZALO_OA_SECRET",
            "ZALO_ACCESS_TOKEN",
        )
        missing = [n for n in need if not env.get(n)]
        if missing:
            raise SystemExit(f"chat fakes: set {', '.join(missing)} (the same values the API has)")
        return cls(api_url.rstrip("/"), *(env[n] for n in need), zalo_app_secret=env.get("ZALO_APP_SECRET") or "")

    # -- towards our API, as the platforms --------------------------------------------

    def _post(self, path: str, body: bytes, headers: dict) -> tuple[int, object]:
        req = urllib.request.Request(
            self.api_url + path, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
        )
        return _open(req)

    def facebook_send(self, psid: str, text: str, mid: str | None = None) -> dict:
        mid = mid or "m_" + secrets.token_urlsafe(18)
        now = int(time.time() * 1000)
        body = json.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": PAGE_ID,
                        "time": now,
                        "messaging": [
                            {
                                "sender": {"id": psid},
                                "recipient": {"id": PAGE_ID},
                                "timestamp": now,
                                "message": {"mid": mid, "text": text},
                            }
                        ],
                    }
                ],
            },
            ensure_ascii=False,
        ).encode("utf-8")
        # Meta: HMAC-SHA256 of the exact bytes sent, keyed with the app secret, hex, 'sha256=' in front.
        mac = hmac.new(self.facebook_app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        status, answer = self._post("/v1/chat/facebook", body, {"X-Hub-Signature-256": f"sha256={mac}"})
        return {"status": status, "answer": answer, "mid": mid}

    def facebook_verify(self, token: str | None = None) -> dict:
        challenge = str(secrets.randbelow(10**9))
        query = urllib.parse.urlencode(
            {
                "hub.mode": "subscribe",
                "hub.challenge": challenge,
                "hub.verify_token": token or self.facebook_verify_token,
            }
        )
        status, answer = _open(urllib.request.Request(f"{self.api_url}/v1/chat/facebook?{query}"))
        return {"status": status, "answer": answer, "challenge": challenge}

    def zalo_send(self, user_id: str, text: str, msg_id: str | None = None) -> dict:
        msg_id = msg_id or secrets.token_hex(16)
        stamp = str(int(time.time() * 1000))
        body = json.dumps(
            {
                "app_id": self.zalo_app_id,
                "user_id_by_app": secrets.token_hex(8),
                "event_name": "user_send_text",
                "timestamp": stamp,
                "sender": {"id": user_id},
                "recipient": {"id": OA_ID},
                "message": {"text": text, "msg_id": msg_id},
            },
            ensure_ascii=False,
        ).encode("utf-8")
        # Zalo: SHA-256 (not an HMAC) of app id, the body, its timestamp and the OA secret key, 'mac=' in front.
        digest = hashlib.sha256(
            self.zalo_app_id.encode() + body + stamp.encode() + self.zalo_oa_secret.encode()
        ).hexdigest()
        status, answer = self._post("/v1/chat/zalo", body, {"X-ZEvent-Signature": f"mac={digest}"})
        return {"status": status, "answer": answer, "msg_id": msg_id}

    # -- Zalo's OAuth (the token refresher's side) ------------------------------------------

    def zalo_authorize(self) -> dict:
        """The OA's administrator grants the app (again): a fresh pair; any earlier one stops working."""
        with self.lock:
            return self._new_zalo_pair()

    def _new_zalo_pair(self) -> dict:
        self.zalo_access_token = secrets.token_urlsafe(48)
        self.zalo_refresh_token = secrets.token_urlsafe(64)
        # Zalo sends expires_in as a string (seconds, about 25 hours).
        return {"access_token": self.zalo_access_token, "refresh_token": self.zalo_refresh_token, "expires_in": "90000"}

    def zalo_oauth(self, secret_key: str, form: dict) -> dict:
        """POST /v4/oa/access_token with grant_type=refresh_token, as Zalo answers it (always HTTP 200)."""

        def refused(code: int, name: str, description: str) -> dict:
            self.oauth_calls.append(code)
            return {"error": code, "error_name": name, "error_description": description}

        with self.lock:
            if form.get("app_id") != self.zalo_app_id:
                return refused(-14001, "Invalid app_id", "app_id is missing or unknown")
            if not self.zalo_app_secret or not hmac.compare_digest(secret_key.encode(), self.zalo_app_secret.encode()):
                return refused(-14002, "Invalid secret_key", "secret_key header does not match the app")
            if form.get("grant_type") != "refresh_token":
                return refused(-14003, "Invalid grant_type", "grant_type must be refresh_token")
            sent = form.get("refresh_token") or ""
            if not self.zalo_refresh_token or not hmac.compare_digest(sent.encode(), self.zalo_refresh_token.encode()):
                return refused(-14014, "Invalid refresh_token", "refresh_token is invalid, used or expired")
            self.oauth_calls.append(0)
            return self._new_zalo_pair()

    # -- what our worker calls -----------------------------------------------------------

    def record(self, platform: str, recipient: str, text: str, extra: dict) -> dict:
        item = {"platform": platform, "recipient": recipient, "text": text, "at": time.time(), **extra}
        with self.lock:
            self.outbox.append(item)
        return item


def _open(req) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


class Handler(BaseHTTPRequestHandler):
    fakes: Fakes
    server_version = "chat-fakes/1"

    def log_message(self, fmt, *args) -> None:  # the stack's console is busy enough
        pass

    def _json(self, value, status: int = 200) -> None:
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict:
        size = int(self.headers.get("Content-Length") or 0)
        try:
            value = json.loads(self.rfile.read(min(size, 1 << 20)) or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/fake/health":
            return self._json({"status": "ok"})
        if url.path == "/fake/outbox":
            with self.fakes.lock:
                items = [
                    i
                    for i in self.fakes.outbox
                    if all(i.get(k) == query[k] for k in ("platform", "recipient") if k in query)
                ]
            return self._json({"messages": items})
        return self._json({"error": "not found"}, 404)

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        f = self.fakes
        if url.path == "/zalo-oauth/v4/oa/access_token":
            size = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(min(size, 1 << 16)).decode("utf-8", "replace")
            if not (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
                return self._json(
                    {
                        "error": -14003,
                        "error_name": "Invalid parameter",
                        "error_description": "expected a form (application/x-www-form-urlencoded)",
                    }
                )
            form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            return self._json(f.zalo_oauth(self.headers.get("secret_key") or "", form))
        if url.path == "/fake/zalo/authorize":
            self._body()
            return self._json(f.zalo_authorize())
        body = self._body()
        if url.path == "/fake/facebook/send":
            return self._json(f.facebook_send(str(body.get("psid", "")), str(body.get("text", "")), body.get("mid")))
        if url.path == "/fake/facebook/verify":
            return self._json(f.facebook_verify(body.get("verify_token")))
        if url.path == "/fake/zalo/send":
            return self._json(f.zalo_send(str(body.get("user_id", "")), str(body.get("text", "")), body.get("msg_id")))
        if url.path.startswith("/graph/") and url.path.endswith("/me/messages"):
            if not hmac.compare_digest(query.get("access_token", "").encode(), f.facebook_page_token.encode()):
                return self._json(
                    {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}, 400
                )
            recipient, message = body.get("recipient") or {}, body.get("message") or {}
            if body.get("messaging_type") != "RESPONSE" or not recipient.get("id") or not message.get("text"):
                return self._json(
                    {"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}}, 400
                )
            mid = "m_" + secrets.token_urlsafe(18)
            f.record("facebook", str(recipient["id"]), message["text"], {"message_id": mid})
            return self._json({"recipient_id": recipient["id"], "message_id": mid})
        if url.path == "/zalo/v3.0/oa/message/cs":
            with f.lock:
                current = f.zalo_access_token
            if not hmac.compare_digest((self.headers.get("access_token") or "").encode(), current.encode()):
                return self._json({"error": -216, "message": "Access token is invalid"})
            recipient, message = body.get("recipient") or {}, body.get("message") or {}
            if not recipient.get("user_id") or not message.get("text"):
                return self._json({"error": -201, "message": "Parameters are invalid"})
            message_id = secrets.token_hex(16)
            f.record("zalo", str(recipient["user_id"]), message["text"], {"message_id": message_id})
            return self._json(
                {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": recipient["user_id"]}}
            )
        return self._json({"error": "not found"}, 404)


def make_server(fakes: Fakes, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    return bound_server(Handler, {"fakes": fakes}, host, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.chat_fakes", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--api-url", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    server = make_server(Fakes.from_env(args.api_url), port=args.port)
    print(f"chat fakes (Facebook Messenger, Zalo OA) on http://127.0.0.1:{args.port}", flush=True)
    return serve_until_stopped(server)


if __name__ == "__main__":
    sys.exit(main())
