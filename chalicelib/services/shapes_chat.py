"""The chat assistants' shapes, declared once (chalicelib/domain/shapes.py): the webhooks' answer
(`Received`), the one-time link code (`LinkCode`) and the account's chat links (`LinkView`,
`Links`). ChatService builds them (a link's view is also what the audit trail records);
api/openapi_chat.py documents them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec

ChatPlatform = Literal["facebook", "zalo"]
LINK_CODE = r"^\d{8}$"  # domain/chat.new_link_code draws 8 digits


@dataclass(frozen=True, kw_only=True)
class Received:
    """POST /v1/chat/facebook and /v1/chat/zalo: what the platform expects back."""

    status: str = field(metadata=spec(description="EVENT_RECEIVED (Messenger) or received (Zalo)"))
    messages: int = field(metadata=spec(description="messages in the event, each answered once"))


@dataclass(frozen=True, kw_only=True)
class LinkCode:
    """POST /v1/me/chat-link-codes: the code, and what to send where."""

    code: str = field(metadata=spec(pattern=LINK_CODE))
    expires_in: int = field(metadata=spec(description="seconds"))
    expires_at: str = field(metadata=spec(format="date-time"))
    send: str
    how_vi: str
    how_en: str


@dataclass(frozen=True, kw_only=True)
class LinkView:
    """A chat identity linked to the account."""

    link_id: str = field(metadata=spec(pattern=ids.CHAT_LINK_ID))
    platform: ChatPlatform
    user_hint: str = field(metadata=spec(description="the last characters of the chat user id"))
    linked_at: str = field(metadata=spec(format="date-time"))


@dataclass(frozen=True, kw_only=True)
class Links:
    """GET /v1/me/chat-links."""

    links: list[LinkView]
