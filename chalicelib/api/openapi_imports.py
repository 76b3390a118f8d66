"""OpenAPI paths of the imports blueprint (api/imports.py): the customer-book import (services/imports.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import INT, NSTR, NUM, STR, array, obj, op, path_param, pattern
from chalicelib.domain import identifiers as ids

IMPORT_ID = pattern(ids.IMPORT_ID)
IMPORT = obj(
    ["import_id", "status", "rows_done", "rows_ok", "rows_failed", "progress_percent", "errors"],
    import_id=IMPORT_ID,
    status={"type": "string", "enum": ["awaiting_upload", "queued", "running", "done", "failed"]},
    rows_done=INT,
    rows_ok=INT,
    rows_failed=INT,
    progress_percent=NUM,
    errors=array(
        obj(
            ["row", "code", "message"],
            row=dict(INT, description="the row of the file, the header being row 1"),
            code={"type": "string", "example": "BAD_CHANNEL", "description": "FILE: the file as a whole"},
            message=STR,
        ),
        description="the first 50",
    ),
    error_report_url=dict(NSTR, description="a presigned link to the CSV of every error, once the import is done"),
)
UPLOAD = obj(
    ["import_id", "status", "upload", "columns", "optional_columns"],
    import_id=IMPORT_ID,
    status={"type": "string", "enum": ["awaiting_upload"]},
    upload=obj(
        ["method", "url", "headers", "expires_in"],
        method={"type": "string", "enum": ["PUT"]},
        url=dict(STR, description="a presigned S3 URL"),
        headers={"type": "object", "additionalProperties": STR, "description": "to send with the PUT"},
        expires_in=dict(INT, description="seconds"),
    ),
    columns=array(STR),
    optional_columns=array(STR),
)

PATHS: dict[str, Any] = {
    "/v1/admin/imports/customers": {
        "post": op(
            "Start a customer-book import: a presigned S3 link to PUT the CSV to",
            (201, "Upload link", UPLOAD),
            secured=True,
            errors=(),
            tag="managers",
        )
    },
    "/v1/admin/imports/{import_id}/start": {
        "post": op(
            "Begin importing the uploaded file (chunks through SQS)",
            (202, "Queued", IMPORT),
            secured=True,
            errors=(404, 409),
            tag="managers",
            params=[path_param("import_id", IMPORT_ID)],
        )
    },
    "/v1/admin/imports/{import_id}": {
        "get": op(
            "Progress, the first errors and the error report link",
            (200, "Import", IMPORT),
            secured=True,
            errors=(404,),
            tag="managers",
            params=[path_param("import_id", IMPORT_ID)],
        )
    },
}
