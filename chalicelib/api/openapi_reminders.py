"""OpenAPI paths of the reminders blueprint (api/reminders.py): payment-reminder preferences and push tokens."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import BOOL, CODE, NSTR, array, obj, op, pattern
from chalicelib.domain import identifiers as ids

_CHANNELS = array(
    {"type": "string", "enum": ["sms", "email", "push", "zalo"]}, minItems=1, maxItems=4, uniqueItems=True
)
PREFERENCES = obj(
    ["customer_code", "channels", "opt_out", "push_registered"],
    customer_code=CODE,
    channels=_CHANNELS,
    opt_out=BOOL,
    email=NSTR,
    push_registered=BOOL,
)

PATHS: dict[str, Any] = {
    "/v1/me/notifications": {
        "put": op(
            "Payment-reminder preferences of your linked codes (or of one, `customer_code`): channels, opt-out, e-mail",
            (200, "Preferences now", obj(["customers"], customers=array(PREFERENCES))),
            body={
                "type": "object",
                "description": "null, like absent: unchanged (customer_code: every linked code)",
                "properties": {
                    "customer_code": dict(CODE, nullable=True),
                    "channels": dict(_CHANNELS, nullable=True),
                    "opt_out": {"type": "boolean", "nullable": True},
                    "email": pattern(ids.EMAIL, nullable=True, maxLength=254),
                },
                "anyOf": [
                    {"required": ["channels"], "properties": {"channels": {"type": "array"}}},
                    {"required": ["opt_out"], "properties": {"opt_out": {"type": "boolean"}}},
                    {"required": ["email"], "properties": {"email": {"type": "string"}}},
                ],
            },
            secured=True,
            errors=(400, 404),
        )
    },
    "/v1/me/push-token": {
        "post": op(
            "Register the CSKH app's device token for push reminders (an SNS platform endpoint)",
            (
                201,
                "Registered",
                obj(
                    ["registered", "platform", "customer_codes"],
                    registered=BOOL,
                    platform={"type": "string", "enum": ["android", "ios"]},
                    customer_codes=array(CODE),
                ),
            ),
            body=obj(
                ["token", "platform"],
                token=pattern(ids.PUSH_TOKEN),
                platform={"type": "string", "enum": ["android", "ios"]},
                customer_code=dict(CODE, nullable=True),
            ),
            secured=True,
            errors=(400, 503),
        )
    },
}
