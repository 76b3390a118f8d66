"""OpenAPI paths of the statements blueprint (api/statements.py): bank statement imports and the suspense list."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    ERR,
    INT,
    LINE_ID,
    NSTR,
    STR,
    array,
    obj,
    op,
    path_param,
    pattern,
    query,
)
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.domain.statements import BANKS
from chalicelib.services.shapes_statements import ImportResult, LinePage, LineView, Resolve

_BANK = {
    "type": "string",
    # The codes of domain.statements.BANKS, in any case (the service upper-cases them).
    "pattern": "^("
    + "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in code) for code in BANKS)
    + ")$",
    "example": "VCB",
    "description": "VCB, AGR, STB, BIDV, CTG, TCB, MB, ACB, VPB, SHB, HDB, LPB, OCB; KBNN for the State Treasury (NT)",
}

LINE = json_schema(LineView)
IMPORT_RESULT = json_schema(ImportResult)
# The resolution's fields are Resolve's; exactly one of the three is the service's own rule, stated here.
# A null is read as absent, so the document offers only values.
_RESOLVE = json_schema(Resolve, closed=False)
for _prop in _RESOLVE["properties"].values():
    del _prop["nullable"]
_IGNORE_TRUE = {"required": ["ignore"], "properties": {"ignore": {"enum": [True]}}}
_RESOLVE["oneOf"] = [
    {"required": ["invoice_id"], "not": {"anyOf": [{"required": ["customer_code"]}, _IGNORE_TRUE]}},
    {"required": ["customer_code"], "not": {"anyOf": [{"required": ["invoice_id"]}, _IGNORE_TRUE]}},
    {
        "required": ["ignore", "note"],
        "not": {"anyOf": [{"required": ["invoice_id"]}, {"required": ["customer_code"]}]},
        "properties": {"ignore": {"enum": [True]}, "note": {"type": "string", "pattern": r"\S"}},
    },
]


def _import_op() -> dict[str, Any]:
    out = op(
        "Import a bank statement (CSV export, UTF-8, ',' or ';'): a line naming one customer is posted "
        "to that account exactly once (the invoices it names, or the oldest open ones, up to what each "
        "owes; the rest is credit), the rest go to the suspense list; the same file again changes nothing",
        (201, "Imported", IMPORT_RESULT),
        secured=True,
        errors=(400,),
        tag="managers",
        params=[dict(query("bank", _BANK), required=True)],
    )
    out["requestBody"] = {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "minLength": 1}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary", "minLength": 1}},
        },
    }
    out["responses"]["413"] = {
        "description": "Larger than 4,000,000 bytes (a request's body: use the upload) or more than 5,000 lines",
        "content": {"application/json": {"schema": ERR}},
    }
    out["responses"]["415"] = {
        "description": "Not a CSV or Excel file (Content-Type)",
        "content": {"application/json": {"schema": ERR}},
    }
    return out


IMPORT_ID = pattern(ids.IMPORT_ID)
_CONTENT_TYPE = {
    "type": "string",
    "enum": [
        "text/csv",
        "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
}
STATEMENT_UPLOAD = obj(
    ["import_id", "status", "bank", "upload"],
    import_id=IMPORT_ID,
    status={"type": "string", "enum": ["awaiting_upload"]},
    bank=STR,
    upload=obj(
        ["method", "url", "fields", "max_bytes", "expires_in"],
        method={"type": "string", "enum": ["POST"]},
        url=dict(STR, description="the bucket's regional endpoint: POST a multipart form there"),
        fields={
            "type": "object",
            "additionalProperties": STR,
            "description": "the form's fields (key, Content-Type, policy, signature), in this order, then `file`",
        },
        max_bytes=dict(INT, description="S3 refuses a larger file (the policy's content-length-range)"),
        expires_in=dict(INT, description="seconds"),
    ),
)
STATEMENT_IMPORT = obj(
    ["import_id", "status", "bank", "result", "result_url"],
    import_id=IMPORT_ID,
    status={"type": "string", "enum": ["awaiting_upload", "queued", "running", "done", "failed"]},
    bank=STR,
    result={
        "type": "object",
        "nullable": True,
        "description": "once done: the counts and the first 50 errors; once failed: {error}",
        "properties": {
            "bank": STR,
            "channel": {"type": "string", "enum": ["bank_transfer", "authorised_debit"]},
            "lines": INT,
            "matched": INT,
            "suspense": INT,
            "duplicates": INT,
            "allocated": INT,
            "credited": INT,
            "skipped": INT,
            "errors_count": INT,
            "errors": array(obj(["row", "message"], row=INT, message=STR)),
            "error": obj(["code", "message"], code=STR, message=STR, message_vi=STR),
        },
    },
    result_url=dict(NSTR, description="a presigned link to the full result (JSON, as the direct import answers)"),
)

PATHS: dict[str, Any] = {
    "/v1/admin/imports/bank-statements": {"post": _import_op()},
    "/v1/admin/imports/bank-statements/uploads": {
        "post": op(
            "Upload a bank statement through S3 (up to 5 MB): a presigned POST whose policy fixes the key, "
            "the Content-Type and the size; then start it",
            (201, "Upload form", STATEMENT_UPLOAD),
            body=obj(["bank"], bank=_BANK, content_type=dict(_CONTENT_TYPE, default="text/csv")),
            secured=True,
            errors=(400,),
            tag="managers",
        )
    },
    "/v1/admin/imports/bank-statements/{import_id}/start": {
        "post": op(
            "Import the uploaded statement (through the imports queue; GET the import for its result)",
            (202, "Queued", STATEMENT_IMPORT),
            secured=True,
            errors=(404, 409),
            tag="managers",
            params=[path_param("import_id", IMPORT_ID)],
        )
    },
    "/v1/admin/imports/bank-statements/{import_id}": {
        "get": op(
            "An uploaded statement's import: its status, then its counts, first errors and full result link",
            (200, "Import", STATEMENT_IMPORT),
            secured=True,
            errors=(404,),
            tag="managers",
            params=[path_param("import_id", IMPORT_ID)],
        )
    },
    "/v1/admin/suspense": {
        "get": op(
            "Statement lines that paid nothing yet (the suspense list), oldest first",
            (
                200,
                "Lines",
                json_schema(LinePage),
            ),
            secured=True,
            errors=(400,),
            tag="managers",
            params=[query("limit", {"type": "integer", "minimum": 1, "maximum": 500}), query("cursor", STR)],
        )
    },
    "/v1/admin/suspense/{line_id}": {
        "post": op(
            "Resolve a suspense line: post it to a customer account ({customer_code}: the oldest open invoices "
            "first; {invoice_id}: that invoice first; any amount, the rest is credit on the account; exactly once) "
            "or set it aside with a note; audited",
            (200, "The line after", LINE),
            body=_RESOLVE,
            secured=True,
            errors=(400, 404, 409, 503),
            tag="managers",
            params=[path_param("line_id", LINE_ID)],
        )
    },
}
PATHS["/v1/admin/imports/bank-statements/{import_id}/start"]["post"]["responses"]["413"] = {
    "description": "The uploaded file is larger than 5 MB",
    "content": {"application/json": {"schema": ERR}},
}
