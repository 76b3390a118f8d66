"""OpenAPI paths of the imports blueprint (api/imports.py): the customer-book import (services/imports.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import op, path_param, pattern
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_imports import ImportView, Upload

# The shapes are declared once, in services/shapes_imports.py (ImportService builds them).
IMPORT_ID = pattern(ids.IMPORT_ID)
IMPORT = json_schema(ImportView)
UPLOAD = json_schema(Upload)

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
