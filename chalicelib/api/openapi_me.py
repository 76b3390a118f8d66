"""OpenAPI paths of the me blueprint (api/me.py): the signed-in account and its linked customer codes.
The bodies and answers are declared once, in services/shapes_auth.py (AuthService parses and builds
them); the document states them from there."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import CODE, CODE_SENT, CODE_SENT_ERRORS, op, path_param
from chalicelib.api.openapi_invoices import vietqr_image
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_auth import Account, CustomerCode, LinkCustomer, Linked
from chalicelib.services.shapes_vietqr import AccountTransferView

_ACCOUNT_QR = "One VietQR for every open invoice of a linked code (reference TN<code>, the sum of the open amounts)"

PATHS: dict[str, Any] = {
    "/v1/me": {
        "get": op(
            "The account and its linked customer codes",
            (200, "Account", json_schema(Account)),
            secured=True,
            errors=(),
        )
    },
    "/v1/me/customers": {
        "post": op(
            "Start linking another customer code (one-time code to its phone on file)",
            CODE_SENT,
            body=json_schema(CustomerCode, closed=False),
            secured=True,
            errors=CODE_SENT_ERRORS,
        )
    },
    "/v1/me/customers/confirm": {
        "post": op(
            "Finish linking with the one-time code; returns a fresh access token",
            (200, "Linked", json_schema(Linked)),
            body=json_schema(LinkCustomer, closed=False),
            secured=True,
            errors=(400, 409),
        )
    },
    "/v1/me/customers/{code}/vietqr": {
        "get": op(
            _ACCOUNT_QR + ": the transfer's reference, amount, bank, account and payload; payload null when nothing "
            "is open, bank null when VietQR is off",
            (200, "The transfer", json_schema(AccountTransferView)),
            secured=True,
            errors=(400,),
            params=[path_param("code", CODE)],
        )
    },
    "/v1/me/customers/{code}/vietqr.png": vietqr_image(_ACCOUNT_QR, "png", [path_param("code", CODE)], 400),
    "/v1/me/customers/{code}/vietqr.svg": vietqr_image(_ACCOUNT_QR, "svg", [path_param("code", CODE)], 400),
}
