"""A local stand-in for a customer's bank app and for the bank-notification services (SePay, Casso),
for `make run` and the tests (one small stdlib HTTP server plays them all).

    python -m local.bank_fakes --port 8003 --api-url http://127.0.0.1:8000

A developer pays a VietQR code (pasted, or one of a demo customer's open invoices) and the fake does
what the services do when the money lands on the utility's account: it POSTs the notification to our
API as each service does (SePay: `Authorization: Apikey <key>`; Casso: `X-Casso-Signature: t=<ms>,
v1=<HMAC-SHA512>`), and retries a non-2xx answer a few times with a growing wait (SePay waits 1, 1, 2,
3, 5, 8, 13 minutes; compressed here to --retry-seconds, doubled each time).

Keys and the receiving account come from the environment, as the API gets them (SEPAY_API_KEY,
CASSO_CHECKSUM_KEY, VIETQR_BANK_BIN, VIETQR_ACCOUNT_NO; the documented demo values when unset). It
signs and reads VietQR payloads with its own code (it imports nothing from chalicelib), so a mistake on
either side shows up against the other.

    GET  /bank-app                     the bank app: paste a VietQR payload, or pick a demo invoice
    POST /bank-app/pay                 (its form) pay it: the notification(s) are sent, the answers shown
    POST /fake/notify {service: sepay|casso|both, payload? | content, amount?, account?, reference?}
                                       one transfer notified -> {sent: [{service, id, reference,
                                       attempts: [{status, body}], delivered}]}
    POST /fake/resend {service, id}    the same notification again (a service's retry)
    GET  /fake/sent                    what was sent, oldest first
    GET  /fake/health
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import itertools
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
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from local.fake_server import bound_server, serve_until_stopped

# The documented demo values of the local stage (chalicelib/config.py has the same; a test checks).
DEMO_SEPAY_API_KEY = "sepay-local-demo-api-key"
DEMO_CASSO_CHECKSUM_KEY = "casso-local-demo-checksum-key"
DEMO_BANK_BIN, DEMO_ACCOUNT_NO = "970436", "1012345678"
DEMO_PASSWORD = "cawaco-demo-2023"  # local/seed.py's default
DEMO_CODES = ("01031059", "01031060")
BANK_NAMES = {"970436": ("Vietcombank", "VCB"), "970415": ("VietinBank", "CTG"), "970418": ("BIDV", "BIDV")}
VN = timezone(timedelta(hours=7))
ATTEMPTS = 4  # the first call and three retries (SePay makes 8 over 33 minutes)


# -- VietQR, read as a bank app reads it -------------------------------------------------------------


def crc16(data: bytes) -> str:
    """CRC-16/CCITT-FALSE (EMVCo's), 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def tlv(text: str) -> dict[str, str]:
    out, i = {}, 0
    while i + 4 <= len(text):
        tag, size = text[i : i + 2], int(text[i + 2 : i + 4])
        out[tag] = text[i + 4 : i + 4 + size]
        i += 4 + size
    return out


def read_vietqr(payload: str) -> dict:
    """{bin, account, amount, purpose} of a VietQR payload; ValueError if a bank app would refuse it."""
    payload = payload.strip()
    if len(payload) < 8 or payload[-8:-4] != "6304" or crc16(payload[:-4].encode()) != payload[-4:].upper():
        raise ValueError("not a VietQR code (its CRC does not check)")
    top = tlv(payload)
    beneficiary = tlv(top.get("38", ""))
    if beneficiary.get("00") != "A000000727":
        raise ValueError("not a VietQR (NAPAS) code")
    bank = tlv(beneficiary.get("01", ""))
    amount = top.get("54")
    return {
        "bin": bank.get("00", ""),
        "account": bank.get("01", ""),
        "amount": int(amount) if amount and amount.isdigit() else None,
        "purpose": tlv(top.get("62", "")).get("08", ""),
    }


# -- our payment references, written as a customer would (the check letter, computed here) -----------

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"


def reference(body: str) -> str:
    return body + _LETTERS[sum(w * int(c, 36) for w, c in enumerate(body, start=1)) % 23]


@dataclass
class Fakes:
    api_url: str
    sepay_key: str
    casso_key: str
    bank_bin: str
    account_no: str
    retry_seconds: float = 0.5
    sent: list = field(default_factory=list)
    bodies: dict = field(default_factory=dict)  # (service, id) -> the body sent
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(int(time.time()) % 10**7 * 100))
    balance: int = 25_000_000

    @classmethod
    def from_env(cls, api_url: str, retry_seconds: float = 0.5, env=None) -> Fakes:
        env = os.environ if env is None else env
        return cls(
            api_url=api_url.rstrip("/"),
            sepay_key=env.get("SEPAY_API_KEY") or DEMO_SEPAY_API_KEY,
            casso_key=env.get("CASSO_CHECKSUM_KEY") or DEMO_CASSO_CHECKSUM_KEY,
            bank_bin=env.get("VIETQR_BANK_BIN") or DEMO_BANK_BIN,
            account_no=env.get("VIETQR_ACCOUNT_NO") or DEMO_ACCOUNT_NO,
            retry_seconds=retry_seconds,
        )

    # -- a transfer lands on the account ------------------------------------------------------------

    def notify(
        self,
        service: str,
        *,
        amount: int | None = None,
        content: str = "",
        payload: str | None = None,
        account: str | None = None,
        bank_ref: str | None = None,
    ) -> dict:
        if payload:
            qr = read_vietqr(payload)
            amount = amount or qr["amount"]
            content = content or qr["purpose"]
            account = account or qr["account"]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValueError("amount: a whole number of VND, > 0 (the code has none: give one)")
        services = ("sepay", "casso") if service == "both" else (service,)
        if any(s not in ("sepay", "casso") for s in services):
            raise ValueError("service: sepay, casso or both")
        now = datetime.now(VN)
        ref = bank_ref or f"FT{now:%y%j}{secrets.randbelow(10**7):07d}"  # one bank reference, whoever reports it
        with self.lock:
            self.balance += amount
            balance = self.balance
        sent = []
        for name in services:
            transfer_id = next(self._ids)
            body = (self._sepay if name == "sepay" else self._casso)(
                transfer_id, amount, content, account or self.account_no, ref, now, balance
            )
            with self.lock:
                self.bodies[(name, transfer_id)] = body
            sent.append(self.deliver(name, transfer_id, body))
        return {"sent": sent}

    def resend(self, service: str, transfer_id: int) -> dict:
        with self.lock:
            body = self.bodies.get((service, transfer_id))
        if body is None:
            raise ValueError("no such notification was sent")
        return self.deliver(service, transfer_id, body)

    def _sepay(self, transfer_id, amount, content, account, ref, now, balance) -> dict:
        return {
            "id": transfer_id,
            "gateway": BANK_NAMES.get(self.bank_bin, ("Bank", ""))[0],
            "transactionDate": now.strftime("%Y-%m-%d %H:%M:%S"),
            "accountNumber": account,
            "code": None,
            "content": content,
            "transferType": "in",
            "transferAmount": amount,
            "accumulated": balance,
            "subAccount": None,
            "referenceCode": ref,
            "description": f"BankAPINotify {content}",
        }

    def _casso(self, transfer_id, amount, content, account, ref, now, balance) -> dict:
        name, short = BANK_NAMES.get(self.bank_bin, ("Bank", ""))
        return {
            "error": 0,
            "data": {
                "id": transfer_id,
                "reference": ref,
                "description": content,
                "amount": amount,
                "runningBalance": balance,
                "transactionDateTime": now.strftime("%Y-%m-%d %H:%M:%S"),
                "accountNumber": account,
                "bankName": name,
                "bankAbbreviation": short,
                "virtualAccountNumber": "",
                "virtualAccountName": "",
                "counterAccountName": "NGUYEN VAN A",
                "counterAccountNumber": "0071000999999",
                "counterAccountBankId": "970415",
                "counterAccountBankName": "VietinBank",
            },
        }

    def headers(self, service: str, body: dict) -> dict:
        if service == "sepay":
            return {"Authorization": f"Apikey {self.sepay_key}"}
        t = int(time.time() * 1000)  # signed at each attempt, as a delivery is
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        signature = hmac.new(self.casso_key.encode(), f"{t}.{text}".encode(), hashlib.sha512).hexdigest()
        return {"X-Casso-Signature": f"t={t},v1={signature}"}

    def deliver(self, service: str, transfer_id: int, body: dict) -> dict:
        """POST it until a 2xx answer, ATTEMPTS times at most, waiting longer each time."""
        url = f"{self.api_url}/v1/banks/{service}/webhook"
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        attempts = []
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(self.retry_seconds * 2 ** (attempt - 1))
            req = urllib.request.Request(
                url,
                data=raw,
                method="POST",
                headers={"Content-Type": "application/json", **self.headers(service, body)},
            )
            status, answer = _open(req)
            attempts.append({"status": status, "body": answer})
            if 200 <= status < 300:
                break
        data = body.get("data", body)
        out = {
            "service": service,
            "id": transfer_id,
            "reference": data.get("referenceCode") or data.get("reference"),
            "amount": data.get("transferAmount") or data.get("amount"),
            "content": data.get("content") if service == "sepay" else data.get("description"),
            "attempts": attempts,
            "delivered": 200 <= attempts[-1]["status"] < 300,
        }
        with self.lock:
            self.sent.append(out)
        return out

    # -- the demo customers' open invoices, as their app shows them ---------------------------------

    def demo_invoices(self) -> list[dict]:
        out = []
        password = os.environ.get("DEMO_PASSWORD") or DEMO_PASSWORD
        for code in DEMO_CODES:
            status, login = _open(
                _post_json(f"{self.api_url}/v1/auth/login", {"customer_code": code, "password": password})
            )
            if status != 200 or not isinstance(login, dict) or "access_token" not in login:
                continue  # the API is not up, or the demo customer has another password
            auth = {"Authorization": f"Bearer {login['access_token']}"}
            status, listed = _open(
                urllib.request.Request(f"{self.api_url}/v1/customers/{code}/invoices?status=unpaid", headers=auth)
            )
            for inv in (listed or {}).get("invoices", []) if status == 200 and isinstance(listed, dict) else []:
                _, detail = _open(
                    urllib.request.Request(f"{self.api_url}/v1/invoices/{inv['invoice_id']}", headers=auth)
                )
                detail = detail if isinstance(detail, dict) else {}
                period = str(inv.get("period") or "")
                out.append(
                    {
                        "customer_code": code,
                        "invoice_id": inv["invoice_id"],
                        "period": period,
                        "amount": detail.get("open_amount") or inv.get("open_amount") or inv.get("total"),
                        "payload": detail.get("vietqr_payload"),
                        "reference": reference(f"TH{period[2:4]}{period[5:7]}{code}") if len(period) == 7 else "",
                    }
                )
        return out


