"""OpenAPI paths of the reminder preferences (merged by openapi.document())."""
from __future__ import annotations

from chalicelib.api.openapi import CODE, _STR, _obj, _op

_CHANNELS = {"type": "array", "minItems": 1, "maxItems": 4, "uniqueItems": True,
             "items": {"type": "string", "enum": ["sms", "email", "push", "zalo"]}}
PREFERENCES = _obj(["customer_code", "channels", "opt_out", "push_registered"], customer_code=_STR,
                   channels=_CHANNELS, opt_out={"type": "boolean"}, email={"type": "string", "nullable": True},
                   push_registered={"type": "boolean"})

PATHS = {
    "/v1/me/notifications": {"put": _op(
        "Payment-reminder preferences of your linked codes (or of one, `customer_code`): channels, opt-out, "
        "e-mail", (200, "Preferences now", _obj(["customers"], customers={"type": "array", "items": PREFERENCES})),
        body={"type": "object", "properties": {"customer_code": CODE, "channels": _CHANNELS,
                                               "opt_out": {"type": "boolean"},
                                               "email": {"type": "string", "format": "email"}}},
        secured=True, errors=(400, 404))},
    "/v1/me/push-token": {"post": _op(
        "Register the CSKH app's device token for push reminders (an SNS platform endpoint)",
        (201, "Registered", _obj(["registered", "platform", "customer_codes"], registered={"type": "boolean"},
                                 platform=_STR, customer_codes={"type": "array", "items": _STR})),
        body=_obj(["token", "platform"], token=_STR, platform={"type": "string", "enum": ["android", "ios"]},
                  customer_code=CODE),
        secured=True, errors=(400, 503))},
}
