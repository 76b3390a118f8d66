"""The invoice as a customer reads it: one A4 page, Vietnamese with English
beside it in smaller type, money in whole VND with dot grouping.

Pure: a dict in, PDF bytes out; no AWS, no Chalice. The PDF library (fpdf2)
and qrcode are imported inside `render_invoice_pdf`, so importing this module,
and the app, stays cheap on a cold start. The QR is drawn as rectangles, so no
image library is needed (Pillow is not in the Lambda zip).

The fonts are DejaVu Sans and DejaVu Sans Bold, bundled in
chalicelib/assets/fonts/ (licence: LICENSE-DejaVu.txt) so the Lambda zip
carries them, and found relative to this file. They are cut down to Latin and
Vietnamese (1,256 glyphs, 140 KB instead of 740 KB each): parsing a font is
most of a render's time, and a smaller one halves it. Made from Debian's
fonts-dejavu-core 2.37 with fontTools:

    pyftsubset DejaVuSans.ttf --output-file=DejaVuSans-vi.ttf \
      --unicodes="U+0020-007E,U+00A0-024F,U+0300-036F,U+1E00-1EFF,U+2000-206F" \
      --unicodes="U+20A0-20BF,U+2100-215F,U+2190-2199,U+2212,U+25A0-25CF,U+FFFD" \
      --name-IDs='*' --name-languages='*' --notdef-outline --glyph-names

(and the same for DejaVuSans-Bold.ttf). The full fonts would work unchanged.
fpdf2 then embeds only the glyphs a page uses.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
import warnings
from pathlib import Path

from chalicelib.domain.vntime import VN_TZ

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT_REGULAR = FONT_DIR / "DejaVuSans-vi.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold-vi.ttf"
FAMILY = "DejaVuSans"

DASH = "—"

# Page geometry (mm).
PAGE_W, PAGE_H = 210.0, 297.0
LEFT = 14.0
WIDTH = PAGE_W - 2 * LEFT
RIGHT = LEFT + WIDTH
TOP = 12.0
FOOTER_Y = PAGE_H - 16.0  # content stops above this line

# Colours.
BLUE = (0, 82, 147)
DARK = (33, 37, 41)
GREY = (108, 117, 125)
LINE = (170, 180, 190)
FILL = (231, 240, 249)
RED = (192, 32, 38)
GREEN = (25, 128, 56)

STATUS = {
    "unpaid": ("CHƯA THANH TOÁN", "Unpaid", RED),
    "paid": ("ĐÃ THANH TOÁN", "Paid", GREEN),
    "cancelled": ("ĐÃ HỦY", "Cancelled", GREY),
}

# The table of lines: (Vietnamese heading, English heading, width, alignment).
COLUMNS = (
    ("STT", "No.", 11.0, "C"),
    ("Nội dung", "Description", 81.0, "L"),
    ("Số lượng (m³)", "Quantity", 26.0, "R"),
    ("Đơn giá (đ)", "Unit price", 30.0, "R"),
    ("Thành tiền (đ)", "Amount", 34.0, "R"),
)
assert abs(sum(c[2] for c in COLUMNS) - WIDTH) < 1e-6


# --- formatting -------------------------------------------------------------


def _t(value) -> str:
    """Text as printed: None is empty, everything NFC (precomposed Vietnamese
    letters, which the font has as single glyphs)."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def money(amount) -> str:
    """78255 -> '78.255'."""
    try:
        n = round(float(amount))
    except (TypeError, ValueError):
        return DASH
    return f"{n:,}".replace(",", ".")


def money_vnd(amount) -> str:
    text = money(amount)
    return text if text == DASH else text + " đ"


def number(value) -> str:
    """Quantities and unit prices: whole numbers grouped with dots, others with
    two decimals after a comma ('10,50'), the Vietnamese way."""
    if value is None or value == "":
        return ""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return _t(value)
    if x.is_integer():
        return money(x)
    return f"{x:,.2f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def date_vn(value) -> str:
    """'2023-06-15' -> '15/06/2023'; anything unparseable is printed as given."""
    text = _t(value)
    if not text:
        return DASH
    try:
        d = _dt.date.fromisoformat(text[:10])
    except ValueError:
        return text
    return d.strftime("%d/%m/%Y")


