"""Ports of the service requests (tickets, issue 18): the kinds of request the utility configured, the
tickets and their events (store/tickets.py), and the reads the managers' KPIs and the overdue sweep make."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.domain.tickets import TicketType
from chalicelib.ports.common import AuditEntry


class TicketTypeSource(Protocol):
    """The utility's kinds of request (adapters/ticket_types.py: the TICKET_TYPES setting, or the defaults)."""

    def types(self) -> Sequence[TicketType]: ...


class TicketRecord(Protocol):
    @property
    def ticket_id(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def branch(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lng(self) -> float | None: ...
    @property
    def residents(self) -> float | None: ...
    @property
    def invoice_id(self) -> str | None: ...
    @property
    def photos(self) -> Sequence[str]: ...
    @property
    def assignee(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def created_at(self) -> float: ...
    @property
    def updated_at(self) -> float: ...
    @property
    def due_at(self) -> float: ...
    @property
    def closed_at(self) -> float | None: ...
    @property
    def rating(self) -> float | None: ...
    @property
    def rating_comment(self) -> str | None: ...
    @property
    def events(self) -> float: ...


class TicketEventRecord(Protocol):
    @property
    def seq(self) -> float: ...
    @property
    def kind(self) -> str: ...
    @property
    def by_role(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def at(self) -> float: ...
    @property
    def text(self) -> str | None: ...
    @property
    def status_from(self) -> str | None: ...
    @property
    def status_to(self) -> str | None: ...
    @property
    def assignee(self) -> str | None: ...
    @property
    def photos(self) -> Sequence[str] | None: ...


@dataclass(frozen=True)
class NewTicket:
    ticket_id: str
    customer_code: str
    account_id: str
    branch: str
    type: str
    description: str
    created_at: int
    due_at: int
    lat: float | None = None
    lng: float | None = None
    residents: int | None = None
    invoice_id: str | None = None
    photos: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NewEvent:
    kind: str
    by_role: str
    actor: str
    at: int
    text: str | None = None
    status_from: str | None = None
    status_to: str | None = None
    assignee: str | None = None
    photos: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """One change of a ticket, written only if the ticket is still as read (`events` unchanged): its new
    status (and worker, reason, closing time), the event that records it, and what goes with it."""

    status: str
    event: NewEvent
    assignee: str | None = None
    reason: str | None = None
    closed_at: int | None = None
    audit: AuditEntry | None = None
    # An approved household-size registration: the customer's residents from a period on (issue 18).
    persons_next: int | None = None
    persons_from: str | None = None
    persons_audit: AuditEntry | None = None


@dataclass(frozen=True)
class Rating:
    rating: int
    comment: str | None
    event: NewEvent


class Tickets(Protocol):
    """store/tickets.TicketStore: every write conditional; every list a Query on an index, never a Scan."""

    def create(self, ticket: NewTicket, event: NewEvent) -> bool:
        """The ticket and its first event; False when the id exists already (the same request again)."""

    def get(self, ticket_id: str) -> TicketRecord | None: ...

    def events(self, ticket_id: str) -> Sequence[TicketEventRecord]: ...

    def change(self, ticket: TicketRecord, change: Change) -> None:
        """ConditionFailed when the ticket moved on since it was read."""

    def add_event(self, ticket: TicketRecord, event: NewEvent) -> None:
        """A message on an open ticket; ConditionFailed when it moved on (or closed) since it was read."""

    def rate(self, ticket: TicketRecord, rating: Rating) -> None:
        """ConditionFailed unless closed and not rated yet."""

    def for_customer(self, code: str, limit: int, cursor: str | None) -> tuple[Sequence[TicketRecord], str | None]: ...

    def queue(
        self,
        branch: str | None,
        state: str,
        *,
        before: int | None,
        status: str | None,
        type: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[Sequence[TicketRecord], str | None]:
        """A branch's (None: every branch's) open or closed tickets, open ones by target time, closed ones
        newest first; `before`: only those whose target time is before it (the overdue)."""

    def count_overdue(self, now: int) -> int:
        """Open tickets past their target time, every branch (a counting Query)."""

    def of_period(self, period: str) -> Sequence[TicketRecord]:
        """The tickets made in a month (the KPIs)."""

    def staff_branch(self, username: str) -> str | None:
        """The branch of a staff member ('' for none), None if there is no such staff account."""

    def customer_branch(self, code: str) -> str | None:
        """The customer's branch ('' for none), None if there is no such customer."""


class TicketKpiRecord(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def branch(self) -> str: ...
    @property
    def due_at(self) -> float: ...
    @property
    def closed_at(self) -> float | None: ...
    @property
    def rating(self) -> float | None: ...


class TicketKpiReads(Protocol):
    """What the managers' KPIs read of the tickets (services/kpis.py)."""

    def of_period(self, period: str) -> Sequence[TicketKpiRecord]:
        """The tickets made in a month (one Query of the by_period index)."""

    def now(self) -> int: ...

    def type_order(self) -> Sequence[str]:
        """The configured kinds' keys, in their order."""
