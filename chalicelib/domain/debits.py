"""Authorised debit (nhờ thu, NT at a bank), pure rules: the ids of a month's run and of its
requests, which confirmed channel request is a customer's mandate, the request file sent to the
bank and the result file it sends back, and the message a failed debit sends the customer.

The banks' file formats are ASSUMED: no Vietnamese bank publishes a standard for a biller's
debit-request file, so the columns below are ours (docs/authorised_debit.md), defined here once
and agreed with each bank when the service is set up. No I/O, no clock."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from chalicelib.domain.identifiers import DEBIT_REQUEST_ID_RE, DEBIT_RUN_ID_RE
from chalicelib.domain.invoices import format_vnd
from chalicelib.domain.reminders import CHANNELS, Message, ascii_text, payment_link
from chalicelib.domain.statements import StatementError, decode, parse_amount

CHANNEL = "authorised_debit"  # the channel requests' and the ledger's name of it
NOTICE_LEVEL = "debit_failed"  # the reminder record of a failed debit: '<request_id>#debit_failed'
INVOICE_SEPARATOR = ";"  # between the invoice ids of one request, inside its cell

# The request file (utility -> bank), in this column order. ASSUMED, see above.
REQUEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("request_id", "our reference of the debit: '<bank>-<yyyymm>-<customer code>', unique, the bank quotes it back"),
    ("customer_code", "the customer code (mã khách hàng)"),
    ("mandate_ref", "the mandate: the confirmed channel request (CR...) the customer signed at the bank"),
    ("account_holder", "the account holder's name as the customer gave it"),
    ("invoice_ids", f"the invoices the debit pays, separated by '{INVOICE_SEPARATOR}'"),
    ("amount", "whole VND to debit: what those invoices still owed when the request was made"),
    ("period", "the billing period of the run, YYYY-MM"),
)
# The result file (bank -> utility). ASSUMED, see above; extra columns are ignored.
RESULT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("request_id", "the request_id of the request file"),
    ("status", "paid or failed"),
    ("bank_ref", "the bank's reference of the debit (required when paid)"),
    ("amount", "whole VND debited (required when paid; may differ from the request)"),
    ("reason", "why the debit failed (when failed), e.g. insufficient funds"),
)
RESULT_STATUSES = ("paid", "failed")
MAX_BANK_REF = 64
MAX_REASON = 200
MAX_ROWS = 5000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def run_id(bank: str, period: str) -> str:
    """The run of one bank and one billing period: 'VCB-202605'."""
    return f"{bank}-{period.replace('-', '')}"


def request_id(bank: str, period: str, customer_code: str) -> str:
    """A customer's request in a run: the same bank, period and customer give the same id, so running
    the month again writes nothing twice."""
    return f"{run_id(bank, period)}-{customer_code}"


def period_of_run(run: str) -> tuple[str, str]:
    """(bank, 'YYYY-MM') of a run id; ValueError if it is not one."""
    if not DEBIT_RUN_ID_RE.fullmatch(run):
        raise ValueError("not a debit run id")
    bank, yyyymm = run.split("-")
    return bank, f"{yyyymm[:4]}-{yyyymm[4:]}"


def period_before(today: date) -> str:
    """The billing period a run on `today` collects: last month's readings are billed this month."""
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return f"{year:04d}-{month:02d}"


# -- mandates ---------------------------------------------------------------------


