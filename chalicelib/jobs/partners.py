"""The bill-pay partners' daily reconciliation (services/partner_files.py, docs/partners.md): at 01:00
Vietnam time every partner's file of the day before goes to the bucket; a partner's own file, sent with
a signed PUT, is compared by the imports worker (jobs/imports.py hands those messages here). Differences
go to the suspense list and count in the metric PartnerReconciliationDifferences, which raises
PartnerReconciliationAlarm. `make job NAME=partner_daily_files` runs the first locally."""

from __future__ import annotations

from chalice import Blueprint, Cron

from chalicelib import deps
from chalicelib.middleware import start_job
from chalicelib.observability import emit_counts

bp = Blueprint(__name__)


@bp.schedule(Cron(0, 18, "*", "*", "?", "*"))  # 18:00 UTC = 01:00 in Vietnam: the day before is over
def partner_daily_files(event):
    start_job(event)
    return deps.partner_files().daily_files()


def compare_partner_file(message: dict) -> str:
    """One queued compare ({kind: partner_file, partner_id, day}); what the alarm watches: the differences
    still open, and the lines of the partner's file that could not be read (a difference unseen)."""
    result = deps.partner_files().compare(str(message["partner_id"]), str(message["day"]))
    emit_counts({"PartnerReconciliationDifferences": len(result["differences"]) + result["errors_count"]})
    return "done"
