"""OpenAPI paths of the banks blueprint (api/banks.py): the webhooks of the bank-notification services
(docs/bank_notifications.md)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import STR, error_responses, json_content
from chalicelib.domain.bank_notifications import Acknowledged, CassoBody, SepayBody
from chalicelib.domain.shapes import json_schema

_SUCCESS = json_schema(Acknowledged)
# The bodies are declared beside their parsers (domain/bank_notifications.py); other keys are ignored.
SEPAY_BODY = json_schema(SepayBody, closed=False)
CASSO_BODY = json_schema(CassoBody, closed=False)

_WHAT = (
    " Money in to the configured account (VIETQR_ACCOUNT_NO, BANK_SUB_ACCOUNTS) becomes statement line "
    "'<bank>#<bank reference>' and is posted once (payment 'bank#<line_id>') to the account its payment "
    "reference names (TN/TH/TD, else customer codes and invoice ids written by hand), or parked in the "
    "suspense list (GET /v1/admin/suspense) with its reason; money out is acknowledged and ignored. "
    "The same notification again, or the same transfer in a bank statement file, changes nothing. "
    "400 for a body that can never be right (INVALID_JSON, INVALID_NOTIFICATION: the service's retry "
    "cannot succeed); 404 BANK_CHANNEL_OFF when the service's key or the receiving account is not "
    "configured; 503 for a passing fault (the service retries)."
)


def _webhook(summary: str, header: str, auth: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["banks"],
        "description": auth + _WHAT,
        "parameters": [{"name": header, "in": "header", "required": True, "schema": STR}],
        "requestBody": {"required": True, **json_content(body)},
        "responses": {
            "200": {"description": "Received: what the service expects", **json_content(_SUCCESS)},
            **error_responses(400, 401, 404, 503),
        },
    }


PATHS: dict[str, Any] = {
    "/v1/banks/sepay/webhook": {
        "post": _webhook(
            "SePay webhook: a transaction on the utility's account",
            "Authorization",
            "SePay's call, authenticated by `Authorization: Apikey <SEPAY_API_KEY>` (compared in constant "
            "time; 401 INVALID_API_KEY).",
            SEPAY_BODY,
        )
    },
    "/v1/banks/casso/webhook": {
        "post": _webhook(
            "Casso webhook v2: a transaction on the utility's account",
            "X-Casso-Signature",
            "Casso's call, signed: `t=<ms>,v1=<hex HMAC-SHA512 of '<t>.' + the body's JSON with sorted keys, "
            "keyed with CASSO_CHECKSUM_KEY>` (401 INVALID_SIGNATURE; a timestamp more than "
            "CASSO_SIGNATURE_TOLERANCE_SECONDS from now: 401 STALE_SIGNATURE).",
            CASSO_BODY,
        )
    },
}
