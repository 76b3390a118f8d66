"""The customer-book import's shapes, declared once (chalicelib/domain/shapes.py): the upload link a
new import gives (`Upload`) and the import as the managers watch it (`ImportView`). ImportService
builds them; api/openapi_imports.py documents them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec

ImportStatus = Literal["awaiting_upload", "queued", "running", "done", "failed"]
_IMPORT_ID = spec(pattern=ids.IMPORT_ID)


@dataclass(frozen=True, kw_only=True)
class UploadLink:
    """Where and how to PUT the CSV."""

    method: Literal["PUT"]
    url: str = field(metadata=spec(description="a presigned S3 URL"))
    # A map of header names to values: a shape states no map, so the document says it.
    headers: object = field(
        metadata=spec(
            schema={"type": "object", "additionalProperties": {"type": "string"}},
            description="to send with the PUT",
        )
    )
    expires_in: int = field(metadata=spec(description="seconds"))


@dataclass(frozen=True, kw_only=True)
class Upload:
    """POST /v1/admin/imports/customers: a new import, waiting for its file."""

    import_id: str = field(metadata=_IMPORT_ID)
    status: Literal["awaiting_upload"]
    upload: UploadLink
    columns: list[str]
    optional_columns: list[str]


@dataclass(frozen=True, kw_only=True)
class RowError:
    """A row the import refused (or the file as a whole: code FILE)."""

    row: int = field(metadata=spec(description="the row of the file, the header being row 1"))
    code: str = field(metadata=spec(example="BAD_CHANNEL", description="FILE: the file as a whole"))
    message: str


@dataclass(frozen=True, kw_only=True)
class ImportView:
    """An import's progress, its first errors and the link to all of them."""

    import_id: str = field(metadata=_IMPORT_ID)
    status: ImportStatus
    rows_done: int
    rows_ok: int
    rows_failed: int
    progress_percent: float
    errors: list[RowError] = field(metadata=spec(description="the first 50"))
    error_report_url: str | None = field(
        metadata=spec(description="a presigned link to the CSV of every error, once the import is done")
    )
