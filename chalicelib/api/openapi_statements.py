"""OpenAPI paths of the statements blueprint (api/statements.py): bank statement imports and the suspense list."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    ERR,
    LINE_ID,
    STR,
    csv_body,
    op,
    path_param,
    pattern,
    query,
)
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_statements import (
    ImportResult,
    ImportStatus,
    LinePage,
    LineView,
    NewUpload,
    Resolve,
    UploadCreated,
)

# The upload's body declares the bank code once; the direct import takes it as a query parameter.
_NEW_UPLOAD = json_schema(NewUpload, closed=False)
_BANK = _NEW_UPLOAD["properties"]["bank"]

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
    return csv_body(
        out,
        too_large="Larger than 4,000,000 bytes (a request's body: use the upload) or more than 5,000 lines",
        not_csv="Not a CSV or Excel file (Content-Type)",
    )


IMPORT_ID = pattern(ids.IMPORT_ID)
STATEMENT_UPLOAD = json_schema(UploadCreated)
STATEMENT_IMPORT = json_schema(ImportStatus)

PATHS: dict[str, Any] = {
    "/v1/admin/imports/bank-statements": {"post": _import_op()},
    "/v1/admin/imports/bank-statements/uploads": {
        "post": op(
            "Upload a bank statement through S3 (up to 5 MB): a presigned POST whose policy fixes the key, "
            "the Content-Type and the size; then start it",
            (201, "Upload form", STATEMENT_UPLOAD),
            body=_NEW_UPLOAD,
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
