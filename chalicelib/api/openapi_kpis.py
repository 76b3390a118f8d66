"""OpenAPI paths of the kpis blueprint (api/kpis.py): the managers' KPIs and the audit trail."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import DATE, DATETIME, INT, NSTR, PERIOD, STR, array, obj, op, pattern, query
from chalicelib.domain import identifiers as ids

_RATE = {
    "type": "number",
    "nullable": True,
    "minimum": 0,
    "maximum": 100,
    "description": "percent, one decimal, half up; null when nothing to count",
}
_FLAG = {"type": "boolean", "nullable": True}
_FIGURES = dict(
    customers=dict(INT, description="distinct customers on the period's routes"),
    readings=dict(INT, description="of those, customers with a reading of the period (any status)"),
    reading_rate=_RATE,
    invoices=dict(INT, description="the period's invoices of those customers, not cancelled"),
    billed=dict(INT, description="sum of their totals, VND"),
    paid_round1=INT,
    collection_rate_round1=_RATE,
    paid_after_sweep=INT,
    collection_rate_after_sweep=_RATE,
    paid=INT,
    paid_by_channel={"type": "object", "additionalProperties": INT},
    outstanding=dict(INT, description="unpaid amount now, VND"),
    outstanding_invoices=INT,
    outstanding_rate=dict(_RATE, description="outstanding / billed, percent of the amount"),
    meets_reading_goal=_FLAG,
    meets_collection_goal=_FLAG,
)
_ROW = obj(list(_FIGURES), **_FIGURES)
_STAFF_ROW = obj(
    ["staff"] + list(_FIGURES),
    staff=STR,
    full_name=NSTR,
    branch=NSTR,
    **_FIGURES,
)
_BRANCH_ROW = obj(["branch"] + list(_FIGURES), branch=NSTR, **_FIGURES)
REPORT = obj(
    ["period", "round1_ends", "sweep_ends", "staff", "branches", "company", "goals"],
    period=PERIOD,
    branch=NSTR,
    round1_ends=DATE,
    sweep_ends=DATE,
    staff=array(_STAFF_ROW),
    branches=array(_BRANCH_ROW),
    company=_ROW,
    goals=obj(["reading", "collection"], reading=INT, collection=INT),
)
_DAY = {"type": "integer", "minimum": 1, "maximum": 31}
_JSON_ANY = {"nullable": True, "description": "the JSON value recorded"}
AUDIT = obj(
    ["entries"],
    entity=STR,
    actor=STR,
    entries=array(
        obj(
            ["at", "actor", "action", "before", "after"],
            at=DATETIME,
            actor=STR,
            entity=STR,
            action=STR,
            before=_JSON_ANY,
            after=_JSON_ANY,
        )
    ),
)

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
