"""A local VNPay (Payment Gateway v2.1.0) for `make run` and the tests.

    python -m local.vnpay_sandbox --port 8001 --tmn-code CSKHDEMO --hash-secret <secret> \\
        --ipn-url http://127.0.0.1:8000/v1/vnpay/ipn [--ipn-retry-seconds 2] [--ipn-max-attempts 10]

(`--hash-secret` may be left out when $VNPAY_HASH_SECRET holds it, which is how
`make run` passes it: a secret on a command line shows in `ps`.)

It plays VNPay's side, with its own implementation of VNPay's signing rules
(deliberately written apart from chalicelib's, which it never imports: a
mistake in one shows up against the other). See ../shared/VNPAY.md.

Pages (a browser):
  GET  /paymentv2/vpcpay.html?...    VNPay's payment page: checks the request as VNPay
                                     does (checksum, terminal, fields, dates in GMT+7,
                                     expiry); buttons: success, cancel (24), insufficient
                                     funds (51), timeout (11)
  GET  /bank-app                     a "bank app": paste a VNPAY-QR payload (or upload a
                                     QR image when zbarimg is installed), see it, pay it
Server to server:
  GET  <ipn-url>?...                 the IPN, retried on anything but RspCode 00/02
  POST /merchant_webapi/api/transaction   querydr and refund (JSON, signed both ways)
For tests (JSON):
  GET  /sandbox/health, /sandbox/ipn-log[?txn_ref=], /sandbox/transactions
  POST /sandbox/pay        {"payment_url": .., "outcome": success|cancel|insufficient|timeout}
                           (or the vnp_* params themselves instead of payment_url;
                           "ignore_expiry": true pays a late order, "force": true pays one
                           already paid) -> {return_url, transaction_no, params, ...}
  POST /sandbox/qr-pay     {"payload": .., "amount"?: VND for a QR without one} -> {transaction_no, ...}
  POST /sandbox/ipn/replay {"txn_ref": .., "count"?: n concurrent copies} -> the answers
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import ipaddress
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote_plus, urlsplit

from local.fake_server import bound_server, in_thread, serve_until_stopped

VN_TZ = timezone(timedelta(hours=7))
DATE_FORMAT = "%Y%m%d%H%M%S"
VERSION = "2.1.0"
MAX_BODY = 4 * 1024 * 1024

# --------------------------------------------------------------------------
# VNPay's signing rules, written here from VNPay's documentation
# --------------------------------------------------------------------------


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def hash_data(params: dict) -> str:
    """The string VNPay signs: every vnp_* parameter but the hash itself (and
    its type), sorted by name, `quote_plus(name)=quote_plus(value)` joined with &."""
    pairs = sorted(
        (k, v) for k, v in params.items() if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType")
    )
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)


def signed_query(params: dict, secret: str) -> str:
    data = hash_data(params)
    return f"{data}&vnp_SecureHash={hmac_sha512(secret, data)}"


def checksum_ok(params: dict, secret: str) -> bool:
    given = (params.get("vnp_SecureHash") or "").lower().encode("utf-8")
    return hmac.compare_digest(given, hmac_sha512(secret, hash_data(params)).encode("ascii"))


def pipe_hash(secret: str, values: list) -> str:
    """querydr / refund: HMAC-SHA512 over the values '|'-joined in VNPay's order."""
    return hmac_sha512(secret, "|".join(values))


QUERYDR_REQUEST = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_REQUEST = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_RESPONSE = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
)
QUERYDR_RESPONSE = REFUND_RESPONSE + ("vnp_PromotionCode", "vnp_PromotionAmount")


def vn_now() -> datetime:
    return datetime.now(VN_TZ)


def vn_stamp(moment: datetime | None = None) -> str:
    return (moment or vn_now()).astimezone(VN_TZ).strftime(DATE_FORMAT)


def parse_vn_stamp(value: str) -> datetime | None:
    if not re.fullmatch(r"\d{14}", value or ""):
        return None
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=VN_TZ)
    except ValueError:
        return None


def format_vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " VND"


# --------------------------------------------------------------------------
# VNPAY-QR (EMVCo merchant-presented): TLV and CRC-16/CCITT-FALSE
# --------------------------------------------------------------------------

VNPAY_GUID = "A000000775"
NAPAS_GUID = "A000000727"


class QRError(ValueError):
    pass


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def parse_tlv(text: str) -> dict:
    fields, i = {}, 0
    while i < len(text):
        tag, length = text[i : i + 2], text[i + 2 : i + 4]
        if not (len(tag) == 2 and tag.isdigit() and len(length) == 2 and length.isdigit()):
            raise QRError(f"malformed TLV at position {i}")
        end = i + 4 + int(length)
        if end > len(text):
            raise QRError(f"tag {tag} says {int(length)} characters but the data ends first")
        if tag in fields:
            raise QRError(f"tag {tag} appears twice")
        fields[tag] = text[i + 4 : end]
        i = end
    return fields


@dataclass
class QRInfo:
    fields: dict
    merchant_account: dict
    additional: dict
    merchant_name: str
    merchant_city: str
    merchant_id: str
    bill_number: str
    amount: int | None
    deadline: datetime | None
    purpose: str
    dynamic: bool


