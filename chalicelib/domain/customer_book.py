"""The utility's customer book (CSV), row by row: what a valid row is, and a
clear reason for each one that is not. Plain functions; no AWS."""

from __future__ import annotations

import re

from chalicelib.domain.identifiers import CUSTOMER_CODE_RE, PHONE_RE, TARIFF_AREA_RE

COLUMNS = (
    "code",
    "ledger_no",
    "name",
    "address",
    "phone",
    "class",
    "persons",
    "meter",
    "route",
    "payment_channel",
    "last_index",
)
OPTIONAL = ("house_no", "tariff_area", "meter_size", "meter_digits", "branch", "email", "last_read_on", "ward")
CLASSES = {name: name for name in ("household", "poor_household", "public_service", "production", "business")}
CLASSES.update(
    {  # the utility's own labels, without diacritics
        "ho_gia_dinh": "household",
        "ho_ngheo": "poor_household",
        "hanh_chinh_su_nghiep": "public_service",
        "san_xuat": "production",
        "kinh_doanh": "business",
    }
)
CHANNELS = {
    "cash": "cash",
    "tt": "cash",
    "bank_transfer": "bank_transfer",
    "ck": "bank_transfer",
    "authorised_debit": "authorised_debit",
    "nt": "authorised_debit",
}


class RowError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_header(header: list[str]) -> list[str]:
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise RowError("MISSING_COLUMNS", f"the header lacks: {', '.join(missing)}")
    return names


def customer_from_row(header: list[str], values: list[str]) -> dict[str, str | int | None]:
    """A customer's fields from one CSV row, or RowError naming what is wrong."""
    if len(values) != len(header):
        raise RowError("COLUMN_COUNT", f"{len(values)} values for {len(header)} columns")
    row = {h: v.strip() for h, v in zip(header, values)}
    code = row["code"]
    if not CUSTOMER_CODE_RE.fullmatch(code):
        raise RowError("BAD_CODE", "code: 6 to 12 digits")
    for name in ("ledger_no", "name", "address"):
        if not row[name] or len(row[name]) > 200:
            raise RowError(f"BAD_{name.upper()}", f"{name}: required, at most 200 characters")
    phone = _phone(row["phone"])
    klass = CLASSES.get(row["class"].lower())
    if klass is None:
        raise RowError("BAD_CLASS", f"class: one of {', '.join(sorted(CLASSES))}")
    persons = _int(row["persons"], "persons", 1, 100)
    channel = CHANNELS.get(row["payment_channel"].lower())
    if channel is None:
        raise RowError("BAD_CHANNEL", "payment_channel: cash (TT), bank_transfer (CK) or authorised_debit (NT)")
    last_index = _int(row["last_index"], "last_index", 0, 10**9 - 1)
    out: dict[str, str | int | None] = {
        "code": code,
        "ledger_no": row["ledger_no"].upper(),
        "name": row["name"],
        "address": row["address"],
        "phone": phone,
        "customer_class": klass,
        "persons": persons,
        "meter_serial": row["meter"] or None,
        "route": row["route"] or None,
        "payment_channel": channel,
        "last_index": last_index,
    }
    if row.get("house_no"):
        out["house_no"] = row["house_no"][:20]
    if row.get("tariff_area"):
        if not TARIFF_AREA_RE.fullmatch(row["tariff_area"]):
            raise RowError("BAD_TARIFF_AREA", "tariff_area: 2-40 of a-z, 0-9, '-'")
        out["tariff_area"] = row["tariff_area"]
    if row.get("meter_digits"):
        out["meter_digits"] = _int(row["meter_digits"], "meter_digits", 3, 9)
    if row.get("meter_size"):
        out["meter_size"] = row["meter_size"][:10]
    if row.get("branch"):
        out["branch"] = row["branch"][:60]
    if row.get("ward"):  # the phường/xã: water-cut notices by ward reach the customer (domain/water_cuts.py)
        out["ward"] = row["ward"][:60]
    if row.get("email"):
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", row["email"]):
            raise RowError("BAD_EMAIL", "email is not valid")
        out["email"] = row["email"]
    if row.get("last_read_on"):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["last_read_on"]):
            raise RowError("BAD_DATE", "last_read_on: YYYY-MM-DD")
        out["last_read_on"] = row["last_read_on"]
    return out


def _phone(value: str) -> str | None:
    if not value:
        return None
    digits = re.sub(r"[\s.\-()]", "", value)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    if not PHONE_RE.fullmatch(digits):
        raise RowError("BAD_PHONE", "phone: a Vietnamese number like 0912345678")
    return digits


def _int(value: str, name: str, lo: int, hi: int) -> int:
    if not re.fullmatch(r"\d{1,10}", value or ""):
        raise RowError(f"BAD_{name.upper()}", f"{name}: a whole number")
    number = int(value)
    if not lo <= number <= hi:
        raise RowError(f"BAD_{name.upper()}", f"{name}: from {lo} to {hi}")
    return number