def period_vn(value) -> str:
    """'2023-05' -> '05/2023'."""
    text = _t(value)
    parts = text.split("-")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
        return f"{int(parts[1]):02d}/{parts[0]}"
    return text or DASH


def datetime_vn(value) -> str:
    """'2023-06-15T09:00:00+07:00' -> '09:00 15/06/2023' (Vietnam time)."""
    text = _t(value)
    if not text:
        return DASH
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(VN_TZ)
    return moment.strftime("%H:%M %d/%m/%Y")


def invoice_no(value) -> str:
    """The e-invoice number, 8 digits as printed on Vietnamese e-invoices;
    none (imported history) prints a dash."""
    if value is None or value == "":
        return DASH
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:08d}"
    text = _t(value)
    return text.zfill(8) if text.isdigit() else text


def _creation_date(invoice: dict):
    try:
        d = _dt.date.fromisoformat(_t(invoice.get("issued_on"))[:10])
    except ValueError:
        return None
    return _dt.datetime(d.year, d.month, d.day, tzinfo=VN_TZ)


# --- drawing helpers ---------------------------------------------------------


class _Page:
    """Thin helpers over an fpdf2 document: fonts by size/weight/colour,
    label-value rows, runs of mixed type on one line."""

    def __init__(self, pdf):
        self.pdf = pdf

    def font(self, size: float, bold: bool = False, color=DARK) -> None:
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def width(self, text: str, size: float, bold: bool = False) -> float:
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        return self.pdf.get_string_width(text)

    def fit(self, text: str, w: float, size: float, bold: bool = False, smallest: float = 6.0) -> float:
        """The largest size up to `size` at which `text` fits in `w`."""
        while size > smallest and self.width(text, size, bold) > w:
            size -= 0.5
        return size

    def runs(self, x: float, y: float, h: float, runs, align: str = "L", w: float = WIDTH) -> float:
        """Pieces of text (text, size, bold, colour) side by side on one line,
        left at x or centred in [x, x + w]. Returns the x after the last."""
        widths = [self.width(text, size, bold) for text, size, bold, _ in runs]
        if align == "C":
            x = x + (w - sum(widths)) / 2
        elif align == "R":
            x = x + w - sum(widths)
        for (text, size, bold, color), piece in zip(runs, widths):
            self.font(size, bold, color)
            self.pdf.set_xy(x, y)
            self.pdf.cell(piece, h, text)
            x += piece
        return x

    @staticmethod
    def label_runs(vi: str, en: str, size: float = 9.0):
        return [(vi, size, False, DARK), (f" ({en})", size - 1.5, False, GREY), (":", size, False, DARK)]

    def label_width(self, vi: str, en: str, size: float = 9.0) -> float:
        return sum(self.width(t, s, b) for t, s, b, _ in self.label_runs(vi, en, size))

    def field(
        self,
        x: float,
        y: float,
        w: float,
        label_w: float,
        vi: str,
        en: str,
        value: str,
        bold: bool = False,
        color=DARK,
        size: float = 9.0,
        line_h: float = 4.8,
    ) -> float:
        """'Label (English): value', the value wrapping under itself. Returns
        the y below it."""
        self.runs(x, y, line_h, self.label_runs(vi, en, size))
        self.font(size + (0.5 if bold else 0), bold, color)
        self.pdf.set_xy(x + label_w, y)
        self.pdf.multi_cell(w - label_w, line_h, value or DASH, align="L", new_x="LMARGIN", new_y="NEXT")
        return max(self.pdf.get_y(), y + line_h)

    def lines_needed(self, text: str, w: float, size: float, bold: bool = False) -> int:
        self.font(size, bold)
        return max(1, len(self.pdf.multi_cell(w, 4, text, dry_run=True, output="LINES")))

    def room(self, h: float, y: float) -> float:
        """Starts a new page when `h` mm do not fit below y."""
        if y + h <= FOOTER_Y:
            return y
        self.pdf.add_page()
        return TOP


# --- the page ---------------------------------------------------------------


