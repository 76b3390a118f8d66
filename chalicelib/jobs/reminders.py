"""Payment reminders. `plan_reminders` runs daily at REMINDER_RUN_AT (08:00
Vietnam time = 01:00 UTC): it only queries and enqueues. `reminders_worker`
sends each reminder (Powertools batch processing: only failed records go back
to SQS; after five receives a message rests in the dead-letter queue).

If the plan runs short of Lambda time it stops at a page boundary and puts a
continuation message {"kind": "plan", "today", "cursor"} on the same queue;
the worker carries on from there with its own time budget, and so on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint, Cron

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.domain.messages import (
    DebitFailedNotice,
    PlanCursor,
    PlanToContinue,
    ReminderToSend,
    SelfReadingInvite,
    TicketNotice,
    WaterCutFanOut,
    WaterCutToSend,
    read,
)
from chalicelib.domain.reminders import vn_time_to_utc_cron
from chalicelib.domain.shapes import to_json
from chalicelib.jobs import Postponed, enough_time, sqs_partial_batch
from chalicelib.middleware import start_job

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

bp = Blueprint(__name__)
WORKER_STOP_MARGIN_MS = 20_000  # a continuation in the worker (60 s timeout) plans for ~40 s at most


def vn_daily_cron(hhmm: str) -> Cron:
    """A daily EventBridge cron (UTC) for a Vietnam wall-clock time."""
    minute, hour = vn_time_to_utc_cron(hhmm)
    return Cron(minute, hour, "*", "*", "?", "*")


def _time_left(context):
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining if callable(remaining) else None


def _continue(result: dict) -> dict:
    if not result["complete"]:
        cursor = PlanCursor(level=result["cursor"]["level"], key=result["cursor"]["key"])
        deps.reminder_queue().enqueue(to_json(PlanToContinue(today=result["today"], cursor=cursor)))
    return result


# One reminder: up to four channels (SNS, SES, Zalo ZNS at 3.05 s + 10 s), and a margin.
RECORD_MS = 25_000


def run_plan(today=None, cursor=None, context=None, stop_margin_ms=None) -> dict:
    kw = {"stop_margin_ms": stop_margin_ms} if stop_margin_ms is not None else {}
    return _continue(deps.reminders().plan(today, cursor, _time_left(context), **kw))


def _record_handler(record, lambda_context=None) -> str:
    # Malformed (domain/messages.py): this record fails and rests in the DLQ; the batch goes on.
    message = read(
        record.body,
        ReminderToSend,
        PlanToContinue,
        DebitFailedNotice,
        SelfReadingInvite,
        WaterCutFanOut,
        WaterCutToSend,
        TicketNotice,
    )
    if isinstance(message, PlanToContinue):
        from datetime import date

        cursor = to_json(message.cursor) if message.cursor is not None else None
        result = run_plan(date.fromisoformat(message.today), cursor, lambda_context, WORKER_STOP_MARGIN_MS)
        return "planned" if result["complete"] else "continued"
    if not enough_time(lambda_context, RECORD_MS):
        raise Postponed("too little time left for a reminder: SQS delivers it again")
    if isinstance(message, DebitFailedNotice):  # services/debits.py: the bank could not debit, please pay
        return deps.debits().send_notice(message.request_id)
    if isinstance(message, SelfReadingInvite):  # services/self_readings.py: read your own meter (issue 18)
        return deps.self_readings().send_invite(message.customer_code, message.period)
    if isinstance(message, WaterCutFanOut):  # services/water_cuts.py: one page of a notice's area (issue 18)
        return deps.water_cuts().fan_out(message.notice_id, message.revision, message.source, message.key)
    if isinstance(message, WaterCutToSend):  # one customer told of one revision of a water-cut notice, once
        return deps.water_cuts().send(message.notice_id, message.revision, message.customer_code)
    if isinstance(message, TicketNotice):  # services/tickets.py: the customer's request changed (issue 18)
        return deps.tickets().send_notice(message.ticket_id, message.seq)
    return deps.reminders().send(message.invoice_id, message.level)


def handle_batch(event: dict, context=None) -> PartialItemFailureResponse:
    return sqs_partial_batch(event, context, _record_handler)


@bp.schedule(vn_daily_cron(get_settings().reminder_run_at))
def plan_reminders(event):
    start_job(event)
    result = run_plan(context=event.context)
    # Issue 18: invite the customers whose self-reading window opens today (a few Queries; claimed once).
    result["self_reading"] = deps.self_readings().plan_invites()
    return result


@bp.on_sqs_message(queue=get_settings().queue_name("reminders"), batch_size=10, maximum_concurrency=10)
def reminders_worker(event):
    start_job(event)
    return handle_batch(event.to_dict(), event.context)
