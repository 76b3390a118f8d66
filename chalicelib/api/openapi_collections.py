"""OpenAPI paths of cash collections, prints and reconciliation (merged by openapi.document())."""

from __future__ import annotations

from chalicelib.api.openapi import _ERR, _INT, _STR, INVOICE_ID, _obj, _op, _path_param, _query
from chalicelib.api.openapi_staff import _GEO

_DATE = {"type": "string", "format": "date"}
_DAY_OR_TODAY = {"anyOf": [_DATE, {"type": "string", "maxLength": 0}], "description": "empty or absent: today"}
_KIND = {"type": "string", "enum": ["notice", "receipt"]}
_COLLECTION_ID = {"type": "string", "pattern": r"^[A-Za-z0-9_.:-]{8,64}$"}
_STAFF = {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,64}$", "example": "ghithu01"}
_STAFF_HEADERS = [
    {
        "name": "X-Device-Imei",
        "in": "header",
        "required": True,
        "schema": _STR,
        "description": "the device the staff token is bound to",
    },
    {"name": "X-App-Version", "in": "header", "required": True, "schema": _STR},
    {"name": "X-Geo", "in": "header", "required": False, "schema": _GEO, "description": "'<lat>,<lng>'"},
]

_VND = {"type": "integer", "minimum": 0}
CREDIT_NOTICE = _obj(
    ["code", "message_vi", "message_en"],
    code={
        "type": "string",
        "enum": ["ALREADY_PAID_ONLINE", "ALREADY_PAID_IN_CASH"],
        "description": "who paid the invoice meanwhile: online (VNPay, bank) or another cash receipt",
    },
    message_vi=_STR,
    message_en=_STR,
)
RECEIPT = _obj(
    [
        "collection_id",
        "receipt_no",
        "invoice_id",
        "customer_code",
        "amount",
        "collected_at",
        "staff",
        "allocated",
        "credited",
    ],
    collection_id=_STR,
    receipt_no={"type": "string", "example": "GHITHU01-2026-000123"},
    invoice_id=_STR,
    customer_code=_STR,
    amount=_INT,
    amount_text=_STR,
    amount_in_words=_STR,
    collected_at={"type": "string", "format": "date-time"},
    staff=_STR,
    date=_DATE,
    allocated=dict(_VND, description="of amount, applied to the invoice"),
    credited=dict(
        _VND,
        description="of amount, kept on the customer's account as credit: the "
        "invoice was paid meanwhile (taken off the next bill, or given back)",
    ),
    notice=dict(
        CREDIT_NOTICE,
        description="present when credited > 0: tell the worker (keep it on the account, or give the money back)",
    ),
)
PRINT = _obj(
    ["invoice_id", "kind", "print_count", "text"],
    invoice_id=_STR,
    kind=_KIND,
    print_count=_INT,
    reprint={"type": "boolean"},
    text={"type": "string", "description": "plain text for a 58 mm printer, 32 characters a line"},
)
HANDOVER = _obj(
    ["expected", "handed_over", "difference", "received_by", "received_at"],
    expected=_INT,
    handed_over=_INT,
    difference={"type": "integer", "description": "handed_over - expected"},
    received_by=_STR,
    received_at={"type": "string", "format": "date-time"},
    note={"type": "string", "nullable": True},
)
RECONCILIATION = _obj(
    ["staff", "date", "count", "cash_total", "receipts", "handover", "not_handed_over"],
    staff=_STR,
    date=_DATE,
    count=_INT,
    cash_total=_INT,
    cash_total_text=_STR,
    receipts={
        "type": "array",
        "items": _obj(
            ["receipt_no", "invoice_id", "customer_code", "amount", "collected_at", "print_count", "credited"],
            receipt_no=_STR,
            invoice_id=_STR,
            customer_code=_STR,
            amount=_INT,
            collected_at={"type": "string", "format": "date-time"},
            print_count=_INT,
            credited=dict(_VND, description="of amount, kept on the customer's account as credit"),
        ),
    },
    handover=dict(HANDOVER, nullable=True),
    not_handed_over=_INT,
)


def _staff_op(*args, params: list | None = None, **kw) -> dict:
    op = _op(*args, secured=True, tag="staff", params=(params or []) + _STAFF_HEADERS, **kw)
    op["responses"]["426"] = {
        "description": "App too old (or no X-App-Version): APP_UPDATE_REQUIRED",
        "content": {"application/json": {"schema": _ERR}},
    }
    return op


PATHS: dict = {
    "/v1/staff/collections": {
        "post": _staff_op(
            "Record cash collected on the spot for an invoice the rules allow (exact amount, idempotent by "
            "collection_id); a receipt number from the staff member's series, posted to the customer's account. "
            "Cash for an invoice paid meanwhile (an offline device) is still recorded: what the invoice no longer "
            "owes becomes credit (`credited`, `notice`)",
            (201, "Collected (200: the same collection_id again, the first receipt)", RECEIPT),
            body=_obj(
                ["collection_id", "invoice_id", "amount", "collected_at"],
                collection_id=_COLLECTION_ID,
                invoice_id=INVOICE_ID,
                amount={"type": "integer", "minimum": 1, "maximum": 10**12},
                collected_at={"type": "string", "format": "date-time"},
                lat={"type": "number"},
                lng={"type": "number"},
            ),
            errors=(400, 404, 409, 503),
        )
    },
    "/v1/staff/prints": {
        "post": _staff_op(
            "Count a printed notice or receipt and get its 58 mm text",
            (200, "Counted", PRINT),
            body=_obj(
                ["invoice_id", "kind"],
                invoice_id=INVOICE_ID,
                kind=_KIND,
                reason={"type": "string", "maxLength": 300, "description": "why no cash was taken (notice)"},
                collection_id=dict(
                    _COLLECTION_ID, description="which cash receipt (kind receipt); absent: the invoice's latest"
                ),
            ),
            errors=(400, 404, 409),
        )
    },
    "/v1/staff/invoices/{invoice_id}/print": {
        "get": _staff_op(
            "The 58 mm print text of a notice or receipt, without counting a print",
            (200, "Text", PRINT),
            params=[
                dict(_path_param("invoice_id"), schema=INVOICE_ID),
                _query("kind", _KIND),
                _query("collection_id", _COLLECTION_ID),
            ],
            errors=(400, 404, 409),
        )
    },
    "/v1/staff/reconciliation": {
        "get": _staff_op(
            "The caller's receipts and cash total for a day (default today, Vietnam time), and the handover",
            (200, "Reconciliation", RECONCILIATION),
            params=[_query("date", _DAY_OR_TODAY)],
            errors=(400,),
        )
    },
    "/v1/admin/reconciliation/handover": {
        "post": _op(
            "Record the cash a staff member handed over for a day (expected = the day's receipts; audited)",
            (200, "The day's reconciliation with the handover", RECONCILIATION),
            body=_obj(
                ["staff", "date", "handed_over"],
                staff=_STAFF,
                date=_DATE,
                handed_over={"type": "integer", "minimum": 0, "maximum": 10**12},
                note={"type": "string", "maxLength": 500, "nullable": True},
            ),
            secured=True,
            errors=(400, 404),
            tag="managers",
        )
    },
    "/v1/admin/reconciliation": {
        "get": _op(
            "A staff member's receipts, cash total and handover for a day",
            (200, "Reconciliation", RECONCILIATION),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[
                {"name": "staff", "in": "query", "required": True, "schema": _STAFF},
                _query("date", _DAY_OR_TODAY),
            ],
        )
    },
}
