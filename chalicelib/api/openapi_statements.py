"""OpenAPI paths of bank statement imports and the suspense list (merged by openapi.document())."""

from __future__ import annotations

from chalicelib.api.openapi import _ERR, _INT, _STR, _obj, _op, _path_param, _query

_DATE = {"type": "string", "format": "date"}
# SEVERAL_CUSTOMERS and the first two are today's reasons; the last three are on lines of before the ledger.
_REASON = {
    "type": "string",
    "nullable": True,
    "enum": [
        "NO_REFERENCE",
        "UNKNOWN_CUSTOMER",
        "SEVERAL_CUSTOMERS",
        "AMOUNT_MISMATCH",
        "SEVERAL_INVOICES",
        "ALREADY_PAID",
        None,
    ],
}
_NINT = {"type": "integer", "nullable": True}
# Where a posted line's money went (the customer account, issue 13).
_POSTED = dict(
    customer_code={"type": "string", "nullable": True, "pattern": r"^\d{6,12}$"},
    invoice_ids={"type": "array", "items": _STR, "description": "the invoices it paid, oldest first"},
    allocated=dict(_NINT, description="VND applied to invoices (up to what each still owed)"),
    credited=dict(_NINT, description="VND left on the customer's account as credit"),
)
_BANK = {
    "type": "string",
    "example": "VCB",
    "description": "VCB, AGR, STB, BIDV, CTG, TCB, MB, ACB, VPB, SHB, HDB, LPB, OCB; KBNN for the State Treasury (NT)",
}

LINE = _obj(
    ["line_id", "bank_code", "bank_ref", "booked_on", "amount", "description", "status", "import_id", "imported_at"],
    line_id={"type": "string", "example": "VCB#FT23135000123"},
    bank_code=_STR,
    bank={"type": "string", "nullable": True},
    bank_ref=_STR,
    booked_on=_DATE,
    amount=_INT,
    amount_text=_STR,
    description=_STR,
    status={"type": "string", "enum": ["matched", "suspense", "resolved", "ignored"]},
    reason=_REASON,
    invoice_id={"type": "string", "nullable": True},
    import_id=_STR,
    imported_at={"type": "string", "format": "date-time"},
    resolved_by={"type": "string", "nullable": True},
    note=_STR,
    **_POSTED,
)
IMPORT_RESULT = _obj(
    ["import_id", "bank", "lines", "matched", "suspense", "duplicates", "errors"],
    import_id=_STR,
    bank=_STR,
    channel={"type": "string", "enum": ["bank_transfer", "authorised_debit"]},
    lines={"type": "integer", "description": "credit lines read"},
    matched={"type": "integer", "description": "lines posted to the one customer account they name"},
    suspense=_INT,
    allocated={"type": "integer", "description": "VND of this import applied to invoices"},
    credited={"type": "integer", "description": "VND of this import left on accounts as credit"},
    duplicates={"type": "integer", "description": "lines recorded before (the same file again): nothing changed"},
    skipped={"type": "integer", "description": "debit lines, blank rows, totals"},
    errors={"type": "array", "items": _obj(["row", "message"], row=_INT, message=_STR)},
    results={
        "type": "array",
        "items": _obj(
            ["row", "line_id", "status"],
            row=_INT,
            line_id=_STR,
            status={"type": "string", "enum": ["matched", "suspense", "duplicate"]},
            invoice_id={"type": "string", "nullable": True},
            reason=_REASON,
            amount=_INT,
            **_POSTED,
        ),
    },
)


def _import_op() -> dict:
    op = _op(
        "Import a bank statement (CSV export, UTF-8, ',' or ';'): a line naming one customer is posted "
        "to that account exactly once (the invoices it names, or the oldest open ones, up to what each "
        "owes; the rest is credit), the rest go to the suspense list; the same file again changes nothing",
        (201, "Imported", IMPORT_RESULT),
        secured=True,
        errors=(400,),
        tag="managers",
        params=[dict(_query("bank", _BANK), required=True)],
    )
    op["requestBody"] = {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "minLength": 1}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary", "minLength": 1}},
        },
    }
    op["responses"]["413"] = {
        "description": "Larger than 5 MB or more than 5,000 lines",
        "content": {"application/json": {"schema": _ERR}},
    }
    op["responses"]["415"] = {
        "description": "Not a CSV or Excel file (Content-Type)",
        "content": {"application/json": {"schema": _ERR}},
    }
    return op


PATHS: dict = {
    "/v1/admin/imports/bank-statements": {"post": _import_op()},
    "/v1/admin/suspense": {
        "get": _op(
            "Statement lines that paid nothing yet (the suspense list), oldest first",
            (
                200,
                "Lines",
                _obj(
                    ["items", "next_cursor"],
                    items={"type": "array", "items": LINE},
                    next_cursor={"type": "string", "nullable": True},
                ),
            ),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[_query("limit", {"type": "integer", "minimum": 1, "maximum": 500}), _query("cursor", _STR)],
        )
    },
    "/v1/admin/suspense/{line_id}": {
        "post": _op(
            "Resolve a suspense line: post it to a customer account ({customer_code}: the oldest open invoices "
            "first; {invoice_id}: that invoice first; any amount, the rest is credit on the account; exactly once) "
            "or set it aside with a note; audited",
            (200, "The line after", LINE),
            body={
                "type": "object",
                "properties": {
                    "invoice_id": {"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,64}$"},
                    "customer_code": {"type": "string", "pattern": r"^\d{6,12}$"},
                    "ignore": {"type": "boolean"},
                    "note": {"type": "string", "maxLength": 500},
                },
                "oneOf": [
                    {
                        "required": ["invoice_id"],
                        "not": {
                            "anyOf": [
                                {"required": ["customer_code"]},
                                {"required": ["ignore"], "properties": {"ignore": {"enum": [True]}}},
                            ]
                        },
                    },
                    {
                        "required": ["customer_code"],
                        "not": {
                            "anyOf": [
                                {"required": ["invoice_id"]},
                                {"required": ["ignore"], "properties": {"ignore": {"enum": [True]}}},
                            ]
                        },
                    },
                    {
                        "required": ["ignore", "note"],
                        "not": {"anyOf": [{"required": ["invoice_id"]}, {"required": ["customer_code"]}]},
                        "properties": {"ignore": {"enum": [True]}, "note": {"type": "string", "pattern": r"\S"}},
                    },
                ],
            },
            secured=True,
            errors=(400, 404, 409, 503),
            tag="managers",
            params=[
                dict(
                    _path_param("line_id"),
                    schema={
                        "type": "string",
                        "pattern": r"^[A-Z]{2,10}#[^\x00-\x1f]{1,64}$",
                        "example": "VCB#FT23135000123",
                    },
                )
            ],
        )
    },
}
