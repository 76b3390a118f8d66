"""OpenAPI paths of the self-readings blueprint (api/self_readings.py): a customer's own meter reading and
managers' review of held readings (issue 18); shapes in services/shapes_self_readings.py."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import CODE, READING_ID, answers_again, op, path_param, query
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_self_readings import (
    ApproveReading,
    HeldReadings,
    ReadingReviewed,
    RereadReading,
    SelfReadingSent,
    SelfReadingState,
    SelfReadingView,
)

_VIEW = json_schema(SelfReadingView)

PATHS: dict[str, Any] = {
    "/v1/me/customers/{code}/readings": {
        "get": op(
            "When your meter is read, the days you may read it yourself, and the last reading you sent",
            (200, "Self-reading", json_schema(SelfReadingState)),
            secured=True,
            errors=(400,),
            params=[path_param("code", CODE)],
        ),
        "post": answers_again(
            op(
                "Send your meter's index with its photo (POST /v1/me/photos, purpose self_reading) in the days "
                "before your route's reading day: queued (202) and judged by the staff's rules; billed if they "
                "pass, otherwise it waits for the staff's visit. The same reading_id again answers the first",
                (202, "Queued", _VIEW),
                body=json_schema(SelfReadingSent, closed=False),
                secured=True,
                errors=(400, 409),
                params=[path_param("code", CODE)],
            ),
            "Sent before: what became of it",
            _VIEW,
        ),
    },
    "/v1/me/customers/{code}/readings/{reading_id}": {
        "get": op(
            "What became of a reading you sent: queued, billed, or waiting for the staff's visit, and why",
            (200, "Reading", _VIEW),
            secured=True,
            errors=(400, 404),
            params=[path_param("code", CODE), path_param("reading_id", READING_ID)],
        )
    },
    "/v1/admin/readings/held": {
        "get": op(
            "Field readings whose bill waits for a manager (a spike, a drop, an unusual cycle), oldest first, "
            "with a link to the meter photo",
            (200, "Held readings", json_schema(HeldReadings)),
            secured=True,
            tag="managers",
            params=[
                query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
                query("cursor", {"type": "string", "minLength": 1}),
            ],
        )
    },
    "/v1/admin/readings/{reading_id}/approve": {
        "post": op(
            "Approve a held reading: it is billed as read (once; audited)",
            (200, "Billed", json_schema(ReadingReviewed)),
            body=json_schema(ApproveReading, closed=False),
            secured=True,
            tag="managers",
            errors=(400, 404, 409),
            params=[path_param("reading_id", READING_ID)],
        )
    },
    "/v1/admin/readings/{reading_id}/reread": {
        "post": op(
            "Send a held reading back: no bill, the staff's route shows the meter to read again (audited)",
            (200, "Rejected", json_schema(ReadingReviewed)),
            body=json_schema(RereadReading, closed=False),
            secured=True,
            tag="managers",
            errors=(400, 404, 409),
            params=[path_param("reading_id", READING_ID)],
        )
    },
}
