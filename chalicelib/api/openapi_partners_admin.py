"""OpenAPI paths of the partners_admin blueprint (api/partners_admin.py): managers keep the bill-pay
partners (docs/partners.md, onboarding)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import op, path_param, pattern
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_partners import CreatePartner, PartnerList, PartnerView, UpdatePartner

PARTNER = json_schema(PartnerView)
_ID = [path_param("partner_id", pattern(ids.PARTNER_ID, example="DEMOBANK"))]

PATHS: dict[str, Any] = {
    "/v1/admin/partners": {
        "get": op("The bill-pay partners", (200, "Partners", json_schema(PartnerList)), secured=True, tag="managers"),
        "post": op(
            "Add a bill-pay partner (audited); its HMAC secret goes in the SSM parameter it names, never here",
            (201, "Added", PARTNER),
            body=json_schema(CreatePartner, closed=False),
            secured=True,
            errors=(400, 409),
            tag="managers",
        ),
    },
    "/v1/admin/partners/{partner_id}": {
        "patch": op(
            "Change a partner (the fields given), from the version read (audited)",
            (200, "Changed", PARTNER),
            body=json_schema(UpdatePartner, closed=False),
            secured=True,
            errors=(400, 404, 409),
            tag="managers",
            params=_ID,
        )
    },
    "/v1/admin/partners/{partner_id}/disable": {
        "post": op(
            "Disable a partner: its requests are refused (401 PARTNER_DISABLED) from now on (audited)",
            (200, "Disabled", PARTNER),
            secured=True,
            errors=(404, 409),
            tag="managers",
            params=_ID,
        )
    },
}
