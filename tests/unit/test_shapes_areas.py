"""The shapes of reminders, payment channels, imports, KPIs and the privacy export
(services/shapes_<area>.py): the types that restate a domain tuple say the same values, the bodies
keep the hand checks' messages, and the schemas are valid OpenAPI."""

from __future__ import annotations

from typing import get_args

import pytest
from openapi_spec_validator import validate

from chalicelib.domain import reminders
from chalicelib.domain.shapes import json_schema, parse
from chalicelib.errors import ValidationError
from chalicelib.services import channels
from chalicelib.services.shapes_channels import Decision, LinkedBank, PendingRequests, RequestChannel
from chalicelib.services.shapes_imports import ImportView, Upload
from chalicelib.services.shapes_kpis import AuditView, Report
from chalicelib.services.shapes_privacy import Export
from chalicelib.services.shapes_reminders import (
    PreferencesNow,
    PushRegistered,
    PushToken,
    ReminderChannel,
    SetPreferences,
)


def test_the_types_say_the_domains_values():
    assert get_args(ReminderChannel) == reminders.CHANNELS
    assert get_args(LinkedBank) == tuple(channels.LINKED_BANKS)


@pytest.mark.parametrize(
    ("shape", "body", "field", "message"),
    [
        (SetPreferences, {"channels": []}, "channels", "channels: a non-empty list of distinct sms, email, push, zalo"),
        (SetPreferences, {"channels": ["sms", "sms"]}, "channels", None),
        (SetPreferences, {"opt_out": "yes"}, "opt_out", "opt_out must be true or false"),
        (SetPreferences, {"email": "x" * 250 + "@a.vn"}, "email", "email is not a valid e-mail address"),
        (PushToken, {"token": "t" * 20}, "platform", "platform must be android or ios"),
        (PushToken, {"platform": "ios", "token": "short"}, "token", "token must be the app's device token"),
        (RequestChannel, {"customer_code": "12345678", "channel": "cash"}, "channel", None),
        (Decision, {"decision": "maybe"}, "decision", "decision must be confirm or reject"),
    ],
)
def test_a_body_is_told_what_the_hand_checks_said(shape, body, field, message):
    with pytest.raises(ValidationError) as e:
        parse(shape, body)
    assert e.value.field == field
    if message is not None:
        assert e.value.message_en == message


def test_the_account_holder_is_kept_without_its_outer_spaces():
    body = {
        "customer_code": "12345678",
        "channel": "bank_transfer",
        "bank_code": "VCB",
        "account_holder": "  NGUYEN VAN A ",
        "account_no": "0123456789",
    }
    assert parse(RequestChannel, body).account_holder == "NGUYEN VAN A"
    with pytest.raises(ValidationError) as e:
        parse(RequestChannel, dict(body, account_holder="  A  "))
    assert (e.value.field, e.value.message_en) == ("account_holder", "account_holder is required")


def test_a_note_that_is_not_a_string_is_not_refused():
    assert parse(Decision, {"decision": "reject", "note": 5}).note == 5


def test_the_schemas_are_valid_openapi():
    shapes = [SetPreferences, PreferencesNow, PushToken, PushRegistered, RequestChannel, Decision, PendingRequests]
    shapes += [Upload, ImportView, Report, AuditView, Export]
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {s.__name__: json_schema(s) for s in shapes}},
    }
    validate(doc)