def render_invoice_pdf(
    invoice: dict, seller: dict, qr_payload: str | None = None, transfer: dict | None = None
) -> bytes:
    """The invoice (the dict of `chalicelib.domain.invoices.detail`, plus the
    optional e-invoice keys) as a one-page A4 PDF. `qr_payload`: the QR of the
    payment page (VNPay); `transfer`: a bank transfer's VietQR, drawn beside it
    with the account, bank and reference under it (services/shapes_vietqr.py's
    TransferView as JSON: vietqr_payload, account_no, bank, payment_reference)."""
    with warnings.catch_warnings():
        # Pillow is left out of the Lambda zip (infra/native_check.py, NOT_SHIPPED) and fpdf2 warns
        # on import that it cannot add images; this PDF has none.
        warnings.filterwarnings("ignore", "Pillow could not be imported", UserWarning)
        from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(LEFT, TOP, LEFT)
    pdf.set_auto_page_break(False)  # sections ask for room themselves
    pdf.c_margin = 1.5
    pdf.add_font(FAMILY, "", str(FONT_REGULAR))
    pdf.add_font(FAMILY, "B", str(FONT_BOLD))
    invoice = invoice or {}
    seller = seller or {}

    invoice_id = _t(invoice.get("invoice_id"))
    pdf.set_title(f"Hóa đơn tiền nước {period_vn(invoice.get('period'))} - {invoice_id}".strip(" -"))
    pdf.set_author(_t(seller.get("name")) or "CAWACO")
    pdf.set_subject("Hóa đơn giá trị gia tăng - tiền nước / VAT invoice - water bill")
    pdf.set_lang("vi")
    created = _creation_date(invoice)
    if created is not None:
        pdf.set_creation_date(created)

    page = _Page(pdf)
    # fpdf2 calls footer() as each page closes; set on the instance, it needs no subclass of the lazily
    # imported FPDF.
    pdf.footer = lambda: _footer(page, invoice, seller)  # type: ignore[method-assign]
    pdf.add_page()

    y = _header(page, invoice, seller)
    y = _title(page, invoice, y)
    y = _customer(page, invoice, y)
    y = _meter(page, invoice, y)
    y = _lines_table(page, invoice, y)
    y = _in_words(page, invoice, y)
    _payment(page, invoice, qr_payload, y, transfer if transfer and transfer.get("vietqr_payload") else None)
    return bytes(pdf.output())


def _header(page: _Page, invoice: dict, seller: dict) -> float:
    pdf = page.pdf
    stamp_w = 48.0
    left_w = WIDTH - stamp_w - 6
    page.font(11.5, True, BLUE)
    pdf.set_xy(LEFT, TOP)
    pdf.multi_cell(left_w, 5.6, _t(seller.get("name")) or DASH, align="L", new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 0.8
    rows = (
        ("Mã số thuế", "Tax code", _t(seller.get("tax_code")), True),
        ("Địa chỉ", "Address", _t(seller.get("address")), False),
        ("Điện thoại", "Hotline", _t(seller.get("hotline")), False),
    )
    label_w = max(page.label_width(vi, en, 8.5) for vi, en, _, _ in rows) + 1.5
    for vi, en, value, bold in rows:
        y = page.field(LEFT, y, left_w, label_w, vi, en, value, bold=bold, size=8.5, line_h=4.4)

    # The status stamp, top right.
    vi, en, color = STATUS.get(_t(invoice.get("status")).lower(), (_t(invoice.get("status")).upper() or DASH, "", GREY))
    x = RIGHT - stamp_w
    pdf.set_draw_color(*color)
    pdf.set_line_width(0.6)
    pdf.rect(x, TOP, stamp_w, 13, round_corners=True, corner_radius=1.5)
    page.font(page.fit(vi, stamp_w - 3, 10.5, True), True, color)
    pdf.set_xy(x, TOP + 1.6)
    pdf.cell(stamp_w, 5.5, vi, align="C")
    if en:
        page.font(7.5, False, color)
        pdf.set_xy(x, TOP + 7.0)
        pdf.cell(stamp_w, 4, en.upper(), align="C")

    y = max(y, TOP + 13) + 2.5
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.5)
    pdf.line(LEFT, y, RIGHT, y)
    return y + 3.5


