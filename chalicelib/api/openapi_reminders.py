"""OpenAPI paths of the reminder preferences (merged by openapi.document())."""

from __future__ import annotations

from chalicelib.api.openapi import _STR, CODE, _obj, _op

EMAIL = r"^[^@\s<>]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
_CHANNELS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 4,
    "uniqueItems": True,
    "items": {"type": "string", "enum": ["sms", "email", "push", "zalo"]},
}
PREFERENCES = _obj(
    ["customer_code", "channels", "opt_out", "push_registered"],
    customer_code=_STR,
    channels=_CHANNELS,
    opt_out={"type": "boolean"},
    email={"type": "string", "nullable": True},
    push_registered={"type": "boolean"},
)

PATHS = {
    "/v1/me/notifications": {
        "put": _op(
            "Payment-reminder preferences of your linked codes (or of one, `customer_code`): channels, opt-out, e-mail",
            (200, "Preferences now", _obj(["customers"], customers={"type": "array", "items": PREFERENCES})),
            body={
                "type": "object",
                "description": "null, like absent: unchanged (customer_code: every linked code)",
                "properties": {
                    "customer_code": dict(CODE, nullable=True),
                    "channels": dict(_CHANNELS, nullable=True),
                    "opt_out": {"type": "boolean", "nullable": True},
                    "email": {"type": "string", "nullable": True, "maxLength": 254, "pattern": EMAIL},
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
        "post": _op(
            "Register the CSKH app's device token for push reminders (an SNS platform endpoint)",
            (
                201,
                "Registered",
                _obj(
                    ["registered", "platform", "customer_codes"],
                    registered={"type": "boolean"},
                    platform=_STR,
                    customer_codes={"type": "array", "items": _STR},
                ),
            ),
            body=_obj(
                ["token", "platform"],
                token={"type": "string", "pattern": r"^[A-Za-z0-9:_.\-]{16,4096}$"},
                platform={"type": "string", "enum": ["android", "ios"]},
                customer_code=dict(CODE, nullable=True),
            ),
            secured=True,
            errors=(400, 503),
        )
    },
}
