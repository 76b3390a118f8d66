"""Every five minutes: orders still pending past their expiry are checked
with VNPay (querydr), so a lost IPN costs nothing."""
from __future__ import annotations

from chalice import Blueprint, Cron, Rate

from chalicelib import deps
from chalicelib.middleware import start_job
from chalicelib.observability import emit_counts

bp = Blueprint(__name__)


@bp.schedule(Rate(5, unit=Rate.MINUTES))
def reconcile_payments(event):
    from chalicelib.services.payments import ReconcileIncomplete

    start_job(event)
    try:
        counts = deps.get("payments").reconcile()
    except ReconcileIncomplete as incomplete:
        record_vnpay_health(incomplete.counts)
        raise
    record_vnpay_health(counts)
    return counts


def record_vnpay_health(counts: dict) -> None:
    """What VNPay's querydr did not answer, or answered with another amount: metrics with alarms
    (infra: VnpayUnansweredAlarm, VnpayAmountMismatchAlarm). A log line alone would go unseen."""
    emit_counts({"ReconcileUnanswered": counts.get("unanswered", 0),
           "ReconcileAmountMismatch": counts.get("mismatch", 0)})


@bp.schedule(Cron(0, 1, "*", "*", "?", "*"))   # 01:00 UTC = 08:00 in Vietnam
def payments_report(event):
    start_job(event)
    report = deps.get("payments").daily_report()
    # Money to refund, refunds failed or unconfirmed, orders VNPay never settled: PaymentsNeedingAPersonAlarm.
    emit_counts({"PaymentsNeedingAPerson": report["mismatches"]})
    return report