def _post_json(url: str, body: dict) -> urllib.request.Request:
    return urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )


def _open(req) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        return 0, f"no answer: {exc}"
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


# -- HTTP ---------------------------------------------------------------------------------------------

_STYLE = (
    "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}"
    "textarea{width:100%}td,th{padding:.2rem .5rem;text-align:left}pre{background:#f4f4f4;padding:.5rem;"
    "white-space:pre-wrap}</style>"
)


def _page(title: str, body: str) -> bytes:
    return (
        f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>{html.escape(title)}</title>{_STYLE}"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def _services_select() -> str:
    return (
        "<select name='service'><option value='sepay'>SePay</option><option value='casso'>Casso</option>"
        "<option value='both'>SePay and Casso (one transfer, two notifications)</option></select>"
    )


class Handler(BaseHTTPRequestHandler):
    fakes: Fakes
    server_version = "bank-fakes/1"

    def log_message(self, fmt, *args) -> None:  # the stack's console is busy enough
        pass

    def _send(self, body: bytes, status: int = 200, content_type: str = "application/json; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, value, status: int = 200) -> None:
        self._send(json.dumps(value, ensure_ascii=False).encode("utf-8"), status)

    def _raw(self) -> bytes:
        size = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(size, 1 << 20))

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/fake/health":
            return self._json({"status": "ok"})
        if path == "/fake/sent":
            with self.fakes.lock:
                return self._json({"sent": list(self.fakes.sent)})
        if path in ("/", "/bank-app"):
            return self._send(self._bank_app(), content_type="text/html; charset=utf-8")
        return self._json({"error": "not found"}, 404)

    def _bank_app(self) -> bytes:
        f = self.fakes
        rows = []
        for inv in f.demo_invoices():
            content = html.escape(f"{inv['reference']} thanh toan tien nuoc")
            how = (
                f"<input type='hidden' name='payload' value='{html.escape(inv['payload'])}'>"
                if inv["payload"]
                else f"<input type='hidden' name='content' value='{content}'>"
                f"<input type='hidden' name='amount' value='{inv['amount']}'>"
            )
            rows.append(
                f"<tr><td>{inv['customer_code']}</td><td>{inv['period']}</td><td>{inv['amount']:,} đ</td>"
                f"<td><code>{html.escape(inv['reference'])}</code></td><td><form method='post' action='/bank-app/pay'>"
                f"{how}{_services_select()} <button>Pay</button></form></td></tr>"
            )
        table = (
            "<table><tr><th>customer</th><th>bill</th><th>open</th><th>reference</th><th></th></tr>"
            + "".join(rows)
            + "</table>"
            if rows
            else "<p>No open invoice of the demo customers (or the API did not answer).</p>"
        )
        return _page(
            "Bank app (local)",
            f"<p>Money lands on account <b>{html.escape(f.account_no)}</b> (BIN {html.escape(f.bank_bin)}); the "
            f"notification goes to <code>{html.escape(f.api_url)}/v1/banks/&lt;service&gt;/webhook</code>.</p>"
            "<h2>Pay a VietQR code</h2><form method='post' action='/bank-app/pay'>"
            "<textarea name='payload' rows='4' placeholder='000201010212...6304ABCD'></textarea>"
            "<p>Amount (when the code has none): <input name='amount' inputmode='numeric'> "
            f"{_services_select()} <button>Pay</button></p></form>"
            f"<h2>A demo customer's open invoice</h2>{table}"
            "<p><a href='/fake/sent'>What was sent</a></p>",
        )

    def do_POST(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        f = self.fakes
        if path == "/bank-app/pay":
            form = dict(urllib.parse.parse_qsl(self._raw().decode("utf-8", "replace")))
            try:
                amount = int(form["amount"]) if form.get("amount", "").strip().isdigit() else None
                out = f.notify(
                    form.get("service") or "sepay",
                    amount=amount,
                    content=form.get("content", ""),
                    payload=form.get("payload") or None,
                )
            except ValueError as exc:
                return self._send(_page("Not paid", f"<p>{html.escape(str(exc))}</p>"), 400, "text/html; charset=utf-8")
            shown = html.escape(json.dumps(out, ensure_ascii=False, indent=2))
            return self._send(
                _page("Paid", f"<pre>{shown}</pre><p><a href='/bank-app'>Back</a></p>"),
                content_type="text/html; charset=utf-8",
            )
        try:
            body = json.loads(self._raw() or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._json({"error": "a JSON object"}, 400)
        try:
            if path == "/fake/notify":
                return self._json(
                    f.notify(
                        str(body.get("service") or "sepay"),
                        amount=body.get("amount"),
                        content=str(body.get("content") or ""),
                        payload=body.get("payload"),
                        account=body.get("account"),
                        bank_ref=body.get("reference"),
                    )
                )
            if path == "/fake/resend":
                return self._json(f.resend(str(body.get("service")), int(body.get("id") or 0)))
        except (ValueError, TypeError) as exc:
            return self._json({"error": str(exc)}, 400)
        return self._json({"error": "not found"}, 404)


def make_server(fakes: Fakes, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    return bound_server(Handler, {"fakes": fakes}, host, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.bank_fakes", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8003)
    parser.add_argument("--api-url", default="http://127.0.0.1:8000")
    parser.add_argument("--retry-seconds", type=float, default=0.5, help="the first retry's wait (doubled each time)")
    args = parser.parse_args(argv)
    server = make_server(Fakes.from_env(args.api_url, args.retry_seconds), port=args.port)
    print(f"bank fakes (bank app, SePay, Casso) on http://127.0.0.1:{args.port}", flush=True)
    return serve_until_stopped(server)


if __name__ == "__main__":
    sys.exit(main())
