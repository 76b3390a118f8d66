"""Authorised debit: every day at DEBIT_RUN_AT (Vietnam time) the job looks whether today is
DEBIT_RUN_DAY, and if so makes last month's request file for every linked bank (services/debits.py;
a run of a month already made writes nothing twice). DEBIT_RUN_DAY=0, the default, leaves the runs
to the managers (POST /v1/admin/debits/runs). `make job NAME=run_debits` runs it locally."""

from __future__ import annotations

from datetime import date

from chalice import Blueprint, Cron

from chalicelib import deps
from chalicelib.config import get_settings
from chalicelib.domain.reminders import vn_time_to_utc_cron
from chalicelib.middleware import start_job

bp = Blueprint(__name__)
_minute, _hour = vn_time_to_utc_cron(get_settings().debit_run_at)


def run_scheduled(today: date | None = None, context=None) -> dict:
    service = deps.debits()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return service.scheduled(today or service.clock.vn_now().date(), remaining if callable(remaining) else None)


@bp.schedule(Cron(_minute, _hour, "*", "*", "?", "*"))
def run_debits(event):
    start_job(event)
    return run_scheduled(context=event.context)
