"""What the field worker's 58 mm mobile printer prints: a cash receipt (biên
nhận) or a notice (giấy báo), seed 003. Plain text, 32 characters a line,
Vietnamese with diacritics (precomposed, NFC: one character is one column),
words wrapped, never cut unless a single word is longer than a line.
Pure functions; money is integer VND, shown as '78.255 đ'."""

from __future__ import annotations

import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain.invoices import format_vnd
from chalicelib.domain.words import amount_in_words

WIDTH = 32
RULE = "-" * WIDTH


@dataclass(frozen=True)
class Slip:
    """The reading and billing data both documents print."""

    seller_name: str
    customer_name: str
    customer_code: str
    address: str
    period: str  # YYYY-MM
    old_index: int
    new_index: int
    consumption_m3: int
    amount: int  # whole VND
    ledger_no: str | None = None
    seller_hotline: str | None = None
    invoice_id: str | None = None
    due_date: str | None = None  # YYYY-MM-DD


def _nfc(text: object) -> str:
    # Collapse any whitespace (a newline in an address must not break the layout).
    return " ".join(unicodedata.normalize("NFC", str(text)).split())


def wrap(text: object, width: int = WIDTH, indent: str = "") -> list[str]:
    """Greedy word wrap; continuation lines start with `indent`. A word longer
    than a line is the only thing ever cut."""
    text = _nfc(text)
    if not text:
        return [""]
    return textwrap.wrap(
        text, width=width, subsequent_indent=indent, break_long_words=True, break_on_hyphens=False
    ) or [""]


def center(text: object, width: int = WIDTH) -> list[str]:
    return [line.strip().center(width).rstrip() for line in wrap(text, width)]


def field(label: str, value: object, width: int = WIDTH) -> list[str]:
    """'Label: value', wrapped with a two-space hanging indent."""
    return wrap(f"{label}: {_nfc(value)}", width, indent="  ")


def pair(label: str, value: object, width: int = WIDTH) -> list[str]:
    """Label on the left, value flush right when both fit on one line."""
    label, value = _nfc(label), _nfc(value)
    gap = width - len(label) - len(value)
    if gap >= 1:
        return [label + " " * gap + value]
    return wrap(label, width) + [line.rjust(width) for line in wrap(value, width)]


def period_vn(period: str) -> str:
    """'2023-05' -> '05/2023'."""
    year, _, month = str(period).partition("-")
    return f"{month}/{year}" if month else str(period)


def date_vn(value: str | None) -> str:
    """'2023-06-15' -> '15/06/2023'."""
    if not value:
        return ""
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def time_vn(value: datetime | str) -> str:
    """An ISO instant (already in Vietnam time) -> '14:37 05/06/2023'."""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.strftime("%H:%M %d/%m/%Y")


def number_vn(n: int) -> str:
    """78255 -> '78.255'."""
    return f"{int(n):,}".replace(",", ".")


def _header(slip: Slip, title: str) -> list[str]:
    out = center(slip.seller_name.upper())
    if slip.seller_hotline:
        out += center(f"ĐT: {slip.seller_hotline}")
    return out + [RULE] + center(title)


def _reading(slip: Slip) -> list[str]:
    out = field("Khách hàng", slip.customer_name) + field("Mã KH", slip.customer_code)
    if slip.ledger_no:
        out += field("Số danh bộ", slip.ledger_no)
    out += field("Địa chỉ", slip.address)
    out += [RULE]
    out += pair("Kỳ", period_vn(slip.period))
    out += pair("Chỉ số cũ", number_vn(slip.old_index))
    out += pair("Chỉ số mới", number_vn(slip.new_index))
    out += pair("Tiêu thụ", f"{number_vn(slip.consumption_m3)} m³")
    return out


def _amount(label: str, amount: int) -> list[str]:
    return pair(label, format_vnd(int(amount))) + field("Bằng chữ", amount_in_words(int(amount)))


def receipt(slip: Slip, *, receipt_no: str, collector: str, collected_at: datetime | str, credited: int = 0) -> str:
    """BIÊN NHẬN THU TIỀN NƯỚC: the customer's copy (liên 2) of cash taken at home.
    `credited`: the part that went on the customer's account because the invoice
    was paid meanwhile (the customer may ask for it back)."""
    lines = _header(slip, "BIÊN NHẬN THU TIỀN NƯỚC")
    lines += center(f"Số: {receipt_no}")
    lines += [RULE] + _reading(slip) + [RULE]
    lines += _amount("Đã thu", slip.amount)
    if credited > 0:
        lines += pair("Trả hoá đơn", format_vnd(max(0, slip.amount - credited)))
        lines += pair("Ghi có tài khoản", format_vnd(credited))
        lines += wrap(
            "Hoá đơn đã được thanh toán trước đó: số tiền ghi có được trừ vào kỳ sau, "
            "hoặc hoàn lại khi Quý khách yêu cầu."
        )
    lines += [RULE]
    lines += field("Nhân viên thu", collector)
    lines += field("Thời gian", time_vn(collected_at))
    if slip.invoice_id:
        lines += field("Hoá đơn", slip.invoice_id)
    lines += [RULE] + center("Liên 2: giao khách hàng") + center("Cảm ơn Quý khách!")
    return _finish(lines)


def notice(slip: Slip, *, reason: str | None = None) -> str:
    """GIẤY BÁO TIỀN NƯỚC: what is owed and how to pay it when no cash was taken."""
    lines = _header(slip, "GIẤY BÁO TIỀN NƯỚC")
    lines += [RULE] + _reading(slip) + [RULE]
    lines += _amount("Số tiền", slip.amount)
    if slip.due_date:
        lines += pair("Hạn thanh toán", date_vn(slip.due_date))
    if slip.invoice_id:
        lines += field("Hoá đơn", slip.invoice_id)
    lines += [RULE] + wrap("Cách thanh toán:")
    lines += wrap(
        "- Ứng dụng Cấp nước CSKH hoặc website: thanh toán VNPay, quét mã VNPay-QR bằng ứng dụng ngân hàng.",
        indent="  ",
    )
    lines += wrap(
        f"- Chuyển khoản ngân hàng, nội dung: Tien nuoc {_nfc(slip.customer_code)} {period_vn(slip.period)}.",
        indent="  ",
    )
    if reason:
        lines += [RULE] + field("Chưa thu tại nhà", reason)
    lines += [RULE] + center("(Không phải biên nhận thu tiền)")
    return _finish(lines)


def _finish(lines: list[str]) -> str:
    assert all(len(line) <= WIDTH for line in lines), "a line is wider than the paper"
    return "\n".join(lines) + "\n"
