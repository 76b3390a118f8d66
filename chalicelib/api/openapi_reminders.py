"""OpenAPI paths of the reminders blueprint (api/reminders.py): payment-reminder preferences and push tokens."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import CODE, op, query
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_reminders import PreferencesNow, PushRegistered, PushToken, SetPreferences

# The shapes are declared once, in services/shapes_reminders.py (ReminderService parses and builds them).
# At least one setting to change: ReminderService's own check, stated here beside the shape.
SET_PREFERENCES = dict(
    json_schema(SetPreferences, closed=False),
    description="null, like absent: unchanged (customer_code: every linked code)",
    anyOf=[
        {"required": ["channels"], "properties": {"channels": {"type": "array"}}},
        {"required": ["opt_out"], "properties": {"opt_out": {"type": "boolean"}}},
        {"required": ["email"], "properties": {"email": {"type": "string"}}},
    ],
)

PATHS: dict[str, Any] = {
    "/v1/me/notifications": {
        "get": op(
            "Payment-reminder preferences of your linked codes (or of one, `customer_code`), as they are",
            (200, "Preferences now", json_schema(PreferencesNow)),
            secured=True,
            errors=(400,),
            params=[query("customer_code", CODE)],
        ),
        "put": op(
            "Payment-reminder preferences of your linked codes (or of one, `customer_code`): channels, opt-out, e-mail",
            (200, "Preferences now", json_schema(PreferencesNow)),
            body=SET_PREFERENCES,
            secured=True,
            errors=(400, 404),
        ),
    },
    "/v1/me/push-token": {
        "post": op(
            "Register the CSKH app's device token for push reminders (an SNS platform endpoint)",
            (201, "Registered", json_schema(PushRegistered)),
            body=json_schema(PushToken, closed=False),
            secured=True,
            errors=(400, 503),
        )
    },
}
