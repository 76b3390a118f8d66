"""SQS events for the workers' tests, made by Chalice's own generator
(`chalice.test.Client(app).events.generate_sqs_event`). It gives every record
the same messageId; a partial batch failure names its records by that id, so
here each record gets its own, m0, m1, ... in order (and its own receipt handle)."""

from __future__ import annotations

import json
from typing import Any

from chalice import Chalice
from chalice.test import Client

_EVENTS = Client(Chalice(app_name="tests")).events


def sqs_event(*bodies: str | dict[str, Any], queue: str = "queue-name") -> dict[str, Any]:
    """One record per body, as Lambda hands them to an `on_sqs_message` handler; a dict is sent as its JSON."""
    event = _EVENTS.generate_sqs_event(
        message_bodies=[body if isinstance(body, str) else json.dumps(body) for body in bodies], queue_name=queue
    )
    for i, record in enumerate(event["Records"]):
        record["messageId"], record["receiptHandle"] = f"m{i}", f"r{i}"
    return event
