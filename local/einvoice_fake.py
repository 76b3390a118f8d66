"""A local Viettel S-Invoice for the tests (and, once wired, `make run`).

    python -m local.einvoice_fake --port 8004 [--tax-code 0100109106] [--template 1/001] [--series C26TAA]
        [--pending-rate 0.1] [--error-rate 0.05] [--pending-seconds 3]

Credentials come from $EINVOICE_USERNAME / $EINVOICE_PASSWORD (default: the documented demo pair
`sinvoice-demo` / `demo-password`, which only this fake accepts). It imports nothing from
chalicelib: it plays Viettel's side from docs/einvoice.md, so a mistake on either side shows.

Viettel's calls, under /services/einvoiceapplication/api (the shapes of docs/einvoice.md):
  POST /auth/login                                       {username, password} -> {access_token, expires_in, ...}
  POST .../InvoiceAPI/InvoiceWS/createInvoice/<taxCode>  the invoice (JSON) -> {errorCode, description, result}
  POST .../InvoiceAPI/InvoiceWS/searchInvoiceByTransactionUuid   form supplierTaxCode, transactionUuid
  POST .../InvoiceAPI/InvoiceUtilsWS/getInvoiceRepresentationFile {supplierTaxCode, templateCode, invoiceNo,
                                                         fileType} -> {fileToBytes (base64 PDF), fileName}
Every call needs HTTP Basic with the pair, or the token from /auth/login (cookie access_token, or Bearer).

Behaviour: numbers in sequence per (template, series); the same transactionUuid returns the same
invoice (or, with duplicate_as_error, errorCode TRANSACTION_UUID_INVALID as some accounts answer);
now and then an answer without a number (numbered `pending_seconds` later, seen by the look-up) and
now and then a 5xx: both by rate (random) or scripted, so tests are deterministic.

For tests (JSON):
  GET  /fake/health, /fake/invoices, /fake/calls
  POST /fake/settings   {pending_rate, error_rate, pending_seconds, duplicate_as_error, delay_seconds, down}
                        (down: every S-Invoice call answers 503 until set false again)
  GET  /tra-cuu?code=   the buyer's look-up page: an invoice by its look-up code (reservationCode)
  POST /fake/script     {"next": ["pending" | "5xx_before" | "5xx_after" | "slow_after" | "duplicate_error"]}
                        outcomes for the next create calls, in order (5xx_after and slow_after create
                        the invoice and lose the answer: an error, or an answer later than the client waits)
  POST /fake/reset
"""

from __future__ import annotations

import argparse
import base64
import hmac
import html
import json
import os
import random
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from local.fake_server import bound_server, in_thread, serve_until_stopped

