"""Ports of the chat assistants (Zalo OA, Facebook Messenger): handled events, one-time link codes
and links; and of keeping the Zalo OA token alive (SSM parameters, Zalo's OAuth)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.ports.common import AuditEntry

# -- chat links ----------------------------------------------------------------------------


class ChatLinkRecord(Protocol):
    """A chat identity (a keyed hash of platform and user id) linked to an account."""

    @property
    def identity_hash(self) -> str: ...
    @property
    def link_id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def user_hint(self) -> str: ...
    @property
    def linked_at(self) -> float: ...


@dataclass(frozen=True)
class NewChatLink:
    """A link about to be written (it replaces an older link of the same identity)."""

    identity_hash: str
    link_id: str
    account_id: str
    platform: str
    user_hint: str
    linked_at: int


class LinkCodeRecord(Protocol):
    """A live one-time link code, held as a keyed hash."""

    @property
    def code_hash(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def expires_at(self) -> float: ...


class ChatLinks(Protocol):
    """Handled events, link codes and links (store.chat.ChatStore)."""

    def claim_event(self, event_key: str, expires_at: int) -> bool:
        """True the first time a platform message is seen; False for a redelivery."""

    def release_event(self, event_key: str) -> None: ...

    def put_code(self, code_hash: str, account_id: str, now: int, expires_at: int) -> bool:
        """False if a live code has the same hash (the caller draws another)."""

    def live_code(self, code_hash: str, now: int) -> LinkCodeRecord | None: ...

    def link_with_code(self, code: LinkCodeRecord, link: NewChatLink, audit: Sequence[AuditEntry], now: int) -> None:
        """Spend the code and write the link, all or nothing; ConditionFailed when the code was used
        meanwhile."""

    def link_of(self, identity_hash: str) -> ChatLinkRecord | None: ...

    def links_of_account(self, account_id: str, limit: int = 50) -> Sequence[ChatLinkRecord]: ...

    def unlink(self, link: ChatLinkRecord, audit: AuditEntry) -> bool:
        """Remove exactly this link; False if it is gone already."""


# -- the Zalo OA token ---------------------------------------------------------------------


class Parameters(Protocol):
    """SSM parameters (SecureString), read and written (adapters.parameters.SsmParameters)."""

    def get(self, name: str) -> str: ...

    def put(self, name: str, value: str) -> None: ...


@dataclass(frozen=True)
class TokenPair:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int | None = None  # seconds the access token lives, as Zalo says


class ZaloOAuthError(Exception):
    """Zalo refused the refresh with an error (`answered`; `error` is its code when numeric), or could not
    be reached, or gave an answer that is neither an error nor a pair (`answered` False)."""

    def __init__(
        self, message: str, error: int | None = None, error_name: str | None = None, answered: bool = True
    ) -> None:
        super().__init__(message)
        self.error, self.error_name, self.answered = error, error_name, answered
