"""Ports of the payment reminders: the records of what was sent, the store behind the daily plan
and the worker, the reminders queue, the notifier (SMS, push, e-mail, Zalo ZNS) and the push-token
registrar. The notifier's two errors are here: it raises them, the reminder worker tells them apart."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from chalicelib.domain.reminders import Message
from chalicelib.ports.customers import CustomerRecord
from chalicelib.ports.invoices import InvoiceRecord


class ChannelUnavailable(Exception):
    """This customer cannot be reached on this channel (no address on file, or the channel is not configured)."""


class DeliveryFailed(Exception):
    """The provider refused or failed: the reminder is retried (SQS)."""


class ReminderRecord(Protocol):
    """One invoice's reminder of one level: '<invoice_id>#<level>'."""

    @property
    def reminder_key(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def status(self) -> str:
        """claimed | queued | sent | deferred | skipped"""

    @property
    def channels(self) -> Sequence[str] | None:
        """The channels it went out on so far."""

    @property
    def created_at(self) -> float: ...
    @property
    def sent_at(self) -> float | None: ...
    @property
    def expires_at(self) -> float: ...


StartKey = dict[str, object]  # DynamoDB's LastEvaluatedKey: where the next page of a Query starts


class Reminders(Protocol):
    """The reminders' reads and writes (store.reminders.ReminderStore)."""

    def due_page(
        self, due_date: str, start_key: StartKey | None, limit: int
    ) -> tuple[Sequence[InvoiceRecord], StartKey | None]:
        """One page of unpaid invoices due on `due_date`, and where the next one starts (None: the last)."""

    def customers(self, codes: Iterable[str]) -> Mapping[str, CustomerRecord]: ...

    def customer(self, code: str) -> CustomerRecord | None: ...

    def invoice(self, invoice_id: str) -> InvoiceRecord | None: ...

    def reminder(self, key: str) -> ReminderRecord | None: ...

    def claim(self, key: str, code: str, level: str, now: int) -> bool:
        """Record the reminder unless it exists: True for the one caller that creates it."""

    def release(self, key: str) -> None:
        """Undo a claim whose message could not be enqueued, so a re-run plans it again."""

    def mark_queued(self, key: str) -> None: ...

    def stale_claims(self, keys: list[str], before: int) -> list[str]:
        """Of these reminders, those still 'claimed' since before `before`."""

    def set_status(self, key: str, status: str, now: int | None = None) -> None: ...

    def add_channel(self, key: str, channel: str) -> None: ...

    def set_preferences(
        self, code: str, channels: list[str] | None, opt_out: bool | None, email: str | None
    ) -> CustomerRecord:
        """ConditionFailed if there is no such customer."""

    def set_push_endpoint(self, code: str, arn: str) -> None:
        """ConditionFailed if there is no such customer."""


class ReminderQueue(Protocol):
    def enqueue_batch(self, bodies: list[dict[str, object]]) -> list[int]:
        """Send up to 10 messages; returns the indexes of those that failed."""

    def enqueue(self, body: dict[str, object], delay_seconds: int = 0) -> None: ...


class Notifier(Protocol):
    def send(self, channel: str, customer: CustomerRecord, message: Message) -> None:
        """ChannelUnavailable: the customer cannot be reached so; DeliveryFailed: try again later."""


class PushRegistrar(Protocol):
    def register(self, platform: str, token: str, user_data: str) -> str:
        """The push endpoint of an app's device token; ChannelUnavailable if push is not configured."""
