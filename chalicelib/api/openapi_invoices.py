"""OpenAPI paths of the invoices blueprint (api/invoices.py): a customer's invoices, one in full, its PDF."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    CODE,
    INVOICE_DETAIL,
    INVOICE_ID,
    INVOICE_SUMMARY,
    NSTR,
    STR,
    array,
    error_responses,
    obj,
    op,
    path_param,
    query,
)

PATHS: dict[str, Any] = {
    "/v1/customers/{code}/invoices": {
        "get": op(
            "Invoices of a linked customer code, newest first",
            (
                200,
                "A page of invoices",
                obj(
                    ["customer_code", "invoices", "next_cursor"],
                    customer_code=CODE,
                    invoices=array(INVOICE_SUMMARY),
                    next_cursor=NSTR,
                ),
            ),
            secured=True,
            errors=(400,),
            params=[
                path_param("code", CODE),
                query("status", {"type": "string", "enum": ["unpaid", "paid", "all"]}),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 50}),
                query("cursor", STR),
            ],
        )
    },
    "/v1/invoices/{invoice_id}": {
        "get": op(
            "One invoice in full",
            (200, "Invoice", INVOICE_DETAIL),
            secured=True,
            errors=(404,),
            params=[path_param("invoice_id", INVOICE_ID)],
        )
    },
    "/v1/invoices/{invoice_id}/pdf": {
        "get": {
            "summary": "The invoice as a PDF document (Vietnamese, with a QR to pay once payments exist)",
            "tags": ["customers"],
            "security": [{"bearer": []}],
            "parameters": [path_param("invoice_id", INVOICE_ID)],
            "responses": {
                "200": {
                    "description": "PDF",
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                },
                **error_responses(401, 403, 404),
            },
        }
    },
}
