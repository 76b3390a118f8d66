"""Workers that call out (SNS, the chat platforms, the reminder channels) start a record only with
enough of the invocation left for it at its timeouts: a record cut off by Lambda's timeout brings
the whole batch back, messages already sent included (a reply or an SMS twice)."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest
from chalice.app import SQSEvent

from chalicelib import deps
from tests.sqs_events import sqs_event


class Context:
    """Lambda's context: the time left falls by `per_call_ms` each time it is asked."""

    def __init__(self, left_ms: int, per_call_ms: int = 0) -> None:
        self.left_ms, self.per_call_ms = left_ms, per_call_ms

    def get_remaining_time_in_millis(self) -> int:
        left = self.left_ms
        self.left_ms -= self.per_call_ms
        return left


@pytest.fixture(autouse=True)
def _reset():
    yield
    deps.reset()


def test_the_chat_worker_sends_what_fits_and_hands_the_rest_back_unsent():
    from chalicelib.adapters.chat_platforms import MemoryChatSender
    from chalicelib.jobs.chat import RECORD_MS, handle_batch

    sender = MemoryChatSender()
    deps.override("chat_sender", sender)
    replies = [{"platform": "facebook", "recipient": f"psid{i}", "text": f"reply {i}"} for i in range(4)]
    # Time for two replies at their worst case, then not for a third.
    context = Context(2 * RECORD_MS + RECORD_MS // 2, per_call_ms=RECORD_MS)
    answer = handle_batch(SQSEvent(sqs_event(*replies), context=None), context)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}
    assert [m["recipient"] for m in sender.sent] == ["psid0", "psid1"]


def test_the_sms_worker_does_the_same():
    from chalicelib.jobs.notifications import RECORD_MS, handle_batch

    class Sms:
        sent: ClassVar[list[str]] = []

        def send_sms(self, code, phone, text):
            self.sent.append(code)

    deps.override("sms_gateway", Sms())
    bodies = [{"kind": "sms", "customer_code": f"0103105{i}", "phone": "0912345601", "text": "x"} for i in range(3)]
    answer = handle_batch(SQSEvent(sqs_event(*bodies), context=None), Context(RECORD_MS - 1))
    assert answer == {"batchItemFailures": [{"itemIdentifier": f"m{i}"} for i in range(3)]} and Sms.sent == []
    again = handle_batch(SQSEvent(sqs_event(*bodies), context=None), Context(10 * RECORD_MS))
    assert again == {"batchItemFailures": []}


def test_a_reminder_is_not_started_without_time_for_its_channels():
    from chalicelib.jobs import Postponed
    from chalicelib.jobs.reminders import RECORD_MS, _record_handler

    class Reminders:
        sent: ClassVar[list[str]] = []

        def send(self, invoice_id, level):
            self.sent.append(invoice_id)
            return "sent"

    deps.override("reminders", Reminders())
    record = type("Record", (), {"body": json.dumps({"invoice_id": "INV-1", "level": "due_today"})})()
    with pytest.raises(Postponed):
        _record_handler(record, Context(RECORD_MS - 1))
    assert Reminders.sent == []
    assert _record_handler(record, Context(RECORD_MS)) == "sent" and Reminders.sent == ["INV-1"]
