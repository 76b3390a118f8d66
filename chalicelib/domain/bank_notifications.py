"""Bank-notification services (SePay, Casso): what each sends when money moves on the utility's
account, read into one shape, and Casso's signature. Pure: no I/O, no clock (the caller passes
the time). What each service documents, and what is assumed: docs/bank_notifications.md.

A body that can never be right (not JSON, a field missing or of the wrong type, an amount that is
not a positive whole number of đồng) is a NotificationRefused (400): the services retry on any
non-2xx answer, and a retry of a permanently bad body cannot succeed, so it must not look like a
passing fault (5xx)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from chalicelib.domain.shapes import spec
from chalicelib.errors import ValidationError

SEPAY = "sepay"
CASSO = "casso"
SERVICES = (SEPAY, CASSO)
IN, OUT = "in", "out"

MAX_AMOUNT = 10**12  # as a statement line's (domain/statements.py): no water bill comes near it
MAX_BODY_BYTES = 64 * 1024  # one transaction is well under 2 KB; Casso may send a few at once
MAX_TRANSFERS = 100
MAX_CONTENT = 500  # a statement line's description is cut at the same length
MAX_REF = 64
# Casso's dashboard "test call" (Gọi thử) sends this sample transaction (id 0, to account 88888888):
# it is acknowledged, never recorded.
CASSO_TEST_REFERENCE = "MA_GIAO_DICH_THU_NGHIEM"


@dataclass(frozen=True)
class BankTransfer:
    """One movement on a bank account, as a notification service reports it."""

    service: str  # sepay | casso
    service_id: str  # the service's own id of the transaction (its retries repeat it)
    account_number: str  # the account the money moved on
    amount: int  # whole VND, > 0
    direction: str  # in | out
    content: str  # the transfer's purpose (nội dung), as the bank passes it on
    bank_ref: str  # the bank's own reference of the transaction ('' when the service gave none)
    occurred_at: str  # ISO 8601, Vietnam time (the bank's booking time as the service reports it)
    sub_account: str | None = None  # a virtual / sub-account the money was addressed to
    gateway: str | None = None  # the bank as the service names it
    test: bool = False  # the service's own test delivery: acknowledged, never recorded

    @property
    def key(self) -> str:
        """The notification's key: '<service>#<its id>'."""
        return f"{self.service}#{self.service_id}"

    @property
    def booked_on(self) -> str:
        return self.occurred_at[:10]


class NotificationRefused(ValidationError):
    """A body that will never be right: 400 with a code (INVALID_JSON, INVALID_NOTIFICATION)."""

    code = "INVALID_NOTIFICATION"


def refused(field: str, why: str) -> NotificationRefused:
    return NotificationRefused(
        f"{field}: {why}", f"Thông báo giao dịch không hợp lệ ({field}).", field=field, code="INVALID_NOTIFICATION"
    )


def loads(raw: bytes) -> Any:
    """The body as JSON, or NotificationRefused (INVALID_JSON). Numbers that are not integers stay
    floats, so that an amount of 2277000.0 is refused, not rounded."""
    if len(raw) > MAX_BODY_BYTES:
        raise NotificationRefused(
            "the body is too large", "Dữ liệu gửi lên quá lớn.", field="body", code="BODY_TOO_LARGE"
        )
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise NotificationRefused(
            "the body is not valid JSON", "Dữ liệu không phải JSON hợp lệ.", code="INVALID_JSON"
        ) from None


# -- fields -----------------------------------------------------------------------------------


