"""Scheduled jobs and queue workers (Chalice blueprints)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from chalicelib.domain.messages import Malformed
from chalicelib.observability import logger

if TYPE_CHECKING:  # the batch utility is imported on first use
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse


class Postponed(Exception):
    """Too little of the invocation is left to handle this record: it goes back to SQS untouched."""


def enough_time(context, needed_ms: int) -> bool:
    """Whether a record that may take `needed_ms` (its outside calls at their timeouts) can start.
    A record cut off by the Lambda timeout would bring its whole batch back, including messages
    already sent (a chat reply or an SMS twice); one not started comes back alone."""
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return True
    return context.get_remaining_time_in_millis() >= needed_ms


def send_each(records: Iterable[Any], context, needed_ms: int, send: Callable[[Any], None], what: str) -> dict:
    """A sending worker's batch (a chat reply, an SMS): `send(record)` for each record on its own, and
    the ones to come back reported (`batchItemFailures`): those there was no time to start, those that
    failed (retried), and malformed ones (retrying cannot help: they reach the DLQ this way). What
    `send` drops on purpose it catches and logs itself. `what` names the message in the logs."""
    failures = []
    for record in records:
        message_id = record.to_dict()["messageId"]
        if not enough_time(context, needed_ms):
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            send(record)
        except Malformed:
            logger.exception(f"malformed {what}")
            failures.append({"itemIdentifier": message_id})
        except Exception:
            logger.exception(f"{what} failed, will be retried")
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def sqs_partial_batch(event: dict, context, record_handler) -> PartialItemFailureResponse:
    """Handle each SQS record on its own and report only the failed ones
    (`batchItemFailures`), so SQS redelivers those and not the whole batch."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return process_partial_response(
        event=event, record_handler=record_handler, processor=BatchProcessor(event_type=EventType.SQS), context=context
    )
