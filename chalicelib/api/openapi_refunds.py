"""OpenAPI paths of refunds of account credit and the credits report (merged by openapi.document())."""

from __future__ import annotations

from chalicelib.api.openapi import _INT, _STR, CODE, _obj, _op, _path_param, _query

_STATUS = {"type": "string", "enum": ["requested", "sending", "unconfirmed", "refunded", "failed", "rejected"]}
_WHEN = {"type": "string", "format": "date-time", "nullable": True}
_MAYBE = {"type": "string", "nullable": True}
REFUND = _obj(
    ["refund_id", "customer_code", "amount", "method", "status", "requested_by", "requested_at"],
    refund_id=_STR,
    customer_code=_STR,
    amount=_INT,
    method={"type": "string", "enum": ["vnpay", "cash"]},
    status=_STATUS,
    payment_id=dict(_MAYBE, description="the VNPay payment it goes back through"),
    order_id=_MAYBE,
    transaction_no=_MAYBE,
    requested_by=_STR,
    requested_at=_WHEN,
    approved_by=_MAYBE,
    sent_at=dict(_WHEN, description="approved: sent to VNPay, or paid out in cash"),
    note=_MAYBE,
    outcome=dict(_MAYBE, description="VNPay's answer, or what settled it"),
)
_ID = _path_param("refund_id", r"^RF\d{6}[0-9A-F]{8}$")
_NOTE = {"type": "string", "minLength": 1, "maxLength": 500}

PATHS: dict = {
    "/v1/admin/credits": {
        "get": _op(
            "Accounts holding credit (money no invoice has taken yet): refund it, or it goes to the next bill",
            (
                200,
                "Credits",
                _obj(
                    ["credits", "accounts", "total"],
                    accounts=_INT,
                    total=_INT,
                    credits={
                        "type": "array",
                        "items": _obj(
                            ["customer_code", "credit", "last_movement"],
                            customer_code=_STR,
                            credit=_INT,
                            last_movement=_WHEN,
                        ),
                    },
                ),
            ),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[_query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 500})],
        )
    },
    "/v1/admin/refunds": {
        "post": _op(
            "Ask to refund an account's credit, in cash or back through a VNPay payment (the one named, or the "
            "account's latest with enough left): the credit is taken at once; another admin approves",
            (201, "Requested", REFUND),
            body=dict(
                _obj(
                    ["customer_code", "amount", "method", "note"],
                    customer_code=CODE,
                    amount={"type": "integer", "minimum": 1, "maximum": 999_999_999},
                    method={"type": "string", "enum": ["vnpay", "cash"]},
                    payment_id={
                        "type": "string",
                        "pattern": r"^vnpay#[0-9A-Za-z]{1,40}$",
                        "description": "only with method vnpay",
                    },
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
        "get": _op(
            "Refunds in one state, newest first",
            (200, "Refunds", _obj(["status", "refunds"], status=_STATUS, refunds={"type": "array", "items": REFUND})),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[
                _query("status", dict(_STATUS, default="requested")),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 100}),
            ],
        ),
    },
    "/v1/admin/refunds/{refund_id}": {
        "get": _op("One refund", (200, "Refund", REFUND), secured=True, errors=(404,), tag="managers", params=[_ID])
    },
    "/v1/admin/refunds/{refund_id}/approve": {
        "post": dict(
            _op(
                "Approve a requested refund (another admin than the one who asked; audited). VNPay: sent once; a signed "
                "00 is refunded, a signed refusal failed (the money back on the account), anything unclear unconfirmed "
                "(settled by querydr, never sent again). Cash: recorded as paid out at the office",
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
        "post": _op(
            "Reject a requested refund: the money goes back on the account's credit (audited)",
            (200, "Rejected", REFUND),
            body=_obj(["note"], note=_NOTE),
            secured=True,
            errors=(400, 404, 409, 503),
            tag="managers",
            params=[_ID],
        )
    },
    "/v1/admin/refunds/{refund_id}/check": {
        "post": dict(
            _op(
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
