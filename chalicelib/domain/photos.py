"""Photos people send with what they report (issue 18): a meter read by the customer, a leak, the staff's
meter photo as evidence. Pure: ids, where a photo is kept, and what its bytes really are.

The server composes every key from the purpose, the owner and an id it generated: a client never names a
path, so a photo uploaded for one customer code (or one staff member) cannot be attached as another's."""

from __future__ import annotations

import re
import secrets

# What a photo is for; each kind of report names its own.
# A manager's reply is kept apart from the field staff's (`manager_reply`): the two kinds of account may share
# a user name.
PURPOSES = ("ticket", "self_reading", "reading", "ticket_reply", "manager_reply")
# JPEG, PNG and WebP: what phone cameras and browsers give (HEIC is converted by the apps' pickers).
CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_BYTES = 5 * 1024 * 1024  # a phone photo at full size is 2-4 MB
PHOTO_ID = r"^ph_[A-Za-z0-9_-]{22}$"  # anchored: the OpenAPI pattern is a search
PHOTO_ID_RE = re.compile(PHOTO_ID)
_OWNER_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_photo_id() -> str:
    return "ph_" + secrets.token_urlsafe(16)  # 22 characters, 128 bits: not guessable


def is_photo_id(value: object) -> bool:
    return isinstance(value, str) and PHOTO_ID_RE.fullmatch(value) is not None


def photo_key(purpose: str, owner: str, photo_id: str) -> str:
    """Where the photo is kept: under its purpose and owner, never a path from outside."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown photo purpose {purpose!r}")
    if not _OWNER_RE.fullmatch(owner):
        raise ValueError("a photo's owner is a customer code or a staff user name")
    if not is_photo_id(photo_id):
        raise ValueError("not a photo id")
    return f"photos/{purpose}/{owner}/{photo_id}"


def sniff(head: bytes) -> str | None:
    """The image type the first bytes say, whatever the upload claimed: JPEG, PNG or WebP, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