def parse_vnpay_qr(payload: str) -> QRInfo:
    payload = (payload or "").strip()
    if not payload:
        raise QRError("the payload is empty")
    if not re.search(r"6304[0-9A-Fa-f]{4}$", payload):
        raise QRError("the payload does not end with a CRC (tag 63, 4 hex digits)")
    fields = parse_tlv(payload)
    if list(fields)[-1] != "63":
        raise QRError("tag 63 (CRC) must come last")
    expected = crc16_ccitt_false(payload[:-4].encode("utf-8"))
    if int(payload[-4:], 16) != expected:
        raise QRError(f"CRC mismatch: the payload says {payload[-4:].upper()}, its content gives {expected:04X}")
    if fields.get("00") != "01":
        raise QRError("tag 00 (payload format indicator) must be 01")
    if "26" not in fields:
        if NAPAS_GUID in fields.get("38", ""):
            raise QRError(
                "this is a VietQR (NAPAS, tag 38) bank-transfer code, not VNPAY-QR: "
                "it would pay the account directly and VNPay would send no IPN"
            )
        raise QRError("no VNPAY-QR merchant account (tag 26) in the payload")
    account = parse_tlv(fields["26"])
    if account.get("00", "").upper() != VNPAY_GUID:
        raise QRError(f"tag 26 sub-tag 00 must be VNPay's GUID {VNPAY_GUID}, got {account.get('00', '')!r}")
    if fields.get("53") != "704":
        raise QRError(f"currency (tag 53) must be 704 (VND), got {fields.get('53')!r}")
    if fields.get("58", "VN") != "VN":
        raise QRError(f"country (tag 58) must be VN, got {fields.get('58')!r}")
    additional = parse_tlv(fields.get("62", ""))
    amount = None
    if "54" in fields:
        match = re.fullmatch(r"(\d{1,13})(\.0*)?", fields["54"])
        if not match or int(match.group(1)) <= 0:
            raise QRError(f"amount (tag 54) must be a whole, positive number of VND, got {fields['54']!r}")
        amount = int(match.group(1))
    # Not standard EMVCo (VNPay keeps the deadline on its side, see order_deadline):
    # any sub-tag of 62 or 26 holding a yyyyMMddHHmmss (GMT+7) is taken as one.
    deadline = None
    for source in (additional, account):
        for sub in sorted(source):
            deadline = deadline or parse_vn_stamp(source[sub])
    return QRInfo(
        fields=fields,
        merchant_account=account,
        additional=additional,
        merchant_name=fields.get("59", ""),
        merchant_city=fields.get("60", ""),
        merchant_id=account.get("01", ""),
        bill_number=additional.get("01", ""),
        amount=amount,
        deadline=deadline,
        purpose=additional.get("08", ""),
        dynamic=fields.get("01") == "12",
    )


# --------------------------------------------------------------------------
# The sandbox's state and rules (no HTTP here)
# --------------------------------------------------------------------------

OUTCOMES = {  # outcome -> (vnp_ResponseCode, vnp_TransactionStatus)
    "success": ("00", "00"),
    "cancel": ("24", "02"),
    "insufficient": ("51", "02"),
    "timeout": ("11", "02"),
}
PAGE_ERRORS = {  # the codes of VNPay's payment error page
    "01": ("Giao dịch đã tồn tại", "The transaction already exists (this order was already paid)"),
    "02": ("Merchant không hợp lệ (kiểm tra lại vnp_TmnCode)", "Invalid merchant (check vnp_TmnCode)"),
    "03": ("Dữ liệu gửi sang không đúng định dạng", "The data sent is not in the right format"),
    "15": ("Giao dịch đã quá thời gian chờ thanh toán", "The payment window has expired"),
    "70": ("Sai chữ ký", "Invalid signature"),
}
PAY_REQUIRED = (
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_CurrCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_OrderType",
    "vnp_Locale",
    "vnp_ReturnUrl",
    "vnp_IpAddr",
    "vnp_CreateDate",
    "vnp_ExpireDate",
    "vnp_SecureHash",
)
ORDER_INFO_RE = re.compile(r"[A-Za-z0-9 .,:/_\-]{1,255}")
TXN_REF_RE = re.compile(r"[A-Za-z0-9_\-]{1,100}")
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew allowed on vnp_CreateDate
API_CLOCK_TOLERANCE = timedelta(minutes=15)  # querydr/refund vnp_CreateDate vs now (GMT+7)


class PayError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


@dataclass
class Transaction:
    transaction_no: str
    txn_ref: str
    amount: str  # × 100, as sent
    response_code: str
    status: str  # vnp_TransactionStatus
    bank_code: str
    card_type: str
    bank_tran_no: str
    pay_date: str
    order_info: str
    create_date: str | None  # the order's vnp_CreateDate (None when paid from a QR only)
    return_url: str | None
    params: dict  # the signed result parameters (without the hash)
    query: str  # ... as a signed query string
    refunds: list = field(default_factory=list)

    def refunded(self) -> int:
        return sum(r["amount"] for r in self.refunds)


@dataclass
class Delivery:
    txn: Transaction
    first_done: threading.Event = field(default_factory=threading.Event)
    first: dict | None = None


