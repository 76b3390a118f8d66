"""Managers: the period's KPIs (JSON or CSV for Excel) and the audit trail of an entity."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import csv_response, handled, query, wants_csv

bp = Blueprint(__name__)
api = handled(bp)


def kpis():
    return deps.kpis()


@bp.route("/v1/admin/kpis", methods=["GET"], authorizer=bearer)
@api
def kpi_report():
    request = bp.current_request
    params = query(request)
    as_csv = wants_csv(request, params)
    report = kpis().report(
        params.get("period"), params.get("branch"), params.get("round1_day"), params.get("sweep_day")
    )
    if not as_csv:
        return report
    name = f"kpis-{report['period']}" + (f"-{report['branch']}" if report["branch"] else "")
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in name)
    return csv_response(kpis().csv(report), f"{safe}.csv")


@bp.route("/v1/admin/audit", methods=["GET"], authorizer=bearer)
@api
def audit_trail():
    params = query(bp.current_request)
    return kpis().audit_trail(params.get("entity"), params.get("limit"), params.get("actor"))
