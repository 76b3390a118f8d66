"""A bill-pay partner's daily reconciliation: the file of a day's payments the utility writes for each
partner, the partner's own file of the same day read back, and the differences between the two. Pure:
no AWS, no clock (docs/partners.md documents the formats).

Both files are CSV, UTF-8, one header row, one payment per row. Ours:

    partner_txn_id,customer_code,amount,paid_at,receipt_no,status

`status` is `paid`, or `reversed` (reversed the same day: no money moved). The partner's file needs
`partner_txn_id` and `amount`; `customer_code`, `paid_at` and `status` (`paid`/`reversed`, `paid` when
absent) are read when present, other columns ignored, so our own file sent back reads as the partner's.
A payment counts when it stands (paid, not reversed) on its side; what stands on one side only, or on
both with different amounts, is a difference."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from chalicelib.domain.identifiers import CUSTOMER_CODE_RE, PARTNER_TXN_ID_RE

DAILY_COLUMNS = ("partner_txn_id", "customer_code", "amount", "paid_at", "receipt_no", "status")
STATUSES = ("paid", "reversed")
MAX_LINES = 50_000  # a day of one partner; a utility of 60,000 accounts bills each once a month
MAX_AMOUNT = 10**12
# Why a difference goes to the suspense list (domain/statements.py REASONS lists them with the others).
PARTNER_ONLY = "PARTNER_ONLY"  # the partner says it collected it; we hold no such payment (or reversed it)
OURS_ONLY = "OURS_ONLY"  # we hold a payment the partner's file does not list as paid
AMOUNT_DIFFERS = "AMOUNT_DIFFERS"  # both hold it, for different amounts
REASONS = (PARTNER_ONLY, OURS_ONLY, AMOUNT_DIFFERS)
# Money the partner says it holds for us can be posted by hand from the suspense list (as its payment would
# have been); a line of money we already hold, or hold at another amount, is settled with the partner and
# set aside with a note: posting it would count the money twice.
NOT_POSTABLE = (OURS_ONLY, AMOUNT_DIFFERS)


class PartnerFileError(ValueError):
    """The file cannot be read at all (no header with the columns needed)."""


@dataclass(frozen=True)
class DailyRow:
    partner_txn_id: str
    customer_code: str
    amount: int
    paid_at: str
    receipt_no: str
    status: str  # paid | reversed


@dataclass(frozen=True)
class FileLine:
    row: int
    partner_txn_id: str
    amount: int
    customer_code: str | None = None
    paid_at: str | None = None
    status: str = "paid"


@dataclass
class ParsedFile:
    lines: list[FileLine] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)  # {row, message}


@dataclass(frozen=True)
class Difference:
    partner_txn_id: str
    reason: str
    ours: int | None  # VND we hold standing (None: none)
    theirs: int | None  # VND the partner's file lists as paid (None: none)
    customer_code: str | None


def daily_csv(rows: Iterable[DailyRow]) -> bytes:
    """Our file of one partner's day, in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DAILY_COLUMNS)
    for r in rows:
        writer.writerow([r.partner_txn_id, r.customer_code, r.amount, r.paid_at, r.receipt_no, r.status])
    return out.getvalue().encode("utf-8")


def parse_file(data: bytes) -> ParsedFile:
    """The partner's file: every readable line, and each unreadable one as an error (a row number and why).
    PartnerFileError when it is not such a file at all."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PartnerFileError("the file is not UTF-8") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(rows, None)
    if header is None:
        raise PartnerFileError("the file is empty")
    names = [h.strip().lower() for h in header]
    for needed in ("partner_txn_id", "amount"):
        if needed not in names:
            raise PartnerFileError(f"the header has no {needed} column")
    col: dict[str, int] = {
        n: names.index(n) for n in ("partner_txn_id", "amount", "customer_code", "paid_at", "status") if n in names
    }
    out = ParsedFile()
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(out.lines) >= MAX_LINES:
            raise PartnerFileError(f"more than {MAX_LINES} lines")

        def cell(name: str, row: list[str] = row) -> str | None:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else None

        problem, line = _line(number, cell)
        if problem:
            out.errors.append({"row": number, "message": problem})
        elif line is not None:
            if line.partner_txn_id in seen:
                out.errors.append({"row": number, "message": f"{line.partner_txn_id} is listed twice"})
                continue
            seen.add(line.partner_txn_id)
            out.lines.append(line)
    return out


def _line(number: int, get: Callable[[str], str | None]) -> tuple[str | None, FileLine | None]:
    """One row read through `get` (a column's value by name): (what is wrong, None) or (None, the line)."""
    txn = get("partner_txn_id") or ""
    if not PARTNER_TXN_ID_RE.fullmatch(txn):
        return "partner_txn_id is 1-64 of A-Z a-z 0-9 _ . -", None
    raw = (get("amount") or "").replace(" ", "")
    if not raw.isdigit() or not 0 < int(raw) <= MAX_AMOUNT:
        return f"{txn}: amount is a whole number of VND above 0", None
    code = get("customer_code") or None
    if code is not None and not CUSTOMER_CODE_RE.fullmatch(code):
        return f"{txn}: customer_code is 6-12 digits", None
    status = (get("status") or "paid").lower()
    if status not in STATUSES:
        return f"{txn}: status is paid or reversed", None
    return None, FileLine(number, txn, int(raw), code, get("paid_at") or None, status)


def compare(ours: Sequence[DailyRow], theirs: Sequence[FileLine]) -> list[Difference]:
    """What stands on one side only, or on both for different amounts; sorted by transaction id."""
    mine: Mapping[str, DailyRow] = {r.partner_txn_id: r for r in ours if r.status == "paid"}
    their: Mapping[str, FileLine] = {x.partner_txn_id: x for x in theirs if x.status == "paid"}
    out = []
    for txn in sorted(set(mine) | set(their)):
        a, b = mine.get(txn), their.get(txn)
        if a is not None and b is not None:
            if a.amount != b.amount:
                out.append(Difference(txn, AMOUNT_DIFFERS, a.amount, b.amount, a.customer_code))
        elif b is not None:
            code = b.customer_code or next((r.customer_code for r in ours if r.partner_txn_id == txn), None)
            out.append(Difference(txn, PARTNER_ONLY, None, b.amount, code))
        elif a is not None:
            out.append(Difference(txn, OURS_ONLY, a.amount, None, a.customer_code))
    return out
