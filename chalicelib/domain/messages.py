"""The bodies of the SQS messages, declared once as shapes (chalicelib/domain/shapes.py): the
producer builds one and sends `to_json(message)`; the worker reads it back with `read()`, which
checks every field. A body that is not one of the queue's shapes raises Malformed, a ValueError:
the worker reports that record as failed (jobs.sqs_partial_batch, or the worker's own list), and
after the queue's receives it rests in the dead-letter queue; the rest of the batch goes on.

The queues are adapters/queues.py's QUEUES; each shape names its own (`QUEUE`). A queue that carries
more than one kind of message tells them apart by `kind`: the shape whose `kind` it is, or the one
without a `kind` field for any other (the messages sent before `kind` existed)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar, overload

from chalicelib.domain.shapes import fields_of, parse, spec
from chalicelib.errors import ValidationError

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")


class Malformed(ValueError):
    """The body is not JSON, or not one of the queue's shapes: retrying cannot help."""


class UnknownKind(Malformed):
    """The body's `kind` is none the worker knows (a newer producer, or a stray message)."""

    def __init__(self, kind: object) -> None:
        super().__init__(f"unknown message kind: {str(kind)[:40]}")
        self.kind = kind


# -- readings ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReadingToBill:
    """A stored reading for the worker to judge and bill (services/readings.py)."""

    QUEUE: ClassVar[str] = "readings"
    reading_id: str


# -- notifications -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SmsToSend:
    """An SMS to the phone on file (adapters/notifications.py's QueuedSms), sent through SNS."""

    QUEUE: ClassVar[str] = "notifications"
    kind: Literal["sms"] = "sms"
    customer_code: str
    phone: str
    text: str


# -- imports -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BookChunk:
    """The next chunk of an uploaded customer book, from byte `offset` (services/imports.py)."""

    QUEUE: ClassVar[str] = "imports"
    import_id: str
    offset: int = field(metadata=spec(min=0))


@dataclass(frozen=True, kw_only=True)
class StatementToImport:
    """An uploaded bank statement, imported whole (services/statement_imports.py)."""

    QUEUE: ClassVar[str] = "imports"
    import_id: str
    kind: Literal["bank_statement"] = "bank_statement"


@dataclass(frozen=True, kw_only=True)
class PartnerFileToCompare:
    """A bill-pay partner's daily file to compare with the ledger (jobs/partners.py)."""

    QUEUE: ClassVar[str] = "imports"
    kind: Literal["partner_file"] = "partner_file"
    partner_id: str
    day: str


# -- reminders -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReminderToSend:
    """One payment reminder of an invoice at a level (services/reminders.py)."""

    QUEUE: ClassVar[str] = "reminders"
    invoice_id: str
    level: str


@dataclass(frozen=True, kw_only=True)
class PlanCursor:
    """Where a plan that ran short of time stopped: the level, and the page's key in the store."""

    level: int = field(default=0, metadata=spec(min=0))
    key: object | None = field(default=None, metadata=spec(description="the store's key of the next page (opaque)"))


@dataclass(frozen=True, kw_only=True)
class PlanToContinue:
    """The day's reminder plan, continued by the worker from `cursor` (jobs/reminders.py)."""

    QUEUE: ClassVar[str] = "reminders"
    kind: Literal["plan"] = "plan"
    today: str = field(metadata=spec(pattern=r"^\d{4}-\d{2}-\d{2}$", format="date"))
    cursor: PlanCursor | None = None


@dataclass(frozen=True, kw_only=True)
class DebitFailedNotice:
    """The bank could not take an authorised debit: tell the customer to pay (services/debits.py)."""

    QUEUE: ClassVar[str] = "reminders"
    kind: Literal["debit_failed"] = "debit_failed"
    request_id: str


@dataclass(frozen=True, kw_only=True)
class TicketNotice:
    """A customer's request changed (a status, a worker, a reply): tell the customer (services/tickets.py)."""

    QUEUE: ClassVar[str] = "reminders"
    kind: Literal["ticket"] = "ticket"
    ticket_id: str = field(metadata=spec(pattern=r"^TK[0-9A-F]{16}$"))
    seq: int = field(metadata=spec(min=0, max=100_000))


