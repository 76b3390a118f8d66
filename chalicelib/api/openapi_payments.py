"""OpenAPI paths of the payments blueprint (api/payments.py): VNPay orders, VNPAY-QR, the IPN and the return page."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    ORDER_ID,
    STR,
    answers_again,
    error_responses,
    json_content,
    obj,
    op,
    path_param,
    pattern,
)
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_payments import CreateOrder, OrderView

# The order's shapes are declared once, in services/shapes_payments.py: the service parses the body
# and builds the answer with them, and the document states them from there.
ORDER = json_schema(OrderView)
CREATE_ORDER = json_schema(CreateOrder, closed=False)  # other keys are ignored, as ever
_VNP_PARAMS = (
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_BankTranNo",
    "vnp_CardType",
    "vnp_PayDate",
    "vnp_OrderInfo",
    "vnp_TransactionNo",
    "vnp_ResponseCode",
    "vnp_TransactionStatus",
    "vnp_TxnRef",
    "vnp_SecureHash",
)

PATHS: dict[str, Any] = {
    "/v1/payments": {
        "post": dict(
            answers_again(
                op(
                    "Open a VNPay order for unpaid invoices of the caller's linked codes (or get the open one back)",
                    (201, "Order opened", ORDER),
                    body=CREATE_ORDER,
                    secured=True,
                    errors=(400, 404, 409),
                    tag="payments",
                ),
                "The same invoices again while their order is open (or the same Idempotency-Key): that order",
                ORDER,
            ),
            parameters=[
                {"name": "Idempotency-Key", "in": "header", "required": False, "schema": pattern(ids.IDEMPOTENCY_KEY)}
            ],
        )
    },
    "/v1/payments/{order_id}": {
        "get": op(
            "An order and its state",
            (200, "Order", ORDER),
            secured=True,
            errors=(404,),
            tag="payments",
            params=[path_param("order_id", ORDER_ID)],
        )
    },
    "/v1/payments/{order_id}/qr.png": {
        "get": {
            "summary": "The VNPAY-QR image of the order (send Accept: image/png)",
            "tags": ["payments"],
            "security": [{"bearer": []}],
            "parameters": [path_param("order_id", ORDER_ID)],
            "responses": {
                "200": {
                    "description": "PNG",
                    "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                },
                **error_responses(401, 403, 404),
            },
        }
    },
    "/v1/vnpay/ipn": {
        "get": {
            "summary": "VNPay's server-to-server payment notification (IPN); signed vnp_* query parameters",
            "description": "VNPay's contract: always HTTP 200, the outcome in RspCode. Parameters missing, "
            "extra or with a bad signature are RspCode 97, never a 4xx.",
            "tags": ["vnpay"],
            "parameters": [{"name": n, "in": "query", "required": False, "schema": STR} for n in _VNP_PARAMS],
            "responses": {
                "200": {
                    "description": "VNPay's answer format: 00, 01, 02, 04, 97, 99",
                    **json_content(
                        obj(
                            ["RspCode", "Message"],
                            RspCode={"type": "string", "enum": ["00", "01", "02", "04", "97", "99"]},
                            Message=STR,
                        )
                    ),
                }
            },
        }
    },
    "/v1/vnpay/return": {
        "get": {
            "summary": "Where the browser lands after paying: a result page; never marks anything paid",
            "tags": ["vnpay"],
            "parameters": [{"name": "vnp_SecureHash", "in": "query", "required": False, "schema": STR}],
            "responses": {
                "200": {"description": "HTML result page", "content": {"text/html": {"schema": STR}}},
                "400": {"description": "Signature not valid (HTML page)", "content": {"text/html": {"schema": STR}}},
            },
        }
    },
}
