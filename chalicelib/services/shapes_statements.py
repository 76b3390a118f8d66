"""Bank statements' shapes, declared once (chalicelib/domain/shapes.py): the result of an import
(`ImportResult`, with a row per line), a statement line as managers see it (`LineView`: the suspense
list, a resolution's answer) and the body that resolves a suspense line (`Resolve`); and a statement
uploaded through S3: the body that asks for the form (`NewUpload`), the form (`UploadCreated`), what
the import keeps (`ImportSummary`) and the import as managers see it (`ImportStatus`).
services/statements.py and services/statement_imports.py build and parse them;
api/openapi_statements.py documents them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema, spec
from chalicelib.domain.statements import BANKS, REASONS

MAX_NOTE = 500  # a resolution's note

Channel = Literal["bank_transfer", "authorised_debit"]
LineStatus = Literal["matched", "suspense", "resolved", "ignored"]


def _reason(description: str) -> dict[str, Any]:
    # REASONS is a tuple the domain owns: the document lists it, as an enum beside the (nullable) string.
    return spec(schema={"enum": [*REASONS, None]}, description=description)


@dataclass(frozen=True, kw_only=True)
class RowError:
    """A row of the file that could not be read (or a booking date out of range)."""

    row: int
    message: str


@dataclass(frozen=True, kw_only=True)
class DuplicateRow:
    """A line recorded before (the same file again, or a notification of the same transfer): nothing changed."""

    row: int
    line_id: str = field(metadata=spec(pattern=ids.LINE_ID))
    amount: int | None = field(
        default=None, metadata=spec(omit_none=True, description="VND; absent when the line was found recorded first")
    )
    status: Literal["duplicate"]


@dataclass(frozen=True, kw_only=True)
class SuspenseRow:
    """A line that names no one account: kept in the suspense list."""

    row: int
    line_id: str = field(metadata=spec(pattern=ids.LINE_ID))
    amount: int = field(metadata=spec(description="VND"))
    status: Literal["suspense"]
    invoice_id: str | None = field(metadata=spec(description="always null: a line in suspense paid nothing"))
    reason: str | None = field(metadata=_reason("why the line is in suspense"))


@dataclass(frozen=True, kw_only=True)
class MatchedRow:
    """A line posted to the customer account it names (the customer account, issue 13)."""

    row: int
    line_id: str = field(metadata=spec(pattern=ids.LINE_ID))
    amount: int = field(metadata=spec(description="VND"))
    status: Literal["matched"]
    reason: str | None = field(metadata=spec(description="always null"))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    invoice_id: str | None = field(metadata=spec(description="the first invoice it paid (null: all credit)"))
    invoice_ids: list[str] = field(metadata=spec(description="the invoices it paid, oldest first"))
    allocated: int = field(metadata=spec(description="VND applied to invoices (up to what each still owed)"))
    credited: int = field(metadata=spec(description="VND left on the customer's account as credit"))


ImportRow = DuplicateRow | SuspenseRow | MatchedRow


@dataclass(frozen=True, kw_only=True)
class ImportResult:
    """POST /v1/admin/imports/bank-statements (and an upload's full result): counts, errors, a row per line."""

    import_id: str
    bank: str
    channel: Channel
    lines: int = field(metadata=spec(description="credit lines read"))
    matched: int = field(metadata=spec(description="lines posted to the one customer account they name"))
    suspense: int
    duplicates: int = field(metadata=spec(description="lines recorded before (the same file again): nothing changed"))
    allocated: int = field(metadata=spec(description="VND of this import applied to invoices"))
    credited: int = field(metadata=spec(description="VND of this import left on accounts as credit"))
    skipped: int = field(metadata=spec(description="debit lines, blank rows, totals"))
    errors: list[RowError]
    # A row's keys depend on what became of its line: one of three closed shapes, told apart by status.
    results: list[object] = field(
        metadata=spec(
            schema={"items": {"oneOf": [json_schema(DuplicateRow), json_schema(SuspenseRow), json_schema(MatchedRow)]}}
        )
    )


@dataclass(frozen=True, kw_only=True)
class LineView:
    """A statement line as managers see it: the suspense list, and a line once resolved or set aside."""

    line_id: str = field(metadata=spec(pattern=ids.LINE_ID, example="VCB#FT23135000123"))
    bank_code: str
    bank: str | None = field(metadata=spec(description="the bank's name (null: a code not listed)"))
    bank_ref: str
    booked_on: str = field(metadata=spec(format="date"))
    amount: int = field(metadata=spec(description="VND"))
    amount_text: str
    description: str
    status: LineStatus
    reason: str | None = field(metadata=_reason("why the line is (or was) in suspense"))
    invoice_id: str | None
    import_id: str
    imported_at: str = field(metadata=spec(format="date-time"))
    resolved_by: str | None
    customer_code: str | None = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    invoice_ids: list[str] = field(metadata=spec(description="the invoices it paid, oldest first"))
    allocated: int | None = field(metadata=spec(description="VND applied to invoices (up to what each still owed)"))
    credited: int | None = field(metadata=spec(description="VND left on the customer's account as credit"))
    note: str | None = field(default=None, metadata=spec(omit_none=True, description="why it was resolved so"))


@dataclass(frozen=True, kw_only=True)
class LinePage:
    """GET /v1/admin/suspense: the lines that paid nothing yet, oldest first."""

    items: list[LineView]
    next_cursor: str | None


@dataclass(frozen=True, kw_only=True)
class Resolve:
    """POST /v1/admin/suspense/{line_id}: post the line to a customer account (customer_code: its oldest open
    invoices first; invoice_id: that invoice first) or set it aside (ignore: true, with a note). Exactly one
    of the three: the service checks that itself (a null is read as absent). Checked in this order."""

    note: str | None = field(
        default=None,
        metadata=spec(
            max=MAX_NOTE, message=(f"note: up to {MAX_NOTE} characters", f"Ghi chú tối đa {MAX_NOTE} ký tự.")
        ),
    )
    ignore: bool | None = field(
        default=None,
        metadata=spec(message=("ignore must be true or false", "Trường ignore phải là true hoặc false.")),
    )
    customer_code: str | None = field(
        default=None,
        metadata=spec(
            pattern=ids.CUSTOMER_CODE,
            example="01031059",
            message=("customer_code is 6-12 digits", "Mã khách hàng gồm 6-12 chữ số."),
        ),
    )
    invoice_id: str | None = field(
        default=None,
        metadata=spec(pattern=ids.INVOICE_ID, message=("invoice_id is not valid", "Mã hoá đơn không hợp lệ.")),
    )


# -- a statement uploaded through S3 (services/statement_imports.py) ------------------------------------

# The codes of domain.statements.BANKS, in any case (the service upper-cases them).
BANK_CODE = "^(" + "|".join("".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in b) for b in BANKS) + ")$"
BANK_MESSAGE = (f"bank must be one of {', '.join(BANKS)}", f"Mã ngân hàng phải là một trong: {', '.join(BANKS)}.")
# What the upload's form accepts, and the file each one is read as.
UploadType = Literal[
    "text/csv", "application/octet-stream", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
]
ImportState = Literal["awaiting_upload", "queued", "running", "done", "failed"]


