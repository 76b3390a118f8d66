"""OpenAPI paths of the readings blueprint (api/readings.py): meter readings sent by the staff app."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    BOOL,
    CODE,
    INT,
    INVOICE_DETAIL,
    NSTR,
    PERIOD,
    READING_ID,
    STR,
    array,
    obj,
    path_param,
    staff_op,
)

READING = obj(
    ["reading_id", "customer_code", "period", "new_index", "read_at"],
    reading_id=READING_ID,
    customer_code=CODE,
    period=PERIOD,
    new_index={"type": "integer", "minimum": 0, "maximum": 10**9 - 1},
    read_at={"type": "string", "format": "date-time"},
    lat={"type": "number", "minimum": -90, "maximum": 90, "nullable": True},
    lng={"type": "number", "minimum": -180, "maximum": 180, "nullable": True},
)
_STATUS = {"type": "string", "enum": ["queued", "billed", "flagged", "rejected"]}
REASON = obj(["code", "message_vi"], code=STR, message_vi=STR, message_en=STR)

PATHS: dict[str, Any] = {
    "/v1/staff/readings": {
        "post": staff_op(
            "Send a reading, or an offline batch {readings: [...]}: stored once per reading_id, queued, 202",
            (
                202,
                "Accepted",
                obj(
                    ["accepted", "readings"],
                    accepted=INT,
                    readings=array(
                        obj(
                            ["reading_id", "status", "duplicate"],
                            reading_id=READING_ID,
                            status=_STATUS,
                            duplicate=BOOL,
                        )
                    ),
                ),
            ),
            body={
                "anyOf": [
                    dict(READING, **{"not": {"required": ["readings"]}}),
                    obj(["readings"], readings=array(READING, minItems=1, maxItems=100)),
                ]
            },
            errors=(400, 409),
        )
    },
    "/v1/staff/readings/{reading_id}": {
        "get": staff_op(
            "What became of a reading: queued, billed, flagged or rejected, the reasons, the invoice, "
            "and whether cash may be collected on the spot",
            (
                200,
                "Reading",
                obj(
                    ["reading_id", "status", "customer_code", "period", "new_index", "reasons", "collect_on_spot"],
                    reading_id=READING_ID,
                    status=_STATUS,
                    customer_code=CODE,
                    period=PERIOD,
                    new_index=INT,
                    read_at=dict(STR, description="as the device sent it: ISO 8601 with its offset"),
                    reasons=array(REASON, description="why it was flagged or rejected"),
                    invoice_id=NSTR,
                    invoice=dict(INVOICE_DETAIL, description="the invoice it billed, once billed"),
                    collect_on_spot=BOOL,
                    print={"type": "string", "enum": ["receipt", "notice", "none"]},
                    why_not_collect=dict(array(STR), nullable=True),
                ),
            ),
            errors=(400, 404),
            params=[path_param("reading_id", READING_ID)],
        )
    },
}