class ChannelChoice(Protocol):
    """A confirmed payment-channel request, as the mandate rule reads it."""

    @property
    def request_id(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def bank_code(self) -> str: ...
    @property
    def requested_at(self) -> float: ...
    @property
    def decided_at(self) -> float | None: ...


C = TypeVar("C", bound=ChannelChoice)


def current_choices(confirmed: Iterable[C]) -> dict[str, C]:
    """Each customer's channel now: of its confirmed requests, the one decided last (a customer who
    moved from authorised debit at one bank to another, or to bank transfer, has several)."""
    out: dict[str, C] = {}
    for item in confirmed:
        seen = out.get(item.customer_code)
        key = (item.decided_at or 0, item.requested_at, item.request_id)
        if seen is None or key > (seen.decided_at or 0, seen.requested_at, seen.request_id):
            out[item.customer_code] = item
    return out


def mandates_at(confirmed: Iterable[C], bank: str) -> list[C]:
    """The customers whose channel now is authorised debit at `bank`, by customer code."""
    current = current_choices(confirmed)
    return sorted(
        (c for c in current.values() if c.channel == CHANNEL and c.bank_code == bank), key=lambda c: c.customer_code
    )


# -- the request file ---------------------------------------------------------------


@dataclass(frozen=True)
class RequestLine:
    request_id: str
    customer_code: str
    mandate_ref: str
    account_holder: str
    invoice_ids: tuple[str, ...]
    amount: int
    period: str


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (the holder's name is the customer's input)."""
    text = _CONTROL.sub(" ", text).strip()
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def requests_csv(lines: Sequence[RequestLine]) -> bytes:
    """The request file: UTF-8, ',' separated, CRLF (RFC 4180), a header row of REQUEST_COLUMNS."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in REQUEST_COLUMNS])
    for line in lines:
        writer.writerow(
            [
                line.request_id,
                line.customer_code,
                line.mandate_ref,
                _cell(line.account_holder),
                INVOICE_SEPARATOR.join(line.invoice_ids),
                str(int(line.amount)),
                line.period,
            ]
        )
    return out.getvalue().encode("utf-8")


# -- the result file ----------------------------------------------------------------


class DebitFileError(ValueError):
    """The result file cannot be read; `row` is its 1-based line (None: the file as a whole)."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message if row is None else f"row {row}: {message}")
        self.row = row


@dataclass(frozen=True)
class ResultRow:
    row: int  # the file's line number (the header is row 1)
    request_id: str
    status: str  # paid | failed
    bank_ref: str | None
    amount: int | None  # paid: what the bank debited
    reason: str | None  # failed: why


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def parse_results(data: bytes) -> list[ResultRow]:
    """Every row of a bank's result file, checked; DebitFileError for the first that is not right (the file
    is then refused as a whole: a file half applied is worse than one sent again, corrected)."""
    try:
        text = decode(data)
    except StatementError as exc:
        raise DebitFileError(str(exc)) from None
    if data.startswith(b"PK\x03\x04"):
        raise DebitFileError("send the result file as CSV, not Excel")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DebitFileError("the first line must be the header: " + ", ".join(n for n, _ in RESULT_COLUMNS))
    rows = list(csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0])))
    header = [h.strip().lower() for h in rows[0]]
    missing = [name for name, _ in RESULT_COLUMNS if name not in header]
    if missing:
        raise DebitFileError(f"the header lacks {', '.join(missing)}", 1)
    at = {name: header.index(name) for name, _ in RESULT_COLUMNS}
    out: list[ResultRow] = []
    seen: set[str] = set()
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(out) >= MAX_ROWS:
            raise DebitFileError(f"more than {MAX_ROWS} rows: split the file")
        if len(cells) > len(header):
            # '75,900' unquoted in a ',' file reads as two cells: never guess which part was the amount.
            raise DebitFileError("more cells than the header has: quote an amount written with ','", number)
        cell = {name: (cells[i].strip() if i < len(cells) else "") for name, i in at.items()}
        after = at["amount"] + 1
        if cell["amount"] and after < len(cells) and re.fullmatch(r"\d{3}", cells[after].strip()):
            raise DebitFileError("the amount looks split in two: quote an amount written with ','", number)
        row = _result_row(number, cell)
        if row.request_id in seen:
            raise DebitFileError(f"{row.request_id} is on two rows", number)
        seen.add(row.request_id)
        out.append(row)
    return out


def _result_row(number: int, cell: dict[str, str]) -> ResultRow:
    rid = cell["request_id"]
    if not DEBIT_REQUEST_ID_RE.fullmatch(rid):
        raise DebitFileError("request_id is not one of ours ('<bank>-<yyyymm>-<customer code>')", number)
    status = cell["status"].lower()
    if status not in RESULT_STATUSES:
        raise DebitFileError("status must be paid or failed", number)
    bank_ref, reason = cell["bank_ref"] or None, cell["reason"] or None
    for name, value, limit in (("bank_ref", bank_ref, MAX_BANK_REF), ("reason", reason, MAX_REASON)):
        if value is not None and (len(value) > limit or _CONTROL.search(value)):
            raise DebitFileError(f"{name}: up to {limit} characters, no control characters", number)
    if status == "failed":
        return ResultRow(number, rid, status, bank_ref, None, reason)
    if bank_ref is None:
        raise DebitFileError("a paid row needs the bank's reference (bank_ref)", number)
    try:
        amount = parse_amount(cell["amount"])
    except ValueError:
        raise DebitFileError("amount must be a whole number of VND", number) from None
    if amount <= 0:
        raise DebitFileError("a paid row debited a positive amount", number)
    return ResultRow(number, rid, status, bank_ref, amount, None)


# -- the message of a failed debit ---------------------------------------------------


def failed_message(
    channel: str,
    *,
    bank: str,
    customer_code: str,
    period: str,
    amount: int,
    invoice_id: str,
    link_base: str,
    sender: str = "CAWACO",
) -> Message:
    """'The bank could not debit, please pay': no name, no account number, no bank reason (the bank's
    words may carry account details)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    year, month = period.split("-")
    link = payment_link(link_base, invoice_id)
    title = "Nhờ thu tiền nước không thành công"
    body = (
        f"{sender}: Ngân hàng {bank} chưa trích nợ được {format_vnd(amount)} tiền nước kỳ {month}/{year} "
        f"của mã khách hàng {customer_code}. Quý khách vui lòng thanh toán: {link}"
    )
    data = {
        "customer_code": customer_code,
        "period": f"{month}/{year}",
        "amount": format_vnd(amount),
        "invoice_id": invoice_id,
        "payment_link": link,
        "level": NOTICE_LEVEL,
    }
    if channel == "sms":
        return Message(channel, ascii_text(title), ascii_text(body), data)
    if channel == "email":
        text = f"Kính gửi quý khách,\n\n{body[len(sender) + 2 :]}\n\nTrân trọng,\n{sender}"
        return Message(channel, f"{sender}: {title} (kỳ {month}/{year})", text, data)
    return Message(channel, title, body, data)
