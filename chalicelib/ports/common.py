"""Ports of every area: the clock, the queue publisher, the audit trail, and the answer of a
conditional write that lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class ConditionFailed(Exception):
    """A conditional write lost: the state was not what the caller required."""


class Clock(Protocol):
    def now(self) -> int: ...

    def vn_now(self) -> datetime: ...


class Publisher(Protocol):
    """Puts a message on one of the queues the code expects (adapters/queues.py: QUEUES)."""

    def publish(self, queue: str, body: dict[str, object]) -> None: ...


class AuditEntry(Protocol):
    """An audit item a store writes in the same transaction as the change it records."""

    @property
    def entity(self) -> str: ...


class AuditEntries(Protocol):
    """Builds an audit item (store.audit.entry): who did what to which entity, before and after."""

    def __call__(
        self,
        entity: str,
        actor: str,
        action: str,
        before: object = None,
        after: object = None,
        now: int | None = None,
    ) -> AuditEntry: ...


class AuditRecorder(Protocol):
    """Writes an audit item on its own (store.audit.record)."""

    def __call__(self, entity: str, actor: str, action: str, before: object = None, after: object = None) -> None: ...


class AuditItemRecord(Protocol):
    """One change in the trail: `at` is the ISO instant with a random suffix; before and after are JSON."""

    @property
    def entity(self) -> str: ...
    @property
    def at(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def before(self) -> str | None: ...
    @property
    def after(self) -> str | None: ...


class AuditTrail(Protocol):
    """Reads of the audit trail, newest first (store.audit.AuditStore)."""

    def for_entity(self, entity: str, limit: int = 50) -> Sequence[AuditItemRecord]: ...

    def by_actor(self, actor: str, limit: int = 50) -> Sequence[AuditItemRecord]: ...
