"""OpenAPI paths of the collections blueprint (api/collections.py): cash collected on the spot, prints and the
day's reconciliation."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    BOOL,
    CODE,
    COLLECTION_ID,
    DATE,
    DATETIME,
    INT,
    INVOICE_ID,
    NSTR,
    STR,
    USERNAME,
    answers_again,
    array,
    obj,
    op,
    path_param,
    query,
    staff_op,
)

_DAY_OR_TODAY = {"anyOf": [DATE, {"type": "string", "maxLength": 0}], "description": "empty or absent: today"}
_KIND = {"type": "string", "enum": ["notice", "receipt"]}

_VND = {"type": "integer", "minimum": 0}
CREDIT_NOTICE = obj(
    ["code", "message_vi", "message_en"],
    code={
        "type": "string",
        "enum": ["ALREADY_PAID_ONLINE", "ALREADY_PAID_IN_CASH"],
        "description": "who paid the invoice meanwhile: online (VNPay, bank) or another cash receipt",
    },
    message_vi=STR,
    message_en=STR,
)
RECEIPT = obj(
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
    collection_id=COLLECTION_ID,
    receipt_no={"type": "string", "example": "GHITHU01-2026-000123"},
    invoice_id=INVOICE_ID,
    customer_code=CODE,
    amount=INT,
    amount_text=STR,
    amount_in_words=STR,
    collected_at=DATETIME,
    staff=STR,
    date=DATE,
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
PRINT = obj(
    ["invoice_id", "kind", "print_count", "text"],
    invoice_id=INVOICE_ID,
    kind=_KIND,
    print_count=INT,
    reprint=BOOL,
    text={"type": "string", "description": "plain text for a 58 mm printer, 32 characters a line"},
)
HANDOVER = obj(
    ["expected", "handed_over", "difference", "received_by", "received_at"],
    expected=INT,
    handed_over=INT,
    difference={"type": "integer", "description": "handed_over - expected"},
    received_by=STR,
    received_at=DATETIME,
    note=NSTR,
)
RECONCILIATION = obj(
    ["staff", "date", "count", "cash_total", "receipts", "handover", "not_handed_over"],
    staff=STR,
    date=DATE,
    count=INT,
    cash_total=INT,
    cash_total_text=STR,
    receipts=array(
        obj(
            ["receipt_no", "invoice_id", "customer_code", "amount", "collected_at", "print_count", "credited"],
            receipt_no=STR,
            invoice_id=INVOICE_ID,
            customer_code=CODE,
            amount=INT,
            collected_at=DATETIME,
            print_count=INT,
            credited=dict(_VND, description="of amount, kept on the customer's account as credit"),
        )
    ),
    handover=dict(HANDOVER, nullable=True),
    not_handed_over=INT,
)


PATHS: dict[str, Any] = {
    "/v1/staff/collections": {
        "post": answers_again(
            staff_op(
                "Record cash collected on the spot for an invoice the rules allow (exact amount, idempotent by "
                "collection_id); a receipt number from the staff member's series, posted to the customer's account. "
                "Cash for an invoice paid meanwhile (an offline device) is still recorded: what the invoice no longer "
                "owes becomes credit (`credited`, `notice`)",
                (201, "Collected", RECEIPT),
                body=obj(
                    ["collection_id", "invoice_id", "amount", "collected_at"],
                    collection_id=COLLECTION_ID,
                    invoice_id=INVOICE_ID,
                    amount={"type": "integer", "minimum": 1, "maximum": 10**12},
                    collected_at=DATETIME,
                    lat={"type": "number"},
                    lng={"type": "number"},
                ),
                errors=(400, 404, 409, 503),
            ),
            "The same collection_id again: the first receipt",
            RECEIPT,
        )
    },
    "/v1/staff/prints": {
        "post": staff_op(
            "Count a printed notice or receipt and get its 58 mm text",
            (200, "Counted", PRINT),
            body=obj(
                ["invoice_id", "kind"],
                invoice_id=INVOICE_ID,
                kind=_KIND,
                reason={"type": "string", "maxLength": 300, "description": "why no cash was taken (notice)"},
                collection_id=dict(
                    COLLECTION_ID, description="which cash receipt (kind receipt); absent: the invoice's latest"
                ),
            ),
            errors=(400, 404, 409),
        )
    },
    "/v1/staff/invoices/{invoice_id}/print": {
        "get": staff_op(
            "The 58 mm print text of a notice or receipt, without counting a print",
            (200, "Text", PRINT),
            params=[
                path_param("invoice_id", INVOICE_ID),
                query("kind", _KIND),
                query("collection_id", COLLECTION_ID),
            ],
            errors=(400, 404, 409),
        )
    },
    "/v1/staff/reconciliation": {
        "get": staff_op(
            "The caller's receipts and cash total for a day (default today, Vietnam time), and the handover",
            (200, "Reconciliation", RECONCILIATION),
            params=[query("date", _DAY_OR_TODAY)],
            errors=(400,),
        )
    },
    "/v1/admin/reconciliation/handover": {
        "post": op(
            "Record the cash a staff member handed over for a day (expected = the day's receipts; audited)",
            (200, "The day's reconciliation with the handover", RECONCILIATION),
            body=obj(
                ["staff", "date", "handed_over"],
                staff=USERNAME,
                date=DATE,
                handed_over={"type": "integer", "minimum": 0, "maximum": 10**12},
                note={"type": "string", "maxLength": 500, "nullable": True},
            ),
            secured=True,
            errors=(400, 404),
            tag="managers",
        )
    },
    "/v1/admin/reconciliation": {
        "get": op(
            "A staff member's receipts, cash total and handover for a day",
            (200, "Reconciliation", RECONCILIATION),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[
                query("staff", USERNAME, required=True),
                query("date", _DAY_OR_TODAY),
            ],
        )
    },
}
