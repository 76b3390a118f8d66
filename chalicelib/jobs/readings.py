"""The readings worker: each SQS record is one reading to judge and bill.
Powertools' batch processor reports only the failed records back to SQS
(ReportBatchItemFailures, switched on in infra/), so a poison message is
retried alone and, after five receives, rests in the dead-letter queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.domain.messages import ReadingToBill, read
from chalicelib.jobs import sqs_partial_batch
from chalicelib.middleware import start_job

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

bp = Blueprint(__name__)


def _record_handler(record) -> str:
    message = read(record.body, ReadingToBill)  # Malformed: this record fails, the batch goes on
    return deps.readings().process(message.reading_id)


def handle_batch(event: dict, context=None) -> PartialItemFailureResponse:
    return sqs_partial_batch(event, context, _record_handler)


@bp.on_sqs_message(queue=get_settings().queue_name("readings"), batch_size=10)
def readings_worker(event):
    start_job(event)
    return handle_batch(event.to_dict(), event.context)
