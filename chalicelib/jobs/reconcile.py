"""Every five minutes: orders still pending past their expiry are checked
with VNPay (querydr), so a lost IPN costs nothing."""

from __future__ import annotations

from chalice import Blueprint, Cron, Rate

from chalicelib import deps
from chalicelib.middleware import start_job
from chalicelib.observability import emit_counts, logger

bp = Blueprint(__name__)


@bp.schedule(Rate(5, unit=Rate.MINUTES))
def reconcile_payments(event):
    from chalicelib.services.payments import ReconcileIncomplete

    start_job(event)
    refunds = settle_refunds()
    try:
        counts = deps.payments().reconcile()
    except ReconcileIncomplete as incomplete:
        record_vnpay_health(incomplete.counts)
        raise
    record_vnpay_health(counts)
    return dict(counts, refunds=refunds)


def settle_refunds() -> dict:
    """Unconfirmed VNPay refunds, settled by asking VNPay (querydr; services/refunds.py). Trouble here
    must not keep the orders from being reconciled: it is logged and the next run tries again."""
    try:
        return deps.refunds().settle_unconfirmed()
    except Exception:
        logger.exception("settling unconfirmed refunds failed; the next run tries again")
        return {"errors": 1}


def record_vnpay_health(counts: dict) -> None:
    """What VNPay's querydr did not answer, or answered with another amount: metrics with alarms
    (infra: VnpayUnansweredAlarm, VnpayAmountMismatchAlarm). A log line alone would go unseen."""
    emit_counts(
        {"ReconcileUnanswered": counts.get("unanswered", 0), "ReconcileAmountMismatch": counts.get("mismatch", 0)}
    )


@bp.schedule(Cron(0, 1, "*", "*", "?", "*"))  # 01:00 UTC = 08:00 in Vietnam
def payments_report(event):
    start_job(event)
    report = deps.payments().daily_report()
    # Accounts holding credit, refunds waiting for approval, unconfirmed or failed (services/refunds.py).
    refunds = deps.refunds().daily_report()
    report.update({k: v for k, v in refunds.items() if k != "needing_a_person"})
    report["mismatches"] += refunds.get("needing_a_person", 0)
    # Refunds to decide or settle, orders VNPay never settled: PaymentsNeedingAPersonAlarm.
    emit_counts({"PaymentsNeedingAPerson": report["mismatches"]})
    return report
