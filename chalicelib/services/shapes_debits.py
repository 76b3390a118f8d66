"""Authorised debit's shapes, declared once (chalicelib/domain/shapes.py): the body that starts a
bank's monthly run (`StartRun`), the run as the API answers it (`RunView`) and the answer to a
bank's result file (`ResultsView`). api/openapi_debits.py documents them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec
from chalicelib.services.channels import LINKED_BANKS

BANK_PATTERN = "^(" + "|".join(LINKED_BANKS) + ")$"
RequestStatus = Literal["pending", "paid", "failed"]
RowStatus = Literal["paid", "failed", "duplicate", "error"]


@dataclass(frozen=True, kw_only=True)
class StartRun:
    """POST /v1/admin/debits/runs: the bank and the billing period to collect."""

    bank: str = field(
        metadata=spec(
            pattern=BANK_PATTERN,
            example="VCB",
            description="a bank linked for authorised debit (services/channels.py LINKED_BANKS)",
            message=(
                f"bank must be one of {', '.join(LINKED_BANKS)}",
                f"Ngân hàng phải là một trong: {', '.join(LINKED_BANKS)}.",
            ),
        )
    )
    period: str = field(
        metadata=spec(
            pattern=ids.PERIOD,
            example="2026-05",
            description="the billing period: its open invoices and older ones still open are asked",
            message=("period must be YYYY-MM", "Kỳ hoá đơn phải có dạng YYYY-MM."),
        )
    )


@dataclass(frozen=True, kw_only=True)
class RunFile:
    """One request file to send to the bank, through a short-lived link. A run's files never repeat a
    request: the first holds every customer asked, a later one only those asked since."""

    name: str = field(metadata=spec(description="'<epoch seconds>-<4 hex>': the files of a run sort by it"))
    url: str = field(metadata=spec(description="a presigned GET of the CSV (S3)"))
    expires_in: int = field(metadata=spec(description="seconds"))
    rows: int = field(metadata=spec(description="requests in the file (the header aside)"))
    amount: int = field(metadata=spec(description="VND the file asks"))
    created_at: str = field(metadata=spec(format="date-time"))
    content_type: Literal["text/csv; charset=utf-8"]


@dataclass(frozen=True, kw_only=True)
class RunView:
    """A bank's run of one billing period: its requests by status and its files."""

    run_id: str = field(metadata=spec(pattern=ids.DEBIT_RUN_ID, example="VCB-202605"))
    bank: str = field(metadata=spec(pattern=BANK_PATTERN))
    bank_name: str
    period: str = field(metadata=spec(pattern=ids.PERIOD))
    requests: int = field(metadata=spec(description="customers asked"))
    amount: int = field(metadata=spec(description="VND asked, all requests"))
    pending: int
    paid: int
    failed: int
    debited: int = field(metadata=spec(description="VND the bank reported debited (paid requests)"))
    created: int | None = field(metadata=spec(description="requests this call wrote (null: not a run)"))
    left_out: int | None = field(
        metadata=spec(
            description="mandated customers this call asked nothing of: no open invoice of the period or "
            "before that another unanswered request does not already ask (null: not a run)"
        )
    )
    complete: bool | None = field(
        metadata=spec(
            description="false: time ran short before every customer was looked at; run it again for the rest "
            "(they come in a new file). null: not a run"
        )
    )
    remaining: int | None = field(metadata=spec(description="customers not looked at yet (null: not a run)"))
    file: RunFile | None = field(metadata=spec(description="the file of this call's requests (null: none)"))
    files: list[RunFile] = field(metadata=spec(description="every file of the run, oldest first"))


@dataclass(frozen=True, kw_only=True)
class ResultRow:
    """What one row of the bank's file did."""

    row: int = field(metadata=spec(description="the file's line (the header is 1)"))
    request_id: str = field(metadata=spec(pattern=ids.DEBIT_REQUEST_ID))
    status: RowStatus = field(
        metadata=spec(description="duplicate: recorded before (the same file again), nothing changed")
    )
    customer_code: str | None = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    amount: int | None = field(metadata=spec(description="VND debited (paid rows)"))
    allocated: int | None = field(metadata=spec(description="VND applied to the request's invoices"))
    credited: int | None = field(metadata=spec(description="VND left on the account as credit"))
    flags: list[str] = field(metadata=spec(description="AMOUNT_MISMATCH: debited differs from asked (posted)"))
    code: str | None = field(metadata=spec(description="error rows: DEBIT_REQUEST_NOT_FOUND, DEBIT_ALREADY_PAID"))
    message: str | None


@dataclass(frozen=True, kw_only=True)
class ResultsView:
    """The answer to a bank's result file: counts, then every row."""

    rows: int
    paid: int
    failed: int
    duplicates: int
    errors: int = field(metadata=spec(description="rows naming no request of ours, or a paid one as failed"))
    flagged: int = field(metadata=spec(description="paid rows whose amount differs from the request"))
    allocated: int = field(metadata=spec(description="VND of this file applied to invoices"))
    credited: int = field(metadata=spec(description="VND of this file left on accounts as credit"))
    reminders_queued: int = field(metadata=spec(description="customers told their debit failed"))
    complete: bool = field(
        metadata=spec(
            description="false: time ran short; send the same file again for the rest (done rows: duplicates)"
        )
    )
    not_reached: int = field(metadata=spec(description="rows not looked at (complete: false)"))
    results: list[ResultRow]
