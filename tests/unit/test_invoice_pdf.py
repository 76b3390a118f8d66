"""The invoice PDF: what a customer reads must survive into the file (checked
by extracting the text, so Vietnamese diacritics are tested as text, not as
pixels), the file stays small, and nothing optional is required."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from pypdf import PdfReader

from chalicelib.documents import invoice_pdf
from chalicelib.documents.invoice_pdf import render_invoice_pdf
from chalicelib.domain.invoices import detail
from chalicelib.domain.words import amount_in_words
from local.seed import invoice_item

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SELLER = {
    "name": "Công ty Cổ phần Cấp nước Cà Mau (CAWACO)",
    "tax_code": "2000107938",
    "address": "204 Quang Trung, Phường 5, TP Cà Mau, tỉnh Cà Mau",
    "hotline": "02903 836 360",
}
QR = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?vnp_Amount=7825500&vnp_TxnRef=INV-01031059-202305-1"
WORDS = "Bảy mươi tám nghìn hai trăm năm mươi lăm đồng"


def demo_invoice(**changes) -> dict:
    """Seed 000's invoice of 05/2023 as `detail` shows it, with the e-invoice keys."""
    inv = detail(invoice_item("01031059", "2023-05", 264, 275, 68048, "unpaid", "Dương Tấn Hiền"))
    inv.update(
        invoice_template="1",
        invoice_symbol="C23TAA",
        invoice_number=123,
        customer_address="12 Phan Ngọc Hiển, Phường 5, TP Cà Mau, Cà Mau",
        ledger_no="CM0310590",
        period_start="2023-05-01",
        period_end="2023-05-31",
        proration=[],
    )
    inv.update(changes)
    return inv


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def drawing_ops(pdf: bytes) -> int:
    """Rectangles painted on the pages (the QR is drawn as rectangles)."""
    reader = PdfReader(io.BytesIO(pdf))
    return sum(page.get_contents().get_data().count(b" re") for page in reader.pages)


@pytest.fixture(scope="module")
def demo_pdf() -> bytes:
    return render_invoice_pdf(demo_invoice(), SELLER)


def test_the_demo_invoice_matches_seed_000():
    inv = demo_invoice()
    assert (inv["total"], inv["subtotal"], inv["vat"], inv["env_fee"]) == (78255, 68048, 3402, 6805)
    assert inv["amount_in_words"] == WORDS == amount_in_words(78255)


def test_vietnamese_text_survives_exactly(demo_pdf):
    text = text_of(demo_pdf)
    for expected in (
        "Dương Tấn Hiền",
        WORDS,
        "78.255",
        "01031059",
        "264",
        "275",
        "68.048",
        "3.402",
        "6.805",
        "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        "HÓA ĐƠN TIỀN NƯỚC",
        "Mẫu số 1 — Ký hiệu C23TAA — Số 00000123",
        "Ngày 01 tháng 06 năm 2023",
        "05/2023",
        "01/05/2023 – 31/05/2023",
        "15/06/2023",
        "CHƯA THANH TOÁN",
        "Cộng tiền nước",
        "Tổng cộng thanh toán",
        "Số tiền viết bằng chữ",
        "12 Phan Ngọc Hiển, Phường 5, TP Cà Mau, Cà Mau",
        "CM0310590",
        "11 m³",
        SELLER["name"],
        SELLER["tax_code"],
        SELLER["address"],
        SELLER["hotline"],
        "legacy import (before QĐ 13/2023/QĐ-UBND)",
    ):
        assert expected in text, expected


def test_a_small_single_page_pdf(demo_pdf):
    assert demo_pdf.startswith(b"%PDF-")
    assert demo_pdf.rstrip().endswith(b"%%EOF")
    assert len(demo_pdf) < 100 * 1024
    assert len(PdfReader(io.BytesIO(demo_pdf)).pages) == 1
    with_qr = render_invoice_pdf(demo_invoice(), SELLER, QR)
    assert len(with_qr) < 100 * 1024


