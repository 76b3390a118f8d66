"""The reminder preferences' shapes, declared once (chalicelib/domain/shapes.py): the body that
changes them (`SetPreferences`), the app's push token (`PushToken`) and the answers
(`PreferencesNow`, `PushRegistered`). ReminderService parses and builds them; api/openapi_reminders.py
documents them from here. The messages are the ones the hand checks gave, word for word."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec
from chalicelib.services.shapes_auth import CODE

# domain/reminders.CHANNELS as a type (tests/unit/test_shapes_areas.py checks they are the same).
ReminderChannel = Literal["sms", "email", "push", "zalo"]
Platform = Literal["android", "ios"]
EMAIL_MAX = 254

# A list of channels: each at most once, at least one.
_CHANNELS: dict[str, Any] = {"min": 1, "max": 4, "unique": True}


@dataclass(frozen=True, kw_only=True)
class SetPreferences:
    """PUT /v1/me/notifications: null, like absent, leaves a setting unchanged; at least one of
    channels, opt_out, email (ReminderService checks it: api/openapi_reminders.py states it as anyOf)."""

    customer_code: str | None = field(default=None, metadata=spec(**CODE, description="absent: every linked code"))
    channels: list[ReminderChannel] | None = field(
        default=None,
        metadata=spec(
            **_CHANNELS,
            message=(
                "channels: a non-empty list of distinct sms, email, push, zalo",
                "channels phải là danh sách không trùng gồm sms, email, push, zalo.",
            ),
        ),
    )
    opt_out: bool | None = field(
        default=None, metadata=spec(message=("opt_out must be true or false", "opt_out phải là true hoặc false."))
    )
    email: str | None = field(
        default=None,
        metadata=spec(
            pattern=ids.EMAIL,
            max=EMAIL_MAX,
            message=("email is not a valid e-mail address", "Địa chỉ email không hợp lệ."),
        ),
    )


@dataclass(frozen=True, kw_only=True)
class PushToken:
    """POST /v1/me/push-token: the CSKH app's device token (platform first: it is checked first)."""

    platform: Platform = field(
        metadata=spec(message=("platform must be android or ios", "platform phải là android hoặc ios."))
    )
    token: str = field(
        metadata=spec(
            pattern=ids.PUSH_TOKEN,
            message=("token must be the app's device token", "Mã thiết bị (token) không hợp lệ."),
        )
    )
    customer_code: str | None = field(default=None, metadata=spec(**CODE, description="absent: every linked code"))


@dataclass(frozen=True, kw_only=True)
class Preferences:
    """One customer code's reminder settings."""

    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    channels: list[ReminderChannel] = field(metadata=spec(**_CHANNELS))
    opt_out: bool
    email: str | None
    push_registered: bool


@dataclass(frozen=True, kw_only=True)
class PreferencesNow:
    """PUT /v1/me/notifications: the settings of the codes it changed, as they are now."""

    customers: list[Preferences]


@dataclass(frozen=True, kw_only=True)
class PushRegistered:
    """POST /v1/me/push-token: the codes whose reminders now also go to this device."""

    registered: bool
    platform: Platform
    customer_codes: list[str] = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
