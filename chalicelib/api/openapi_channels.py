"""OpenAPI paths of the channels blueprint (api/channels.py): paying by bank transfer or authorised debit."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import CODE, STR, array, obj, op, path_param, pattern
from chalicelib.domain import identifiers as ids

CHANNEL_REQUEST = obj(
    ["request_id", "customer_code", "channel", "bank_code", "status"],
    request_id=STR,
    customer_code=CODE,
    channel={"type": "string", "enum": ["bank_transfer", "authorised_debit"]},
    bank_code=STR,
    bank=STR,
    account_holder=STR,
    account_no={"type": "string", "example": "****6789", "description": "masked: the last 4 digits"},
    status={"type": "string", "enum": ["pending", "confirmed", "rejected"]},
)

PATHS: dict[str, Any] = {
    "/v1/me/payment-channel": {
        "post": op(
            "Ask to pay by bank transfer or authorised debit at a linked bank (the utility confirms)",
            (202, "Request recorded", CHANNEL_REQUEST),
            body=obj(
                ["customer_code", "channel", "bank_code", "account_holder", "account_no"],
                customer_code=CODE,
                channel={"type": "string", "enum": ["bank_transfer", "authorised_debit"]},
                bank_code={"type": "string", "enum": ["VCB", "AGR", "STB"]},
                account_holder={"type": "string", "minLength": 2, "maxLength": 100, "pattern": r"\S.*\S"},
                account_no=pattern(ids.BANK_ACCOUNT_NO),
            ),
            secured=True,
            errors=(400, 409),
        )
    },
    "/v1/admin/payment-channel-requests": {
        "get": op(
            "Payment-channel requests waiting for the utility",
            (200, "Requests", obj(["requests"], requests=array(CHANNEL_REQUEST))),
            secured=True,
            errors=(),
            tag="managers",
        )
    },
    "/v1/admin/payment-channel-requests/{request_id}": {
        "post": op(
            "Confirm or reject a request; confirming changes the customer's payment channel (audited)",
            (200, "Decided", CHANNEL_REQUEST),
            body=obj(["decision"], decision={"type": "string", "enum": ["confirm", "reject"]}, note=STR),
            secured=True,
            errors=(400, 404, 409),
            tag="managers",
            params=[path_param("request_id")],
        )
    },
}
