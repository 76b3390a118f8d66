"""OpenAPI paths of the managers' KPIs and audit trail (merged by openapi.document())."""

from __future__ import annotations

from chalicelib.api.openapi import _INT, _STR, _obj, _op, _query

_RATE = {
    "type": "number",
    "nullable": True,
    "minimum": 0,
    "maximum": 100,
    "description": "percent, one decimal, half up; null when nothing to count",
}
_FLAG = {"type": "boolean", "nullable": True}
_FIGURES = dict(
    customers=dict(_INT, description="distinct customers on the period's routes"),
    readings=dict(_INT, description="of those, customers with a reading of the period (any status)"),
    reading_rate=_RATE,
    invoices=dict(_INT, description="the period's invoices of those customers, not cancelled"),
    billed=dict(_INT, description="sum of their totals, VND"),
    paid_round1=_INT,
    collection_rate_round1=_RATE,
    paid_after_sweep=_INT,
    collection_rate_after_sweep=_RATE,
    paid=_INT,
    paid_by_channel={"type": "object", "additionalProperties": _INT},
    outstanding=dict(_INT, description="unpaid amount now, VND"),
    outstanding_invoices=_INT,
    outstanding_rate=dict(_RATE, description="outstanding / billed, percent of the amount"),
    meets_reading_goal=_FLAG,
    meets_collection_goal=_FLAG,
)
_ROW = _obj(list(_FIGURES), **_FIGURES)
_STAFF_ROW = _obj(
    ["staff"] + list(_FIGURES),
    staff=_STR,
    full_name={"type": "string", "nullable": True},
    branch={"type": "string", "nullable": True},
    **_FIGURES,
)
_BRANCH_ROW = _obj(["branch"] + list(_FIGURES), branch={"type": "string", "nullable": True}, **_FIGURES)
_DATE = {"type": "string", "format": "date"}
REPORT = _obj(
    ["period", "round1_ends", "sweep_ends", "staff", "branches", "company", "goals"],
    period=_STR,
    branch={"type": "string", "nullable": True},
    round1_ends=_DATE,
    sweep_ends=_DATE,
    staff={"type": "array", "items": _STAFF_ROW},
    branches={"type": "array", "items": _BRANCH_ROW},
    company=_ROW,
    goals=_obj(["reading", "collection"], reading=_INT, collection=_INT),
)
_DAY = {"type": "integer", "minimum": 1, "maximum": 31}
_JSON_ANY = {"nullable": True, "description": "the JSON value recorded"}
AUDIT = _obj(
    ["entries"],
    entity=_STR,
    actor=_STR,
    entries={
        "type": "array",
        "items": _obj(
            ["at", "actor", "action", "before", "after"],
            at={"type": "string", "format": "date-time"},
            actor=_STR,
            entity=_STR,
            action=_STR,
            before=_JSON_ANY,
            after=_JSON_ANY,
        ),
    },
)

_kpis = _op(
    "The period's KPIs per staff member, branch and company: reading rate (goal 99 %), collection rate "
    "by the end of round 1 and of the sweep (goal 95 %), outstanding debt. JSON, or CSV (UTF-8 with BOM) "
    "with format=csv or Accept: text/csv",
    (200, "The report", REPORT),
    secured=True,
    errors=(400,),
    tag="managers",
    params=[
        {
            "name": "period",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "pattern": r"^20\d{2}-(0[1-9]|1[0-2])$"},
        },
        _query("branch", {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"}),
        _query("format", {"type": "string", "enum": ["json", "csv"]}),
        _query("round1_day", dict(_DAY, default=15)),
        _query("sweep_day", dict(_DAY, default=22)),
    ],
)
_kpis["responses"]["200"]["content"]["text/csv"] = {"schema": _STR}

PATHS: dict = {
    "/v1/admin/kpis": {"get": _kpis},
    "/v1/admin/audit": {
        "get": _op(
            "An entity's audit trail, or one person's changes (actor=admin:<username>), newest first: "
            "who, when, action, before/after",
            (200, "Entries", AUDIT),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[
                _query("actor", {"type": "string", "pattern": r"^(admin|staff|customer|system):[A-Za-z0-9._-]{1,64}$"}),
                {
                    "name": "entity",
                    "in": "query",
                    "required": False,
                    "schema": dict(
                        _STR,
                        pattern=r"^[a-z_]{2,32}#[^\s]{1,200}$",
                        example="route#RT-202405-ghithu01-a1b2c3",
                        description="tariff#<area>#<class>, route#<id>, staff#<login>, credit#<payment_id>, "
                        "invoice#<id>, handover#<staff>#<date>",
                    ),
                },
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
            ],
        )
    },
}