def _bank_code(value: str) -> str:
    return value.upper()


@dataclass(frozen=True, kw_only=True)
class NewUpload:
    """POST /v1/admin/imports/bank-statements/uploads (other keys are ignored)."""

    bank: str = field(
        metadata=spec(
            pattern=BANK_CODE,
            check=_bank_code,
            message=BANK_MESSAGE,
            example="VCB",
            description=(
                "VCB, AGR, STB, BIDV, CTG, TCB, MB, ACB, VPB, SHB, HDB, LPB, OCB; KBNN for the State Treasury (NT)"
            ),
        )
    )
    content_type: UploadType = field(
        default="text/csv",
        metadata=spec(
            message=(
                f"content_type must be one of {', '.join(get_args(UploadType))}",
                "content_type phải là text/csv hoặc tệp Excel .xlsx.",
            ),
            schema={"default": "text/csv"},
        ),
    )


@dataclass(frozen=True, kw_only=True)
class UploadForm:
    """The presigned POST: S3's policy fixes the key, the Content-Type and the size."""

    method: Literal["POST"]
    url: str = field(metadata=spec(description="the bucket's regional endpoint: POST a multipart form there"))
    # A map of strings: a shape has no map type, the document states it.
    fields: object = field(
        metadata=spec(
            schema={"type": "object", "additionalProperties": {"type": "string"}},
            description="the form's fields (key, Content-Type, policy, signature), in this order, then `file`",
        )
    )
    max_bytes: int = field(metadata=spec(description="S3 refuses a larger file (the policy's content-length-range)"))
    expires_in: int = field(metadata=spec(description="seconds"))


@dataclass(frozen=True, kw_only=True)
class UploadCreated:
    """POST /v1/admin/imports/bank-statements/uploads: the import, waiting for its file."""

    import_id: str = field(metadata=spec(pattern=ids.IMPORT_ID))
    status: Literal["awaiting_upload"]
    bank: str
    upload: UploadForm


@dataclass(frozen=True, kw_only=True)
class ImportFailure:
    """Why the file could not be imported (trying again changes nothing)."""

    code: str
    message: str
    message_vi: str


# A summary is either what a done import counted or why it failed: each key only when it applies.
_KEPT = spec(omit_none=True)


@dataclass(frozen=True, kw_only=True)
class ImportSummary:
    """What an uploaded statement's import keeps: once done, the counts and the first errors; once
    failed, {error}."""

    bank: str | None = field(default=None, metadata=_KEPT)
    channel: Channel | None = field(default=None, metadata=_KEPT)
    lines: int | None = field(default=None, metadata=_KEPT)
    matched: int | None = field(default=None, metadata=_KEPT)
    suspense: int | None = field(default=None, metadata=_KEPT)
    duplicates: int | None = field(default=None, metadata=_KEPT)
    allocated: int | None = field(default=None, metadata=_KEPT)
    credited: int | None = field(default=None, metadata=_KEPT)
    skipped: int | None = field(default=None, metadata=_KEPT)
    errors_count: int | None = field(default=None, metadata=_KEPT)
    errors: list[RowError] | None = field(
        default=None, metadata=spec(omit_none=True, description="the first 50 (errors_count: all of them)")
    )
    error: ImportFailure | None = field(default=None, metadata=_KEPT)


_SUMMARY = {
    **json_schema(ImportSummary),
    "nullable": True,
    "description": "once done: the counts and the first 50 errors; once failed: {error}",
}


@dataclass(frozen=True, kw_only=True)
class ImportStatus:
    """GET /v1/admin/imports/bank-statements/{import_id} (and its start's answer)."""

    import_id: str = field(metadata=spec(pattern=ids.IMPORT_ID))
    status: ImportState
    bank: str
    # The summary as the import stored it (an ImportSummary once written): read back, not rebuilt.
    result: object | None = field(metadata=spec(schema=_SUMMARY))
    result_url: str | None = field(
        metadata=spec(description="a presigned link to the full result (JSON, as the direct import answers)")
    )
