"""Ports of the bank-notification services (services/bank_transfers.py): the services that tell us of
money moving on the utility's account (SePay, Casso: adapters/bank_notifications.py; payOS or a bank's
own open API would be one more class), and the record of the notifications already handled
(store/bank_notifications.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from chalicelib.domain.bank_notifications import BankTransfer


class BankNotificationSource(Protocol):
    """One notification service. `verify` checks the call is the service's (its key or signature, before
    anything of the body is trusted) and reads the body: Unauthorized (401) for a call that is not the
    service's, ValidationError (400) for a body that can never be right."""

    @property
    def service(self) -> str:
        """Its name in our records: 'sepay', 'casso' (a notification's key is '<service>#<its id>')."""

    def verify(self, headers: Mapping[str, str], raw: bytes) -> Sequence[BankTransfer]:
        """`headers` with lower-case names; `raw` the body as sent."""

    def answer(self) -> dict[str, Any]:
        """The body the service expects on success (HTTP 200)."""


class NotificationRecord(Protocol):
    """A notification handled (store.models.BankNotificationModel)."""

    @property
    def notification_key(self) -> str: ...
    @property
    def line_id(self) -> str | None: ...
    @property
    def outcome(self) -> str: ...
    @property
    def received_at(self) -> float: ...


class BankNotifications(Protocol):
    """The notifications handled, by '<service>#<its id>' (store.bank_notifications.BankNotificationStore)."""

    def seen(self, key: str) -> NotificationRecord | None: ...

    def remember(self, key: str, *, line_id: str | None, outcome: str, received_at: int) -> None:
        """Written after the money is recorded; the first write stands."""
