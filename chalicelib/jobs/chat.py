"""The chat worker: replies queued by the webhooks (queue `chat`), sent
through the platforms' send APIs (chalicelib/adapters/chat_platforms.py).

Each record is handled on its own; failures are reported back so SQS retries
only them (ReportBatchItemFailures), and after five receives a message rests
in the dead-letter queue. A platform that is not configured here drops the
reply with a warning (retrying cannot help)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.domain.messages import ChatReply, read
from chalicelib.jobs import send_each
from chalicelib.middleware import start_job
from chalicelib.observability import logger

bp = Blueprint(__name__)


# One reply: the platform's API at its timeouts (chat_platforms.TIMEOUT_S: 3.05 s + 10 s), and a margin.
RECORD_MS = 15_000


def handle_batch(records, context=None) -> dict:
    from chalicelib.adapters.chat_platforms import ChannelUnavailable

    sender = deps.chat_sender()

    def send(record) -> None:
        try:
            message = read(record.body, ChatReply)
            sender.send(message.platform, message.recipient, message.text)
            logger.info("chat reply sent", extra={"platform": message.platform})
        except ChannelUnavailable as exc:
            logger.warning("chat reply dropped: channel not configured", extra={"reason": str(exc)})

    return send_each(records, context, RECORD_MS, send, "chat reply")


@bp.on_sqs_message(queue=get_settings().queue_name("chat"), batch_size=10)
def chat_worker(event):
    start_job(event)
    return handle_batch(event, event.context)
