"""The signature of a bill-pay partner's request (docs/partners.md says it for the partner's developers,
with a worked example): pure, no clock, no I/O.

    X-Signature = hex(HMAC-SHA256(partner secret, canonical string))
    canonical   = METHOD "\\n" PATH ["?" QUERY] "\\n" X-Timestamp "\\n" X-Nonce "\\n" hex(SHA-256(body))

- METHOD in capitals (GET, POST, PUT).
- PATH is the request's path from `/v1/` on, as sent: a stage or base-path prefix that the partner's URL
  carries in front of it (`/api/v1/...` on an execute-api URL) is not part of it, so one signature holds
  whichever URL the utility publishes. Partner ids, transaction ids and days need no percent-encoding.
- QUERY (and its "?") only when the request has query parameters: every `name=value`, names and values
  percent-encoded as RFC 3986 (unreserved characters A-Z a-z 0-9 - _ . ~ kept, UTF-8 bytes otherwise),
  sorted by name then value, joined with "&". For `?customer_code=01031059` it is what the partner sends.
  (API Gateway hands Lambda the parameters decoded, never the raw query string: a canonical form is the
  only one both sides can rebuild.)
- X-Timestamp: Unix seconds, within MAX_SKEW_S of the utility's clock.
- X-Nonce: 16-64 of A-Z a-z 0-9 - _, never used twice by one partner within NONCE_TTL_S.
- the body's SHA-256 in lowercase hex; an empty body (a GET) hashes the empty string.
- X-Signature: 64 hex digits (either case); compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from chalicelib.domain.identifiers import PARTNER_ID_RE
from chalicelib.errors import AppError

HEADERS = ("X-Partner-Id", "X-Timestamp", "X-Nonce", "X-Signature")
MAX_SKEW_S = 300
# A nonce is kept this long: a request is acceptable only while its timestamp is within MAX_SKEW_S of
# ours, so a nonce remembered for 2 x MAX_SKEW_S after we saw it outlives every replay of it.
NONCE_TTL_S = 600
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TIMESTAMP_RE = re.compile(r"^\d{1,12}$")
SIGNATURE_RE = re.compile(r"^[0-9A-Fa-f]{64}$")
API_ROOT = "/v1/"
_UNRESERVED = "-_.~"


class PartnerUnauthorized(AppError):
    """401: the request is not a partner's signed request. `code` says which check failed."""

    status = 401
    code = "SIGNATURE_INVALID"
    message_vi = "Chữ ký yêu cầu của đối tác không hợp lệ."
    message_en = "The partner request's signature is not valid."


class PartnerForbidden(AppError):
    """403: a partner's request that its settings refuse (an address off its allow-list)."""

    status = 403
    code = "IP_NOT_ALLOWED"
    message_vi = "Địa chỉ IP này không được phép gọi thay mặt đối tác."
    message_en = "This IP address may not call on behalf of the partner."


# Each header's form, and what a request that breaks it is told (English, Vietnamese, the error's code).
_HEADER_FORMS: dict[str, tuple[re.Pattern[str], str, str, str]] = {
    "X-Partner-Id": (PARTNER_ID_RE, "no such partner", "Không có đối tác này.", "PARTNER_UNKNOWN"),
    "X-Timestamp": (
        TIMESTAMP_RE,
        "X-Timestamp is Unix seconds",
        "X-Timestamp phải là số giây Unix.",
        "TIMESTAMP_OUT_OF_RANGE",
    ),
    "X-Nonce": (
        NONCE_RE,
        "X-Nonce is 16-64 of A-Z a-z 0-9 - _",
        "X-Nonce gồm 16-64 ký tự A-Z a-z 0-9 - _.",
        "SIGNATURE_INVALID",
    ),
    "X-Signature": (
        SIGNATURE_RE,
        "X-Signature is 64 hex digits",
        "X-Signature gồm 64 chữ số hex.",
        PartnerUnauthorized.code,
    ),
}


@dataclass(frozen=True)
class SignedHeaders:
    partner_id: str
    timestamp: int
    nonce: str
    signature: str  # lowercase hex


def read_headers(headers: Mapping[str, str]) -> SignedHeaders:
    """The four headers, each present and well-formed, else PartnerUnauthorized naming the header.
    `headers` is looked up by lowercase name (Chalice's and API Gateway's are case-insensitive)."""

    def get(name: str) -> str:
        value = headers.get(name.lower())
        if value is None:
            value = headers.get(name)
        if not value:
            raise PartnerUnauthorized(
                f"the {name} header is missing", f"Thiếu tiêu đề {name}.", code="SIGNATURE_MISSING", field=name
            )
        return value.strip()

    values = [get(h) for h in HEADERS]  # every header present before any is judged by its form
    for name, value in zip(HEADERS, values, strict=True):
        form, message_en, message_vi, code = _HEADER_FORMS[name]
        if not form.fullmatch(value):
            raise PartnerUnauthorized(message_en, message_vi, code=code, field=name)
    partner_id, timestamp, nonce, signature = values
    return SignedHeaders(partner_id, int(timestamp), nonce, signature.lower())


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """The query's canonical form (see above); '' when there is none."""
    pairs = sorted((quote(k, safe=_UNRESERVED), quote(v, safe=_UNRESERVED)) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in pairs)


def request_path(path: str) -> str:
    """The path a signature covers: from '/v1/' on (a stage or base-path prefix left out)."""
    at = path.find(API_ROOT)
    return path[at:] if at >= 0 else path


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_string(
    method: str, path: str, params: Iterable[tuple[str, str]], timestamp: int | str, nonce: str, body: bytes
) -> str:
    query = canonical_query(params)
    target = request_path(path) + (f"?{query}" if query else "")
    return "\n".join([method.upper(), target, str(timestamp), nonce, body_hash(body)])


def sign(secret: str, canonical: str) -> str:
    return hmac.new(secret.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def signature_matches(secret: str, canonical: str, signature: str) -> bool:
    """Constant time, whatever the case of the hex digits sent."""
    return hmac.compare_digest(sign(secret, canonical), signature.lower())


def timestamp_in_range(timestamp: int, now: int, skew: int = MAX_SKEW_S) -> bool:
    return abs(now - timestamp) <= skew


def ip_allowed(ip: str, allowlist: Iterable[str]) -> bool:
    """An empty allow-list lets any address in; otherwise the caller's address must be in one of the
    CIDR blocks (a bare address is a /32 or /128). An address that cannot be read is not allowed."""
    networks = list(allowlist)
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def valid_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True