class Sandbox:
    def __init__(
        self,
        tmn_code: str,
        hash_secret: str,
        ipn_url: str,
        *,
        retry_seconds: float = 2.0,
        max_attempts: int = 10,
        ipn_timeout: float = 5.0,
        refund_settle_seconds: float = 2.0,
        merchant_name: str = "CAWACO - Cap nuoc Ca Mau",
        log: Callable[[str], None] | None = None,
    ):
        if not re.fullmatch(r"[A-Za-z0-9]{8}", tmn_code):
            raise ValueError("the terminal code (vnp_TmnCode) is 8 letters or digits")
        if not hash_secret:
            raise ValueError("a hash secret is required")
        self.tmn_code, self.secret, self.ipn_url = tmn_code, hash_secret, ipn_url
        self.retry_seconds, self.max_attempts, self.ipn_timeout = retry_seconds, max_attempts, ipn_timeout
        self.refund_settle_seconds, self.merchant_name = refund_settle_seconds, merchant_name
        self.log = log or (lambda line: print(line, flush=True))
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.orders: dict[str, dict] = {}  # txn_ref -> the pay request last seen
        self.transactions: dict[str, list[Transaction]] = {}
        self.request_ids: set[str] = set()
        self.ipn_log: list[dict] = []
        # Increasing, and past any number a previous run handed out (an API's
        # payments are keyed by it and survive a restart of `make run`).
        self._last_no = int(time.time() * 100) - 170_000_000_000

    def close(self) -> None:
        self._closed.set()

    # -- the pay request ----------------------------------------------------------

    def check_pay_request(self, params: dict, *, check_expiry: bool = True) -> None:
        """Raises PayError with the code VNPay's error page would show."""
        missing = [name for name in PAY_REQUIRED if not params.get(name)]
        if missing:
            raise PayError("03", f"missing or empty: {', '.join(missing)}")
        empty = [k for k, v in params.items() if k.startswith("vnp_") and v == ""]
        if empty:
            raise PayError("03", f"empty parameters (never send one): {', '.join(empty)}")
        if params["vnp_TmnCode"] != self.tmn_code:
            raise PayError("02", f"unknown terminal {params['vnp_TmnCode']!r}")
        if not checksum_ok(params, self.secret):
            raise PayError("70", "vnp_SecureHash does not match the parameters")
        if params["vnp_Version"] != VERSION:
            raise PayError("03", f"vnp_Version must be {VERSION}")
        if params["vnp_Command"] != "pay":
            raise PayError("03", "vnp_Command must be pay")
        if params["vnp_CurrCode"] != "VND":
            raise PayError("03", "vnp_CurrCode must be VND")
        amount = params["vnp_Amount"]
        if not amount.isdigit() or int(amount) % 100:
            raise PayError("03", "vnp_Amount must be digits, the amount in VND × 100")
        if not 5_000 <= int(amount) // 100 < 1_000_000_000:
            raise PayError("03", "Số tiền không hợp lệ: từ 5.000 đến dưới 1 tỷ đồng / amount out of range")
        if not TXN_REF_RE.fullmatch(params["vnp_TxnRef"]):
            raise PayError("03", "vnp_TxnRef must be 1-100 letters or digits")
        if not ORDER_INFO_RE.fullmatch(params["vnp_OrderInfo"]):
            raise PayError(
                "03",
                "vnp_OrderInfo must be Vietnamese without diacritics: letters, digits, "
                "space and .,:/_- only, at most 255",
            )
        if len(params["vnp_OrderType"]) > 100:
            raise PayError("03", "vnp_OrderType is at most 100 characters")
        if params["vnp_Locale"] not in ("vn", "en"):
            raise PayError("03", "vnp_Locale must be vn or en")
        ret = params["vnp_ReturnUrl"]
        if len(ret) > 255 or urlsplit(ret).scheme not in ("http", "https") or not urlsplit(ret).netloc:
            raise PayError("03", "vnp_ReturnUrl must be an http(s) URL of at most 255 characters")
        try:
            ipaddress.ip_address(params["vnp_IpAddr"])
        except ValueError:
            raise PayError("03", "vnp_IpAddr must be an IP address") from None
        if "vnp_BankCode" in params and not re.fullmatch(r"[A-Z0-9]{2,20}", params["vnp_BankCode"]):
            raise PayError("03", "vnp_BankCode is e.g. VNPAYQR, VNBANK, INTCARD (or leave it out)")
        created, expires = parse_vn_stamp(params["vnp_CreateDate"]), parse_vn_stamp(params["vnp_ExpireDate"])
        if created is None or expires is None:
            raise PayError("03", "vnp_CreateDate / vnp_ExpireDate must be yyyyMMddHHmmss (GMT+7)")
        now = vn_now()
        if created > now + FUTURE_TOLERANCE:
            raise PayError(
                "03",
                f"vnp_CreateDate {params['vnp_CreateDate']} is in the future "
                f"(now is {vn_stamp(now)} GMT+7): Vietnam time, not the server's",
            )
        if expires <= created:
            raise PayError("03", "vnp_ExpireDate must be after vnp_CreateDate")
        if check_expiry and expires < now:
            raise PayError(
                "15",
                f"vnp_ExpireDate {params['vnp_ExpireDate']} has passed (now is {vn_stamp(now)} "
                "GMT+7); if it is 7 hours behind, the dates are UTC, not Vietnam time",
            )

    def show(self, params: dict) -> None:
        """The payment page was shown for a valid request: the order is known (querydr: 01)."""
        self.check_pay_request(params)
        with self._lock:
            if self._paid(params["vnp_TxnRef"]):
                raise PayError("01", f"order {params['vnp_TxnRef']} is already paid")
            self.orders[params["vnp_TxnRef"]] = dict(params)

    def pay(self, params: dict, outcome: str, *, ignore_expiry: bool = False, force: bool = False) -> Transaction:
        """What a button of the payment page does: record the transaction, start the IPN."""
        if outcome not in OUTCOMES:
            raise PayError("03", f"outcome must be one of {', '.join(OUTCOMES)}")
        try:
            self.check_pay_request(params, check_expiry=not ignore_expiry and outcome != "timeout")
        except PayError as exc:
            if exc.code != "15":
                raise
            outcome = "timeout"  # the window closed while the customer was on the page
        ref = params["vnp_TxnRef"]
        with self._lock:
            if self._paid(ref) and not force:
                raise PayError("01", f"order {ref} is already paid")
            self.orders.setdefault(ref, dict(params))
        qr = params.get("vnp_BankCode") == "VNPAYQR"
        txn = self._record(
            ref,
            amount=params["vnp_Amount"],
            outcome=outcome,
            bank_code="VNPAYQR" if qr else "NCB",
            card_type="QRCODE" if qr else "ATM",
            order_info=params["vnp_OrderInfo"],
            create_date=params["vnp_CreateDate"],
            return_url=params["vnp_ReturnUrl"] if outcome != "timeout" else None,
        )
        self.start_delivery(txn)
        return txn

    def qr_pay(self, payload: str, amount: int | None = None) -> Transaction:
        """A bank app paid a VNPAY-QR: the IPN for bill number / amount × 100."""
        info = parse_vnpay_qr(payload)
        if not info.bill_number:
            raise QRError("no bill number (tag 62 sub-tag 01): VNPay could not tell the merchant which order")
        if info.merchant_id and info.merchant_id != self.tmn_code:
            raise QRError(f"this QR is for terminal {info.merchant_id}, not {self.tmn_code}")
        if info.amount is None:
            if not amount or amount <= 0:
                raise QRError("the QR carries no amount (tag 54): give one")
            info.amount = amount
        ref = info.bill_number
        with self._lock:
            order = self.orders.get(ref, {})
        purpose = info.purpose if ORDER_INFO_RE.fullmatch(info.purpose or "") else ""
        txn = self._record(
            ref,
            amount=str(info.amount * 100),
            outcome="success",
            bank_code="VNPAYQR",
            card_type="QRCODE",
            order_info=order.get("vnp_OrderInfo") or purpose or f"Thanh toan don hang {ref}",
            create_date=order.get("vnp_CreateDate"),
            return_url=None,
        )
        self.start_delivery(txn)
        return txn

    def order_deadline(self, ref: str) -> datetime | None:
        """The vnp_ExpireDate of an order whose payment URL was seen: VNPay keeps
        the deadline on its side, and a bank app shows it from there."""
        with self._lock:
            order = self.orders.get(ref)
        return parse_vn_stamp(order["vnp_ExpireDate"]) if order else None

    def _paid(self, ref: str) -> bool:
        return any(t.status == "00" for t in self.transactions.get(ref, ()))

    def _record(
        self,
        ref: str,
        *,
        amount: str,
        outcome: str,
        bank_code: str,
        card_type: str,
        order_info: str,
        create_date: str | None,
        return_url: str | None,
    ) -> Transaction:
        response_code, status = OUTCOMES[outcome]
        with self._lock:
            self._last_no = max(self._last_no + 1, int(time.time() * 100) - 170_000_000_000)
            number = str(self._last_no)
            result = {
                "vnp_Amount": amount,
                "vnp_BankCode": bank_code,
                "vnp_CardType": card_type,
                "vnp_OrderInfo": order_info,
                "vnp_PayDate": vn_stamp(),
                "vnp_ResponseCode": response_code,
                "vnp_TmnCode": self.tmn_code,
                "vnp_TransactionNo": number,
                "vnp_TransactionStatus": status,
                "vnp_TxnRef": ref,
            }
            if status == "00":
                result["vnp_BankTranNo"] = f"VNP{number[-8:]}"
            txn = Transaction(
                transaction_no=number,
                txn_ref=ref,
                amount=amount,
                response_code=response_code,
                status=status,
                bank_code=bank_code,
                card_type=card_type,
                bank_tran_no=result.get("vnp_BankTranNo", ""),
                pay_date=result["vnp_PayDate"],
                order_info=order_info,
                create_date=create_date,
                return_url=return_url,
                params=result,
                query=signed_query(result, self.secret),
            )
            self.transactions.setdefault(ref, []).append(txn)
        self.log(
            f"paid {ref}: {outcome} (ResponseCode {response_code}, TransactionStatus {status}, "
            f"TransactionNo {number}, {format_vnd(int(amount) // 100)}, {card_type})"
        )
        return txn

    def redirect_url(self, txn: Transaction) -> str | None:
        if not txn.return_url:
            return None
        return txn.return_url + ("&" if "?" in txn.return_url else "?") + txn.query

    # -- the IPN -------------------------------------------------------------------------

    def start_delivery(self, txn: Transaction, barrier: threading.Barrier | None = None) -> Delivery:
        delivery = Delivery(txn)
        threading.Thread(target=self._deliver, args=(delivery, barrier), daemon=True, name=f"ipn-{txn.txn_ref}").start()
        return delivery

    def _deliver(self, delivery: Delivery, barrier: threading.Barrier | None) -> None:
        try:
            if barrier is not None:
                barrier.wait(timeout=10)
            for attempt in range(1, self.max_attempts + 1):
                if self._closed.is_set():
                    return
                entry = self._attempt(delivery.txn, attempt)
                if attempt == 1:
                    delivery.first = entry
                    delivery.first_done.set()
                if entry["rsp_code"] in ("00", "02"):
                    return
                if attempt == self.max_attempts:
                    self.log(f"IPN {delivery.txn.txn_ref}: gave up after {attempt} attempts")
                    return
                if self._closed.wait(self.retry_seconds):
                    return
        finally:
            delivery.first_done.set()

    def _attempt(self, txn: Transaction, attempt: int) -> dict:
        url = self.ipn_url + ("&" if "?" in self.ipn_url else "?") + txn.query
        entry = {
            "txn_ref": txn.txn_ref,
            "transaction_no": txn.transaction_no,
            "attempt": attempt,
            "response_code": txn.response_code,
            "transaction_status": txn.status,
            "at": vn_now().isoformat(timespec="milliseconds"),
            "http_status": None,
            "rsp_code": None,
            "message": None,
            "error": None,
        }
        started = time.monotonic()
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "VNPay-Sandbox-IPN/1.0"})
            try:
                with urllib.request.urlopen(req, timeout=self.ipn_timeout) as resp:
                    entry["http_status"], body = resp.status, resp.read(65536)
            except urllib.error.HTTPError as exc:
                entry["http_status"], body = exc.code, exc.read(65536)
            try:
                answer = json.loads(body)
                if not isinstance(answer, dict):
                    raise ValueError("not an object")
                entry["rsp_code"] = str(answer.get("RspCode")) if answer.get("RspCode") is not None else None
                entry["message"] = answer.get("Message")
            except ValueError:
                entry["error"] = "the answer is not JSON {RspCode, Message}"
            if entry["http_status"] != 200 and entry["rsp_code"] in ("00", "02"):
                entry["error"] = f"HTTP {entry['http_status']}: not taken as an answer"
                entry["rsp_code"] = None
        except (TimeoutError, OSError) as exc:  # URLError, socket.timeout, connection refused
            reason = getattr(exc, "reason", exc)
            entry["error"] = "timeout" if "timed out" in str(reason) else f"{type(reason).__name__}: {reason}"
        entry["ms"] = round((time.monotonic() - started) * 1000)
        with self._lock:
            self.ipn_log.append(entry)
        self.log(
            f"IPN {txn.txn_ref} attempt {attempt}: RspCode {entry['rsp_code'] or '-'}"
            + (f" ({entry['error']})" if entry["error"] else f" {entry['message'] or ''}".rstrip())
        )
        return entry

    def replay(self, txn_ref: str, count: int = 1) -> list[dict]:
        """Send the last IPN of an order again (count copies at once); the
        first answer of each, retries (if any) carry on in the background."""
        with self._lock:
            txns = self.transactions.get(txn_ref)
        if not txns:
            raise KeyError(txn_ref)
        barrier = threading.Barrier(count) if count > 1 else None
        deliveries = [self.start_delivery(txns[-1], barrier) for _ in range(count)]
        for d in deliveries:
            d.first_done.wait(self.ipn_timeout + 15)
        return [d.first for d in deliveries]

    # -- querydr and refund -----------------------------------------------------------------

    def transaction_api(self, body) -> dict:
        command = body.get("vnp_Command") if isinstance(body, dict) else None
        fields = REFUND_RESPONSE if command == "refund" else QUERYDR_RESPONSE
        answer = dict.fromkeys(fields, "")
        answer.update(
            {"vnp_ResponseId": secrets.token_hex(16), "vnp_Command": str(command or ""), "vnp_TmnCode": self.tmn_code}
        )
        if isinstance(body, dict) and isinstance(body.get("vnp_TxnRef"), str):
            answer["vnp_TxnRef"] = body["vnp_TxnRef"]

        def reply(code: str, message: str, **values) -> dict:
            answer.update(values, vnp_ResponseCode=code, vnp_Message=message)
            answer["vnp_SecureHash"] = pipe_hash(self.secret, [answer[name] for name in fields])
            self.log(f"{command or '?'} {answer['vnp_TxnRef'] or '-'}: {code} {message}")
            return answer

        if not isinstance(body, dict) or command not in ("querydr", "refund"):
            return reply("03", "Invalid data format: vnp_Command must be querydr or refund")
        wanted = QUERYDR_REQUEST if command == "querydr" else REFUND_REQUEST
        req = {}
        for name in wanted + ("vnp_SecureHash",):
            value = body.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and name == "vnp_Amount":
                value = str(value)
            if value is None and name == "vnp_TransactionNo":
                value = ""
            if not isinstance(value, str) or (value == "" and name != "vnp_TransactionNo"):
                return reply("03", f"Invalid data format: {name} is missing or not a string")
            req[name] = value
        if command == "querydr":  # optional there, and not part of the checksum
            number = body.get("vnp_TransactionNo")
            req["vnp_TransactionNo"] = str(number) if isinstance(number, (str, int)) and number != "" else ""
        problem = self._api_format_problem(req, command)
        if problem:
            return reply("03", f"Invalid data format: {problem}")
        if req["vnp_TmnCode"] != self.tmn_code:
            return reply("02", "Merchant invalid (vnp_TmnCode)")
        expected = pipe_hash(self.secret, [req[name] for name in wanted])
        if not hmac.compare_digest(req["vnp_SecureHash"].lower().encode(), expected.encode()):
            return reply("97", "Invalid Checksum")
        with self._lock:
            if req["vnp_RequestId"] in self.request_ids:
                return reply("94", "Duplicate request (vnp_RequestId already used)")
            self.request_ids.add(req["vnp_RequestId"])
        created = parse_vn_stamp(req["vnp_CreateDate"])
        if abs(created - vn_now()) > API_CLOCK_TOLERANCE:
            return reply(
                "03",
                f"Invalid data format: vnp_CreateDate {req['vnp_CreateDate']} is not now in "
                f"Vietnam time ({vn_stamp()} GMT+7)",
            )
        with self._lock:
            return self._querydr(req, reply) if command == "querydr" else self._refund(req, reply)

    @staticmethod
    def _api_format_problem(req: dict, command: str) -> str | None:
        if req["vnp_Version"] != VERSION:
            return f"vnp_Version must be {VERSION}"
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,32}", req["vnp_RequestId"]):
            return "vnp_RequestId is 1-32 letters or digits"
        if not TXN_REF_RE.fullmatch(req["vnp_TxnRef"]):
            return "vnp_TxnRef is 1-100 letters or digits"
        for name in ("vnp_TransactionDate", "vnp_CreateDate"):
            if parse_vn_stamp(req[name]) is None:
                return f"{name} must be yyyyMMddHHmmss (GMT+7)"
        try:
            ipaddress.ip_address(req["vnp_IpAddr"])
        except ValueError:
            return "vnp_IpAddr must be an IP address"
        if command == "refund":
            if req["vnp_TransactionType"] not in ("02", "03"):
                return "vnp_TransactionType must be 02 (full) or 03 (partial)"
            if not req["vnp_Amount"].isdigit() or int(req["vnp_Amount"]) <= 0 or int(req["vnp_Amount"]) % 100:
                return "vnp_Amount must be digits, the amount in VND × 100"
            if req["vnp_TransactionNo"] and not req["vnp_TransactionNo"].isdigit():
                return "vnp_TransactionNo must be digits"
        return None

    def _find(self, req: dict) -> tuple[Transaction | None, bool]:
        """(the transaction querydr/refund are about, whether the order is known at all)."""
        ref, date, number = req["vnp_TxnRef"], req["vnp_TransactionDate"], req.get("vnp_TransactionNo", "")
        order = self.orders.get(ref)
        # VNPay finds an order by its reference and its date (the pay request's vnp_CreateDate).
        if order and order["vnp_CreateDate"] != date:
            return None, False
        txns = list(self.transactions.get(ref, ()))
        if number not in ("", "0"):
            txns = [t for t in txns if t.transaction_no == number]
            if not txns:
                return None, False
        paid = [t for t in txns if t.status == "00"]
        return (paid[-1] if paid else (txns[-1] if txns else None)), bool(order or txns)

    def _querydr(self, req: dict, reply) -> dict:
        txn, known = self._find(req)
        if not known:
            return reply("91", "Transaction not found")
        if txn is None:  # seen on the payment page, never paid
            order = self.orders[req["vnp_TxnRef"]]
            return reply(
                "00",
                "QueryDR Success",
                vnp_Amount=order["vnp_Amount"],
                vnp_TransactionType="01",
                vnp_TransactionStatus="01",
                vnp_OrderInfo=order["vnp_OrderInfo"],
            )
        kind, status = "01", txn.status
        if txn.refunds:
            kind = "02" if txn.refunded() * 100 >= int(txn.amount) else "03"
            settled = time.monotonic() - txn.refunds[-1]["at"] >= self.refund_settle_seconds
            status = "06" if settled else "05"
        return reply(
            "00",
            "QueryDR Success",
            vnp_Amount=txn.amount,
            vnp_BankCode=txn.bank_code,
            vnp_PayDate=txn.pay_date,
            vnp_TransactionNo=txn.transaction_no,
            vnp_TransactionType=kind,
            vnp_TransactionStatus=status,
            vnp_OrderInfo=txn.order_info,
        )

    def _refund(self, req: dict, reply) -> dict:
        txn, known = self._find(req)
        if not known or txn is None:
            return reply("91", "Transaction not found")
        values = dict(
            vnp_Amount=req["vnp_Amount"],
            vnp_BankCode=txn.bank_code,
            vnp_PayDate=txn.pay_date,
            vnp_TransactionNo=txn.transaction_no,
            vnp_OrderInfo=txn.order_info,
            vnp_TransactionType=req["vnp_TransactionType"],
        )
        if txn.status != "00":
            return reply(
                "95",
                "Giao dịch không thành công bên VNPAY, từ chối hoàn tiền / the transaction did not succeed at VNPay",
                **values,
            )
        amount, left = int(req["vnp_Amount"]) // 100, int(txn.amount) // 100 - txn.refunded()
        if req["vnp_TransactionType"] == "02" and amount != left:
            return reply("03", f"Invalid data format: a full refund (02) is the amount left, {left * 100}", **values)
        if amount > left:
            return reply("03", f"Invalid data format: the refund exceeds the amount left, {left * 100}", **values)
        txn.refunds.append(
            {
                "request_id": req["vnp_RequestId"],
                "amount": amount,
                "at": time.monotonic(),
                "type": req["vnp_TransactionType"],
                "by": req["vnp_CreateBy"],
            }
        )
        return reply("00", "Refund success", vnp_TransactionStatus="05", **values)

    # -- for tests -------------------------------------------------------------------

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "orders": sorted(self.orders),
                "transactions": [
                    {
                        "txn_ref": t.txn_ref,
                        "transaction_no": t.transaction_no,
                        "amount": t.amount,
                        "response_code": t.response_code,
                        "transaction_status": t.status,
                        "card_type": t.card_type,
                        "refunded_vnd": t.refunded(),
                    }
                    for txns in self.transactions.values()
                    for t in txns
                ],
            }

    def ipn_attempts(self, txn_ref: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self.ipn_log if txn_ref is None or e["txn_ref"] == txn_ref]


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

