"""OpenAPI paths of the channels blueprint (api/channels.py): paying by bank transfer or authorised debit."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import op, path_param
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_channels import ChannelRequest, Decision, PendingRequests, RequestChannel

# The shapes are declared once, in services/shapes_channels.py (ChannelService parses and builds them).
CHANNEL_REQUEST = json_schema(ChannelRequest)

PATHS: dict[str, Any] = {
    "/v1/me/payment-channel": {
        "post": op(
            "Ask to pay by bank transfer or authorised debit at a linked bank (the utility confirms)",
            (202, "Request recorded", CHANNEL_REQUEST),
            body=json_schema(RequestChannel, closed=False),
            secured=True,
            errors=(400, 409),
        )
    },
    "/v1/admin/payment-channel-requests": {
        "get": op(
            "Payment-channel requests waiting for the utility",
            (200, "Requests", json_schema(PendingRequests)),
            secured=True,
            errors=(),
            tag="managers",
        )
    },
    "/v1/admin/payment-channel-requests/{request_id}": {
        "post": op(
            "Confirm or reject a request; confirming changes the customer's payment channel (audited)",
            (200, "Decided", CHANNEL_REQUEST),
            body=json_schema(Decision, closed=False),
            secured=True,
            errors=(400, 404, 409),
            tag="managers",
            params=[path_param("request_id")],
        )
    },
}
