"""services/shapes_auth.py and shapes_accounts.py: the sign-in bodies tell a fault in the words the hand
checks used (code VALIDATION_ERROR, the field, English and Vietnamese), and domain/shapes.py's
`fullmatch` and `schema` keys do what they say."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

import pytest
from openapi_spec_validator import validate

from chalicelib.domain import identifiers as ids
from chalicelib.domain.accounts import ROW_KINDS
from chalicelib.domain.shapes import json_schema, parse, spec
from chalicelib.errors import ValidationError
from chalicelib.services import shapes_accounts, shapes_auth
from chalicelib.services.shapes_auth import (
    CodeLookup,
    CustomerCode,
    CustomerLogin,
    LinkCustomer,
    RefreshToken,
    Register,
    ResetPassword,
    UserLogin,
)

CODE_WORDS = ("customer_code must be 6 to 12 digits", "Mã khách hàng phải gồm 6 đến 12 chữ số.")
OTP_WORDS = ("otp must be 6 digits", "Mã xác thực gồm 6 chữ số.")
STRONG = "Nuoc-sach-2024"
GOOD = dict(customer_code="01031059", otp="123456", password=STRONG, new_password=STRONG)


def fault(cls, body):
    with pytest.raises(ValidationError) as caught:
        parse(cls, body)
    e = caught.value
    return e.code, e.field, e.message_en, e.message_vi


@pytest.mark.parametrize(
    ("cls", "body", "field", "words"),
    [
        (CustomerCode, {}, "customer_code", CODE_WORDS),
        (CustomerCode, {"customer_code": None}, "customer_code", CODE_WORDS),
        (CustomerCode, {"customer_code": 1031059}, "customer_code", CODE_WORDS),
        (CustomerCode, {"customer_code": "0103105\u0000"}, "customer_code", CODE_WORDS),
        (Register, dict(GOOD, password=5), "password", ("password must be a string", "Mật khẩu phải là chuỗi ký tự.")),
        (Register, dict(GOOD, otp="12345"), "otp", OTP_WORDS),
        (Register, dict(GOOD, otp=123456), "otp", OTP_WORDS),
        (LinkCustomer, dict(GOOD, otp="123456\n"), "otp", OTP_WORDS),  # fullmatch, as the hand check
        (CustomerLogin, dict(GOOD, password=""), "password", ("password is required", "Vui lòng nhập mật khẩu.")),
        (
            CustomerLogin,
            dict(GOOD, password="x" * 129),
            "password",
            ("password is required", "Vui lòng nhập mật khẩu."),
        ),
        (
            UserLogin,
            {"username": "A!", "password": "x"},
            "username",
            ("username is not valid", "Tên đăng nhập không hợp lệ."),
        ),
        (RefreshToken, {"refresh_token": ""}, "refresh_token", ("refresh_token is required", "Thiếu refresh_token.")),
        (
            RefreshToken,
            {"refresh_token": {"a": 1}},
            "refresh_token",
            ("refresh_token is required", "Thiếu refresh_token."),
        ),
        (CodeLookup, {"ledger_no": 5}, "ledger_no", ("ledger_no must be a string", "ledger_no phải là chuỗi ký tự.")),
        (CodeLookup, {"house_no": 5}, "house_no", ("house_no must be a string", "house_no phải là chuỗi ký tự.")),
        (CodeLookup, {"phone": 907186555}, "phone", ("phone must be a string", "Số điện thoại không hợp lệ.")),
    ],
)
def test_a_fault_is_told_as_the_hand_checks_told_it(cls, body, field, words):
    assert fault(cls, body) == ("VALIDATION_ERROR", field, *words)


def test_fields_are_checked_in_the_order_the_service_always_checked_them():
    # The code before the password before the one-time code; the look-up's ledger_no and house_no first.
    assert fault(Register, {"customer_code": "x", "otp": "x", "password": 1})[1] == "customer_code"
    assert fault(Register, {"customer_code": "01031059", "otp": "x", "password": 1})[1] == "password"
    assert fault(ResetPassword, dict(GOOD, otp="x"))[1] == "otp"
    assert fault(CodeLookup, {"phone": 1, "house_no": 2})[1] == "house_no"


def test_nulls_are_absent_and_other_keys_are_ignored():
    assert parse(CodeLookup, {"phone": None, "ledger_no": "LK1", "house_no": None}) == CodeLookup(ledger_no="LK1")
    assert parse(CustomerLogin, dict(GOOD, role="admin")).customer_code == "01031059"


def test_a_new_password_s_policy_is_documented_not_parsed():
    # domain/passwords.py checks it after the body (400 WEAK_PASSWORD); the document states its length.
    assert parse(Register, dict(GOOD, password="x")).password == "x"
    schema = json_schema(Register, closed=False)["properties"]["password"]
    assert (schema["minLength"], schema["maxLength"]) == (8, 128)


def test_fullmatch_and_schema_keys():
    @dataclass(frozen=True, kw_only=True)
    class Thing:
        loose: str = field(metadata=spec(pattern=ids.OTP))
        whole: list[str] = field(default_factory=list, metadata=spec(pattern=ids.OTP, fullmatch=True))
        noted: str = field(default="", metadata=spec(schema={"minLength": 3}, description="d"))

    assert parse(Thing, {"loose": "123456\n"}).loose == "123456\n"  # re.match: `$` before a final newline
    assert fault(Thing, {"loose": "1", "whole": ["123456"]})[1] == "loose"
    assert fault(Thing, {"loose": "123456", "whole": ["123456", "123456\n"]})[1] == "whole[1]"
    assert parse(Thing, {"loose": "123456", "noted": "x"}).noted == "x"
    props = json_schema(Thing)["properties"]
    assert props["whole"] == {"type": "array", "items": {"type": "string", "pattern": ids.OTP}}
    assert props["noted"] == {"type": "string", "minLength": 3, "description": "d"}


def test_the_types_match_the_domain_s_lists():
    assert get_args(shapes_accounts.RowKind) == ROW_KINDS


def test_every_shape_is_a_valid_openapi_schema():
    shapes = [
        getattr(module, name)
        for module in (shapes_auth, shapes_accounts)
        for name in dir(module)
        if isinstance(getattr(module, name), type) and getattr(module, name).__module__ == module.__name__
    ]
    schemas = {cls.__name__: json_schema(cls) for cls in shapes}
    assert {"TokenPair", "Account", "Statement", "AdminStatement", "Register"} <= set(schemas)
    validate(
        {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}, "components": {"schemas": schemas}}
    )
