"""The chat assistants' rules, no AWS: what a message asks for, what the
reply says, how each platform signs its webhook calls, and how their events
look. Facts relied on are in docs/chat.md.

Privacy rule: a reply to a chat identity that has not been linked to an
account (or about a code its account does not hold) says the same thing
whatever the code is: nothing tells whether the code exists."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.identifiers import CUSTOMER_CODE_RE
from chalicelib.domain.invoices import format_vnd

PLATFORMS = ("facebook", "zalo")
LINK_CODE_DIGITS = 8
MAX_TEXT = 640  # longer messages are not commands; only their start is read


# -- reading a message ---------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), single spaces: 'Tra Cứu' -> 'tra cuu'."""
    text = unicodedata.normalize("NFD", text[:MAX_TEXT].lower().replace("đ", "d").replace("Đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


@dataclass(frozen=True)
class Intent:
    kind: str  # lookup | link | unlink | help | unknown
    code: str | None = None  # the customer code (lookup) or the one-time link code (link)
    lang: str = "vi"


_LOOKUP = re.compile(r"^(?:tra ?cuu|tc|tra|xem|hoa ?don|hd|(lookup|check|invoice|bill))(?:\s*[:#.\-]?\s*(\d+))?$")
_LINK = re.compile(r"^(?:lien ?ket|lk|(link))(?:\s*[:#.\-]?\s*(\d+))?$")
_UNLINK = re.compile(r"^(?:(?:huy|xoa|bo|ngung) ?(?:lien ?ket|lk)|(unlink))$")
_HELP_VI = {"huong dan", "giup", "tro giup", "menu", "chao", "xin chao", "alo", "?", "hi", "hello"}
_HELP_EN = {"help", "start", "get started"}


def parse(text: object) -> Intent:
    """Never raises: anything unrecognised is `unknown` (answered with the help text)."""
    if not isinstance(text, str):
        return Intent("unknown")
    t = fold(text).strip(" .!?") or fold(text)
    if CUSTOMER_CODE_RE.fullmatch(t):
        return Intent("lookup", t)
    m = _UNLINK.match(t)
    if m:
        return Intent("unlink", lang="en" if m.group(1) else "vi")
    m = _LINK.match(t)
    if m:
        code = m.group(2)
        ok = code is not None and len(code) == LINK_CODE_DIGITS
        return Intent("link", code if ok else None, "en" if m.group(1) else "vi")
    m = _LOOKUP.match(t)
    if m:
        code = m.group(2)
        if code is not None and not CUSTOMER_CODE_RE.fullmatch(code):
            return Intent("help", lang="en" if m.group(1) else "vi")
        return Intent("lookup", code, "en" if m.group(1) else "vi")
    if t in _HELP_EN:
        return Intent("help", lang="en")
    if t in _HELP_VI:
        return Intent("help")
    return Intent("unknown")


# -- one-time link codes -------------------------------------------------------


def new_link_code() -> str:
    return f"{secrets.randbelow(10**LINK_CODE_DIGITS):0{LINK_CODE_DIGITS}d}"


def link_code_hash(key: str, code: str) -> str:
    """Keyed: the table never holds a code, and a leaked table gives no lookup table of 10^8 codes."""
    return hmac.new(key.encode(), f"chat-link|{code}".encode(), hashlib.sha256).hexdigest()


def identity_key(key: str, platform: str, user_id: str) -> str:
    """What the links table is keyed by: a keyed hash of platform + user id (no chat id kept in clear)."""
    return hmac.new(key.encode(), f"chat-identity|{platform}|{user_id}".encode(), hashlib.sha256).hexdigest()


def log_ref(identity_hash: str) -> str:
    """What logs may name a chat user by."""
    return identity_hash[:12]


def user_hint(user_id: str) -> str:
    """What the account owner sees of a linked chat identity: enough to tell two apart."""
    return "…" + user_id[-4:] if len(user_id) > 4 else "…"


# -- signatures ----------------------------------------------------------------


def facebook_signature(app_secret: str, raw_body: bytes) -> str:
    """Meta's X-Hub-Signature-256: 'sha256=' + hex HMAC-SHA256 of the raw body, keyed with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def facebook_signature_ok(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    if not header or not app_secret:
        return False
    return hmac.compare_digest(facebook_signature(app_secret, raw_body).encode(), header.strip().lower().encode())


def zalo_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret: str) -> str:
    """Zalo OA's X-ZEvent-Signature: 'mac=' + hex SHA-256 of app id + raw body + the body's timestamp
    + the OA secret key (a plain hash over a string that ends with the secret, not an HMAC)."""
    data = app_id.encode() + raw_body + timestamp.encode() + oa_secret.encode()
    return "mac=" + hashlib.sha256(data).hexdigest()


def zalo_signature_ok(app_id: str, oa_secret: str, raw_body: bytes, timestamp: str | None, header: str | None) -> bool:
    if not header or not oa_secret or not app_id or not timestamp:
        return False
    expected = zalo_signature(app_id, raw_body, timestamp, oa_secret)
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())


# -- platform events -----------------------------------------------------------


@dataclass(frozen=True)
class ChatMessage:
    platform: str
    user_id: str
    text: str
    message_id: str
    sent_at_ms: int


def _str_id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and 0 < len(value) <= 128 and re.fullmatch(r"[A-Za-z0-9_.:\-]+", value):
        return value
    return None


def _ms(value: Any) -> int:
    try:
        return int(value) if not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        return 0


def loads(raw_body: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(raw_body)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def facebook_messages(body: dict[str, Any] | None) -> list[ChatMessage]:
    """Text messages in a Page webhook call: `entry` is a list (several may come in one call) and each
    entry's `messaging` holds the events. Echoes of the Page's own messages are skipped."""
    out: list[ChatMessage] = []
    if not isinstance(body, dict) or body.get("object") != "page":
        return out
    entries = body.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        events = entry.get("messaging") if isinstance(entry, dict) else None
        for event in events if isinstance(events, list) else []:
            if not isinstance(event, dict):
                continue
            message = event.get("message")
            sender = event.get("sender")
            if not isinstance(message, dict) or not isinstance(sender, dict) or message.get("is_echo"):
                continue
            user, mid, text = _str_id(sender.get("id")), message.get("mid"), message.get("text")
            if user and isinstance(mid, str) and 0 < len(mid) <= 256 and isinstance(text, str):
                out.append(ChatMessage("facebook", user, text, mid, _ms(event.get("timestamp"))))
    return out


def zalo_message(body: dict[str, Any] | None) -> ChatMessage | None:
    """A `user_send_text` event: sender.id, message.text, message.msg_id, timestamp (ms, a string)."""
    if not isinstance(body, dict) or body.get("event_name") != "user_send_text":
        return None
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, dict) or not isinstance(message, dict):
        return None
    user, mid, text = _str_id(sender.get("id")), message.get("msg_id"), message.get("text")
    if user and isinstance(mid, str) and 0 < len(mid) <= 256 and isinstance(text, str):
        return ChatMessage("zalo", user, text, mid, _ms(body.get("timestamp")))
    return None


# -- replies -------------------------------------------------------------------

_STATUS = {
    "vi": {"unpaid": "Chưa thanh toán", "paid": "Đã thanh toán", "cancelled": "Đã huỷ"},
    "en": {"unpaid": "Unpaid", "paid": "Paid", "cancelled": "Cancelled"},
}


def _dmy(iso: str) -> str:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else (iso or "")


def _my(period: str) -> str:
    m = re.fullmatch(r"(\d{4})-(\d{2})", period or "")
    return f"{m.group(2)}/{m.group(1)}" if m else (period or "")


def render_invoice(summary: dict[str, Any], payment_link: str | None, lang: str = "vi") -> str:
    """The latest invoice of a code the asker's account holds. `summary` is domain.invoices.summary()."""
    en = lang == "en"
    status = _STATUS["en" if en else "vi"].get(summary["status"], summary["status"])
    lines = [
        f"{'Customer' if en else 'Mã KH'} {summary['customer_code']} – "
        f"{'period' if en else 'kỳ'} {_my(summary['period'])}",
        f"{'Meter' if en else 'Chỉ số'}: {summary['old_index']} → {summary['new_index']} "
        f"({summary['consumption_m3']} m³)",
        f"{'Amount' if en else 'Số tiền'}: {format_vnd(int(summary['total']))}",
        f"{'Due' if en else 'Hạn thanh toán'}: {_dmy(summary['due_date'])}",
        f"{'Status' if en else 'Trạng thái'}: {status}",
    ]
    if payment_link and summary["status"] == "unpaid":
        lines.append(f"{'Pay' if en else 'Thanh toán'}: {payment_link}")
    return "\n".join(lines)


def render_no_invoice(code: str, lang: str = "vi") -> str:
    return f"Customer {code} has no invoice yet." if lang == "en" else f"Mã KH {code} chưa có hoá đơn nào."


def render_how_to_link(lang: str = "vi") -> str:
    """For an identity with no link, or a code its account does not hold: says nothing about the code."""
    if lang == "en":
        return (
            "To look up invoices here, link this chat to your CSKH account first: sign in to the CSKH app "
            "or website, choose 'Link chat' to get an 8-digit code, then send 'link <code>' here. "
            "You can look up only the customer codes of your own account."
        )
    return (
        "Để tra cứu hoá đơn tại đây, vui lòng liên kết cuộc trò chuyện với tài khoản CSKH: đăng nhập ứng "
        "dụng hoặc website CSKH, chọn 'Liên kết chat' để lấy mã 8 số, rồi gửi 'liên kết <mã>' tại đây. "
        "Chỉ tra cứu được các mã khách hàng thuộc tài khoản của bạn."
    )


def render_linked(codes: list[str], lang: str = "vi") -> str:
    shown = ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")
    if lang == "en":
        return (
            f"This chat is now linked to your account (customer codes: {shown}). "
            f"Send 'lookup <code>' for the latest invoice; 'unlink' to undo."
        )
    return (
        f"Đã liên kết cuộc trò chuyện với tài khoản của bạn (mã KH: {shown}). "
        f"Gửi 'tra cứu <mã KH>' để xem hoá đơn mới nhất; 'hủy liên kết' để huỷ."
    )


def render_link_failed(lang: str = "vi") -> str:
    return (
        "The link code is wrong or has expired. Get a new one in the CSKH app or website."
        if lang == "en"
        else "Mã liên kết không đúng hoặc đã hết hạn. Vui lòng lấy mã mới trong ứng dụng hoặc website CSKH."
    )


def render_link_usage(lang: str = "vi") -> str:
    return (
        "Send 'link' followed by the 8-digit code from the CSKH app, e.g. 'link 12345678'."
        if lang == "en"
        else "Gửi 'liên kết' kèm mã 8 số lấy trong ứng dụng CSKH, ví dụ: 'liên kết 12345678'."
    )


def render_unlinked(was_linked: bool, lang: str = "vi") -> str:
    if lang == "en":
        return "This chat is no longer linked to any account." if was_linked else "This chat is not linked."
    return (
        "Đã huỷ liên kết cuộc trò chuyện với tài khoản."
        if was_linked
        else "Cuộc trò chuyện này chưa liên kết với tài khoản nào."
    )


def render_rate_limited(lang: str = "vi") -> str:
    return (
        "Too many attempts. Please try again later."
        if lang == "en"
        else "Bạn đã thử quá nhiều lần. Vui lòng thử lại sau."
    )


def render_help(lang: str = "vi") -> str:
    if lang == "en":
        return (
            "CAWACO water – invoice look-up:\n"
            "• lookup <customer code> – the latest invoice and a payment link\n"
            "• link <code> – link this chat to your account (code from the CSKH app)\n"
            "• unlink – remove the link"
        )
    return (
        "CAWACO – tra cứu hoá đơn tiền nước:\n"
        "• tra cứu <mã KH> – hoá đơn mới nhất và đường dẫn thanh toán\n"
        "• liên kết <mã> – liên kết cuộc trò chuyện với tài khoản (mã lấy trong ứng dụng CSKH)\n"
        "• hủy liên kết – huỷ liên kết"
    )
