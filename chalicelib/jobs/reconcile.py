"""Every five minutes: orders still pending past their expiry are checked
with VNPay (querydr), so a lost IPN costs nothing."""
from __future__ import annotations

from chalice import Blueprint, Cron, Rate

from chalicelib import deps
from chalicelib.middleware import start_job

bp = Blueprint(__name__)


@bp.schedule(Rate(5, unit=Rate.MINUTES))
def reconcile_payments(event):
    start_job(event)
    return deps.get("payments").reconcile()


@bp.schedule(Cron(0, 1, "*", "*", "?", "*"))   # 01:00 UTC = 08:00 in Vietnam
def payments_report(event):
    start_job(event)
    return deps.get("payments").daily_report()
