"""Service requests past their target time (issue 18, services/tickets.py): every 5 minutes one counting
Query of the tickets' by_state index (open ones whose target time has passed, never a Scan) gives the metric
TicketsOverdue (EMF, namespace CSKH), which raises TicketsOverdueAlarm; managers list them with
GET /v1/admin/tickets?overdue=true. `make job NAME=tickets_sweep` runs it locally."""

from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib import deps
from chalicelib.middleware import start_job
from chalicelib.observability import emit_counts

bp = Blueprint(__name__)


def sweep() -> dict:
    result = deps.tickets().sweep()
    emit_counts({"TicketsOverdue": result["overdue"]})
    return result


@bp.schedule(Rate(5, unit=Rate.MINUTES))
def tickets_sweep(event):
    start_job(event)
    return sweep()
