"""The e-invoice worker: each SQS record is one charged invoice for the provider to issue
(services/einvoices.py). A record that raises is reported failed on its own (partial batch
failures) and comes back after the queue's visibility timeout: the provider down or numbering
later is retried that way; a refusal, after the queue's receives, rests in the dead-letter queue
and its alarm fires. With the provider off (a message left from before) the record is dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint, Rate

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.domain.messages import EInvoiceToIssue, read
from chalicelib.jobs import Postponed, enough_time, sqs_partial_batch
from chalicelib.middleware import start_job
from chalicelib.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

bp = Blueprint(__name__)

# A record's worst case: a look-up, two sends and the look-ups between them at the adapter's read
# timeout (60 s) would not fit; what matters is not starting one that cannot finish a send.
RECORD_MS = 70_000


def _record_handler(record, lambda_context=None) -> str:
    message = read(record.body, EInvoiceToIssue)  # Malformed: this record fails, the batch goes on
    if not enough_time(lambda_context, RECORD_MS):
        raise Postponed("too little time left for an e-invoice: SQS delivers it again")
    service = deps.einvoice_issuer()
    if service is None:
        logger.warning("e-invoices are off; message dropped", extra={"invoice_id": message.invoice_id})
        return "off"
    return service.process(message.invoice_id)


def handle_batch(event: dict, context=None) -> PartialItemFailureResponse:
    return sqs_partial_batch(event, context, _record_handler)


@bp.on_sqs_message(queue=get_settings().queue_name("einvoices"), batch_size=5)
def einvoices_worker(event):
    start_job(event)
    return handle_batch(event.to_dict(), event.context)


@bp.schedule(Rate(10, unit=Rate.MINUTES))
def einvoices_sweep(event):
    """Charged invoices whose e-invoice is still due (a lost publish, pending for hours) are queued again
    (services/einvoice_sweep.py): a page per run, from the sparse index, never a Scan."""
    start_job(event)
    return deps.einvoice_sweep().run()
