"""Queues the code expects; infra/package.py deploys these (tests/unit/test_infra.py checks). What each
carries is declared once in chalicelib/domain/messages.py (each message shape names its QUEUE)."""

from __future__ import annotations

import functools
import json

from chalicelib.config import get_settings

# short name -> (visibility timeout s, receives before the dead-letter queue). The visibility is the local
# stack's; deployed, infra/package.py raises it to 6x the consuming function's timeout (AWS's advice).
QUEUES = {
    "notifications": (60, 5),
    "readings": (120, 5),
    "reminders": (60, 5),
    "imports": (360, 3),
    "chat": (60, 5),
    # E-invoices (jobs/einvoices.py): a provider down or numbering later is retried each visibility timeout;
    # 12 receives keep an invoice about an hour locally (longer deployed) before its DLQ alarm.
    "einvoices": (300, 12),
}


@functools.lru_cache(maxsize=1)
def _sqs():
    from chalicelib.adapters.aws import client

    return client("sqs")


@functools.lru_cache(maxsize=8)
def queue_url(short_name: str) -> str:
    name = get_settings().queue_name(short_name)
    return _sqs().get_queue_url(QueueName=name)["QueueUrl"]


class SqsPublisher:
    def publish(self, queue: str, body: dict) -> None:
        _sqs().send_message(QueueUrl=queue_url(queue), MessageBody=json.dumps(body, ensure_ascii=False))


class MemoryPublisher:
    """Keeps what would be sent, in order (tests and in-process benches)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict]] = []

    def publish(self, queue: str, body: dict) -> None:
        self.messages.append((queue, body))
