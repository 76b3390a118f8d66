"""OpenAPI paths of the invoices blueprint (api/invoices.py): a customer's invoices, one in full, its PDF."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    CODE,
    INVOICE_ID,
    STR,
    error_responses,
    op,
    path_param,
    query,
)
from chalicelib.domain import consumption as usage
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_consumption import ConsumptionHistory
from chalicelib.services.shapes_invoices import CustomerInvoice, InvoicePage


def vietqr_image(summary: str, kind: str, params: list[dict[str, Any]], *errors: int) -> dict[str, Any]:
    """A VietQR image route: PNG (binary: send Accept: image/png) or SVG."""
    media = "image/png" if kind == "png" else "image/svg+xml"
    schema = {"type": "string", "format": "binary"} if kind == "png" else STR
    responses = {"200": {"description": kind.upper(), "content": {media: {"schema": schema}}}}
    responses.update(error_responses(*errors, 401, 403, 404, 409))
    responses["404"]["description"] = "Not found, or VietQR is off (VIETQR_OFF)"
    responses["409"]["description"] = (
        "Nothing is open (NOTHING_TO_PAY), or more than one NAPAS 247 transfer carries (AMOUNT_OVER_TRANSFER_LIMIT)"
    )
    return {
        "get": {
            "summary": f"{summary} as {kind.upper()}",
            "tags": ["customers"],
            "security": [{"bearer": []}],
            "parameters": params,
            "responses": responses,
        }
    }


_INVOICE_QR = "The invoice's VietQR (a transfer of its open amount, reference TH<yymm><code>)"

PATHS: dict[str, Any] = {
    "/v1/customers/{code}/invoices": {
        "get": op(
            "Invoices of a linked customer code, newest first",
            (
                200,
                "A page of invoices",
                json_schema(InvoicePage),
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
    "/v1/customers/{code}/consumption": {
        "get": op(
            "Consumption history of a linked customer code: the last 12 to 24 billed periods (m³, VND), oldest "
            "first, and their average, for a chart",
            (200, "The history", json_schema(ConsumptionHistory)),
            secured=True,
            errors=(400,),
            params=[
                path_param("code", CODE),
                query(
                    "periods",
                    {"type": "integer", "minimum": usage.MIN_PERIODS, "maximum": usage.MAX_PERIODS, "default": 12},
                ),
            ],
        )
    },
    "/v1/invoices/{invoice_id}": {
        "get": op(
            "One invoice in full",
            (200, "Invoice", json_schema(CustomerInvoice)),
            secured=True,
            errors=(404,),
            params=[path_param("invoice_id", INVOICE_ID)],
        )
    },
    "/v1/invoices/{invoice_id}/pdf": {
        "get": {
            "summary": "The invoice as a PDF: the legal e-invoice once the provider issued it, else the payment "
            "notice (Vietnamese, with QR codes to pay)",
            "description": "An invoice whose legal e-invoice document is kept (its detail's `einvoice.document` is "
            "true) answers 302 to a link that downloads that PDF for 5 minutes; follow it without the "
            "Authorization header. Otherwise our own PDF, the payment notice, in the answer.",
            "tags": ["customers"],
            "security": [{"bearer": []}],
            "parameters": [path_param("invoice_id", INVOICE_ID)],
            "responses": {
                "200": {
                    "description": "The payment notice (no legal document kept yet, or e-invoices are off)",
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                },
                "302": {
                    "description": "The legal e-invoice's document: a presigned link, valid 5 minutes",
                    "headers": {
                        "Location": {
                            "description": "the link (HTTPS, signed; names the file hoa-don-dien-tu-*.pdf)",
                            "schema": {"type": "string", "format": "uri"},
                        },
                        "Cache-Control": {"schema": {"type": "string", "enum": ["private, no-store"]}},
                    },
                },
                **error_responses(401, 403, 404),
            },
        }
    },
    "/v1/invoices/{invoice_id}/vietqr.png": vietqr_image(_INVOICE_QR, "png", [path_param("invoice_id", INVOICE_ID)]),
    "/v1/invoices/{invoice_id}/vietqr.svg": vietqr_image(_INVOICE_QR, "svg", [path_param("invoice_id", INVOICE_ID)]),
}
