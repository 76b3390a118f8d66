"""OpenAPI paths of the admin blueprint (api/admin.py): tariffs, issuing an invoice, account credits and
their refunds."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import INVOICE_DETAIL, STR, op, path_param, pattern, query
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_admin import (
    ApproveRefund,
    CheckRefund,
    Credits,
    IssueInvoice,
    RefundList,
    RefundView,
    RejectRefund,
    RequestRefund,
    Tariff,
    TariffVersions,
)

TARIFF_PATHS: dict[str, Any] = {
    "/v1/admin/tariffs": {
        "post": op(
            "Add a tariff version (versions never change; audited)",
            (201, "Added", json_schema(Tariff)),
            body=json_schema(Tariff, closed=False),
            secured=True,
            errors=(400, 409),
            tag="managers",
        ),
        "get": op(
            "Versions of one tariff, oldest first",
            (200, "Versions", json_schema(TariffVersions)),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[query("area", STR, required=True), query("customer_class", STR, required=True)],
        ),
    },
    "/v1/admin/invoices": {
        "post": op(
            "Issue an invoice from a reading, priced by the tariff in force, numbered in its series",
            (201, "Issued", INVOICE_DETAIL),
            body=json_schema(IssueInvoice, closed=False),
            secured=True,
            errors=(400, 404, 409),
            tag="managers",
        )
    },
}

REFUND = json_schema(RefundView)
_ID = path_param("refund_id", pattern(ids.REFUND_ID))
_STATUS = REFUND["properties"]["status"]


def _optional(shape: type) -> dict[str, Any]:
    """A body that may be left out."""
    return {"required": False, "content": {"application/json": {"schema": json_schema(shape, closed=False)}}}


PATHS: dict[str, Any] = {
    **TARIFF_PATHS,
    "/v1/admin/credits": {
        "get": op(
            "Accounts holding credit (money no invoice has taken yet): refund it, or it goes to the next bill",
            (200, "Credits", json_schema(Credits)),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 500})],
        )
    },
    "/v1/admin/refunds": {
        "post": op(
            "Ask to refund an account's credit, in cash or back through a VNPay payment (the one named, or the "
            "account's latest with enough left): the credit is taken at once; another admin approves",
            (201, "Requested", REFUND),
            body=dict(
                json_schema(RequestRefund, closed=False),
                # A cash refund goes back through no payment: naming one is a contradiction (400).
                oneOf=[
                    {"properties": {"method": {"enum": ["vnpay"]}}},
                    {"properties": {"method": {"enum": ["cash"]}}, "not": {"required": ["payment_id"]}},
                ],
            ),
            secured=True,
            errors=(400, 404, 409, 503),
            tag="managers",
        ),
        "get": op(
            "Refunds in one state, newest first",
            (200, "Refunds", json_schema(RefundList)),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[
                query("status", dict(_STATUS, default="requested")),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 100}),
            ],
        ),
    },
    "/v1/admin/refunds/{refund_id}": {
        "get": op("One refund", (200, "Refund", REFUND), secured=True, errors=(404,), tag="managers", params=[_ID])
    },
    "/v1/admin/refunds/{refund_id}/approve": {
        "post": dict(
            op(
                "Approve a requested refund (another admin than the one who asked; audited). VNPay: sent once; a "
                "signed 00 is refunded, a signed refusal failed (the money back on the account), anything unclear "
                "unconfirmed (settled by querydr, never sent again). Cash: recorded as paid out at the office",
                (200, "The refund after VNPay's answer", REFUND),
                secured=True,
                errors=(400, 404, 409, 503),
                tag="managers",
                params=[_ID],
            ),
            requestBody=_optional(ApproveRefund),
        )
    },
    "/v1/admin/refunds/{refund_id}/reject": {
        "post": op(
            "Reject a requested refund: the money goes back on the account's credit (audited)",
            (200, "Rejected", REFUND),
            body=json_schema(RejectRefund, closed=False),
            secured=True,
            errors=(400, 404, 409, 503),
            tag="managers",
            params=[_ID],
        )
    },
    "/v1/admin/refunds/{refund_id}/check": {
        "post": dict(
            op(
                "Settle an unconfirmed VNPay refund by asking VNPay (querydr): refunded if VNPay shows it, failed (the "
                "money back on the account) if it did not happen, else still unconfirmed. With {outcome, note}: record "
                "what VNPay's merchant portal shows, for one querydr cannot tell apart (audited)",
                (200, "The refund", REFUND),
                secured=True,
                errors=(400, 404, 409, 503),
                tag="managers",
                params=[_ID],
            ),
            requestBody=_optional(CheckRefund),
        )
    },
}