def test_the_font_is_embedded_as_a_subset(demo_pdf):
    fonts = PdfReader(io.BytesIO(demo_pdf)).pages[0]["/Resources"]["/Font"]
    names = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
    assert names and all("+DejaVuSans" in name for name in names)  # 'ABCDEF+' marks a subset
    # The bundled fonts and their licence sit next to the code, inside chalicelib/.
    for path in (invoice_pdf.FONT_REGULAR, invoice_pdf.FONT_BOLD, invoice_pdf.FONT_DIR / "LICENSE-DejaVu.txt"):
        assert path.is_file() and os.path.commonpath([str(path), os.path.join(ROOT, "chalicelib")]) == os.path.join(
            ROOT, "chalicelib"
        )


def test_a_qr_payload_draws_the_qr_and_its_caption(demo_pdf):
    with_qr = render_invoice_pdf(demo_invoice(), SELLER, QR)
    assert "Quét mã để thanh toán" in text_of(with_qr) and "Scan to pay" in text_of(with_qr)
    assert "Quét mã" not in text_of(demo_pdf)
    assert drawing_ops(with_qr) > drawing_ops(demo_pdf) + 100


def test_the_qr_survives_a_payload_qrcode_cannot_encode_at_level_m():
    # qrcode 8.2 raises ValueError('glog(0)') on this payload at level M
    # (lincolnloop/python-qrcode#330); another level encodes it.
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    payload = QR + "&vnp_SecureHash=" + "0" * 151
    probe = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    probe.add_data(payload)
    with pytest.raises(ValueError):  # once qrcode fixes it, this test can go
        probe.make(fit=True)
    matrix = invoice_pdf.qr_matrix(payload)
    assert len(matrix) >= 21 and all(len(row) == len(matrix) for row in matrix)
    assert "Quét mã để thanh toán" in text_of(render_invoice_pdf(demo_invoice(), SELLER, payload))


def test_only_the_keys_of_detail_are_needed():
    bare = detail(invoice_item("01031059", "2023-05", 264, 275, 68048, "unpaid", "Dương Tấn Hiền"))
    text = text_of(render_invoice_pdf(bare, SELLER))
    assert "Dương Tấn Hiền" in text and WORDS in text and "78.255" in text
    assert "Số —" in text  # no e-invoice number yet


def test_missing_or_empty_optional_keys_do_not_break_it():
    inv = demo_invoice(
        invoice_number=None,
        invoice_template=None,
        customer_address=None,
        ledger_no="",
        period_start=None,
        period_end=None,
        proration=None,
        tariff_ref=None,
        lines=[],
        due_date=None,
        issued_on=None,
        status="something-new",
    )
    text = text_of(render_invoice_pdf(inv, {}))
    assert "Dương Tấn Hiền" in text and "78.255" in text
    assert render_invoice_pdf({}, {}).startswith(b"%PDF-")


def test_paid_invoice_with_proration_and_fractional_quantities():
    lines = [
        {
            "kind": "water",
            "description": "Bậc 1: đến 10 m³ (giá cũ, 10/30 ngày)",
            "quantity": 3.33,
            "unit_price": 5500,
            "amount": 18315,
        },
        {
            "kind": "water",
            "description": "Bậc 1: đến 10 m³ (QĐ 13/2023/QĐ-UBND)",
            "quantity": 6.67,
            "unit_price": 6300,
            "amount": 42021,
        },
        {"kind": "vat", "description": "Thuế GTGT 5% / VAT 5%", "rate_percent": 5, "amount": 3017},
        {
            "kind": "env_fee",
            "description": "Phí BVMT nước thải 10% / Waste-water fee 10%",
            "rate_percent": 10,
            "amount": 6034,
        },
    ]
    inv = demo_invoice(
        lines=lines,
        subtotal=60336,
        vat=3017,
        env_fee=6034,
        total=69387,
        amount_in_words=amount_in_words(69387),
        status="paid",
        paid_at="2023-06-15T02:00:00+00:00",
        proration=["01/06–10/06: giá cũ", "11/06–30/06: giá mới theo QĐ 13/2023/QĐ-UBND"],
    )
    text = text_of(render_invoice_pdf(inv, SELLER, QR))
    for expected in (
        "ĐÃ THANH TOÁN",
        "3,33",
        "6,67",
        "5.500",
        "6.300",
        "42.021",
        "69.387",
        "09:00 15/06/2023",
        "01/06–10/06: giá cũ",
        amount_in_words(69387),
    ):
        assert expected in text, expected