def _object(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise refused(field, "must be a JSON object")
    return value


def amount_of(value: object, field: str, *, signed: bool = False) -> int:
    """A whole number of đồng: an int (not a bool, not a float, not a string), not zero, at most
    MAX_AMOUNT; negative only when `signed` (Casso gives money out as a negative amount)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise refused(field, "must be a whole number of VND (an integer)")
    if value == 0:
        raise refused(field, "must not be zero")
    if value < 0 and not signed:
        raise refused(field, "must be positive")
    if abs(value) > MAX_AMOUNT:
        raise refused(field, f"must be at most {MAX_AMOUNT}")
    return value


def _id(value: object, field: str) -> str:
    """The service's id of the transaction: a non-negative integer or a short string of letters, digits
    and - _ (either is kept as text)."""
    if isinstance(value, bool):
        raise refused(field, "must be the service's transaction id")
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", value):
        return value
    raise refused(field, "must be the service's transaction id")


def _text(value: object, field: str, *, required: bool = True, limit: int | None = None) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise refused(field, "must be a string")
    text = " ".join(value.split())  # banks pad and wrap; one space is what a statement line keeps
    return text[:limit] if limit else text


def _account(value: object, field: str, *, required: bool = True) -> str | None:
    text = _text(value, field, required=required)
    if text is None or (not required and text == ""):
        return None
    if not re.fullmatch(r"[0-9A-Za-z]{1,40}", text):
        raise refused(field, "must be a bank account number")
    return text


def _reference(value: object, field: str) -> str:
    """The bank's reference; '' when absent (the notification then cannot meet its statement line)."""
    if value is None:
        return ""
    text = _text(value, field) or ""
    if len(text) > MAX_REF or not text.isprintable():
        raise refused(field, f"must be at most {MAX_REF} printable characters")
    return text


def _when(value: object, field: str) -> str:
    """'YYYY-MM-DD HH:MM:SS' (both services' format, Vietnam time) as ISO 8601 with +07:00."""
    if not isinstance(value, str):
        raise refused(field, "must be a date and time (YYYY-MM-DD HH:MM:SS)")
    try:
        when = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise refused(field, "must be a date and time (YYYY-MM-DD HH:MM:SS)") from None
    return when.isoformat() + "+07:00"


# -- the bodies, as the services document them --------------------------------------------------
# Declared once (domain/shapes.py): api/openapi_banks.py documents them from here, and the parsers below
# read these fields (tests/unit/test_bank_shapes.py holds them to it). The parsers stay by hand: a bad
# body must be refused as INVALID_NOTIFICATION naming its field (the services retry anything else), an id
# is a number or a string, text is folded and cut, and Casso's `data` may be a list.

_WHEN = spec(description="YYYY-MM-DD HH:MM:SS, Vietnam time")


@dataclass(frozen=True, kw_only=True)
class SepayBody:
    """SePay's webhook body (other keys are ignored), in the service's own (camelCase) names."""

    id: int = field(metadata=spec(description="SePay's id of the transaction: a retry repeats it"))
    gateway: str | None = None
    transactionDate: str = field(metadata=_WHEN)
    accountNumber: str
    code: str | None = None
    content: str | None = field(
        default=None, metadata=spec(description="the transfer's purpose, where the payment reference is looked for")
    )
    transferType: Literal["in", "out"]
    transferAmount: int = field(metadata=spec(min=1, max=MAX_AMOUNT, description="whole VND"))
    accumulated: int | None = None
    subAccount: str | None = None
    referenceCode: str | None = field(
        default=None, metadata=spec(description="the bank's reference: the statement line's, '<bank>#<reference>'")
    )
    description: str | None = field(
        default=None, metadata=spec(description="the bank's whole message (read when content is empty)")
    )


@dataclass(frozen=True, kw_only=True)
class CassoTransaction:
    """One transaction of Casso's webhook v2 (other keys are ignored)."""

    id: int = field(metadata=spec(description="Casso's id of the transaction: a retry repeats it"))
    reference: str | None = field(default=None, metadata=spec(description="the bank's reference"))
    description: str | None = field(default=None, metadata=spec(description="the transfer's purpose"))
    amount: int = field(
        metadata=spec(
            min=-MAX_AMOUNT, max=MAX_AMOUNT, description="whole VND, not 0; negative: money out (acknowledged, ignored)"
        )
    )
    runningBalance: int | None = None
    transactionDateTime: str = field(metadata=_WHEN)
    accountNumber: str
    bankName: str | None = None
    bankAbbreviation: str | None = None
    virtualAccountNumber: str | None = None
    virtualAccountName: str | None = None
    counterAccountName: str | None = None
    counterAccountNumber: str | None = None
    counterAccountBankId: str | None = None
    counterAccountBankName: str | None = None


@dataclass(frozen=True, kw_only=True)
class CassoBody:
    """Casso's webhook v2 body: one transaction in `data` (a list of up to MAX_TRANSFERS is read too)."""

    error: Literal[0] = field(default=0, metadata=spec(description="absent: 0; any other value is refused"))
    data: CassoTransaction


@dataclass(frozen=True, kw_only=True)
class Acknowledged:
    """What both services expect back once a notification is taken (or rightly ignored)."""

    success: Literal[True]


# -- SePay ------------------------------------------------------------------------------------


def parse_sepay(body: object) -> BankTransfer:
    """SePay's webhook body: {id, gateway, transactionDate, accountNumber, code, content, transferType,
    transferAmount, accumulated, subAccount, referenceCode, description}. `content` is the purpose;
    `description` (the bank's whole message) is read when `content` is empty."""
    data = _object(body, "body")
    direction = data.get("transferType")
    if direction not in (IN, OUT):
        raise refused("transferType", "must be 'in' or 'out'")
    content = _text(data.get("content"), "content", required=False, limit=MAX_CONTENT) or ""
    if not content:
        content = _text(data.get("description"), "description", required=False, limit=MAX_CONTENT) or ""
    return BankTransfer(
        service=SEPAY,
        service_id=_id(data.get("id"), "id"),
        account_number=_account(data.get("accountNumber"), "accountNumber") or "",
        amount=amount_of(data.get("transferAmount"), "transferAmount"),
        direction=str(direction),
        content=content,
        bank_ref=_reference(data.get("referenceCode"), "referenceCode"),
        occurred_at=_when(data.get("transactionDate"), "transactionDate"),
        sub_account=_account(data.get("subAccount"), "subAccount", required=False),
        gateway=_text(data.get("gateway"), "gateway", required=False, limit=64),
    )


# -- Casso (webhook v2) -----------------------------------------------------------------------


def parse_casso(body: object) -> list[BankTransfer]:
    """Casso's webhook v2 body: {error, data: {id, reference, description, amount, runningBalance,
    transactionDateTime, accountNumber, bankName, bankAbbreviation, virtualAccountNumber, ...}}; `data`
    is one transaction (a list of them is read too). A negative amount is money out."""
    envelope = _object(body, "body")
    error = envelope.get("error", 0)
    if isinstance(error, bool) or not isinstance(error, int):
        raise refused("error", "must be an integer")
    if error != 0:
        raise refused("error", "the service reports an error: nothing to record")
    raw = envelope.get("data")
    items = raw if isinstance(raw, list) else [raw]
    if not items or len(items) > MAX_TRANSFERS:
        raise refused("data", f"must hold 1 to {MAX_TRANSFERS} transactions")
    return [_casso_one(_object(item, "data"), n if isinstance(raw, list) else None) for n, item in enumerate(items)]


def _casso_one(data: Mapping[str, Any], index: int | None) -> BankTransfer:
    def name(field: str) -> str:
        return f"data[{index}].{field}" if index is not None else f"data.{field}"

    amount = amount_of(data.get("amount"), name("amount"), signed=True)
    reference = _reference(data.get("reference"), name("reference"))
    service_id = _id(data.get("id"), name("id"))
    return BankTransfer(
        service=CASSO,
        service_id=service_id,
        account_number=_account(data.get("accountNumber"), name("accountNumber")) or "",
        amount=abs(amount),
        direction=IN if amount > 0 else OUT,
        content=_text(data.get("description"), name("description"), required=False, limit=MAX_CONTENT) or "",
        bank_ref=reference,
        occurred_at=_when(data.get("transactionDateTime"), name("transactionDateTime")),
        sub_account=_account(data.get("virtualAccountNumber"), name("virtualAccountNumber"), required=False),
        gateway=_text(data.get("bankAbbreviation"), name("bankAbbreviation"), required=False, limit=64),
        test=service_id == "0" and reference == CASSO_TEST_REFERENCE,
    )


_CASSO_HEADER = re.compile(r"\s*t=(\d{10,16})\s*,\s*v1=([0-9a-fA-F]{128})\s*")


def casso_header(header: str | None) -> tuple[int, str] | None:
    """(timestamp in ms, signature hex) of an X-Casso-Signature header 't=<ms>,v1=<hex>', or None."""
    m = _CASSO_HEADER.fullmatch(header or "")
    return (int(m.group(1)), m.group(2).lower()) if m else None


def casso_messages(timestamp_ms: int, body: object) -> list[bytes]:
    """What Casso signs: '<t>.' + the body's JSON with every object's keys sorted, compact. Casso's samples
    serialise with JavaScript, PHP, Python and Java, which differ on non-ASCII text and '/' (escaped or
    not); the forms a signer may have produced are all candidates (each needs the key)."""
    forms = {
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True),
    }
    forms |= {f.replace("/", "\\/") for f in forms}
    return [f"{timestamp_ms}.{f}".encode() for f in sorted(forms)]


def casso_signature(key: str, timestamp_ms: int, body: object) -> str:
    """The v1 signature of `body` at `timestamp_ms` (the form Casso's JavaScript sample makes)."""
    message = f"{timestamp_ms}.{json.dumps(body, sort_keys=True, separators=(',', ':'), ensure_ascii=False)}"
    return hmac.new(key.encode(), message.encode(), hashlib.sha512).hexdigest()


def casso_signature_ok(key: str, timestamp_ms: int, signature: str, body: object) -> bool:
    """Constant time per candidate; every candidate is computed whatever matches."""
    given = signature.lower().encode()
    ok = False
    for message in casso_messages(timestamp_ms, body):
        expected = hmac.new(key.encode(), message, hashlib.sha512).hexdigest().encode()
        ok = hmac.compare_digest(expected, given) or ok
    return ok


# -- SePay's key ------------------------------------------------------------------------------


def sepay_key_ok(key: str, authorization: str | None) -> bool:
    """`Authorization: Apikey <key>`, compared in constant time (the scheme's case is not significant)."""
    given = (authorization or "").strip()
    scheme, _, value = given.partition(" ")
    same = hmac.compare_digest(value.strip().encode(), key.encode())
    return scheme.lower() == "apikey" and same
