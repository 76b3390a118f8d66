"""One-time codes: 6 digits, stored only as a keyed hash, bound to a purpose."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PURPOSES = ("register", "reset", "link")


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_hash(key: str, purpose: str, subject: str, code: str) -> str:
    # Keyed, so a leaked table does not give the 10^6 codes away to a lookup table.
    msg = f"{purpose}|{subject}|{code}".encode()
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


def matches(key: str, purpose: str, subject: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(key, purpose, subject, code), stored_hash)


def sms_text(purpose: str, code: str, ttl_seconds: int) -> str:
    # Plain ASCII: SMS gateways in Vietnam bill diacritics as Unicode (3x the segments).
    what = {"register": "dang ky tai khoan", "reset": "dat lai mat khau", "link": "lien ket ma khach hang"}[purpose]
    return (
        f"CAWACO: Ma xac thuc {what} cua quy khach la {code}. "
        f"Ma co hieu luc {ttl_seconds // 60} phut. Khong chia se ma nay cho bat ky ai."
    )
