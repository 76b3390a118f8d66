"""The notification worker: SMS queued by the API, sent through SNS.

Each record is handled on its own; the ones that fail are reported back so SQS
retries only them (ReportBatchItemFailures, switched on in infra/), and after
five receives a message rests in the dead-letter queue."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.domain.messages import SmsToSend, UnknownKind, read
from chalicelib.jobs import send_each
from chalicelib.middleware import start_job
from chalicelib.observability import logger

bp = Blueprint(__name__)


# One SMS: an SNS Publish at the bounded client's timeouts (adapters/aws.py), and a margin.
RECORD_MS = 12_000


def handle_batch(records, context=None) -> dict:
    sms = deps.sms_gateway()

    def send(record) -> None:
        try:
            message = read(record.body, SmsToSend)
            sms.send_sms(message.customer_code, message.phone, message.text)
            logger.info("sms sent", extra={"customer_code": message.customer_code})
        except UnknownKind as unknown:  # a Malformed one, but dropped: no retry, no DLQ
            logger.warning("dropping unknown notification kind", extra={"kind": str(unknown.kind)[:40]})

    return send_each(records, context, RECORD_MS, send, "notification")


@bp.on_sqs_message(queue=get_settings().queue_name("notifications"), batch_size=10)
def notifications_worker(event):
    start_job(event)
    return handle_batch(event, event.context)