CSS = """body{font-family:system-ui,sans-serif;background:#f2f5f9;margin:0;color:#1d2733}
.box{max-width:640px;margin:32px auto;background:#fff;border-radius:10px;padding:24px 28px;box-shadow:0 2px 10px #0002}
h1{font-size:20px;color:#005baa;margin-top:0} .en{color:#667;font-size:.9em}
table{border-collapse:collapse;width:100%} td{padding:6px 4px;border-bottom:1px solid #eee;vertical-align:top}
td:first-child{color:#556;width:42%} .amount{font-size:1.3em;font-weight:bold;color:#c8102e}
button{display:block;width:100%;margin:8px 0;padding:11px;border:0;border-radius:6px;font-size:15px;cursor:pointer}
.ok{background:#1a7f37;color:#fff}.no{background:#e5e7eb}.warn{background:#f4b400}.err{background:#fbe3e4}
.error{background:#fdecea;border-left:4px solid #c8102e;padding:12px} code{word-break:break-all}
textarea{width:100%;height:110px;font-family:monospace} .tag{color:#888;font-size:.8em}"""


def page(title: str, body: str, *, code: str | None = None) -> bytes:
    meta = f'<meta name="vnpay-error-code" content="{code}">' if code else ""
    return (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8">{meta}<title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head>'
        f'<body><div class="box">{body}<p class="tag">VNPay sandbox (local) · Payment Gateway {VERSION}</p>'
        f"</div></body></html>"
    ).encode()


