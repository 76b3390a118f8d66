"""The notification worker: SMS queued by the API, sent through SNS.

Each record is handled on its own; the ones that fail are reported back so SQS
retries only them (ReportBatchItemFailures, switched on in infra/), and after
five receives a message rests in the dead-letter queue."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.domain.messages import Malformed, SmsToSend, UnknownKind, read
from chalicelib.jobs import enough_time
from chalicelib.middleware import start_job
from chalicelib.observability import logger

bp = Blueprint(__name__)


# One SMS: an SNS Publish at the bounded client's timeouts (adapters/aws.py), and a margin.
RECORD_MS = 12_000


def handle_batch(records, context=None) -> dict:
    failures = []
    sms = deps.sms_gateway()
    for record in records:
        if not enough_time(context, RECORD_MS):
            failures.append({"itemIdentifier": record.to_dict()["messageId"]})
            continue
        try:
            message = read(record.body, SmsToSend)
            sms.send_sms(message.customer_code, message.phone, message.text)
            logger.info("sms sent", extra={"customer_code": message.customer_code})
        except UnknownKind as unknown:
            logger.warning("dropping unknown notification kind", extra={"kind": str(unknown.kind)[:40]})
        except Malformed:  # retrying cannot help; let it go to the DLQ through failures
            logger.exception("malformed notification")
            failures.append({"itemIdentifier": record.to_dict()["messageId"]})
        except Exception:
            logger.exception("notification failed, will be retried")
            failures.append({"itemIdentifier": record.to_dict()["messageId"]})
    return {"batchItemFailures": failures}


@bp.on_sqs_message(queue=get_settings().queue_name("notifications"), batch_size=10)
def notifications_worker(event):
    start_job(event)
    return handle_batch(event, event.context)
