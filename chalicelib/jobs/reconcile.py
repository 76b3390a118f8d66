"""Every five minutes: orders still pending past their expiry are checked
with VNPay (querydr), so a lost IPN costs nothing."""
from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib import deps
from chalicelib.middleware import start_job

bp = Blueprint(__name__)


@bp.schedule(Rate(5, unit=Rate.MINUTES))
def reconcile_payments(event):
    start_job(event)
    return deps.get("payments").reconcile()