def error_page(code: str, detail: str) -> bytes:
    vi, en = PAGE_ERRORS.get(code, ("Giao dịch không thành công", "The transaction failed"))
    return page(
        f"Lỗi {code}",
        (
            f'<h1>Thông báo / Notification</h1><div class="error" data-error-code="{code}"><p><b>{html.escape(vi)}</b>'
            f'<br><span class="en">{html.escape(en)}</span></p><p>Mã lỗi / Error code: <b>{code}</b></p></div>'
            f'<p class="en">Sandbox detail: {html.escape(detail)}</p>'
        ),
        code=code,
    )


def deadline_text(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%H:%M:%S %d/%m/%Y") + " (GMT+7)"


def payment_page(sandbox: Sandbox, params: dict, raw_query: str) -> bytes:
    e = html.escape
    amount = int(params["vnp_Amount"]) // 100
    expires = parse_vn_stamp(params["vnp_ExpireDate"])
    buttons = [
        ("success", "ok", "Thanh toán thành công", "Pay (success)"),
        ("cancel", "no", "Huỷ", "Cancel (24)"),
        ("insufficient", "warn", "Không đủ số dư", "Insufficient funds (51)"),
        ("timeout", "err", "Hết hạn", "Timeout (11)"),
    ]
    forms = "".join(
        f'<form method="post" action="/paymentv2/sandbox-pay"><input type="hidden" name="q" value="{e(raw_query)}">'
        f'<input type="hidden" name="outcome" value="{name}"><button class="{cls}" name="b" value="{name}">'
        f"{vi} / {en}</button></form>"
        for name, cls, vi, en in buttons
    )
    bank = params.get("vnp_BankCode") or "(khách chọn / customer's choice)"
    return page(
        "Cổng thanh toán VNPAY",
        (
            '<h1>Cổng thanh toán VNPAY <span class="en">/ VNPAY payment gateway</span></h1><table>'
            f'<tr><td>Đơn vị chấp nhận thanh toán<br><span class="en">Merchant</span></td>'
            f"<td>{e(sandbox.merchant_name)} ({e(params['vnp_TmnCode'])})</td></tr>"
            '<tr><td>Mã đơn hàng<br><span class="en">Order reference</span></td>'
            f"<td>{e(params['vnp_TxnRef'])}</td></tr>"
            f'<tr><td>Nội dung<br><span class="en">Description</span></td><td>{e(params["vnp_OrderInfo"])}</td></tr>'
            f'<tr><td>Số tiền<br><span class="en">Amount</span></td><td class="amount">{format_vnd(amount)}</td></tr>'
            f'<tr><td>Phí giao dịch<br><span class="en">Fee</span></td><td>0 VND</td></tr>'
            f'<tr><td>Hạn thanh toán<br><span class="en">Pay before</span></td><td>{deadline_text(expires)}</td></tr>'
            f'<tr><td>Phương thức<br><span class="en">Method</span></td><td>{e(bank)}</td></tr>'
            f'</table><p>Chọn kết quả giao dịch <span class="en">/ choose the outcome</span>:</p>{forms}'
        ),
    )


def timeout_page(txn: Transaction) -> bytes:
    return page(
        "Hết hạn thanh toán",
        (
            "<h1>Giao dịch đã quá thời gian chờ thanh toán</h1>"
            '<p class="en">The payment window has expired. The merchant is told through the IPN '
            f"(vnp_ResponseCode 11).</p><p>Mã đơn hàng / Order: <b>{html.escape(txn.txn_ref)}</b><br>"
            f"Mã giao dịch / Transaction: {txn.transaction_no}</p>"
        ),
    )


def bank_app_page(
    zbar: bool,
    *,
    payload: str = "",
    info: QRInfo | None = None,
    error: str = "",
    result: Transaction | None = None,
    order_deadline: datetime | None = None,
) -> bytes:
    e = html.escape
    parts = ['<h1>Ngân hàng NCB (sandbox) <span class="en">/ a bank app: pay a VNPAY-QR</span></h1>']
    if result is not None:
        parts.append(
            f'<div class="error" style="background:#e8f5e9;border-color:#1a7f37"><b>Thanh toán thành công</b> '
            f'<span class="en">/ paid</span>: {format_vnd(int(result.amount) // 100)} cho đơn '
            f"{e(result.txn_ref)}; mã giao dịch VNPay {result.transaction_no}. "
            f'<span class="en">The IPN is on its way (see /sandbox/ipn-log).</span></div>'
        )
    if error:
        parts.append(f'<div class="error"><b>Mã QR không hợp lệ / invalid QR</b><br>{e(error)}</div>')
    if info is not None:
        now = vn_now()
        when = info.deadline or order_deadline
        late = when is not None and when < now
        deadline = (
            deadline_text(when)
            + (" — đã hết hạn / expired" if late else "")
            + ("" if info.deadline else " (VNPay: the order's vnp_ExpireDate)")
            if when
            else "(không rõ / unknown: not in the QR, and VNPay has not seen the order's payment URL)"
        )
        amount = format_vnd(info.amount) if info.amount is not None else "(khách nhập / entered by the payer)"
        amount_input = (
            ""
            if info.amount is not None
            else '<p>Số tiền / Amount (VND): <input name="amount" inputmode="numeric" required></p>'
        )
        parts.append(
            "<table>"
            f'<tr><td>Đơn vị thụ hưởng<br><span class="en">Merchant</span></td>'
            f"<td>{e(info.merchant_name)}{', ' + e(info.merchant_city) if info.merchant_city else ''}</td></tr>"
            f'<tr><td>Mã hoá đơn<br><span class="en">Bill number</span></td><td>{e(info.bill_number)}</td></tr>'
            f'<tr><td>Số tiền<br><span class="en">Amount</span></td><td class="amount">{amount}</td></tr>'
            f'<tr><td>Hạn thanh toán<br><span class="en">Deadline</span></td><td>{e(deadline)}</td></tr>'
            + (
                f'<tr><td>Nội dung<br><span class="en">Purpose</span></td><td>{e(info.purpose)}</td></tr>'
                if info.purpose
                else ""
            )
            + f'<tr><td>Mã QR<br><span class="en">QR type</span></td><td>VNPAY-QR, '
            f"{'dynamic' if info.dynamic else 'static'}, terminal {e(info.merchant_id or '-')}</td></tr></table>"
            f'<form method="post" action="/bank-app/pay"><input type="hidden" name="payload" value="{e(payload)}">'
            f'{amount_input}<button class="ok">{"Vẫn thanh toán / Pay anyway (late)" if late else "Thanh toán / Pay"}'
            "</button></form>"
        )
    upload = (
        (
            '<p>Hoặc tải ảnh mã QR lên <span class="en">/ or upload a QR image</span>: '
            '<input type="file" name="image" accept="image/*"></p>'
        )
        if zbar
        else ""
    )
    parts.append(
        '<form method="post" action="/bank-app" enctype="multipart/form-data">'
        '<p>Dán chuỗi VNPAY-QR <span class="en">/ paste the QR payload (qr_payload)</span>:</p>'
        f'<textarea name="payload">{e(payload)}</textarea>{upload}'
        '<button class="no">Đọc mã / Read the QR</button></form>'
    )
    return page("Bank app (sandbox)", "".join(parts))


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------


def parse_multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return {}
    fields = {}
    for part in body.split(b"--" + match.group(1).encode("latin-1")):
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        name = re.search(rb'name="([^"]*)"', head)
        if name:
            fields[name.group(1).decode("utf-8", "replace")] = value[:-2] if value.endswith(b"\r\n") else value
    return fields


def zbarimg_available() -> bool:
    return shutil.which("zbarimg") is not None


def decode_qr_image(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".img") as f:
        f.write(data)
        f.flush()
        done = subprocess.run(["zbarimg", "--quiet", "--raw", f.name], capture_output=True, timeout=20)
    text = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not text:
        raise QRError("no QR code found in the image")
    return text.splitlines()[0]


class Handler(BaseHTTPRequestHandler):
    server_version = "VNPaySandbox/1.0"
    protocol_version = "HTTP/1.1"
    sandbox: Sandbox  # set on the subclass by make_server

    # -- plumbing --
    def log_message(self, fmt: str, *args) -> None:  # one short line, no query (it holds hashes)
        pass

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _html(self, body: bytes, status: int = 200) -> None:
        self._send(status, body, "text/html; charset=utf-8")

    def _json(self, value, status: int = 200) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _json_body(self):
        return json.loads(self._body() or b"null")

    def _form(self) -> dict:
        raw = self._body()
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            return parse_multipart(raw, ctype)
        return {k: v.encode("utf-8") for k, v in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)}

    @staticmethod
    def _params(query: str) -> dict:
        pairs = parse_qsl(query, keep_blank_values=True)
        params = dict(pairs)
        if len(params) != len(pairs):
            raise PayError("03", "a parameter appears twice")
        return params

    # -- routes --
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        try:
            if url.path == "/paymentv2/vpcpay.html":
                return self._pay_page(url.query)
            if url.path == "/bank-app":
                return self._html(bank_app_page(zbarimg_available()))
            if url.path == "/sandbox/ipn-log":
                ref = dict(parse_qsl(url.query)).get("txn_ref")
                return self._json(self.sandbox.ipn_attempts(ref))
            if url.path == "/sandbox/transactions":
                return self._json(self.sandbox.snapshot())
            if url.path == "/sandbox/health":
                return self._json({"status": "ok", "tmn_code": self.sandbox.tmn_code, "ipn_url": self.sandbox.ipn_url})
            if url.path == "/":
                return self._html(
                    page(
                        "VNPay sandbox",
                        (
                            "<h1>VNPay sandbox (local)</h1><ul>"
                            '<li><a href="/bank-app">Bank app: pay a VNPAY-QR</a></li>'
                            "<li>Payment page: the API's payment_url (/paymentv2/vpcpay.html)</li>"
                            '<li><a href="/sandbox/ipn-log">IPN log</a> · '
                            '<a href="/sandbox/transactions">transactions</a>'
                            "</li></ul>"
                        ),
                    )
                )
            self._json({"error": "not found"}, 404)
        finally:
            self._log_line(url.path)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        try:
            routes = {
                "/paymentv2/sandbox-pay": self._pay_button,
                "/bank-app": self._bank_app_read,
                "/bank-app/pay": self._bank_app_pay,
                "/merchant_webapi/api/transaction": self._transaction,
                "/sandbox/pay": self._api_pay,
                "/sandbox/qr-pay": self._api_qr_pay,
                "/sandbox/ipn/replay": self._api_replay,
            }
            route = routes.get(url.path)
            if route is None:
                return self._json({"error": "not found"}, 404)
            try:
                route()
            except ValueError as exc:  # bad JSON, too large
                self._json({"error": str(exc)}, 400)
        finally:
            self._log_line(url.path)

    def _log_line(self, path: str) -> None:
        if not path.startswith("/sandbox/"):
            self.sandbox.log(f"{self.command} {path}")

    # -- the payment page --
    def _pay_page(self, query: str) -> None:
        try:
            params = self._params(query)
            self.sandbox.show(params)
        except PayError as exc:
            self._html(error_page(exc.code, exc.detail))
            return
        self._html(payment_page(self.sandbox, params, query))

    def _pay_button(self) -> None:
        form = {k: v.decode("utf-8", "replace") for k, v in self._form().items()}
        try:
            txn = self.sandbox.pay(self._params(form.get("q", "")), form.get("outcome", ""))
        except PayError as exc:
            self._html(error_page(exc.code, exc.detail))
            return
        target = self.sandbox.redirect_url(txn)
        if target is None:
            self._html(timeout_page(txn))
            return
        self._send(302, b"", "text/plain", {"Location": target})

    # -- the bank app --
    def _bank_app_read(self) -> None:
        form = self._form()
        payload = form.get("payload", b"").decode("utf-8", "replace").strip()
        zbar = zbarimg_available()
        try:
            if not payload and form.get("image") and zbar:
                payload = decode_qr_image(form["image"])
            info = parse_vnpay_qr(payload)
        except QRError as exc:
            self._html(bank_app_page(zbar, payload=payload, error=str(exc)))
            return
        self._html(
            bank_app_page(
                zbar, payload=payload, info=info, order_deadline=self.sandbox.order_deadline(info.bill_number)
            )
        )

    def _bank_app_pay(self) -> None:
        form = {k: v.decode("utf-8", "replace") for k, v in self._form().items()}
        payload, zbar = form.get("payload", "").strip(), zbarimg_available()
        amount = form.get("amount", "").replace(".", "").replace(",", "").strip()
        try:
            txn = self.sandbox.qr_pay(payload, int(amount) if amount.isdigit() else None)
        except QRError as exc:
            self._html(bank_app_page(zbar, payload=payload, error=str(exc)))
            return
        self._html(bank_app_page(zbar, result=txn))

    # -- server to server --
    def _transaction(self) -> None:
        try:
            body = self._json_body()
        except ValueError:
            body = None
        self._json(self.sandbox.transaction_api(body))

    # -- for tests --
    def _api_pay(self) -> None:
        body = self._json_body()
        if not isinstance(body, dict):
            self._json({"error": "a JSON object is expected"}, 400)
            return
        try:
            if body.get("payment_url"):
                params = self._params(urlsplit(body["payment_url"]).query)
            else:
                params = {k: str(v) for k, v in body.items() if k.startswith("vnp_")}
            txn = self.sandbox.pay(
                params,
                body.get("outcome", "success"),
                ignore_expiry=bool(body.get("ignore_expiry")),
                force=bool(body.get("force")),
            )
        except PayError as exc:
            vi, en = PAGE_ERRORS.get(exc.code, ("", ""))
            self._json(
                {"error_code": exc.code, "message": f"{vi} / {en}: {exc.detail}"}, 409 if exc.code == "01" else 400
            )
            return
        self._json(
            {
                "return_url": self.sandbox.redirect_url(txn),
                "transaction_no": txn.transaction_no,
                "response_code": txn.response_code,
                "transaction_status": txn.status,
                "params": dict(txn.params, vnp_SecureHash=txn.query.rsplit("=", 1)[1]),
            }
        )

    def _api_qr_pay(self) -> None:
        body = self._json_body()
        if not isinstance(body, dict) or not isinstance(body.get("payload"), str):
            self._json({"error": '{"payload": "..."} is expected'}, 400)
            return
        amount = body.get("amount")
        try:
            txn = self.sandbox.qr_pay(body["payload"], int(amount) if isinstance(amount, int) else None)
        except QRError as exc:
            self._json({"error": str(exc)}, 400)
            return
        self._json(
            {
                "transaction_no": txn.transaction_no,
                "txn_ref": txn.txn_ref,
                "amount": txn.amount,
                "params": dict(txn.params, vnp_SecureHash=txn.query.rsplit("=", 1)[1]),
            }
        )

    def _api_replay(self) -> None:
        body = self._json_body()
        if not isinstance(body, dict) or not isinstance(body.get("txn_ref"), str):
            self._json({"error": '{"txn_ref": "..."} is expected'}, 400)
            return
        count = body.get("count", 1)
        if not isinstance(count, int) or not 1 <= count <= 50:
            self._json({"error": "count is 1 to 50"}, 400)
            return
        try:
            answers = self.sandbox.replay(body["txn_ref"], count)
        except KeyError:
            self._json({"error": f"no transaction for {body['txn_ref']}"}, 404)
            return
        self._json({"attempts": answers})


