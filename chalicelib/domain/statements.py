"""Bank statements (CK) and the State Treasury's authorised collections (NT):
reading the banks' CSV exports into credit lines, finding customer codes and
invoice ids in free-text transfer descriptions, and deciding which one
customer account a line pays. Pure: no AWS, no clock.

CSV only. Excel (.xlsx) exports must be saved as CSV first: no spreadsheet
reader (openpyxl) is among the project's requirements.

Column names per bank (BANK_COLUMNS) are ASSUMED formats, written from the
headers Vietnamese banks commonly use, not from real exports of the
utility's banks: check them against a real file before relying on them. A
file whose headers are not in its bank's mapping is read by the generic
header names (Vietnamese or English, with or without diacritics)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Bank codes accepted by the import (seed 003: "13 banks"; VCB, AGR, STB are
# the linked ones). KBNN is the State Treasury (Kho bạc Nhà nước): public
# bodies' authorised collection (NT).
BANKS = {
    "VCB": "Vietcombank",
    "AGR": "Agribank",
    "STB": "Sacombank",
    "BIDV": "BIDV",
    "CTG": "VietinBank",
    "TCB": "Techcombank",
    "MB": "MB Bank",
    "ACB": "ACB",
    "VPB": "VPBank",
    "SHB": "SHB",
    "HDB": "HDBank",
    "LPB": "LPBank",
    "OCB": "OCB",
    "KBNN": "Kho bạc Nhà nước",
}
TREASURY = "KBNN"
MAX_REF = 64
MAX_DESCRIPTION = 500
MAX_AMOUNT = 10**12
HEADER_SEARCH_ROWS = 30  # exports often start with the account's details above the header
ROLES = ("bank_ref", "booked_on", "credit", "description")

# Generic header names (compared without diacritics, case or punctuation).
GENERIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "bank_ref": (
        "so tham chieu",
        "ma tham chieu",
        "so but toan",
        "ma giao dich",
        "so giao dich",
        "ma gd",
        "so gd",
        "so chung tu",
        "so ct",
        "reference",
        "reference no",
        "ref",
        "ref no",
        "transaction id",
        "transaction no",
        "transaction number",
        "trans no",
    ),
    "booked_on": (
        "ngay giao dich",
        "ngay gd",
        "ngay hach toan",
        "ngay hieu luc",
        "ngay",
        "ngay chung tu",
        "transaction date",
        "booking date",
        "posting date",
        "value date",
        "effective date",
        "date",
    ),
    "credit": (
        "so tien ghi co",
        "ghi co",
        "so tien co",
        "phat sinh co",
        "tien vao",
        "credit",
        "credit amount",
        "so tien",
        "amount",
    ),
    "debit": ("so tien ghi no", "ghi no", "so tien no", "phat sinh no", "tien ra", "debit", "debit amount"),
    "description": (
        "noi dung",
        "noi dung giao dich",
        "noi dung chi tiet",
        "dien giai",
        "mo ta",
        "chi tiet",
        "description",
        "details",
        "narrative",
        "remarks",
        "transaction details",
    ),
}

# ASSUMED formats (see the module's docstring): header names per bank, tried
# before the generic names.
BANK_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "VCB": {
        "bank_ref": ("So tham chieu",),
        "booked_on": ("Ngay giao dich",),
        "credit": ("So tien ghi co",),
        "debit": ("So tien ghi no",),
        "description": ("Mo ta",),
    },
    "AGR": {
        "bank_ref": ("So but toan",),
        "booked_on": ("Ngay hach toan",),
        "credit": ("Phat sinh co",),
        "debit": ("Phat sinh no",),
        "description": ("Dien giai",),
    },
    "STB": {
        "bank_ref": ("So giao dich",),
        "booked_on": ("Ngay giao dich",),
        "credit": ("Ghi co",),
        "debit": ("Ghi no",),
        "description": ("Noi dung",),
    },
    "BIDV": {
        "bank_ref": ("So tham chieu",),
        "booked_on": ("Ngay hieu luc",),
        "credit": ("Ghi co",),
        "debit": ("Ghi no",),
        "description": ("Mo ta",),
    },
    "KBNN": {
        "bank_ref": ("So chung tu",),
        "booked_on": ("Ngay hach toan",),
        "credit": ("So tien",),
        "description": ("Noi dung",),
    },
}

# Why a line is in suspense. decide() gives the first three; the next three are on lines recorded before
# the customer account (issue 13), when a line had to pay exactly one invoice's total.
REASONS = (
    "NO_REFERENCE",
    "UNKNOWN_CUSTOMER",
    "SEVERAL_CUSTOMERS",
    "AMOUNT_MISMATCH",
    "SEVERAL_INVOICES",
    "ALREADY_PAID",
    # Our payment references (domain/transfer_matching.py) and bank notifications (services/bank_transfers.py).
    "BAD_REFERENCE",
    "UNKNOWN_REFERENCE",
    "OTHER_ACCOUNT",
    # A bill-pay partner's daily file against our payments (domain/partner_files.py; line '<partner>#<txn>').
    "PARTNER_ONLY",
    "OURS_ONLY",
    "AMOUNT_DIFFERS",
)


class StatementError(ValueError):
    """The file cannot be read at all (not the CSV of a statement)."""


@dataclass(frozen=True)
class StatementLine:
    row: int  # the CSV record's number in the file, header rows included (1-based)
    bank_ref: str
    booked_on: str  # YYYY-MM-DD
    amount: int  # whole VND, > 0
    description: str


@dataclass
class ParsedStatement:
    lines: list[StatementLine] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # {row: int, message: str}
    skipped: int = 0  # debit lines, totals, blank rows
    header_row: int = 0
    delimiter: str = ","


# -- text -----------------------------------------------------------------------


def fold(text: str) -> str:
    """Upper case ASCII: no diacritics ('Nội dung' -> 'NOI DUNG'; 'đ' -> 'D')."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _header_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text).lower()).split())


