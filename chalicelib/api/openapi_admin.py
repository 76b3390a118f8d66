"""OpenAPI paths of the admin blueprint (api/admin.py): tariffs, issuing an invoice, account credits and
their refunds."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    CODE,
    DATE,
    INT,
    INVOICE_DETAIL,
    NDATETIME,
    NSTR,
    PERIOD,
    STR,
    array,
    obj,
    op,
    path_param,
    pattern,
    query,
)
from chalicelib.domain import identifiers as ids

TIER = obj(
    ["price"],
    up_to={"type": "integer", "nullable": True, "minimum": 1},
    price={"type": "integer", "minimum": 1, "maximum": 1_000_000},
)
_PERCENT = {"type": "integer", "minimum": 0, "maximum": 30}
CHARGE = obj(
    ["code", "description", "unit_price"],
    code=pattern(ids.CHARGE_CODE),
    description=STR,
    unit_price={"type": "integer", "minimum": 1, "maximum": 100_000, "description": "VND per m³"},
    vat_percent=_PERCENT,
)
TARIFF = obj(
    ["tariff_id", "area", "customer_class", "valid_from", "pricing", "tiers", "legal_ref"],
    tariff_id=pattern(ids.TARIFF_ID),
    area=pattern(ids.TARIFF_AREA),
    customer_class={
        "type": "string",
        "enum": ["household", "poor_household", "public_service", "production", "business"],
    },
    valid_from=DATE,
    pricing={"type": "string", "enum": ["tiers", "per_person", "flat"]},
    tiers=array(TIER, minItems=1),
    legal_ref={"type": "string", "minLength": 1, "maxLength": 300},
    prices_include_vat={"type": "boolean"},
    vat_percent=_PERCENT,
    env_fee_percent=_PERCENT,
    charges=array(CHARGE),
    utility=STR,
    description=STR,
)
TARIFF_PATHS: dict[str, Any] = {
    "/v1/admin/tariffs": {
        "post": op(
            "Add a tariff version (versions never change; audited)",
            (201, "Added", TARIFF),
            body=TARIFF,
            secured=True,
            errors=(400, 409),
            tag="managers",
        ),
        "get": op(
            "Versions of one tariff, oldest first",
            (
                200,
                "Versions",
                obj(
                    ["versions"],
                    versions=array(
                        dict(TARIFF, properties=dict(TARIFF["properties"], created_by=dict(STR, example="admin:admin")))
                    ),
                ),
            ),
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
            body=obj(
                ["customer_code", "period", "old_index", "new_index", "read_on"],
                customer_code=CODE,
                period=PERIOD,
                old_index=INT,
                new_index=INT,
                read_on=DATE,
                previous_read_on=DATE,
            ),
            secured=True,
            errors=(400, 404, 409),
            tag="managers",
        )
    },
}

_STATUS = {"type": "string", "enum": ["requested", "sending", "unconfirmed", "refunded", "failed", "rejected"]}
_WHEN = NDATETIME
_MAYBE = NSTR
REFUND = obj(
    ["refund_id", "customer_code", "amount", "method", "status", "requested_by", "requested_at"],
    refund_id=pattern(ids.REFUND_ID),
    customer_code=CODE,
    amount=INT,
    method={"type": "string", "enum": ["vnpay", "cash"]},
    status=_STATUS,
    payment_id=dict(_MAYBE, description="the VNPay payment it goes back through"),
    order_id=_MAYBE,
    transaction_no=_MAYBE,
    requested_by=STR,
    requested_at=_WHEN,
    approved_by=_MAYBE,
    sent_at=dict(_WHEN, description="approved: sent to VNPay, or paid out in cash"),
    note=_MAYBE,
    outcome=dict(_MAYBE, description="VNPay's answer, or what settled it"),
)
_ID = path_param("refund_id", pattern(ids.REFUND_ID))
_NOTE = {"type": "string", "minLength": 1, "maxLength": 500}

PATHS: dict[str, Any] = {
    **TARIFF_PATHS,
    "/v1/admin/credits": {
        "get": op(
            "Accounts holding credit (money no invoice has taken yet): refund it, or it goes to the next bill",
            (
                200,
                "Credits",
                obj(
                    ["credits", "accounts", "total"],
                    accounts=INT,
                    total=INT,
                    credits={
                        "type": "array",
                        "items": obj(
                            ["customer_code", "credit", "last_movement"],
                            customer_code=CODE,
                            credit=INT,
                            last_movement=_WHEN,
                        ),
                    },
                ),
            ),
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
                obj(
                    ["customer_code", "amount", "method", "note"],
                    customer_code=CODE,
                    amount={"type": "integer", "minimum": 1, "maximum": 999_999_999},
                    method={"type": "string", "enum": ["vnpay", "cash"]},
                    payment_id=pattern(ids.VNPAY_PAYMENT_ID, description="only with method vnpay"),
                    note=_NOTE,
                ),
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
            (200, "Refunds", obj(["status", "refunds"], status=_STATUS, refunds={"type": "array", "items": REFUND})),
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
            requestBody={
                "required": False,
                "content": {"application/json": {"schema": {"type": "object", "properties": {"note": _NOTE}}}},
            },
        )
    },
    "/v1/admin/refunds/{refund_id}/reject": {
        "post": op(
            "Reject a requested refund: the money goes back on the account's credit (audited)",
            (200, "Rejected", REFUND),
            body=obj(["note"], note=_NOTE),
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
            requestBody={
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "outcome": {"type": "string", "enum": ["refunded", "failed"]},
                                "note": _NOTE,
                            },
                        }
                    }
                },
            },
        )
    },
}
