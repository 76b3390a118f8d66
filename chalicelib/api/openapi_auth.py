"""OpenAPI paths of the auth blueprint (api/auth.py): customer accounts and the managers' login."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import CODE, OTP, OTP_SENT, STR, USERNAME, obj, op, pattern, tokens
from chalicelib.domain import identifiers as ids

PASSWORD = {"type": "string", "minLength": 8, "maxLength": 128}
GIVEN_PASSWORD = {"type": "string", "minLength": 1, "maxLength": 128}
REFRESH = {"type": "string", "minLength": 1}
TOKENS = tokens("customer", "staff", "admin")

PATHS: dict[str, Any] = {
    "/v1/auth/customer-code-lookup": {
        "post": op(
            "Find your customer code from your registered phone, or ledger number and house number",
            (
                200,
                "Matching codes, names and addresses masked",
                obj(
                    ["customers"],
                    customers={
                        "type": "array",
                        "items": obj(["customer_code", "name", "address"], customer_code=CODE, name=STR, address=STR),
                    },
                ),
            ),
            body={
                "type": "object",
                "properties": {
                    "phone": {"type": "string", "nullable": True, "example": "0913 123 456"},
                    "ledger_no": {"type": "string", "nullable": True},
                    "house_no": {"type": "string", "nullable": True},
                },
                "description": "the phone if given (the other two are then not read), else ledger_no and house_no; "
                "null is the same as absent",
                "anyOf": [
                    {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
                    {
                        "required": ["ledger_no", "house_no"],
                        "properties": {
                            "ledger_no": pattern(ids.LEDGER_NO),
                            "house_no": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": r"\S"},
                        },
                    },
                ],
            },
            errors=(400, 429),
        )
    },
    "/v1/auth/register": {
        "post": op(
            "Start registration: a one-time code goes to the phone on file",
            (202, "Code sent", OTP_SENT),
            body=obj(["customer_code"], customer_code=CODE),
            errors=(400, 404, 409, 429),
        )
    },
    "/v1/auth/register/confirm": {
        "post": op(
            "Finish registration with the one-time code and a new password",
            (201, "Account created", TOKENS),
            body=obj(["customer_code", "otp", "password"], customer_code=CODE, otp=OTP, password=PASSWORD),
            errors=(400, 409),
        )
    },
    "/v1/auth/login": {
        "post": op(
            "Log in with customer code and password",
            (200, "Tokens", TOKENS),
            body=obj(["customer_code", "password"], customer_code=CODE, password=GIVEN_PASSWORD),
            errors=(400, 401, 423, 429),
        )
    },
    "/v1/auth/refresh": {
        "post": op(
            "Rotate the refresh token (a reused one ends the session)",
            (200, "New tokens", TOKENS),
            body=obj(["refresh_token"], refresh_token=REFRESH),
            errors=(400, 401),
        )
    },
    "/v1/auth/logout": {
        "post": op(
            "End the session of this refresh token",
            (204, "Logged out", None),
            body=obj(["refresh_token"], refresh_token=REFRESH),
            errors=(400, 401),
        )
    },
    "/v1/auth/password/forgot": {
        "post": op(
            "Send a one-time code to reset the password",
            (202, "Code sent", OTP_SENT),
            body=obj(["customer_code"], customer_code=CODE),
            errors=(400, 404, 409, 429),
        )
    },
    "/v1/auth/password/reset": {
        "post": op(
            "Set a new password with the one-time code",
            (200, "Changed", obj(["password_changed"], password_changed={"type": "boolean"})),
            body=obj(["customer_code", "otp", "new_password"], customer_code=CODE, otp=OTP, new_password=PASSWORD),
            errors=(400,),
        )
    },
    "/v1/admin/login": {
        "post": op(
            "Managers' login",
            (200, "Tokens", TOKENS),
            body=obj(["username", "password"], username=USERNAME, password=GIVEN_PASSWORD),
            errors=(400, 401, 423, 429),
            tag="managers",
        )
    },
}
