"""Bank statements' shapes, declared once (chalicelib/domain/shapes.py): the result of an import
(`ImportResult`, with a row per line), a statement line as managers see it (`LineView`: the suspense
list, a resolution's answer) and the body that resolves a suspense line (`Resolve`).
services/statements.py builds and parses them; api/openapi_statements.py documents them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema, spec
from chalicelib.domain.statements import REASONS

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
