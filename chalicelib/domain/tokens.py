"""Signed, expiring tokens (JWT, HS256).

Access tokens are short-lived and stateless: the authorizer checks them without
a database call. Refresh tokens belong to a session family stored server-side,
rotate on every use, and reuse of an old one revokes the whole family.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM = "HS256"
ROLES = ("customer", "staff", "admin")


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class Identity:
    account_id: str
    role: str
    customer_codes: tuple[str, ...] = ()
    family_id: str = ""
    device: str = ""
    branch: str = ""  # staff: read from the account on each call, never from the token

    def owns(self, customer_code: str) -> bool:
        return customer_code in self.customer_codes


def new_token_id() -> str:
    return secrets.token_urlsafe(18)


def encode_access(key: str, issuer: str, identity: Identity, now: int, ttl: int) -> str:
    import jwt  # deferred: PyJWT pulls in cryptography when present, a cold-start cost

    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": identity.account_id,
        "role": identity.role,
        "typ": "access",
        "iat": now,
        "exp": now + ttl,
        "fam": identity.family_id,
    }
    if identity.customer_codes:
        claims["codes"] = list(identity.customer_codes)
    if identity.device:
        claims["dev"] = identity.device
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def encode_refresh(key: str, issuer: str, account_id: str, family_id: str, token_id: str, now: int, ttl: int) -> str:
    import jwt  # deferred, as above

    claims = {
        "iss": issuer,
        "sub": account_id,
        "typ": "refresh",
        "fam": family_id,
        "jti": token_id,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode(key: str, issuer: str, token: str, expected_type: str) -> dict[str, Any]:
    """Verify signature, algorithm (never 'none'), issuer, expiry and type."""
    import jwt  # deferred, as above

    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], issuer=issuer, options={"require": ["exp", "iat", "sub", "typ"]}
        )
    except jwt.PyJWTError as exc:
        raise TokenError(type(exc).__name__) from None
    if claims.get("typ") != expected_type:
        raise TokenError("wrong token type")
    if expected_type == "access" and claims.get("role") not in ROLES:
        raise TokenError("unknown role")
    return claims


def identity_from_claims(claims: Mapping[str, Any]) -> Identity:
    codes: Sequence[str] = claims.get("codes") or ()
    return Identity(
        account_id=claims["sub"],
        role=claims["role"],
        customer_codes=tuple(codes),
        family_id=claims.get("fam", ""),
        device=claims.get("dev", ""),
    )