@dataclass(frozen=True, kw_only=True)
class WaterCutFanOut:
    """One page of a water-cut notice's area to hand out, one message per customer, from `source` (0: the
    notice's own codes, then each ward, then each route) at `key` (services/water_cuts.py)."""

    QUEUE: ClassVar[str] = "reminders"
    kind: Literal["water_cut_fanout"] = "water_cut_fanout"
    notice_id: str
    revision: int = field(metadata=spec(min=1))
    source: int = field(default=0, metadata=spec(min=0))
    key: object | None = field(default=None, metadata=spec(description="where the page starts (opaque)"))


@dataclass(frozen=True, kw_only=True)
class WaterCutToSend:
    """Tell one customer of one revision of a water-cut notice, once (services/water_cuts.py)."""

    QUEUE: ClassVar[str] = "reminders"
    kind: Literal["water_cut"] = "water_cut"
    notice_id: str
    revision: int = field(metadata=spec(min=1))
    customer_code: str


@dataclass(frozen=True, kw_only=True)
class SelfReadingInvite:
    """Invite a customer to send its own meter reading before the staff comes (services/self_readings.py)."""

    QUEUE: ClassVar[str] = "reminders"
    kind: Literal["self_reading"] = "self_reading"
    customer_code: str = field(metadata=spec(pattern=r"^\d{6,12}$"))
    period: str = field(metadata=spec(pattern=r"^\d{4}-(0[1-9]|1[0-2])$"))


# -- chat ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChatReply:
    """A reply to a chat user, sent through the platform's send API (services/chat.py)."""

    QUEUE: ClassVar[str] = "chat"
    platform: str
    recipient: str
    text: str
    reply_to: str | None = None


# -- e-invoices ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EInvoiceToIssue:
    """A charged invoice for the e-invoice provider to issue (services/einvoices.py)."""

    QUEUE: ClassVar[str] = "einvoices"
    invoice_id: str


# -- reading a body ------------------------------------------------------------------------------

# Every message shape (tests/unit/test_messages.py: each names a queue of QUEUES).
ALL = (
    ReadingToBill,
    SmsToSend,
    BookChunk,
    StatementToImport,
    PartnerFileToCompare,
    ReminderToSend,
    PlanToContinue,
    DebitFailedNotice,
    TicketNotice,
    WaterCutFanOut,
    WaterCutToSend,
    ChatReply,
    EInvoiceToIssue,
    SelfReadingInvite,
)


def _kind(cls: type) -> object:
    """The `kind` a shape's messages carry, or None for a shape without one."""
    for f in fields_of(cls):
        if f.name == "kind":
            return f.default
    return None


@overload
def read(body: str, a: type[A], /) -> A: ...
@overload
def read(body: str, a: type[A], b: type[B], /) -> A | B: ...
@overload
def read(body: str, a: type[A], b: type[B], c: type[C], /) -> A | B | C: ...
@overload
def read(body: str, a: type[A], b: type[B], c: type[C], d: type[D], /) -> A | B | C | D: ...
@overload
def read(body: str, a: type[A], b: type[B], c: type[C], d: type[D], e: type[E], /) -> A | B | C | D | E: ...
@overload
def read(body: str, /, *shapes: type[Any]) -> Any: ...  # a queue of many kinds: the caller tells them apart


def read(body: str, *shapes: type[Any]) -> Any:
    """The message in an SQS body: the one of `shapes` its `kind` names, checked field by field.
    Raises Malformed (not JSON, not an object, a field missing or of the wrong type) or UnknownKind."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError, RecursionError):
        raise Malformed("the body is not JSON") from None
    if not isinstance(data, dict):
        raise Malformed("the body is not a JSON object")
    kind = data.get("kind")
    chosen = next((cls for cls in shapes if _kind(cls) == kind and kind is not None), None)
    if chosen is None:
        chosen = next((cls for cls in shapes if _kind(cls) is None), None)
    if chosen is None:
        raise UnknownKind(kind)
    try:
        return parse(chosen, data)
    except ValidationError as e:
        raise Malformed(f"{chosen.__name__}: {e.message_en}") from None