def _title(page: _Page, invoice: dict, y: float) -> float:
    pdf = page.pdf
    page.font(17, True, BLUE)
    pdf.set_xy(LEFT, y)
    pdf.cell(WIDTH, 8, "HÓA ĐƠN GIÁ TRỊ GIA TĂNG", align="C")
    y += 8
    page.runs(LEFT, y, 6, [("HÓA ĐƠN TIỀN NƯỚC", 11.5, True, DARK)], align="C")
    y += 5.6
    page.runs(LEFT, y, 4.5, [("VAT invoice · Water bill", 8.5, False, GREY)], align="C")
    y += 5.8

    issued = _t(invoice.get("issued_on"))
    try:
        d = _dt.date.fromisoformat(issued[:10])
        issued_vi = f"Ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"
    except ValueError:
        issued_vi = f"Ngày {DASH}"
    page.runs(
        LEFT,
        y,
        5,
        [(issued_vi, 9.5, False, DARK), (f"  (Date of issue: {date_vn(issued)})", 7.5, False, GREY)],
        align="C",
    )
    y += 5.6

    template = _t(invoice.get("invoice_template")) or DASH
    symbol = _t(invoice.get("invoice_symbol")) or DASH
    number = invoice_no(invoice.get("invoice_number"))
    page.runs(
        LEFT,
        y,
        5.5,
        [(f"Mẫu số {template} — Ký hiệu {symbol} — Số ", 10, False, DARK), (number, 11.5, True, RED)],
        align="C",
    )
    y += 5.4
    page.runs(LEFT, y, 4, [(f"Form {template} · Serial {symbol} · No. {number}", 7.5, False, GREY)], align="C")
    return y + 7


def _customer(page: _Page, invoice: dict, y: float) -> float:
    pdf = page.pdf
    pad = 3.0
    y = top = page.room(40, y)
    y += 2.6
    inner = WIDTH - 2 * pad
    half = inner / 2
    x1, x2 = LEFT + pad, LEFT + pad + half + 2

    start, end = invoice.get("period_start"), invoice.get("period_end")
    reading = f"{date_vn(start)} – {date_vn(end)}" if (start or end) else ""
    left_rows = [
        ("Khách hàng", "Customer"),
        ("Mã khách hàng", "Customer code"),
        ("Địa chỉ", "Address"),
        ("Kỳ hóa đơn", "Billing period"),
    ]
    lw1 = max(page.label_width(vi, en) for vi, en in left_rows) + 2
    right_rows = [("Số danh bộ", "Ledger no.")] + ([("Ngày đọc số", "Readings")] if reading else [])
    lw2 = max(page.label_width(vi, en) for vi, en in right_rows) + 2

    y = (
        page.field(x1, y, inner, lw1, "Khách hàng", "Customer", _t(invoice.get("customer_name")), bold=True, size=9.5)
        + 0.6
    )
    row = y
    y1 = page.field(x1, row, half, lw1, "Mã khách hàng", "Customer code", _t(invoice.get("customer_code")), bold=True)
    y2 = page.field(x2, row, inner - half - 2, lw2, "Số danh bộ", "Ledger no.", _t(invoice.get("ledger_no")))
    y = max(y1, y2) + 0.6
    y = page.field(x1, y, inner, lw1, "Địa chỉ", "Address", _t(invoice.get("customer_address"))) + 0.6
    row = y
    y1 = page.field(x1, row, half, lw1, "Kỳ hóa đơn", "Billing period", period_vn(invoice.get("period")), bold=True)
    y2 = row
    if reading:
        y2 = page.field(x2, row, inner - half - 2, lw2, "Ngày đọc số", "Readings", reading)
    y = max(y1, y2) + 2.2

    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.3)
    pdf.rect(LEFT, top, WIDTH, y - top, round_corners=True, corner_radius=1.5)
    return y + 4


def _meter(page: _Page, invoice: dict, y: float) -> float:
    pdf = page.pdf
    y = page.room(20, y)
    cells = (
        ("Chỉ số cũ", "Previous reading", number(invoice.get("old_index")) or DASH),
        ("Chỉ số mới", "Current reading", number(invoice.get("new_index")) or DASH),
        ("Tiêu thụ", "Consumption", f"{number(invoice.get('consumption_m3')) or DASH} m³"),
    )
    w = WIDTH / len(cells)
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.3)
    pdf.set_fill_color(*FILL)
    for i, (vi, en, value) in enumerate(cells):
        x = LEFT + i * w
        pdf.rect(x, y, w, 7, style="DF")
        page.runs(x, y + 1.1, 4.8, [(vi, 8.5, True, DARK), (f" ({en})", 7, False, GREY)], align="C", w=w)
        pdf.rect(x, y + 7, w, 9)
        page.font(14, True, BLUE if i == 2 else DARK)
        pdf.set_xy(x, y + 7)
        pdf.cell(w, 9, value, align="C")
    return y + 16 + 5


