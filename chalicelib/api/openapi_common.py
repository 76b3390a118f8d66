"""What every part of the OpenAPI document shares: the builders (an operation, its errors, its
parameters), the identifiers' schemas (their patterns are chalicelib/domain/identifiers.py's, the
ones the checks use), and the staff app's headers. Each blueprint's paths are in the
openapi_<blueprint>.py beside it; openapi.py assembles the document. This module imports none of them."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_auth import OtpSent, TokenPair
from chalicelib.services.shapes_invoices import InvoiceDetail

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
NUM: dict[str, Any] = {"type": "number"}
BOOL: dict[str, Any] = {"type": "boolean"}
NSTR: dict[str, Any] = {"type": "string", "nullable": True}
NINT: dict[str, Any] = {"type": "integer", "nullable": True}
NNUM: dict[str, Any] = {"type": "number", "nullable": True}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
DATETIME: dict[str, Any] = {"type": "string", "format": "date-time"}
NDATETIME: dict[str, Any] = {"type": "string", "format": "date-time", "nullable": True}
ERR: dict[str, Any] = {"$ref": "#/components/schemas/Error"}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def fields(*optional: str, **props: Any) -> dict[str, Any]:
    """An object of these properties, every one required but those named `optional` (each name written once)."""
    return obj([name for name in props if name not in optional], **props)


def array(items: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **more}


def pattern(regex: str, **more: Any) -> dict[str, Any]:
    """A string of one of the identifiers' shapes (chalicelib/domain/identifiers.py)."""
    return {"type": "string", "pattern": regex, **more}


ERROR_TEXT = {
    400: "Bad input (the field is named)",
    401: "Not signed in",
    403: "Not yours",
    404: "Not found",
    409: "Conflict with the current state",
    423: "Locked after failed logins",
    426: "The app is too old, or did not send its version (X-App-Version): APP_UPDATE_REQUIRED, update it",
    429: "Rate limited (Retry-After)",
    503: "Store unavailable; retry",
}


def error_responses(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": ERROR_TEXT[s], **json_content(ERR)} for s in statuses}


def op(
    summary: str,
    ok: tuple[int, str, dict[str, Any] | None],
    *,
    body: dict[str, Any] | None = None,
    errors: tuple[int, ...] = (400,),
    secured: bool = False,
    params: list[dict[str, Any]] | None = None,
    tag: str = "customers",
) -> dict[str, Any]:
    """One operation: its answer `ok` (status, description, JSON schema or None), its errors, and a
    bearer token (401, 403) when `secured`."""
    status, description, schema = ok
    out: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {
            str(status): {"description": description, **(json_content(schema) if schema else {})},
            **error_responses(*errors),
        },
    }
    if body:
        out["requestBody"] = {"required": True, **json_content(body)}
    if secured:
        out["security"] = [{"bearer": []}]
        out["responses"].update(error_responses(401, 403))
    if params:
        out["parameters"] = params
    return out


def answers_again(operation: dict[str, Any], description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An idempotent create: the same request again answers 200 with what the first one made."""
    operation["responses"]["200"] = {"description": description, **json_content(schema)}
    return operation


def csv_body(operation: dict[str, Any], *, too_large: str, not_csv: str) -> dict[str, Any]:
    """A file posted as the raw body (CSV, or bytes for the handler to read): its two refusals, a file
    too large (413) and another Content-Type (415), described for this route."""
    operation["requestBody"] = {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "minLength": 1}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary", "minLength": 1}},
        },
    }
    operation["responses"]["413"] = {"description": too_large, **json_content(ERR)}
    operation["responses"]["415"] = {"description": not_csv, **json_content(ERR)}
    return operation


def path_param(name: str, schema: dict[str, Any] = STR) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def query(name: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


# -- identifiers (domain/identifiers.py) ----------------------------------------------------------

CODE = pattern(ids.CUSTOMER_CODE, example="01031059")
PERIOD = pattern(ids.PERIOD, example="2026-11")
INVOICE_ID = pattern(ids.INVOICE_ID)
ORDER_ID = pattern(ids.ORDER_ID)
USERNAME = pattern(ids.USERNAME, example="ghithu01")
READING_ID = pattern(ids.READING_ID)
COLLECTION_ID = pattern(ids.COLLECTION_ID)
LINE_ID = pattern(ids.LINE_ID, example="VCB#FT23135000123")

# -- sign-in (services/shapes_auth.py) -------------------------------------------------------------

OTP_SENT = json_schema(OtpSent)
CODE_SENT = (202, "Code sent", OTP_SENT)
# A malformed customer code, an unknown one, none on file or a state that refuses it, too many codes.
CODE_SENT_ERRORS = (400, 404, 409, 429)


def tokens(*roles: str) -> dict[str, Any]:
    """The tokens a login or a refresh answers (shapes_auth.TokenPair), for these roles."""
    out = json_schema(TokenPair)
    out["properties"]["role"]["enum"] = list(roles)
    return out


# -- the staff app ----------------------------------------------------------------------------------

GEO = {
    "type": "string",
    "pattern": r"^$|^-?(90(\.0+)?|[1-8]?\d(\.\d+)?),-?(180(\.0+)?|(1[0-7]\d|[1-9]?\d)(\.\d+)?)$",
    "example": "9.1767,105.1524",
    "description": "empty: no position",
}
# Every call of the staff app sends them (api/staff_common.py checks them).
STAFF_HEADERS = [
    {
        "name": "X-Device-Imei",
        "in": "header",
        "required": True,
        "schema": STR,
        "description": "the device the staff session is bound to (403 DEVICE_MISMATCH otherwise)",
    },
    {
        "name": "X-App-Version",
        "in": "header",
        "required": True,
        "schema": STR,
        "description": "the app's version, e.g. 1.2.0; older than the minimum, or absent: 426 APP_UPDATE_REQUIRED",
    },
    {
        "name": "X-Geo",
        "in": "header",
        "required": False,
        "schema": GEO,
        "description": "'<latitude>,<longitude>' in decimal degrees: recorded as the device's last position",
    },
]
APP_TOO_OLD = error_responses(426)


def staff_op(
    summary: str, ok: tuple[int, str, dict[str, Any] | None], *, params: list[dict[str, Any]] | None = None, **kw: Any
) -> dict[str, Any]:
    """An operation of the staff app: a staff token, the staff headers, and 426 for an app too old."""
    out = op(summary, ok, secured=True, tag="staff", params=(params or []) + STAFF_HEADERS, **kw)
    out["responses"].update(APP_TOO_OLD)
    return out


# -- shapes several answers share -------------------------------------------------------------------

# An invoice line of a payment order.
ORDER_ITEM = obj(
    ["invoice_id", "customer_code", "period", "amount"],
    invoice_id=INVOICE_ID,
    customer_code=CODE,
    period=PERIOD,
    amount=INT,
)

# -- an invoice in full (domain/invoices.detail; its shape is services/shapes_invoices.py's) ------
# The admin's issue and the staff's reading answer it as it is; the customer's detail extends it.
INVOICE_DETAIL = json_schema(InvoiceDetail)
