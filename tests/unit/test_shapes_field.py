"""The field staff's shapes (services/shapes_field.py) and what domain/shapes.py gained for them:
a rule a pattern cannot state (`check`), items of their own, a key sent only sometimes (`omit_none`),
messages that name the field where it sits, and a nested field's own words kept."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest
from openapi_spec_validator import validate

from chalicelib.domain.shapes import json_schema, parse, spec, to_json
from chalicelib.errors import ValidationError
from chalicelib.services import shapes_field as f

READING = {
    "reading_id": "dev-356938-000001",
    "customer_code": "01031059",
    "period": "2024-05",
    "new_index": 300,
    "read_at": "2024-06-05T09:30:00+07:00",
}


def _refused(cls, body):
    with pytest.raises(ValidationError) as e:
        parse(cls, body)
    return e.value


def test_every_field_shape_is_valid_openapi():
    shapes = [c for c in vars(f).values() if isinstance(c, type) and dataclasses.is_dataclass(c)]
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {c.__name__: json_schema(c) for c in shapes}},
    }
    validate(doc)
    assert len(shapes) > 25


def test_a_reading_keeps_the_words_and_the_place_of_each_field():
    e = _refused(f.ReadingBatch, {"readings": [READING, dict(READING, period="2024-5")]})
    assert (e.field, e.message_en, e.message_vi) == (
        "readings[1].period",
        "readings[1].period: YYYY-MM",
        "readings[1].period: dạng YYYY-MM",
    )
    e = _refused(f.ReadingSent, dict(READING, lng=float("nan")))
    assert (e.field, e.message_en) == ("lng", "lng: a number from -180 to 180")
    e = _refused(f.ReadingBatch, {"readings": []})
    assert (e.field, e.message_en) == ("readings", "readings: 1 to 100 readings")
    e = _refused(f.ReadingBatch, {"readings": ["x"]})
    assert e.message_en == "readings[0].reading: must be an object"


def test_checks_normalise_what_they_accept():
    reading = parse(f.ReadingSent, dict(READING, read_at="2024-06-05T09:30+07:00", lat=9, lng=105.1234567))
    assert reading.read_at == "2024-06-05T09:30:00+07:00" and reading.lat == 9.0 and reading.lng == 105.123457
    assert _refused(f.ReadingSent, dict(READING, read_at="2024-06-05T09:30")).field == "read_at"  # no offset
    route = parse(f.NewRoute, {"period": "2026-11", "days": [5, 1, 5], "customer_codes": ["01031059"], "staff": "nv1"})
    assert route.days == [1, 5] and route.branch is None
    staff = parse(f.NewStaff, {"username": "ghithu01", "full_name": "  An  ", "branch": "CM", "password": "x"})
    assert staff.full_name == "An"
    assert _refused(f.NewStaff, {"username": "ghithu01", "full_name": " ", "branch": "CM"}).message_vi == (
        "Vui lòng nhập họ tên."
    )
    login = parse(
        f.StaffLogin, {"device_imei": "356938035643809", "app_version": "", "username": "a.b", "password": "p"}
    )
    assert login.app_version is None  # empty: as if absent, 426
    blank = {"device_imei": "356938035643809", "app_version": " ", "username": "a.b", "password": "p"}
    assert _refused(f.StaffLogin, blank).field == "app_version"  # blanks only: not a version, 400 as before
    assert parse(f.StaffLogin, dict(blank, app_version=" 1.2.0 ")).app_version == "1.2.0"
    assert _refused(f.Handover, {"staff": "nv1", "date": "2024-02-30", "handed_over": 0}).field == "date"


def test_a_check_may_raise_its_own_error():
    body = {"period": "2026-11", "days": [1], "customer_codes": ["01031059", "01031059"], "staff": "nv1"}
    e = _refused(f.NewRoute, body)
    assert (e.field, e.message_en) == ("customer_codes", "a customer appears twice in customer_codes")
    e = _refused(f.NewRoute, dict(body, customer_codes=["12"]))
    assert e.message_en == "customer_codes must be 6 to 12 digits"
    schema = json_schema(f.NewRoute)["properties"]["customer_codes"]
    assert schema["uniqueItems"] is True and schema["items"]["pattern"]  # stated, though the check does it


def test_omit_none_leaves_the_key_out_and_the_schema_says_so():
    shown = f.Printed(invoice_id="INV-1", kind="notice", print_count=1, text="x")
    assert to_json(shown) == {"invoice_id": "INV-1", "kind": "notice", "print_count": 1, "text": "x"}
    assert list(to_json(dataclasses.replace(shown, reprint=False))) == [
        "invoice_id",
        "kind",
        "print_count",
        "reprint",
        "text",
    ]
    schema = json_schema(f.Printed)
    assert "reprint" not in schema["required"] and "nullable" not in schema["properties"]["reprint"]


def test_items_of_a_list_and_any_value():
    @dataclass(frozen=True, kw_only=True)
    class Days:
        days: list[int] = field(metadata=spec(items=spec(min=1, max=31)))
        extra: object | None = None

    assert json_schema(Days)["properties"]["days"]["items"] == {"type": "integer", "minimum": 1, "maximum": 31}
    assert json_schema(Days)["properties"]["extra"] == {"nullable": True}
    assert _refused(Days, {"days": [0]}).field == "days[0]"
    assert parse(Days, {"days": [1], "extra": {"a": [1]}}).extra == {"a": [1]}
