"""OpenAPI paths of the collections blueprint (api/collections.py): cash collected on the spot, prints and the
day's reconciliation. The bodies and answers are services/shapes_field.py's, stated from there."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    COLLECTION_ID,
    DATE,
    INVOICE_ID,
    USERNAME,
    answers_again,
    op,
    path_param,
    query,
    staff_op,
)
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_field import Collection, Handover, Printed, PrintRequest, Receipt, Reconciliation

_DAY_OR_TODAY = {"anyOf": [DATE, {"type": "string", "maxLength": 0}], "description": "empty or absent: today"}
# The preview's kind is the print's (shapes_field.PrintRequest); absent there, a notice.
_KIND = json_schema(PrintRequest)["properties"]["kind"]

RECEIPT = json_schema(Receipt)
PRINT = json_schema(Printed)
RECONCILIATION = json_schema(Reconciliation)


PATHS: dict[str, Any] = {
    "/v1/staff/collections": {
        "post": answers_again(
            staff_op(
                "Record cash collected on the spot for an invoice the rules allow (exact amount, idempotent by "
                "collection_id); a receipt number from the staff member's series, posted to the customer's account. "
                "Cash for an invoice paid meanwhile (an offline device) is still recorded: what the invoice no longer "
                "owes becomes credit (`credited`, `notice`)",
                (201, "Collected", RECEIPT),
                body=json_schema(Collection, closed=False),
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
            body=json_schema(PrintRequest, closed=False),
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
            body=json_schema(Handover, closed=False),
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
