"""Masking of personal data (Decree 13/2023/ND-CP): what a caller who has not
proved ownership of a customer code may see, and what logs may carry."""

from __future__ import annotations

import re


def mask_name(name: str) -> str:
    """'Dương Tấn Hiền' -> 'D**** T** H***': enough to recognise, not to learn."""
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split() if w)


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 3) + digits[-3:]


def mask_address(address: str) -> str:
    """Hide the house number and street; keep the ward/district/city parts."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    if len(parts) <= 1:
        return "***"
    return ", ".join(["***"] + parts[1:])


_PHONE_RE = re.compile(r"(?<!\d)(?:\+?84|0)(\d{8,10})(?!\d)")


def redact_phones(text: str) -> str:
    """Defence in depth for logs: any Vietnamese phone number becomes masked."""
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)