def _lines_table(page: _Page, invoice: dict, y: float) -> float:
    pdf = page.pdf
    lines = [line for line in (invoice.get("lines") or []) if isinstance(line, dict)]
    water = [line for line in lines if line.get("kind") in ("water", "charge")]
    taxes = [line for line in lines if line.get("kind") == "vat"]
    fees = [line for line in lines if line.get("kind") == "env_fee"]
    others = [line for line in lines if line.get("kind") not in ("water", "charge", "vat", "env_fee")]

    y = page.room(10 + 7 * (len(water) + 4), y)
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.3)
    pdf.set_fill_color(*FILL)

    # Heading: Vietnamese over English.
    x = LEFT
    for vi, en, w, align in COLUMNS:
        pdf.rect(x, y, w, 10, style="DF")
        page.font(8, True)
        pdf.set_xy(x, y + 1.2)
        pdf.cell(w, 4.2, vi, align=align)
        page.font(6.8, False, GREY)
        pdf.set_xy(x, y + 5.2)
        pdf.cell(w, 3.6, en, align=align)
        x += w
    y += 10

    desc_w = COLUMNS[1][2]
    for i, line in enumerate(water + others, start=1):
        desc = _t(line.get("description")) or DASH
        n = page.lines_needed(desc, desc_w, 8.5)
        h = max(6.6, n * 4.2 + 2.4)
        y = page.room(h + 30, y)
        cells = (str(i), None, number(line.get("quantity")), number(line.get("unit_price")), money(line.get("amount")))
        x = LEFT
        for (_, _, w, align), text in zip(COLUMNS, cells):
            pdf.rect(x, y, w, h)
            page.font(8.5)
            if text is None:
                pdf.set_xy(x, y + (h - n * 4.2) / 2)
                pdf.multi_cell(w, 4.2, desc, align="L")
            else:
                pdf.set_xy(x, y)
                pdf.cell(w, h, text, align=align)
            x += w
        y += h
    if not water and not others:
        pdf.rect(LEFT, y, WIDTH, 6.6)
        page.font(8.5, False, GREY)
        pdf.set_xy(LEFT, y)
        pdf.cell(WIDTH, 6.6, "Không có dòng chi tiết / No detail lines", align="C")
        y += 6.6

    label_w = sum(c[2] for c in COLUMNS[:-1])
    amount_w = COLUMNS[-1][2]

    def summary(runs, amount: str, h: float = 6.6, size: float = 9, fill: bool = False, color=DARK) -> None:
        nonlocal y
        y = page.room(h, y)
        pdf.set_fill_color(*FILL)
        pdf.rect(LEFT, y, label_w, h, style="DF" if fill else "D")
        pdf.rect(LEFT + label_w, y, amount_w, h, style="DF" if fill else "D")
        page.runs(LEFT + 1.5, y, h, runs)
        page.font(page.fit(amount, amount_w - 3, size, True), True, color)
        pdf.set_xy(LEFT + label_w, y)
        pdf.cell(amount_w, h, amount, align="R")
        y += h

    summary(
        [("Cộng tiền nước", 9, True, DARK), (" (Water subtotal)", 7.5, False, GREY)], money(invoice.get("subtotal"))
    )
    for line in taxes or [{"description": "Thuế GTGT / VAT", "amount": invoice.get("vat")}]:
        summary(
            [(_t(line.get("description")) or "Thuế GTGT / VAT", 8.5, False, DARK)], money(line.get("amount")), size=8.5
        )
    for line in fees or [
        {"description": "Phí bảo vệ môi trường / Environmental fee", "amount": invoice.get("env_fee")}
    ]:
        summary(
            [(_t(line.get("description")) or "Phí bảo vệ môi trường", 8.5, False, DARK)],
            money(line.get("amount")),
            size=8.5,
        )
    summary(
        [("Tổng cộng thanh toán", 11.5, True, DARK), ("  (Total payment)", 8, False, GREY)],
        money_vnd(invoice.get("total")),
        h=10,
        size=14,
        fill=True,
        color=RED,
    )
    credit, paid, to_pay = _settled(invoice)
    if credit:
        summary(
            [("Trừ tiền thừa kỳ trước", 9, False, DARK), (" (Credit from the previous bill)", 7.5, False, GREY)],
            "-" + money(credit),
        )
    if paid:
        summary([("Đã thanh toán", 9, False, DARK), (" (Already paid)", 7.5, False, GREY)], "-" + money(paid))
    if to_pay is not None:
        summary(
            [("Còn phải thanh toán", 11.5, True, DARK), ("  (Amount to pay)", 8, False, GREY)],
            money_vnd(to_pay),
            h=10,
            size=14,
            fill=True,
            color=RED,
        )
    return y + 3.5