def make_server(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    return bound_server(Handler, {"sandbox": sandbox}, host, port)


def serve_in_thread(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """For tests: the server, already serving; stop with server.shutdown(); sandbox.close()."""
    return in_thread(make_server(sandbox, host, port), "vnpay-sandbox")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.vnpay_sandbox", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--tmn-code", default=os.environ.get("VNPAY_TMN_CODE") or "CSKHDEMO")
    parser.add_argument(
        "--hash-secret", default=os.environ.get("VNPAY_HASH_SECRET"), help="default: $VNPAY_HASH_SECRET"
    )
    parser.add_argument("--ipn-url", required=True, help="the merchant's IPN URL (called with GET)")
    parser.add_argument("--ipn-retry-seconds", type=float, default=2.0, help="VNPay: 5 minutes; default 2")
    parser.add_argument("--ipn-max-attempts", type=int, default=10)
    parser.add_argument("--ipn-timeout-seconds", type=float, default=5.0)
    parser.add_argument(
        "--refund-settle-seconds",
        type=float,
        default=2.0,
        help="a refund shows TransactionStatus 05, then 06 after this",
    )
    parser.add_argument("--merchant-name", default="CAWACO - Cap nuoc Ca Mau")
    args = parser.parse_args(argv)
    if not args.hash_secret:
        parser.error("--hash-secret (or $VNPAY_HASH_SECRET) is required")
    try:
        sandbox = Sandbox(
            args.tmn_code,
            args.hash_secret,
            args.ipn_url,
            retry_seconds=args.ipn_retry_seconds,
            max_attempts=args.ipn_max_attempts,
            ipn_timeout=args.ipn_timeout_seconds,
            refund_settle_seconds=args.refund_settle_seconds,
            merchant_name=args.merchant_name,
        )
        server = make_server(sandbox, args.host, args.port)
    except (ValueError, OSError) as exc:
        print(f"vnpay sandbox: {exc}", file=sys.stderr)
        return 2
    print(
        f"VNPay sandbox on http://{args.host}:{args.port} (terminal {args.tmn_code}; IPN to {args.ipn_url}, "
        f"retried every {args.ipn_retry_seconds:g}s, at most {args.ipn_max_attempts} times)",
        flush=True,
    )
    return serve_until_stopped(server, on_close=sandbox.close)


if __name__ == "__main__":
    sys.exit(main())
