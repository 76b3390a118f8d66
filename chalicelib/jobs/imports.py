"""The import worker: one SQS message is one chunk of an uploaded customer book, or one uploaded bank
statement ({import_id, kind: bank_statement}), imported whole."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.jobs import sqs_partial_batch
from chalicelib.middleware import start_job

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

bp = Blueprint(__name__)


def _record_handler(record) -> str:
    from chalicelib.services.imports import validate_offset  # deferred: keeps PynamoDB out of app's import

    message = json.loads(record.body)
    if message.get("kind") == "bank_statement":
        return deps.statement_imports().process(str(message["import_id"]))
    return deps.imports().process_chunk(str(message["import_id"]), validate_offset(message["offset"]))


def handle_batch(event: dict, context=None) -> PartialItemFailureResponse:
    return sqs_partial_batch(event, context, _record_handler)


@bp.on_sqs_message(queue=get_settings().queue_name("imports"), batch_size=1)
def imports_worker(event):
    start_job(event)
    return handle_batch(event.to_dict(), event.context)