def _settled(invoice: dict) -> tuple[int, int, int | None]:
    """What the customer account has already put on the bill: the credit it
    carried from the previous bill, the other payments, and the amount still to
    pay when that is not the total (None otherwise, or for a dict of before the
    ledger)."""

    def whole(value) -> int:
        try:
            return int(value or 0)
        except (TypeError, ValueError):
            return 0

    payments = [p for p in (invoice.get("payments") or []) if isinstance(p, dict)]
    credit = sum(whole(p.get("amount")) for p in payments if p.get("channel") == "credit")
    if invoice.get("paid_amount") is None or invoice.get("open_amount") is None:
        return credit, 0, None
    paid = max(0, whole(invoice.get("paid_amount")) - credit)
    to_pay = whole(invoice.get("open_amount"))
    return credit, paid, (None if to_pay == whole(invoice.get("total")) else to_pay)


def _in_words(page: _Page, invoice: dict, y: float) -> float:
    words = _t(invoice.get("amount_in_words"))
    if not words:
        return y
    y = page.room(12, y)
    label = [("Số tiền viết bằng chữ", 9, False, DARK), (" (In words)", 7.5, False, GREY), (": ", 9, False, DARK)]
    label_w = sum(page.width(t, s, b) for t, s, b, _ in label)
    page.runs(LEFT, y, 5, label)
    page.font(9.5, True)
    page.pdf.set_xy(LEFT + label_w, y)
    page.pdf.multi_cell(WIDTH - label_w, 5, words, align="L", new_x="LMARGIN", new_y="NEXT")
    return page.pdf.get_y() + 4


def _qr_boxes(page: _Page, qr_payload: str | None, transfer: dict | None) -> list[tuple[str, list]]:
    """The QRs to draw at the right of the payment section, each with the lines under it
    (runs of text): the VietQR of a transfer first (free for the payer), then the payment page's."""
    boxes: list[tuple[str, list]] = []
    if transfer:
        bank = transfer.get("bank") or {}
        boxes.append(
            (
                _t(transfer.get("vietqr_payload")),
                [
                    [("Chuyển khoản VietQR (miễn phí)", 7.8, True, BLUE)],
                    [("Bank transfer, free", 6.8, False, GREY)],
                    [("STK ", 7.2, False, GREY), (_t(transfer.get("account_no")), 7.6, True, DARK)],
                    [(_t(bank.get("short_name")) or _t(bank.get("name")), 7.2, False, DARK)],
                    [("Nội dung ", 7.2, False, GREY), (_t(transfer.get("payment_reference")), 7.6, True, RED)],
                ],
            )
        )
    if qr_payload:
        boxes.append(
            (
                qr_payload,
                [
                    [("Thanh toán qua VNPay", 7.8, True, BLUE)],
                    [("Quét mã để thanh toán", 7.2, False, DARK)],
                    [("Scan to pay (VNPay)", 6.8, False, GREY)],
                ],
            )
        )
    return boxes


