"""Every night: does every customer account add up? (services/ledger_jobs.py:
payments = allocations + credit + refunds, charges - allocations - adjustments
= open amounts.) The accounts that do not are logged by customer code and
counted in the metric LedgerInvariantBreaches, which raises
LedgerInvariantAlarm; a run cut short by the Lambda's time counts in
LedgerInvariantIncomplete (LedgerInvariantIncompleteAlarm).
`make job NAME=ledger_invariant` runs it locally."""

from __future__ import annotations

from chalice import Blueprint, Cron

from chalicelib import deps
from chalicelib.middleware import start_job
from chalicelib.observability import emit_counts

bp = Blueprint(__name__)


def _time_left(context):
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining if callable(remaining) else None


def record_ledger_health(result: dict) -> None:
    """What the alarms watch (infra: LedgerInvariantAlarm, LedgerInvariantIncompleteAlarm)."""
    emit_counts(
        {"LedgerInvariantBreaches": result["breaching"], "LedgerInvariantIncomplete": 0 if result["complete"] else 1}
    )


@bp.schedule(Cron(0, 19, "*", "*", "?", "*"))  # 19:00 UTC = 02:00 in Vietnam, before the day's postings
def ledger_invariant(event):
    start_job(event)
    result = deps.ledger_invariant().run(time_left_ms=_time_left(event.context))
    record_ledger_health(result)
    return result
