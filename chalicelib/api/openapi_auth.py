"""OpenAPI paths of the auth blueprint (api/auth.py): customer accounts and the managers' login.

The bodies and answers are declared once, in services/shapes_auth.py: AuthService parses the bodies
and builds the answers with them, and the document states them from there. A body is documented open
(other keys are ignored, as ever)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import CODE_SENT, CODE_SENT_ERRORS, op, pattern, tokens
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_auth import (
    CodeLookup,
    CustomerCode,
    CustomerLogin,
    LookupAnswer,
    PasswordChanged,
    RefreshToken,
    Register,
    ResetPassword,
    UserLogin,
)

TOKENS = tokens("customer", "staff", "admin")
# Which of the look-up's fields are read, and their formats then, are rules of AuthService.lookup that a
# shape's fields cannot say: stated here as the body's anyOf.
LOOKUP = dict(
    json_schema(CodeLookup, closed=False),
    description="the phone if given (the other two are then not read), else ledger_no and house_no; "
    "null is the same as absent",
    anyOf=[
        {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
        {
            "required": ["ledger_no", "house_no"],
            "properties": {
                "ledger_no": pattern(ids.LEDGER_NO),
                "house_no": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": r"\S"},
            },
        },
    ],
)


def _post(
    summary: str, ok: tuple[int, str, dict[str, Any] | None], body: type, *errors: int, **kw: Any
) -> dict[str, Any]:
    """A POST whose body is the shape `body` (services/shapes_auth.py), documented open."""
    return {"post": op(summary, ok, body=json_schema(body, closed=False), errors=errors, **kw)}


LOGIN_ERRORS = (400, 401, 423, 429)

PATHS: dict[str, Any] = {
    "/v1/auth/customer-code-lookup": {
        "post": op(
            "Find your customer code from your registered phone, or ledger number and house number",
            (200, "Matching codes, names and addresses masked", json_schema(LookupAnswer)),
            body=LOOKUP,
            errors=(400, 429),
        )
    },
    "/v1/auth/register": _post(
        "Start registration: a one-time code goes to the phone on file", CODE_SENT, CustomerCode, *CODE_SENT_ERRORS
    ),
    "/v1/auth/register/confirm": _post(
        "Finish registration with the one-time code and a new password",
        (201, "Account created", TOKENS),
        Register,
        400,
        409,
    ),
    "/v1/auth/login": _post(
        "Log in with customer code and password", (200, "Tokens", TOKENS), CustomerLogin, *LOGIN_ERRORS
    ),
    "/v1/auth/refresh": _post(
        "Rotate the refresh token (a reused one ends the session)", (200, "New tokens", TOKENS), RefreshToken, 400, 401
    ),
    "/v1/auth/logout": _post(
        "End the session of this refresh token", (204, "Logged out", None), RefreshToken, 400, 401
    ),
    "/v1/auth/password/forgot": _post(
        "Send a one-time code to reset the password", CODE_SENT, CustomerCode, *CODE_SENT_ERRORS
    ),
    "/v1/auth/password/reset": _post(
        "Set a new password with the one-time code", (200, "Changed", json_schema(PasswordChanged)), ResetPassword, 400
    ),
    "/v1/admin/login": _post("Managers' login", (200, "Tokens", TOKENS), UserLogin, *LOGIN_ERRORS, tag="managers"),
}