def _payment(page: _Page, invoice: dict, qr_payload: str | None, y: float, transfer: dict | None = None) -> float:
    pdf = page.pdf
    boxes = _qr_boxes(page, qr_payload, transfer)
    qr_w = 46.0 if boxes else 0.0
    gap = 4.0
    lines_h = max((len(lines) for _, lines in boxes), default=0) * 3.8
    box_h = qr_w - 8 + 6 + lines_h + 2
    y = page.room(max(30.0, box_h + 4), y)
    top = y
    left_w = WIDTH - (len(boxes) * (qr_w + gap) + 2 if boxes else 0)

    status = _t(invoice.get("status")).lower()
    vi, en, color = STATUS.get(status, (_t(invoice.get("status")).upper() or DASH, "", DARK))
    rows = [
        ("Hạn thanh toán", "Due date", date_vn(invoice.get("due_date")), True, DARK),
        ("Trạng thái", "Status", f"{vi} ({en})" if en else vi, True, color),
    ]
    if invoice.get("paid_at"):
        rows.append(("Thanh toán lúc", "Paid at", datetime_vn(invoice.get("paid_at")), False, DARK))
    rows.append(("Biểu giá áp dụng", "Tariff", _t(invoice.get("tariff_ref")) or DASH, False, DARK))
    if _t(invoice.get("source")) == "imported":
        rows.append(("Nguồn dữ liệu", "Source", "Dữ liệu chuyển từ hệ thống cũ (imported history)", False, GREY))
    label_w = max(page.label_width(r[0], r[1]) for r in rows) + 2
    for vi_l, en_l, value, bold, col in rows:
        y = page.field(LEFT, y, left_w, label_w, vi_l, en_l, value, bold=bold, color=col) + 0.8

    notes = [_t(n) for n in (invoice.get("proration") or []) if _t(n)]
    if notes:
        y += 1
        page.runs(
            LEFT, y, 4.8, [("Ghi chú tính giá theo ngày", 9, True, DARK), (" (Proration notes):", 7.5, False, GREY)]
        )
        y += 5
        for note in notes:
            page.font(8.5)
            pdf.set_xy(LEFT + 2, y)
            pdf.cell(4, 4.4, "•")
            pdf.set_xy(LEFT + 6, y)
            pdf.multi_cell(left_w - 6, 4.4, note, align="L", new_x="LMARGIN", new_y="NEXT")
            y = pdf.get_y() + 0.4

    size = qr_w - 8
    for i, (payload, lines) in enumerate(boxes):
        x = RIGHT - (len(boxes) - i) * qr_w - (len(boxes) - 1 - i) * gap
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.3)
        pdf.rect(x, top, qr_w, box_h, round_corners=True, corner_radius=1.5)
        _draw_qr(pdf, payload, x + 4, top + 4, size)
        line_y = top + size + 5.5
        for runs in lines:
            # A long account number or bank name is made smaller, never cut.
            fits = page.fit("".join(r[0] for r in runs), qr_w - 3, max(r[1] for r in runs), True)
            scale = fits / max(r[1] for r in runs)
            page.runs(x, line_y, 3.8, [(t, sz * scale, b, c) for t, sz, b, c in runs], align="C", w=qr_w)
            line_y += 3.8
        y = max(y, top + box_h)
    return y + 3


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR modules (True = dark), without the quiet zone: domain.vnpay_qr's, which retries
    the error-correction levels qrcode 8.2 cannot encode some payloads at."""
    from chalicelib.domain.vnpay_qr import matrix

    return matrix(payload)


def _draw_qr(pdf, payload: str, x: float, y: float, size: float) -> None:
    """The QR code as filled squares (one rectangle per horizontal run of dark
    modules), no image and no Pillow."""
    matrix = qr_matrix(payload)
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # A hair wider than the module so neighbouring rows leave no seams.
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module + 0.02, style="F")


def _footer(page: _Page, invoice: dict, seller: dict) -> None:
    pdf = page.pdf
    y = FOOTER_Y + 2
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.3)
    pdf.line(LEFT, y, RIGHT, y)
    invoice_id = _t(invoice.get("invoice_id")) or DASH
    page.runs(
        LEFT,
        y + 1.2,
        4,
        [
            ("Bản thể hiện của hóa đơn điện tử", 7.2, False, DARK),
            (f" (E-invoice display copy) · Mã tra cứu (Lookup code): {invoice_id}", 7, False, GREY),
        ],
        align="C",
    )
    contact = " · ".join(
        p
        for p in (_t(seller.get("name")), f"Hotline {_t(seller.get('hotline'))}" if seller.get("hotline") else "")
        if p
    )
    page.runs(LEFT, y + 5, 4, [(contact, 7, False, GREY)], align="C")
    page.runs(LEFT, y + 5, 4, [(f"Trang {pdf.page_no()}/{{nb}}", 7, False, GREY)], align="R")