def xlsx_to_csv(data: bytes) -> str:
    """An Excel (.xlsx) export's first sheet as CSV text, so one parser reads both."""
    from openpyxl import load_workbook  # deferred: only statement imports need it

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # openpyxl raises many kinds for a broken file
        raise StatementError("the Excel file cannot be read: save it again as .xlsx or CSV") from None
    out = io.StringIO()
    writer = csv.writer(out)
    for row in sheet.iter_rows(values_only=True):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def decode(data: bytes) -> str:
    """UTF-8 with or without a BOM; UTF-16 when it starts with its BOM (Excel's 'Unicode text');
    an Excel workbook (.xlsx, a zip) is read with openpyxl."""
    if data.startswith(b"PK\x03\x04"):
        return xlsx_to_csv(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise StatementError("the file is not valid UTF-16") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StatementError("the file is not UTF-8: export or save it as CSV UTF-8") from None


# -- amounts and dates ------------------------------------------------------

_GROUPED = re.compile(r"\d{1,3}(?:([.,' ])\d{3})(?:\1\d{3})*")


def parse_amount(text: str) -> int:
    """A whole VND amount as banks write it: '78255', '78.255', '78,255',
    '78,255.00', '78.255,00', '1 234 567', '78255.00', with an optional 'VND',
    'đ' or '+'. A comma or dot followed by exactly three digits groups
    thousands (VND has no minor unit); followed by one or two digits it is a
    decimal mark, and the decimals must be zero. Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError("not text")
    s = text.strip().replace("\u00a0", " ")
    s = re.sub(r"(?i)\s*(vnd|vnđ|đ|d)\s*$", "", s).strip()
    if s.startswith("+"):
        s = s[1:].strip()
    if not s:
        raise ValueError("empty amount")
    if s.startswith("-") or (s.startswith("(") and s.endswith(")")):
        raise ValueError("a negative amount is not a credit")
    whole, decimals = s, ""
    m = re.fullmatch(r"(.*?)([.,])(\d{1,2})", s)
    if m and (m.group(1) == "" or re.fullmatch(r"\d+", m.group(1)) or _grouped(m.group(1), m.group(2))):
        whole, decimals = m.group(1), m.group(3)
    if not whole:
        raise ValueError(f"not an amount: {text!r}")
    if not re.fullmatch(r"\d+", whole):
        g = _GROUPED.fullmatch(whole)
        if not g:
            raise ValueError(f"not an amount: {text!r}")
        whole = re.sub(r"\D", "", whole)
    if decimals and int(decimals) != 0:
        raise ValueError(f"not a whole number of VND: {text!r}")
    value = int(whole)
    if value > MAX_AMOUNT:
        raise ValueError(f"amount too large: {text!r}")
    return value


def _grouped(whole: str, decimal_mark: str) -> bool:
    """'78,255' before '.00' is grouped with the other mark; '78.255' before ',00' too."""
    g = _GROUPED.fullmatch(whole)
    return g is not None and g.group(1) != decimal_mark


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%y")


def parse_date(text: str) -> str:
    """'15/05/2023', '15-05-2023', '2023-05-15', with an optional time after
    it -> '2023-05-15'. Day first (Vietnamese banks). Raises ValueError."""
    s = (text or "").strip()
    s = re.split(r"[ T]", s, maxsplit=1)[0] if s else s
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"not a date (DD/MM/YYYY): {text!r}")


# -- the file ---------------------------------------------------------------


def _columns(header: Sequence[str], bank: str) -> dict[str, int] | None:
    """Which column plays which role, from the bank's mapping first, then the
    generic names. None unless reference, date, credit and description are found."""
    keys = [_header_key(h) for h in header]
    found: dict[str, int] = {}
    for names in (BANK_COLUMNS.get(bank, {}), GENERIC_COLUMNS):
        for role, candidates in names.items():
            if role in found:
                continue
            for name in candidates:
                key = _header_key(name)
                if key in keys and keys.index(key) not in found.values():
                    found[role] = keys.index(key)
                    break
    return found if all(r in found for r in ROLES) else None


def parse_statement(data: bytes, bank: str) -> ParsedStatement:
    """Credit lines of a statement export. The header row is the first of the
    first rows that names a reference, a date, a credit amount and a
    description; the separator is ',' or ';' (or a tab), whichever finds it.
    Debit lines, blank rows and totals (no reference and no date) are
    skipped; a row that cannot be read is reported with its row number and
    the others are still read. Raises StatementError when no header is found."""
    text = decode(data)
    for delimiter in _delimiters(text):
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for number, row in enumerate(rows, start=1):
                if number > HEADER_SEARCH_ROWS:
                    break
                columns = _columns(row, bank)
                if columns:
                    return _read_rows(rows, columns, number, delimiter)
        except csv.Error as exc:
            raise StatementError(f"the file is not valid CSV: {exc}") from None
    example = ", ".join(BANK_COLUMNS.get(bank, BANK_COLUMNS["VCB"]).get(r, ("?",))[0] for r in ROLES)
    raise StatementError(f"no header row with a reference, a date, a credit amount and a description (e.g. {example})")


def _delimiters(text: str) -> list[str]:
    head = text[:4096]
    return sorted([",", ";", "\t"], key=lambda d: -head.count(d))


def _read_rows(rows: Iterator[list[str]], columns: dict[str, int], header_row: int, delimiter: str) -> ParsedStatement:
    out = ParsedStatement(header_row=header_row, delimiter=delimiter)
    seen: set[str] = set()
    number = header_row
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            out.errors.append({"row": number, "message": f"not valid CSV: {exc}"})
            break  # the reader cannot resume after a broken quote
        number += 1
        cell = {role: (row[i].strip() if i < len(row) else None) for role, i in columns.items()}
        if not any(c.strip() for c in row):
            out.skipped += 1
            continue
        if not cell.get("bank_ref") and not _is_date(cell.get("booked_on")):
            out.skipped += 1  # a total, a sub-heading, a signature line
            continue
        credit = cell.get("credit")
        if credit and credit.lstrip().startswith(("-", "(")) and "debit" not in columns:
            out.skipped += 1  # one signed amount column: a negative one goes out
            continue
        if not credit or _is_zero(credit):
            debit = cell.get("debit")
            if debit and not _is_zero(debit):
                out.skipped += 1  # money going out: not a payment to us
                continue
            if credit is None:
                out.errors.append({"row": number, "message": "too few columns"})
                continue
        problem = _line_problem(cell)
        if problem:
            out.errors.append({"row": number, "message": problem})
            continue
        ref = cell["bank_ref"] or ""  # _line_problem: a reference, a date and an amount are there
        if ref in seen:
            out.errors.append({"row": number, "message": f"reference {ref} appears twice in the file"})
            continue
        seen.add(ref)
        out.lines.append(
            StatementLine(
                row=number,
                bank_ref=ref,
                booked_on=parse_date(cell["booked_on"] or ""),
                amount=parse_amount(credit),
                description=" ".join((cell.get("description") or "").split())[:MAX_DESCRIPTION],
            )
        )
    return out


def _is_date(text: str | None) -> bool:
    try:
        parse_date(text or "")
        return True
    except ValueError:
        return False


def _is_zero(text: str) -> bool:
    try:
        return parse_amount(text) == 0
    except ValueError:
        return False


def _line_problem(cell: Mapping[str, str | None]) -> str | None:
    ref = cell.get("bank_ref") or ""
    if not ref:
        return "the reference is missing"
    if len(ref) > MAX_REF or not ref.isprintable():
        return f"the reference is not valid (at most {MAX_REF} printable characters)"
    try:
        parse_date(cell.get("booked_on") or "")
    except ValueError as exc:
        return str(exc)
    try:
        amount = parse_amount(cell.get("credit") or "")
    except ValueError as exc:
        return f"credit amount: {exc}"
    if amount <= 0:
        return "credit amount: not positive"
    return None


# -- references in the description ------------------------------------------

_INVOICE_ID = re.compile(r"INV[\s\-_.]*(\d{6,12})[\s\-_.]*(\d{4})[\s\-_./]?(\d{2})(?!\d)")
_CODE = re.compile(r"(?<!\d)(\d{6,12})(?!\d)")
_PERIOD = re.compile(
    r"(?:\bTHANG|\bKY|(?<![A-Z])T)\s*(\d{1,2})\s*(?:[/.\-]|\s+NAM\s+|\s+)\s*(20\d{2})(?!\d)"
    r"|(?<![\d/])(\d{1,2})/(20\d{2})(?!\d)"
)


@dataclass(frozen=True)
class References:
    invoice_ids: tuple[str, ...] = ()  # written out ('INV-01031059-202305') or code + period ('HD 01031059 T5/2023')
    customer_codes: tuple[str, ...] = ()  # every 6-12 digit number, in order of appearance

    @property
    def empty(self) -> bool:
        return not self.invoice_ids and not self.customer_codes


def find_references(description: str, max_codes: int = 5) -> References:
    """Customer codes and invoice ids in a transfer description (free text;
    banks send it upper case and without diacritics, but either is read):
    'TT TIEN NUOC KH 01031059 T5/2023' -> codes ('01031059',), invoice ids
    ('INV-01031059-202305',); 'INV-01031059-202305'; 'HD 01031059 T05/2023'.
    At most max_codes codes are kept."""
    text = fold(description or "")
    ids: list[str] = []
    for m in _INVOICE_ID.finditer(text):
        month = int(m.group(3))
        if 1 <= month <= 12:
            ids.append(f"INV-{m.group(1)}-{m.group(2)}{m.group(3)}")
    rest = _INVOICE_ID.sub(" ", text)
    periods = []
    for m in _PERIOD.finditer(rest):
        month_text, year = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        if 1 <= int(month_text) <= 12:
            periods.append(f"{year}{int(month_text):02d}")
    codes = [m.group(1) for m in _CODE.finditer(rest)]
    codes = list(dict.fromkeys([i.split("-")[1] for i in ids] + codes))[:max_codes]
    for code in codes:
        for period in dict.fromkeys(periods):
            ids.append(f"INV-{code}-{period}")
    return References(invoice_ids=tuple(dict.fromkeys(ids)), customer_codes=tuple(codes))


# -- the decision -----------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFacts:
    invoice_id: str
    customer_code: str
    status: str  # unpaid | paid | cancelled
    total: int


@dataclass(frozen=True)
class Decision:
    status: str  # matched (post to customer_code's account) | suspense
    customer_code: str | None = None
    invoice_ids: tuple[str, ...] = ()  # the invoices it names, oldest first; none: the account's oldest open ones
    reason: str | None = None


def decide(refs: References, invoices: Mapping[str, InvoiceFacts], known_codes: Iterable[str]) -> Decision:
    """Which one customer account does this credit name? The amount does not
    matter any more (issue 13): the ledger applies the money to the invoices
    named, or the oldest open ones, up to what each still owes, and keeps the
    rest as credit, so a round sum, a part payment or a bill paid twice is
    posted, not parked.

    - the accounts named are the customers of the invoice ids that exist
      (`invoices`, not cancelled) plus the customer codes that exist
      (`known_codes`); exactly one is a match, with the named invoices of it;
    - no code at all is NO_REFERENCE, codes of no customer UNKNOWN_CUSTOMER,
      two or more customers SEVERAL_CUSTOMERS (whose money is it? a person
      decides)."""
    if refs.empty:
        return Decision("suspense", reason="NO_REFERENCE")
    known = set(known_codes)
    named = [
        invoices[i]
        for i in refs.invoice_ids
        if i in invoices and invoices[i].status != "cancelled" and invoices[i].customer_code in known
    ]
    codes = list(dict.fromkeys([i.customer_code for i in named] + [c for c in refs.customer_codes if c in known]))
    if not codes:
        return Decision("suspense", reason="UNKNOWN_CUSTOMER")
    if len(codes) > 1:
        return Decision("suspense", reason="SEVERAL_CUSTOMERS")
    # Ids are INV-<code>-<YYYYMM>: sorted, one customer's invoices are oldest first.
    return Decision("matched", customer_code=codes[0], invoice_ids=tuple(sorted({i.invoice_id for i in named})))


def booked_on_is_plausible(booked_on: str, today: date) -> bool:
    """Not in the future (one day of slack for time zones) and not before 2000."""
    day = date.fromisoformat(booked_on)
    return date(2000, 1, 1) <= day <= date.fromordinal(today.toordinal() + 1)
