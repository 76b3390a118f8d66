"""OpenAPI paths of the kpis blueprint (api/kpis.py): the managers' KPIs and the audit trail."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import PERIOD, STR, op, pattern, query
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_kpis import AuditView, Report

# The answers' shapes are declared once, in services/shapes_kpis.py (KpiService builds them).
REPORT = json_schema(Report)
AUDIT = json_schema(AuditView)
_DAY = {"type": "integer", "minimum": 1, "maximum": 31}

_kpis = op(
    "The period's KPIs per staff member, branch and company: reading rate (goal 99 %), collection rate "
    "by the end of round 1 and of the sweep (goal 95 %), outstanding debt. JSON, or CSV (UTF-8 with BOM) "
    "with format=csv or Accept: text/csv",
    (200, "The report", REPORT),
    secured=True,
    errors=(400,),
    tag="managers",
    params=[
        query("period", dict(PERIOD, description="2000-01 to 2099-12"), required=True),
        query("branch", {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"}),
        query("format", {"type": "string", "enum": ["json", "csv"]}),
        query("round1_day", dict(_DAY, default=15)),
        query("sweep_day", dict(_DAY, default=22)),
    ],
)
_kpis["responses"]["200"]["content"]["text/csv"] = {"schema": STR}

PATHS: dict[str, Any] = {
    "/v1/admin/kpis": {"get": _kpis},
    "/v1/admin/audit": {
        "get": op(
            "An entity's audit trail, or one person's changes (actor=admin:<username>), newest first: "
            "who, when, action, before/after",
            (200, "Entries", AUDIT),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[
                query("actor", pattern(ids.AUDIT_ACTOR)),
                query(
                    "entity",
                    pattern(
                        ids.AUDIT_ENTITY,
                        example="route#RT-202405-ghithu01-a1b2c3",
                        description="tariff#<area>#<class>, route#<id>, staff#<login>, credit#<payment_id>, "
                        "invoice#<id>, handover#<staff>#<date>",
                    ),
                ),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
            ],
        )
    },
}
