"""OpenAPI paths of the me blueprint (api/me.py): the signed-in account and its linked customer codes."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import CODE, INT, NSTR, OTP, OTP_SENT, STR, array, obj, op

LINKED_CUSTOMER = obj(
    ["customer_code", "name", "address", "ledger_no", "customer_class", "payment_channel", "phone"],
    customer_code=CODE,
    name=STR,
    address=STR,
    ledger_no=STR,
    customer_class=STR,
    payment_channel={"type": "string", "enum": ["cash", "bank_transfer", "authorised_debit"]},
    phone=dict(NSTR, description="masked: the last digits only"),
)

PATHS: dict[str, Any] = {
    "/v1/me": {
        "get": op(
            "The account and its linked customer codes",
            (
                200,
                "Account",
                obj(
                    ["account_id", "role", "customers"],
                    account_id=STR,
                    role=STR,
                    login=STR,
                    customers=array(LINKED_CUSTOMER),
                ),
            ),
            secured=True,
            errors=(),
        )
    },
    "/v1/me/customers": {
        "post": op(
            "Start linking another customer code (one-time code to its phone on file)",
            (202, "Code sent", OTP_SENT),
            body=obj(["customer_code"], customer_code=CODE),
            secured=True,
            errors=(400, 404, 409, 429),
        )
    },
    "/v1/me/customers/confirm": {
        "post": op(
            "Finish linking with the one-time code; returns a fresh access token",
            (
                200,
                "Linked",
                obj(
                    ["customer_codes", "access_token", "expires_in"],
                    customer_codes=array(STR),
                    access_token=STR,
                    expires_in=INT,
                ),
            ),
            body=obj(["customer_code", "otp"], customer_code=CODE, otp=OTP),
            secured=True,
            errors=(400, 409),
        )
    },
}
