"""chalicelib/domain/shapes.py: one dataclass gives the schema, the JSON and the check of a body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

import pytest
from openapi_spec_validator import validate

from chalicelib.domain import identifiers as ids
from chalicelib.domain import vnpay
from chalicelib.domain.shapes import json_schema, parse, spec, to_json
from chalicelib.errors import ValidationError
from chalicelib.services.shapes_payments import BankCode, CreateOrder, OrderItem, OrderView


@dataclass(frozen=True, kw_only=True)
class Line:
    code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    qty: int = field(metadata=spec(min=1, max=9))


@dataclass(frozen=True, kw_only=True)
class Thing:
    name: str = field(metadata=spec(min=2, max=5, description="what it is called"))
    kind: Literal["a", "b"]
    lines: list[Line] = field(metadata=spec(min=1))
    tags: list[str] = field(default_factory=list, metadata=spec(pattern=ids.PERIOD, unique=True))
    note: str | None = None
    ratio: float | None = field(default=None, metadata=spec(min=0, max=1))
    on: bool = False


GOOD = {"name": "abc", "kind": "a", "lines": [{"code": "0103105", "qty": 2}]}


def test_the_schema_states_every_declaration():
    assert json_schema(Thing) == {
        "type": "object",
        "required": ["name", "kind", "lines"],
        "properties": {
            "name": {"type": "string", "minLength": 2, "maxLength": 5, "description": "what it is called"},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "qty"],
                    "properties": {
                        "code": {"type": "string", "pattern": ids.CUSTOMER_CODE},
                        "qty": {"type": "integer", "minimum": 1, "maximum": 9},
                    },
                    "additionalProperties": False,
                },
                "minItems": 1,
            },
            "tags": {"type": "array", "items": {"type": "string", "pattern": ids.PERIOD}, "uniqueItems": True},
            "note": {"type": "string", "nullable": True},
            "ratio": {"type": "number", "minimum": 0, "maximum": 1, "nullable": True},
            "on": {"type": "boolean"},
        },
        "additionalProperties": False,
    }
    assert "additionalProperties" not in json_schema(Thing, closed=False)
    assert json_schema(Thing) is not json_schema(Thing)  # a new dict each call: callers may extend it


def test_a_nullable_enum_lists_null():
    assert json_schema(CreateOrder, closed=False)["properties"]["bank_code"]["enum"] == [*vnpay.BANK_CODES, None]


def test_to_json_keeps_the_declared_order_and_nests():
    thing = parse(Thing, GOOD)
    assert thing == Thing(name="abc", kind="a", lines=[Line(code="0103105", qty=2)])
    assert to_json(thing) == {
        "name": "abc",
        "kind": "a",
        "lines": [{"code": "0103105", "qty": 2}],
        "tags": [],
        "note": None,
        "ratio": None,
        "on": False,
    }
    assert list(to_json(thing)) == ["name", "kind", "lines", "tags", "note", "ratio", "on"]


@pytest.mark.parametrize(
    "change,field_name",
    [
        ({"name": None}, "name"),
        ({"name": 5}, "name"),
        ({"name": "a"}, "name"),
        ({"name": "abcdef"}, "name"),
        ({"kind": "c"}, "kind"),
        ({"kind": None}, "kind"),
        ({"lines": []}, "lines"),
        ({"lines": {}}, "lines"),
        ({"lines": [{"code": "12", "qty": 1}]}, "lines[0].code"),
        ({"lines": [{"code": "0103105"}]}, "lines[0].qty"),
        ({"lines": [{"code": "0103105", "qty": True}]}, "lines[0].qty"),
        ({"lines": [{"code": "0103105", "qty": 1.5}]}, "lines[0].qty"),
        ({"lines": [{"code": "0103105", "qty": 10}]}, "lines[0].qty"),
        ({"lines": ["x"]}, "lines[0]"),
        ({"tags": ["2026-13"]}, "tags[0]"),
        ({"tags": ["2026-01", "2026-01"]}, "tags"),
        ({"ratio": 2}, "ratio"),
        ({"ratio": "1"}, "ratio"),
        ({"on": 1}, "on"),
    ],
)
def test_parse_names_the_field_that_fails(change, field_name):
    with pytest.raises(ValidationError) as e:
        parse(Thing, {**GOOD, **change})
    assert e.value.field == field_name and e.value.code == "VALIDATION_ERROR"
    assert e.value.message_en.startswith(field_name + " ")
    assert e.value.message_vi.startswith(f"Trường {field_name} ")


def test_parse_required_null_defaults_and_other_keys():
    with pytest.raises(ValidationError) as e:
        parse(Thing, {"kind": "a", "lines": []})
    assert e.value.field == "name" and e.value.message_en == "name is required"
    thing = parse(Thing, {**GOOD, "note": None, "ratio": 1, "extra": 1})
    assert thing.note is None and thing.ratio == 1 and thing.tags == []
    with pytest.raises(ValidationError) as e:
        parse(Thing, {**GOOD, "extra": 1}, closed=True)
    assert e.value.field == "extra"
    with pytest.raises(ValidationError) as e:
        parse(Thing, ["not", "an", "object"])
    assert e.value.code == "INVALID_JSON" and e.value.field is None


def test_a_field_message_replaces_the_generic_one_word_for_word():
    for body in ({}, {"invoice_ids": []}, {"invoice_ids": ["x", "x"]}, {"invoice_ids": [1]}, {"invoice_ids": ["a b"]}):
        with pytest.raises(ValidationError) as e:
            parse(CreateOrder, body)
        assert e.value.field == "invoice_ids"
        assert e.value.message_en == "invoice_ids must list 1 to 20 distinct invoice ids"
        assert e.value.message_vi == "invoice_ids phải có từ 1 đến 20 mã hoá đơn khác nhau."
    with pytest.raises(ValidationError) as e:
        parse(CreateOrder, {"invoice_ids": ["INV-1"], "bank_code": "PAYPAL"})
    assert (e.value.field, e.value.message_vi) == ("bank_code", "Mã phương thức thanh toán không hợp lệ.")
    assert parse(CreateOrder, {"invoice_ids": ["INV-1"], "bank_code": None, "amount": 1}) == CreateOrder(
        invoice_ids=["INV-1"]
    )


def test_the_bank_codes_are_vnpays():
    assert get_args(BankCode) == vnpay.BANK_CODES


def test_the_order_schemas_are_valid_openapi():
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Order": json_schema(OrderView), "CreateOrder": json_schema(CreateOrder)}},
    }
    validate(doc)
    view = OrderView(
        order_id="K0123456789AB",
        status="paid",
        amount=10,
        fee=0,
        currency="VND",
        invoice_ids=["INV-1"],
        items=[OrderItem(invoice_id="INV-1", customer_code="01031059", period="2026-11", amount=10)],
        payment_url="https://pay",
        qr_payload="000201",
        qr_png_url="/v1/payments/K0123456789AB/qr.png",
        created_at="2026-11-01T10:00:00+07:00",
        expires_at="2026-11-01T10:15:00+07:00",
        paid_at=None,
        transaction_no=None,
        credit_amount=0,
        payment_reference="TDK0123456789ABM",
        vietqr_payload=None,
    )
    assert set(to_json(view)) == set(json_schema(OrderView)["required"])


def test_a_type_a_shape_cannot_state_is_refused():
    @dataclass(frozen=True)
    class Bad:
        x: dict[str, int]

    with pytest.raises(TypeError):
        json_schema(Bad)
