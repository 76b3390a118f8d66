"""OpenAPI paths of the water_cuts blueprint (api/water_cuts.py): managers' water-cut notices, the customer's
own view and the public board."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import CODE, op, path_param, pattern, query
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_water_cuts import (
    WARD_MAX,
    ChangeWaterCut,
    CreateWaterCut,
    MyWaterCuts,
    PublicWaterCuts,
    RestoreWaterCut,
    WaterCutAction,
    WaterCutList,
    WaterCutView,
)

VIEW = json_schema(WaterCutView)
_ID = [path_param("notice_id", pattern(ids.WATER_CUT_ID, example="WC310612A1B2C3D4"))]
_ACTION = json_schema(WaterCutAction, closed=False)


def _action(summary: str, body: dict[str, Any] = _ACTION) -> dict[str, Any]:
    return op(
        summary,
        (200, "The notice now", VIEW),
        body=body,
        secured=True,
        errors=(400, 404, 409),
        tag="managers",
        params=_ID,
    )


PATHS: dict[str, Any] = {
    "/v1/admin/water-cuts": {
        "post": op(
            "Draft a planned or emergency water cut (or publish it at once: `publish`); audited",
            (201, "Drafted (or published)", VIEW),
            body=json_schema(CreateWaterCut, closed=False),
            secured=True,
            errors=(400, 409),
            tag="managers",
        ),
        "get": op(
            "Water-cut notices, newest first",
            (200, "Notices", json_schema(WaterCutList)),
            secured=True,
            tag="managers",
            params=[
                query("status", {"type": "string", "enum": ["draft", "published", "updated", "cancelled", "restored"]}),
                query("limit", {"type": "string", "pattern": r"^([1-9]|[1-9]\d|100)$", "description": "1 to 100 (50)"}),
            ],
        ),
    },
    "/v1/admin/water-cuts/{notice_id}": {
        "get": op(
            "One water-cut notice", (200, "The notice", VIEW), secured=True, errors=(404,), tag="managers", params=_ID
        ),
        "patch": _action(
            "Change a notice from the version read: a draft silently; a published one becomes `updated` and every "
            "affected customer is told again (audited)",
            json_schema(ChangeWaterCut, closed=False),
        ),
    },
    "/v1/admin/water-cuts/{notice_id}/publish": {
        "post": _action("Publish a draft: every affected customer with a channel is told, once (audited)")
    },
    "/v1/admin/water-cuts/{notice_id}/cancel": {
        "post": _action("Cancel a notice; customers told of it are told it is cancelled (audited)")
    },
    "/v1/admin/water-cuts/{notice_id}/restore": {
        "post": _action("The water is back: customers are told (audited)", json_schema(RestoreWaterCut, closed=False))
    },
    "/v1/admin/water-cuts/{notice_id}/notify": {
        "post": _action(
            "Hand the current revision to the notifier again (`queued_revision` behind `revision`); nobody already "
            "told is told twice"
        )
    },
    "/v1/me/water-cuts": {
        "get": op(
            "Current and upcoming water cuts affecting your linked codes (or one, `customer_code`)",
            (200, "Notices, each naming only your codes it affects", json_schema(MyWaterCuts)),
            secured=True,
            params=[query("customer_code", CODE)],
        )
    },
    "/v1/public/water-cuts": {
        "get": op(
            "The public board: published water cuts, current and upcoming (where and when; no customer data)",
            (200, "Notices", json_schema(PublicWaterCuts)),
            tag="public",
            params=[
                query(
                    "ward",
                    {
                        "type": "string",
                        "maxLength": WARD_MAX,
                        "description": "a ward's name or key (Phường 7, phuong-7)",
                        "example": "Phường 7",
                    },
                )
            ],
        )
    },
}