def test_credit_from_the_previous_bill_and_the_amount_still_to_pay():
    """Issue 13: the account's credit applied to the bill is a line of its own, and the bill says what
    is left to pay when that is not the total; a bill nothing was applied to shows neither."""
    inv = demo_invoice(
        paid_amount=30000,
        open_amount=48255,
        payments=[{"channel": "credit", "amount": 30000, "received_at": 1685600000}],
    )
    text = text_of(render_invoice_pdf(inv, SELLER, QR))
    for expected in (
        "Tổng cộng thanh toán",
        "78.255",
        "Trừ tiền thừa kỳ trước",
        "Credit from the previous bill",
        "-30.000",
        "Còn phải thanh toán",
        "Amount to pay",
        "48.255 đ",
    ):
        assert expected in text, expected
    assert "Đã thanh toán (Already paid)" not in text
    # Paid in part by VNPay after a correction: the payment shows, then what is left.
    inv = demo_invoice(
        paid_amount=50000,
        open_amount=28255,
        payments=[{"channel": "vnpay", "amount": 50000, "transaction_no": "14000001"}],
    )
    text = text_of(render_invoice_pdf(inv, SELLER, QR))
    assert "Đã thanh toán" in text and "-50.000" in text and "28.255 đ" in text
    assert "Trừ tiền thừa kỳ trước" not in text
    plain = text_of(render_invoice_pdf(demo_invoice(), SELLER, QR))
    assert "Trừ tiền thừa kỳ trước" not in plain and "Còn phải thanh toán" not in plain


def test_long_invoices_flow_onto_more_pages():
    lines = [
        {"kind": "water", "description": f"Bậc {i}: điều chỉnh", "quantity": 1, "unit_price": 1000, "amount": 1000}
        for i in range(1, 41)
    ]
    pdf = render_invoice_pdf(demo_invoice(lines=lines), SELLER, QR)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    assert "Bậc 40: điều chỉnh" in text_of(pdf) and "Quét mã để thanh toán" in text_of(pdf)


def test_output_is_deterministic_and_dated_by_the_invoice():
    first = render_invoice_pdf(demo_invoice(), SELLER, QR)
    assert first == render_invoice_pdf(demo_invoice(), SELLER, QR)
    created = PdfReader(io.BytesIO(first)).metadata.creation_date
    assert (created.year, created.month, created.day) == (2023, 6, 1)


@pytest.mark.parametrize(
    "value, expected", [(78255, "78.255"), (0, "0"), (1234567, "1.234.567"), (-5000, "-5.000"), (None, "—")]
)
def test_money(value, expected):
    assert invoice_pdf.money(value) == expected


@pytest.mark.parametrize(
    "value, expected", [(11, "11"), (10.5, "10,50"), (3.33, "3,33"), (1234.5, "1.234,50"), (None, "")]
)
def test_quantities(value, expected):
    assert invoice_pdf.number(value) == expected


@pytest.mark.parametrize("value, expected", [(123, "00000123"), ("45", "00000045"), (None, "—"), ("", "—")])
def test_invoice_numbers(value, expected):
    assert invoice_pdf.invoice_no(value) == expected


def test_importing_the_module_loads_no_pdf_library():
    code = (
        "import sys, chalicelib.documents.invoice_pdf; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fpdf', 'PIL', 'qrcode', 'fontTools'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
