"""OpenAPI paths of the partners blueprint (api/partners.py): bill payment through banks, wallets and
collection agents, by signed request (docs/partners.md). No bearer token: the four X- headers below are
the credential, checked by the handler (services/partners.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    ERR,
    ERROR_TEXT,
    error_responses,
    json_content,
    path_param,
    pattern,
    query,
)
from chalicelib.domain import identifiers as ids
from chalicelib.domain import partner_signature as sig
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_partners import BillView, PaymentAnswer, PaymentBody, ReversalAnswer, UploadAnswer

_HEADERS = [
    {
        "name": "X-Partner-Id",
        "in": "header",
        "required": True,
        "schema": pattern(ids.PARTNER_ID, example="DEMOBANK"),
        "description": "the partner's id (unknown: 401 PARTNER_UNKNOWN; disabled: 401 PARTNER_DISABLED)",
    },
    {
        "name": "X-Timestamp",
        "in": "header",
        "required": True,
        "schema": pattern(sig.TIMESTAMP_RE.pattern, example="1718000000"),
        "description": f"Unix seconds, within {sig.MAX_SKEW_S} s of the server (else 401 TIMESTAMP_OUT_OF_RANGE)",
    },
    {
        "name": "X-Nonce",
        "in": "header",
        "required": True,
        "schema": pattern(sig.NONCE_RE.pattern),
        "description": f"new for each request: one used within {sig.NONCE_TTL_S} s is 401 NONCE_REPLAYED",
    },
    {
        "name": "X-Signature",
        "in": "header",
        "required": True,
        "schema": pattern(sig.SIGNATURE_RE.pattern),
        "description": "hex HMAC-SHA256 with the partner's secret of METHOD\\nPATH[?QUERY]\\nTIMESTAMP\\nNONCE\\n"
        "hex SHA-256 of the body (docs/partners.md; wrong: 401 SIGNATURE_INVALID)",
    },
]
_DENIED = {
    "401": {
        "description": "Not a valid signed request of an enabled partner: SIGNATURE_MISSING, PARTNER_UNKNOWN, "
        "PARTNER_DISABLED, TIMESTAMP_OUT_OF_RANGE, SIGNATURE_INVALID, NONCE_REPLAYED",
        **json_content(ERR),
    },
    "403": {"description": "IP_NOT_ALLOWED: the caller's address is off the partner's allow-list", **json_content(ERR)},
    "503": {"description": ERROR_TEXT[503] + " (or the partner's secret cannot be read)", **json_content(ERR)},
}
_DAY = path_param("day", {"type": "string", "format": "date", "example": "2024-06-10"})
_TXN = path_param("partner_txn_id", pattern(ids.PARTNER_TXN_ID))
PAYMENT = json_schema(PaymentAnswer)
REVERSAL = json_schema(ReversalAnswer)
_CSV = {"type": "string", "description": "partner_txn_id,customer_code,amount,paid_at,receipt_no,status"}


def _signed(
    summary: str, answers: dict[str, Any], errors: tuple[int, ...], params: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["partners"],
        "parameters": (params or []) + _HEADERS,
        "responses": {**answers, **error_responses(*errors), **_DENIED},
    }


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, **json_content(schema)}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, **json_content(ERR)}


_pay = _signed(
    "Pay a customer's bill (once per partner_txn_id)",
    {
        "201": _answer("Posted: the receipt, and where the money went", PAYMENT),
        "200": _answer("The same partner_txn_id again: the first answer", PAYMENT),
        "409": _error("PARTNER_TXN_CONFLICT: the partner_txn_id was used for another customer, amount or invoices"),
        "422": _error("AMOUNT_EXCEEDS_DUE: more than the amount due (nothing moved)"),
    },
    (400, 404),
)
_pay["requestBody"] = {"required": True, **json_content(json_schema(PaymentBody, closed=False))}

PATHS: dict[str, Any] = {
    "/v1/partners/bills": {
        "get": _signed(
            "Look a customer's bill up by customer code: masked name and address, amount due, open invoices",
            {"200": _answer("The bill", json_schema(BillView))},
            (400, 404),
            [query("customer_code", pattern(ids.CUSTOMER_CODE, example="01031059"), required=True)],
        )
    },
    "/v1/partners/payments": {"post": _pay},
    "/v1/partners/payments/{partner_txn_id}/reversal": {
        "post": _signed(
            "Reverse a payment on its own day (Vietnam time), once: the money leaves the account as it came in",
            {
                "201": _answer("Reversed", REVERSAL),
                "200": _answer("Reversed before: the first answer", REVERSAL),
                "409": _error(
                    "REVERSAL_TOO_LATE (another day) or REVERSAL_NOT_POSSIBLE (the money was used since): nothing moved"
                ),
            },
            (400, 404),
            [_TXN],
        )
    },
    "/v1/partners/reconciliation/{day}": {
        "get": {
            **_signed(
                "The utility's file of the partner's payments of a day, as it stands now (CSV)",
                {
                    "200": {
                        "description": "CSV, UTF-8, one header row",
                        "content": {"text/csv": {"schema": _CSV}},
                    }
                },
                (400,),
                [_DAY],
            )
        },
        "put": {
            **_signed(
                "Send the partner's own file of a day (CSV body, at most 4 MB): kept, and compared with ours; "
                "differences go to the utility's suspense list",
                {
                    "202": _answer("Kept; the compare is queued", json_schema(UploadAnswer)),
                    "413": _error("PAYLOAD_TOO_LARGE"),
                    "415": _error("UNSUPPORTED_MEDIA_TYPE"),
                },
                (400,),
                [_DAY],
            ),
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {
                        "schema": {
                            "type": "string",
                            "description": "header partner_txn_id,amount[,customer_code,paid_at,status]",
                        }
                    }
                },
            },
        },
    },
}
