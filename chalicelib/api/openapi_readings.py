"""OpenAPI paths of the readings blueprint (api/readings.py): meter readings sent by the staff app. The bodies
and answers are services/shapes_field.py's, stated from there."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import INVOICE_DETAIL, READING_ID, path_param, staff_op
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_field import ReadingBatch, ReadingsAccepted, ReadingSent, ReadingView

READING = json_schema(ReadingSent, closed=False)
_VIEW = json_schema(ReadingView)
# The invoice is domain/invoices.detail's, as GET /v1/invoices/{id} answers it.
_VIEW["properties"]["invoice"] = dict(INVOICE_DETAIL, description=_VIEW["properties"]["invoice"]["description"])

PATHS: dict[str, Any] = {
    "/v1/staff/readings": {
        "post": staff_op(
            "Send a reading, or an offline batch {readings: [...]}: stored once per reading_id, queued, 202",
            (202, "Accepted", json_schema(ReadingsAccepted)),
            body={
                "anyOf": [
                    dict(READING, **{"not": {"required": ["readings"]}}),
                    json_schema(ReadingBatch, closed=False),
                ]
            },
            errors=(400, 409),
        )
    },
    "/v1/staff/readings/{reading_id}": {
        "get": staff_op(
            "What became of a reading: queued, billed, flagged or rejected, the reasons, the invoice, "
            "and whether cash may be collected on the spot",
            (200, "Reading", _VIEW),
            errors=(400, 404),
            params=[path_param("reading_id", READING_ID)],
        )
    },
}
