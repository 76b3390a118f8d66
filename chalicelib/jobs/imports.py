"""The import worker: one SQS message is one chunk of an uploaded customer book, or one uploaded bank
statement ({import_id, kind: bank_statement}), imported whole, or a bill-pay partner's daily file to compare
({kind: partner_file, partner_id, day})."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.domain.messages import BookChunk, PartnerFileToCompare, StatementToImport, read
from chalicelib.domain.shapes import to_json
from chalicelib.jobs import sqs_partial_batch
from chalicelib.middleware import start_job

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

bp = Blueprint(__name__)


def _record_handler(record) -> str:
    # Malformed (domain/messages.py): this record fails and rests in the DLQ; the batch goes on.
    message = read(record.body, BookChunk, StatementToImport, PartnerFileToCompare)
    if isinstance(message, PartnerFileToCompare):  # a bill-pay partner's daily file to compare (jobs/partners.py)
        from chalicelib.jobs.partners import compare_partner_file

        return compare_partner_file(to_json(message))
    if isinstance(message, StatementToImport):
        return deps.statement_imports().process(message.import_id)
    return deps.imports().process_chunk(message.import_id, message.offset)


def handle_batch(event: dict, context=None) -> PartialItemFailureResponse:
    return sqs_partial_batch(event, context, _record_handler)


@bp.on_sqs_message(queue=get_settings().queue_name("imports"), batch_size=1)
def imports_worker(event):
    start_job(event)
    return handle_batch(event.to_dict(), event.context)