PREFIX = "/services/einvoiceapplication/api"
DEMO_USERNAME = "sinvoice-demo"
DEMO_PASSWORD = "demo-password"  # a demo value, accepted by this fake only
TOKEN_SECONDS = 300
MAX_BODY = 2 * 1024 * 1024


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a few lines of Latin text (a valid xref: readers open it)."""
    text = " ".join(
        f"BT /F1 11 Tf 50 {780 - 16 * i} Td ({_pdf_escape(line)}) Tj ET" for i, line in enumerate(lines[:40])
    )
    stream = text.encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _pdf_escape(text: str) -> str:
    ascii_text = text.encode("ascii", "replace").decode()
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


@dataclass
class FakeInvoice:
    uuid: str
    template: str
    series: str
    body: dict
    created_at: float
    number: int | None = None
    ready_at: float = 0.0
    reservation_code: str = field(default_factory=lambda: secrets.token_hex(5).upper())
    transaction_id: str = field(default_factory=lambda: secrets.token_hex(12))

    def invoice_no(self) -> str | None:
        # Under Circular 78 a number is up to 8 digits; Viettel prints it after the series.
        return None if self.number is None else f"{self.series}{self.number}"


class FakeSInvoice:
    def __init__(
        self,
        *,
        tax_code: str = "0100109106",
        templates: dict[str, list[str]] | None = None,
        username: str = DEMO_USERNAME,
        password: str = DEMO_PASSWORD,
        pending_rate: float = 0.0,
        error_rate: float = 0.0,
        pending_seconds: float = 0.0,
        delay_seconds: float = 2.0,
        duplicate_as_error: bool = False,
        seed: int | None = None,
    ) -> None:
        self.tax_code = tax_code
        self.templates = templates or {"1/001": ["C26TAA"]}
        self.username, self.password = username, password
        self.pending_rate, self.error_rate = pending_rate, error_rate
        self.pending_seconds, self.delay_seconds = pending_seconds, delay_seconds
        self.duplicate_as_error = duplicate_as_error
        self.down = False  # every S-Invoice call answers 503 (POST /fake/settings {"down": true})
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.invoices: dict[str, FakeInvoice] = {}
        self.sequences: dict[tuple[str, str], int] = {}
        self.tokens: dict[str, float] = {}
        self.script: list[str] = []
        self.calls: list[dict] = []

    # -- auth -----------------------------------------------------------------------------

    def login(self, body: dict) -> tuple[int, dict]:
        if not (_same(body.get("username"), self.username) and _same(body.get("password"), self.password)):
            return 401, {"error": "invalid_grant", "error_description": "Bad credentials"}
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.time() + TOKEN_SECONDS
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_SECONDS, "scope": "openid"}

    def authorised(self, headers, cookies: dict) -> bool:
        auth = headers.get("Authorization") or ""
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return _same(user, self.username) and _same(password, self.password)
        token = auth[7:] if auth.startswith("Bearer ") else cookies.get("access_token", "")
        with self.lock:
            return bool(token) and self.tokens.get(token, 0) > time.time()

    # -- the invoice calls --------------------------------------------------------------------

    def _outcome(self) -> str:
        with self.lock:
            if self.script:
                return self.script.pop(0)
        roll = self.random.random()
        if roll < self.error_rate:
            return self.random.choice(["5xx_before", "5xx_after"])
        if roll < self.error_rate + self.pending_rate:
            return "pending"
        return "ok"

    def _number(self, inv: FakeInvoice) -> None:
        if inv.number is None and time.time() >= inv.ready_at:
            key = (inv.template, inv.series)
            self.sequences[key] = self.sequences.get(key, 0) + 1
            inv.number = self.sequences[key]

    def create(self, tax_code: str, body: dict) -> tuple[int, dict, float]:
        """-> (HTTP status, answer, seconds to wait before answering)."""
        outcome = self._outcome()
        self.calls.append({"call": "create", "outcome": outcome, "uuid": _uuid(body)})
        if outcome == "5xx_before":
            return 500, {"status": 500, "error": "Internal Server Error", "message": "GENERAL"}, 0.0
        if tax_code != self.tax_code:
            return 400, {"code": 400, "message": "SUPPLIER_TAX_CODE_INVALID", "data": "Mã số thuế không hợp lệ"}, 0.0
        general = body.get("generalInvoiceInfo") or {}
        template, series, uuid = general.get("templateCode"), general.get("invoiceSeries"), _uuid(body)
        if template not in self.templates:
            return 400, {"code": 400, "message": "TEMPLATE_NOT_FOUND", "data": "Mẫu hóa đơn không tồn tại"}, 0.0
        if series not in self.templates[template]:
            answer = {"code": 400, "message": "INVOICE_SERIAL_NOT_FOUND", "data": "Ký hiệu hóa đơn không tồn tại"}
            return 400, answer, 0.0
        if not uuid:
            return 200, _failed("TRANSACTION_UUID_REQUIRED", "transactionUuid là bắt buộc"), 0.0
        problem = check_invoice(body, self)
        if problem:
            return 200, _failed("INVALID_INVOICE", problem), 0.0
        with self.lock:
            existing = self.invoices.get(uuid)
            if existing is not None:
                if self.duplicate_as_error or outcome == "duplicate_error":
                    return 200, _failed("TRANSACTION_UUID_INVALID", "transactionUuid đã tồn tại"), 0.0
                self._number(existing)
                return 200, self._result(existing), 0.0
            inv = FakeInvoice(uuid, template, series, body, time.time())
            if outcome == "pending":
                inv.ready_at = time.time() + self.pending_seconds
            else:
                self._number(inv)
            self.invoices[uuid] = inv
            answer = self._result(inv)
        if outcome == "5xx_after":
            return 500, {"status": 500, "error": "Internal Server Error", "message": "GENERAL"}, 0.0
        if outcome == "slow_after":
            return 200, answer, self.delay_seconds
        return 200, answer, 0.0

    def _result(self, inv: FakeInvoice) -> dict:
        return {
            "errorCode": None,
            "description": None,
            "result": {
                "supplierTaxCode": self.tax_code,
                "invoiceNo": inv.invoice_no(),
                "transactionID": inv.transaction_id,
                "reservationCode": inv.reservation_code if inv.number is not None else None,
                "codeOfTax": None,
            },
        }

    def search(self, form: dict) -> tuple[int, dict]:
        self.calls.append({"call": "search", "uuid": form.get("transactionUuid")})
        if form.get("supplierTaxCode") != self.tax_code:
            return 400, {"code": 400, "message": "SUPPLIER_TAX_CODE_INVALID", "data": "Mã số thuế không hợp lệ"}
        with self.lock:
            inv = self.invoices.get(form.get("transactionUuid") or "")
            if inv is not None:
                self._number(inv)
            if inv is None or inv.number is None:
                return 400, {"code": 400, "message": "NOT_FOUND_DATA", "data": "Không tìm thấy dữ liệu"}
            return 200, {
                "transactionUuid": inv.uuid,
                "errorCode": None,
                "description": None,
                "result": [
                    {
                        "supplierTaxCode": self.tax_code,
                        "invoiceNo": inv.invoice_no(),
                        "reservationCode": inv.reservation_code,
                        "issueDate": int(inv.created_at) * 1000,
                        "status": "Chưa thanh toán",
                        "templateCode": inv.template,
                        "transactionID": inv.transaction_id,
                    }
                ],
            }

    def representation_file(self, body: dict) -> tuple[int, dict]:
        self.calls.append({"call": "file", "invoiceNo": body.get("invoiceNo")})
        if body.get("supplierTaxCode") != self.tax_code:
            return 400, {"code": 400, "message": "SUPPLIER_TAX_CODE_INVALID", "data": "Mã số thuế không hợp lệ"}
        if (body.get("fileType") or "").upper() != "PDF":
            return 200, _failed("FILE_TYPE_INVALID", "fileType: PDF (ZIP is not served by this fake)")
        with self.lock:
            inv = next((i for i in self.invoices.values() if i.invoice_no() == body.get("invoiceNo")), None)
        if inv is None or inv.template != body.get("templateCode"):
            return 400, {"code": 400, "message": "NOT_FOUND_DATA", "data": "Không tìm thấy hóa đơn"}
        summary = inv.body.get("summarizeInfo") or {}
        general = inv.body.get("generalInvoiceInfo") or {}
        pdf = minimal_pdf(
            [
                "HOA DON GIA TRI GIA TANG (fake S-Invoice)",
                f"Mau so {inv.template}  Ky hieu {inv.series}  So {inv.number}",
                f"Ma tra cuu {inv.reservation_code}",
                f"Loai {general.get('adjustmentType')}  Goc {general.get('originalInvoiceId') or '-'}",
                f"Tong tien thanh toan {summary.get('totalAmountWithTax')} VND",
            ]
        )
        return 200, {
            "errorCode": None,
            "description": None,
            "fileName": f"{inv.series}{inv.number}.pdf",
            "fileToBytes": base64.b64encode(pdf).decode(),
            "paymentStatus": bool(general.get("paymentStatus")),
        }


def check_invoice(body: dict, fake: FakeSInvoice) -> str | None:
    """What SInvoice checks with validation on: the blocks are there and the sums add up."""
    for block in ("generalInvoiceInfo", "buyerInfo", "sellerInfo", "itemInfo", "summarizeInfo", "taxBreakdowns"):
        if block not in body:
            return f"{block} is missing"
    if (body["sellerInfo"] or {}).get("sellerTaxCode") != fake.tax_code:
        return "sellerTaxCode is not the supplier's"
    general = body["generalInvoiceInfo"]
    if general.get("currencyCode") != "VND":
        return "currencyCode: VND only in this fake"
    if str(general.get("adjustmentType")) in ("3", "5"):
        originals = {i.invoice_no() for i in fake.invoices.values()}
        if general.get("originalInvoiceId") not in originals:
            return "originalInvoiceId: no such invoice"
    items = body["itemInfo"] or []
    if not items:
        return "itemInfo is empty"
    summary = body["summarizeInfo"]
    signed = str(general.get("adjustmentType")) == "5"

    def sign(flag) -> int:
        return 1 if (not signed or flag is None or flag) else -1

    without = sum(sign(i.get("isIncreaseItem")) * int(i.get("itemTotalAmountWithoutTax") or 0) for i in items)
    tax = sum(sign(i.get("isIncreaseItem")) * int(i.get("taxAmount") or 0) for i in items)
    total_sign = sign(summary.get("isTotalAmtWithoutTaxPos"))
    if total_sign * int(summary.get("totalAmountWithoutTax") or 0) != without:
        return "totalAmountWithoutTax is not the sum of the items"
    if sign(summary.get("isTotalTaxAmountPos")) * int(summary.get("totalTaxAmount") or 0) != tax:
        return "totalTaxAmount is not the sum of the items' taxAmount"
    if sign(summary.get("isTotalAmountPos")) * int(summary.get("totalAmountWithTax") or 0) != without + tax:
        return "totalAmountWithTax is not totalAmountWithoutTax + totalTaxAmount"
    breakdown_tax = sum(sign(b.get("taxAmountPos")) * int(b.get("taxAmount") or 0) for b in body["taxBreakdowns"])
    if breakdown_tax != tax:
        return "taxBreakdowns do not add up to totalTaxAmount"
    return None


def _failed(code: str, description: str) -> dict:
    return {"errorCode": code, "description": description, "result": None}


def _uuid(body: dict) -> str:
    return str((body.get("generalInvoiceInfo") or {}).get("transactionUuid") or "")


def _same(given, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def _cookies(header: str) -> dict:
    out = {}
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out


class Handler(BaseHTTPRequestHandler):
    fake: FakeSInvoice
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the tests read /fake/calls
        pass

    def _send(self, status: int, answer: dict, delay: float = 0.0) -> None:
        if delay:
            time.sleep(delay)
        data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (slow_after): the invoice exists all the same

    def _lookup_page(self, code: str) -> None:
        """The buyer's look-up page (Viettel's is on its own site): an invoice by its look-up code."""
        with self.fake.lock:
            inv = next((i for i in self.fake.invoices.values() if code and i.reservation_code == code), None)
        found = (
            f"<p>Số {html.escape(inv.invoice_no() or '')} · mẫu số {html.escape(inv.template)} · "
            f"tổng {html.escape(str((inv.body.get('summarizeInfo') or {}).get('totalAmountWithTax')))} VND</p>"
            if inv is not None and inv.number is not None
            else ("<p>Không tìm thấy hoá đơn.</p>" if code else "")
        )
        page = (
            '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Tra cứu hoá đơn điện tử (fake)</title>'
            "<h1>Tra cứu hoá đơn điện tử</h1><form><label>Mã tra cứu <input name=code "
            f'value="{html.escape(code)}"></label> <button>Tra cứu</button></form>{found}</html>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_BODY)) if length else b""

    def do_GET(self):
        path = urlsplit(self.path).path
        fake = self.fake
        if path == "/fake/health":
            return self._send(200, {"ok": True, "tax_code": fake.tax_code, "templates": fake.templates})
        if path == "/fake/invoices":
            with fake.lock:
                rows = [
                    {
                        "transactionUuid": i.uuid,
                        "invoiceNo": i.invoice_no(),
                        "templateCode": i.template,
                        "invoiceSeries": i.series,
                        "reservationCode": i.reservation_code,
                        "adjustmentType": (i.body.get("generalInvoiceInfo") or {}).get("adjustmentType"),
                        "originalInvoiceId": (i.body.get("generalInvoiceInfo") or {}).get("originalInvoiceId"),
                        "total": (i.body.get("summarizeInfo") or {}).get("totalAmountWithTax"),
                    }
                    for i in fake.invoices.values()
                ]
            return self._send(200, {"invoices": rows})
        if path == "/fake/calls":
            return self._send(200, {"calls": list(fake.calls)})
        if path == "/tra-cuu":
            return self._lookup_page(dict(parse_qsl(urlsplit(self.path).query)).get("code", ""))
        return self._send(404, {"status": 404, "error": "Not Found"})

    def do_POST(self):
        path = urlsplit(self.path).path
        fake, raw = self.fake, self._body()
        try:
            if path.startswith("/fake/"):
                return self._fake_control(path, json.loads(raw or b"{}"))
            if fake.down:
                fake.calls.append({"call": "down", "path": path})
                return self._send(503, {"status": 503, "error": "Service Unavailable", "message": "GENERAL"})
            if path == "/auth/login":
                return self._send(*fake.login(json.loads(raw or b"{}")))
            if not fake.authorised(self.headers, _cookies(self.headers.get("Cookie", ""))):
                return self._send(401, {"status": 401, "error": "Unauthorized", "message": "UNAUTHORIZED"})
            create = PREFIX + "/InvoiceAPI/InvoiceWS/createInvoice/"
            if path.startswith(create):
                return self._send(*fake.create(unquote(path[len(create) :]), json.loads(raw or b"{}")))
            if path == PREFIX + "/InvoiceAPI/InvoiceWS/searchInvoiceByTransactionUuid":
                form = dict(parse_qsl(raw.decode("utf-8"))) if raw else {}
                form.update(dict(parse_qsl(urlsplit(self.path).query)))
                return self._send(*fake.search(form))
            if path == PREFIX + "/InvoiceAPI/InvoiceUtilsWS/getInvoiceRepresentationFile":
                return self._send(*fake.representation_file(json.loads(raw or b"{}")))
        except (ValueError, AttributeError, TypeError) as exc:
            return self._send(400, {"code": 400, "message": "BAD_REQUEST", "data": str(exc)[:200]})
        return self._send(404, {"status": 404, "error": "Not Found"})

    def _fake_control(self, path: str, body: dict) -> None:
        fake = self.fake
        if path == "/fake/settings":
            for name in ("pending_rate", "error_rate", "pending_seconds", "delay_seconds"):
                if name in body:
                    setattr(fake, name, float(body[name]))
            if "duplicate_as_error" in body:
                fake.duplicate_as_error = bool(body["duplicate_as_error"])
            if "down" in body:
                fake.down = bool(body["down"])
            return self._send(200, {"ok": True})
        if path == "/fake/script":
            with fake.lock:
                fake.script.extend(str(x) for x in body.get("next") or [])
            return self._send(200, {"ok": True, "script": list(fake.script)})
        if path == "/fake/reset":
            with fake.lock:
                fake.reset()
            return self._send(200, {"ok": True})
        return self._send(404, {"status": 404, "error": "Not Found"})


def make_server(fake: FakeSInvoice, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server bound to (host, port) (0: a free port) serving in a daemon thread."""
    return in_thread(bound_server(Handler, {"fake": fake}, host, port), "einvoice-fake")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.einvoice_fake", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8004)
    parser.add_argument("--tax-code", default=os.environ.get("EINVOICE_TAX_CODE") or "0100109106")
    parser.add_argument("--template", default=os.environ.get("EINVOICE_TEMPLATE") or "1/001")
    parser.add_argument("--series", default=os.environ.get("EINVOICE_SERIES") or "C26TAA")
    parser.add_argument("--pending-rate", type=float, default=0.1, help="share of answers without a number")
    parser.add_argument("--error-rate", type=float, default=0.05, help="share of 5xx answers")
    parser.add_argument("--pending-seconds", type=float, default=3.0, help="a pending invoice is numbered after this")
    parser.add_argument("--duplicate-as-error", action="store_true", help="a reused transactionUuid is an error")
    args = parser.parse_args(argv)
    fake = FakeSInvoice(
        tax_code=args.tax_code,
        templates={args.template: [args.series]},
        username=os.environ.get("EINVOICE_USERNAME") or DEMO_USERNAME,
        password=os.environ.get("EINVOICE_PASSWORD") or DEMO_PASSWORD,
        pending_rate=args.pending_rate,
        error_rate=args.error_rate,
        pending_seconds=args.pending_seconds,
        duplicate_as_error=args.duplicate_as_error,
    )
    try:
        server = bound_server(Handler, {"fake": fake}, args.host, args.port)
    except OSError as exc:
        print(f"einvoice fake: {exc}", file=sys.stderr)
        return 2
    print(
        f"S-Invoice fake on http://{args.host}:{args.port}{PREFIX} (supplier {args.tax_code}, "
        f"template {args.template}, series {args.series}; pending {args.pending_rate:g}, 5xx {args.error_rate:g})",
        flush=True,
    )
    return serve_until_stopped(server)


if __name__ == "__main__":
    sys.exit(main())
