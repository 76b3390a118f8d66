"""chalicelib/domain/messages.py: every SQS body declared once; the producer sends `to_json`, the
worker `read`s it back, and a malformed one fails its own record, never the rest of its batch."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from chalicelib import deps
from chalicelib.adapters.queues import QUEUES, MemoryPublisher
from chalicelib.domain import messages as m
from chalicelib.domain.shapes import to_json
from tests.sqs_events import sqs_event


def test_every_message_names_a_queue_the_stack_has():
    assert {cls.QUEUE for cls in m.ALL} <= set(QUEUES)


@pytest.mark.parametrize(
    "message,body",
    [
        (m.ReadingToBill(reading_id="dev-356938-000001"), {"reading_id": "dev-356938-000001"}),
        (
            m.SmsToSend(customer_code="01031059", phone="0912345601", text="x"),
            {"kind": "sms", "customer_code": "01031059", "phone": "0912345601", "text": "x"},
        ),
        (m.BookChunk(import_id="IMP0123456789AB", offset=0), {"import_id": "IMP0123456789AB", "offset": 0}),
        (m.StatementToImport(import_id="IMP1"), {"import_id": "IMP1", "kind": "bank_statement"}),
        (m.ReminderToSend(invoice_id="INV-1", level="due_today"), {"invoice_id": "INV-1", "level": "due_today"}),
        (
            m.PlanToContinue(today="2026-11-05", cursor=m.PlanCursor(level=1, key={"k": {"S": "v"}})),
            {"kind": "plan", "today": "2026-11-05", "cursor": {"level": 1, "key": {"k": {"S": "v"}}}},
        ),
        (
            m.ChatReply(platform="zalo", recipient="u1", text="hi", reply_to="mid"),
            {"platform": "zalo", "recipient": "u1", "text": "hi", "reply_to": "mid"},
        ),
    ],
)
def test_the_wire_format_is_the_one_the_producers_sent_by_hand(message, body):
    assert to_json(message) == body  # the same keys, in the same order
    assert list(to_json(message)) == list(body)
    assert m.read(json.dumps(body), type(message)) == message


def test_read_picks_the_shape_by_kind_and_the_one_without_kind_for_the_rest():
    shapes = (m.BookChunk, m.StatementToImport, m.PartnerFileToCompare)
    assert isinstance(m.read('{"import_id": "IMP1", "kind": "bank_statement"}', *shapes), m.StatementToImport)
    assert isinstance(
        m.read('{"kind": "partner_file", "partner_id": "p", "day": "d"}', *shapes), m.PartnerFileToCompare
    )
    assert m.read('{"import_id": "IMP1", "offset": 7}', *shapes) == m.BookChunk(import_id="IMP1", offset=7)
    with pytest.raises(m.UnknownKind) as unknown:
        m.read('{"kind": "email", "text": "x"}', m.SmsToSend)
    assert unknown.value.kind == "email"


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2]",
        '{"reading_id": 5}',
        "{}",
        '{"import_id": "IMP1", "offset": -1}',
        '{"import_id": "IMP1", "offset": "0"}',
        '{"kind": "plan", "today": "05/11/2026"}',
    ],
)
def test_a_malformed_body_is_a_value_error_naming_the_shape(body):
    with pytest.raises(m.Malformed):
        m.read(body, m.ReadingToBill, m.BookChunk, m.PlanToContinue)


def test_the_producers_send_the_declared_bodies():
    """QueuedSms (an adapter) builds its message from the shape."""
    from chalicelib.adapters.notifications import QueuedSms

    queue = MemoryPublisher()
    QueuedSms(queue).send_sms("01031059", "0912345601", "Mã OTP 123456")
    ((name, body),) = queue.messages
    assert name == "notifications"
    assert m.read(json.dumps(body), m.SmsToSend) == m.SmsToSend(
        customer_code="01031059", phone="0912345601", text="Mã OTP 123456"
    )


def test_a_malformed_import_message_fails_alone():
    from chalicelib.jobs.imports import handle_batch

    class Imports:
        done: ClassVar[list[tuple[str, int]]] = []

        def process_chunk(self, import_id, offset):
            self.done.append((import_id, offset))
            return "running"

    deps.override("imports", Imports())
    try:
        answer = handle_batch(
            sqs_event(
                {"import_id": "IMP1", "offset": 0}, {"import_id": "IMP2"}, "{", {"import_id": "IMP3", "offset": 9}
            )
        )
    finally:
        deps.reset()
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    assert Imports.done == [("IMP1", 0), ("IMP3", 9)]


def test_a_malformed_reminder_fails_alone_and_a_continuation_carries_its_cursor():
    from chalicelib.jobs import reminders as job

    class Reminders:
        sent: ClassVar[list[tuple[str, str]]] = []
        plans: ClassVar[list[tuple[object, object]]] = []

        def send(self, invoice_id, level):
            self.sent.append((invoice_id, level))
            return "sent"

        def plan(self, today, cursor, time_left, **kw):
            self.plans.append((today.isoformat(), cursor))
            return {"complete": True, "today": today.isoformat(), "cursor": None}

    deps.override("reminders", Reminders())
    try:
        answer = job.handle_batch(
            sqs_event(
                {"invoice_id": "INV-1", "level": "due_today"},
                {"invoice_id": 12, "level": "due_today"},
                {"kind": "plan", "today": "2026-11-05", "cursor": {"level": 1, "key": {"k": {"S": "v"}}}},
                {"kind": "plan", "today": "not a day"},
            )
        )
    finally:
        deps.reset()
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m3"}]}
    assert Reminders.sent == [("INV-1", "due_today")]
    assert Reminders.plans == [("2026-11-05", {"level": 1, "key": {"k": {"S": "v"}}})]
