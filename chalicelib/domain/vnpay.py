"""VNPay Payment Gateway v2.1.0: the merchant's side of its rules, as plain
functions (no HTTP, no AWS). See ../shared/VNPAY.md for the facts used here.

- `pay` URL: every vnp_* parameter sorted by name, each name and value
  URL-encoded (quote_plus: a space is '+'), joined with '&'; the HMAC-SHA512 of
  that string with the terminal's hash secret, in hex, is vnp_SecureHash.
- Return/IPN: the same over every vnp_* parameter received (VNPay may add
  some), except vnp_SecureHash and vnp_SecureHashType, compared in constant
  time, case-insensitively.
- querydr / refund: HMAC-SHA512 over '|'-joined fields in VNPay's fixed order.
- Dates are yyyyMMddHHmmss in Vietnam time (GMT+7), whatever the server's zone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from urllib.parse import quote_plus

from chalicelib.domain.vntime import VN_TZ

VERSION = "2.1.0"
VN = VN_TZ  # the name services/payments.py and refunds.py still use
BANK_CODES = ("VNPAYQR", "VNBANK", "INTCARD")

# IPN answers, as VNPay's demos word them.
RSP_CONFIRMED = ("00", "Confirm Success")
RSP_ORDER_NOT_FOUND = ("01", "Order not found")
RSP_ALREADY_CONFIRMED = ("02", "Order already confirmed")
RSP_INVALID_AMOUNT = ("04", "invalid amount")
RSP_INVALID_SIGNATURE = ("97", "Invalid signature")
RSP_UNKNOWN_ERROR = ("99", "Unknow error")

RESPONSE_CODES = {
    "00": "Giao dịch thành công / Successful",
    "07": "Trừ tiền thành công, giao dịch bị nghi ngờ / Debited, under review",
    "09": "Thẻ/Tài khoản chưa đăng ký Internet Banking / Internet banking not registered",
    "10": "Xác thực thông tin thẻ/tài khoản không đúng quá 3 lần / Authentication failed 3 times",
    "11": "Đã hết hạn chờ thanh toán / The payment window expired",
    "12": "Thẻ/Tài khoản bị khoá / Card or account locked",
    "13": "Sai mật khẩu xác thực (OTP) / Wrong OTP",
    "24": "Khách hàng huỷ giao dịch / Cancelled by the customer",
    "51": "Tài khoản không đủ số dư / Insufficient balance",
    "65": "Vượt hạn mức giao dịch trong ngày / Daily limit exceeded",
    "75": "Ngân hàng đang bảo trì / Bank under maintenance",
    "79": "Nhập sai mật khẩu thanh toán quá số lần / Payment password wrong too many times",
    "99": "Lỗi khác / Other error",
}


def vn_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, VN_TZ).strftime("%Y%m%d%H%M%S")


def parse_vn_time(value: str) -> int | None:
    try:
        return int(datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=VN_TZ).timestamp())
    except (TypeError, ValueError):
        return None


def plain_ascii(text: str, limit: int = 255) -> str:
    """vnp_OrderInfo: Vietnamese without diacritics, letters, digits, space and .,:/_- only."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9 .,:/_-]", " ", text)
    return re.sub(r"\s+", " ", text).strip()[:limit]


def canonical(params: Mapping[str, str]) -> str:
    """The string VNPay signs: sorted vnp_* fields, quote_plus-encoded, '&'-joined."""
    fields = sorted(
        (k, v)
        for k, v in params.items()
        if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType") and v is not None
    )
    return "&".join(f"{quote_plus(k)}={quote_plus(str(v))}" for k, v in fields)


def sign(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode("utf-8"), hashlib.sha512).hexdigest()


def verify(secret: str, params: Mapping[str, str]) -> bool:
    received = params.get("vnp_SecureHash") or ""
    if not isinstance(received, str) or not received:
        return False
    expected = sign(secret, canonical(params))
    # As bytes: compare_digest refuses str with non-ASCII characters (a forged hash may have them).
    return hmac.compare_digest(expected.lower().encode(), received.lower().encode("utf-8", "replace"))


def pay_url(
    base_url: str,
    secret: str,
    *,
    tmn_code: str,
    amount_vnd: int,
    txn_ref: str,
    order_info: str,
    return_url: str,
    ip_addr: str,
    created_at: int,
    expires_at: int,
    locale: str = "vn",
    bank_code: str | None = None,
    order_type: str = "billpayment",
) -> tuple[str, dict[str, str]]:
    """The payment URL for the `pay` command, and the signed parameters."""
    if not isinstance(amount_vnd, int) or amount_vnd <= 0:
        raise ValueError("the amount must be a positive whole number of VND")
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": tmn_code,
        "vnp_Amount": str(amount_vnd * 100),
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": plain_ascii(order_info) or "Thanh toan hoa don tien nuoc",
        "vnp_OrderType": order_type,
        "vnp_Locale": "en" if locale == "en" else "vn",
        "vnp_ReturnUrl": return_url,
        "vnp_IpAddr": ip_addr,
        "vnp_CreateDate": vn_time(created_at),
        "vnp_ExpireDate": vn_time(expires_at),
    }
    if bank_code:
        params["vnp_BankCode"] = bank_code
    data = canonical(params)
    params["vnp_SecureHash"] = sign(secret, data)
    return f"{base_url}?{data}&vnp_SecureHash={params['vnp_SecureHash']}", params


def succeeded(params: Mapping[str, str]) -> bool:
    """A payment succeeded only when both codes say so."""
    return params.get("vnp_ResponseCode") == "00" and params.get("vnp_TransactionStatus") == "00"


def amount_from(params: Mapping[str, str]) -> int | None:
    """vnp_Amount is VND x 100; anything that is not a whole VND amount is None."""
    raw = params.get("vnp_Amount")
    if not isinstance(raw, str) or not raw.isdigit():
        return None
    value = int(raw)
    return value // 100 if value % 100 == 0 else None


# -- querydr and refund (JSON API) --------------------------------------------

QUERYDR_FIELDS = (
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
REFUND_FIELDS = (
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
QUERYDR_RESPONSE_FIELDS = (
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
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
REFUND_RESPONSE_FIELDS = QUERYDR_RESPONSE_FIELDS[:-2]


def pipe_hash(secret: str, body: Mapping[str, object], fields: Iterable[str]) -> str:
    return sign(secret, "|".join("" if body.get(f) is None else str(body.get(f)) for f in fields))


def signed_request(secret: str, body: Mapping[str, str], fields: Iterable[str]) -> dict[str, str]:
    return dict(body, vnp_SecureHash=pipe_hash(secret, body, fields))


def verify_response(secret: str, body: Mapping[str, object], fields: Iterable[str]) -> bool:
    received = body.get("vnp_SecureHash")
    if not isinstance(received, str) or not received:
        return False
    return hmac.compare_digest(
        pipe_hash(secret, body, fields).lower().encode(), received.lower().encode("utf-8", "replace")
    )
