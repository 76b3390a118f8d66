"""Password policy and hashing (scrypt, per-user salt). No default passwords exist."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from chalicelib.errors import ValidationError

_R, _P, _DKLEN = 8, 1, 32
MIN_LENGTH, MAX_LENGTH = 8, 128  # of a new password (the document states them: services/shapes_auth.py)
# Passwords people pick first; the utility's old hotline reset value is among them.
_COMMON = frozenset(
    {
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "11111111",
        "00000000",
        "88888888",
        "66666666",
        "password",
        "password1",
        "matkhau",
        "matkhau123",
        "abc12345",
        "qwerty123",
        "iloveyou",
        "12341234",
        "87654321",
        "cawaco123",
        "capnuoc123",
    }
)


def check_policy(password: object, *, login: str = "", min_length: int = MIN_LENGTH) -> str:
    if not isinstance(password, str):
        raise ValidationError("password must be a string", "Mật khẩu phải là chuỗi ký tự.", field="password")
    if not min_length <= len(password) <= MAX_LENGTH:
        raise ValidationError(
            f"password must be {min_length} to {MAX_LENGTH} characters",
            f"Mật khẩu phải dài từ {min_length} đến {MAX_LENGTH} ký tự.",
            field="password",
            code="WEAK_PASSWORD",
        )
    lowered = password.lower()
    if lowered in _COMMON or (login and login.lower() in lowered) or len(set(password)) < 4:
        raise ValidationError(
            "password is too easy to guess",
            "Mật khẩu quá dễ đoán, vui lòng chọn mật khẩu khác.",
            field="password",
            code="WEAK_PASSWORD",
        )
    return password


def hash_password(password: str, *, n: int = 2**14) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=_DKLEN, maxmem=64 * 1024 * 1024)
    b64 = base64.b64encode
    return f"scrypt${n}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected), maxmem=64 * 1024 * 1024
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def needs_rehash(stored: str, *, n: int) -> bool:
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != "scrypt" or int(parts[1]) < n
