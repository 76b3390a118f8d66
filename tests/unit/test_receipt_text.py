"""The 58 mm print text: 32 characters a line, words kept whole, Vietnamese
amounts and words, every field a receipt and a notice must carry."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import receipt_text as rt
from chalicelib.domain.words import amount_in_words

SLIP = rt.Slip(
    seller_name="Công ty Cổ phần Cấp nước Cà Mau (CAWACO)",
    seller_hotline="02903 836 360",
    customer_name="Dương Tấn Hiền",
    customer_code="01031059",
    ledger_no="CM-01-0315",
    address="123/4 Lý Thường Kiệt, Phường 5, TP Cà Mau",
    period="2023-05",
    old_index=264,
    new_index=275,
    consumption_m3=11,
    amount=78255,
    invoice_id="INV-01031059-202305",
    due_date="2023-06-15",
)


def _lines(text: str) -> list[str]:
    assert text.endswith("\n")
    return text[:-1].split("\n")


def _words(text: str) -> list[str]:
    return " ".join(text.split()).split()


def test_receipt_has_every_field_and_fits_the_paper():
    text = rt.receipt(
        SLIP,
        receipt_no="GHITHU01-2026-000123",
        collector="Nguyễn Văn Ghi (ghithu01)",
        collected_at="2023-06-05T14:37:00+07:00",
    )
    lines = _lines(text)
    assert all(len(line) <= 32 for line in lines)
    assert text == unicodedata.normalize("NFC", text)
    flat = " ".join(" ".join(lines).split())
    for expected in (
        "CÔNG TY CỔ PHẦN CẤP NƯỚC CÀ MAU",
        "BIÊN NHẬN THU TIỀN NƯỚC",
        "Số: GHITHU01-2026-000123",
        "Khách hàng: Dương Tấn Hiền",
        "Mã KH: 01031059",
        "Số danh bộ: CM-01-0315",
        "Địa chỉ: 123/4 Lý Thường Kiệt, Phường 5, TP Cà Mau",
        "05/2023",
        "264",
        "275",
        "11 m³",
        "78.255 đ",
        "Bằng chữ: Bảy mươi tám nghìn hai trăm năm mươi lăm đồng",
        "Nhân viên thu: Nguyễn Văn Ghi (ghithu01)",
        "Thời gian: 14:37 05/06/2023",
        "Liên 2: giao khách hàng",
    ):
        assert expected in flat, expected
    assert any(line.startswith("Đã thu") and line.endswith("78.255 đ") for line in lines)
    assert any(line.startswith("Chỉ số cũ") and line.endswith("264") for line in lines)


def test_a_receipt_for_cash_that_went_on_the_account_says_so():
    text = rt.receipt(
        SLIP,
        receipt_no="GHITHU01-2026-000124",
        collector="ghithu01",
        collected_at="2023-06-05T14:37:00+07:00",
        credited=50000,
    )
    lines = _lines(text)
    assert all(len(line) <= 32 for line in lines)
    assert any(line.startswith("Đã thu") and line.endswith("78.255 đ") for line in lines)
    assert any(line.startswith("Trả hoá đơn") and line.endswith("28.255 đ") for line in lines)
    assert any(line.startswith("Ghi có tài khoản") and line.endswith("50.000 đ") for line in lines)
    assert "trừ vào kỳ sau" in " ".join(" ".join(lines).split())
    plain = rt.receipt(SLIP, receipt_no="A-1", collector="b", collected_at="2023-06-05T14:37:00+07:00")
    assert "Ghi có" not in plain and "Trả hoá đơn" not in plain


def test_notice_says_what_is_owed_how_to_pay_and_why_no_cash():
    text = rt.notice(SLIP, reason="Khách hàng thanh toán bằng chuyển khoản.")
    lines = _lines(text)
    assert all(len(line) <= 32 for line in lines)
    flat = " ".join(" ".join(lines).split())
    for expected in (
        "GIẤY BÁO TIỀN NƯỚC",
        "Mã KH: 01031059",
        "78.255 đ",
        "Hạn thanh toán",
        "15/06/2023",
        "Bảy mươi tám nghìn hai trăm năm mươi lăm đồng",
        "VNPay",
        "QR",
        "Chuyển khoản",
        "Tien nuoc 01031059 05/2023",
        "Chưa thu tại nhà: Khách hàng thanh toán bằng chuyển khoản.",
    ):
        assert expected in flat, expected
    assert "BIÊN NHẬN THU TIỀN NƯỚC" not in text and "Liên 2" not in text
    assert "Chưa thu tại nhà" not in rt.notice(SLIP)


def test_numbers_are_grouped_the_vietnamese_way():
    assert rt.number_vn(78255) == "78.255"
    assert rt.number_vn(1234567) == "1.234.567"
    assert rt.number_vn(0) == "0"
    big = rt.Slip(
        **{**SLIP.__dict__, "amount": 1_234_567, "old_index": 99_990, "new_index": 100_250, "consumption_m3": 260}
    )
    text = rt.receipt(big, receipt_no="X-2026-000001", collector="a", collected_at="2026-01-02T08:05:00+07:00")
    assert "1.234.567 đ" in text and "100.250" in text and "260 m³" in text
    assert amount_in_words(1_234_567) in " ".join(text.split())


def test_decomposed_input_is_printed_precomposed():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hường")
    text = rt.receipt(
        rt.Slip(**{**SLIP.__dict__, "customer_name": decomposed}),
        receipt_no="A-1",
        collector="b",
        collected_at="2026-01-02T08:05:00+07:00",
    )
    assert "Nguyễn Thị Hường" in text and all(len(line) <= 32 for line in _lines(text))


_vi_word = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợ"
    "ùủũúụừửữứựỳỷỹýỵ0123456789/,.-ĐÂ",
    min_size=1,
    max_size=14,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_vi_word, min_size=1, max_size=25), st.sampled_from(["", "  "]))
def test_wrapping_keeps_every_word_and_the_width(words, indent):
    text = " ".join(words)
    lines = rt.wrap(text, indent=indent)
    assert all(len(line) <= 32 for line in lines)
    assert _words(" ".join(lines)) == words  # nothing lost, nothing cut (words are < 32)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab ", min_size=0, max_size=200), st.integers(min_value=0, max_value=10**12))
def test_any_name_and_amount_fit(name, amount):
    slip = rt.Slip(**{**SLIP.__dict__, "customer_name": name, "address": name * 2, "amount": amount})
    for text in (
        rt.notice(slip, reason=name),
        rt.receipt(slip, receipt_no="R-1", collector=name, collected_at="2026-01-02T08:05:00+07:00"),
    ):
        assert all(len(line) <= 32 for line in _lines(text))


def test_a_word_longer_than_a_line_is_the_only_thing_cut():
    long = "x" * 40
    lines = rt.wrap(f"Mã {long} cuối")
    assert all(len(line) <= 32 for line in lines)
    assert "".join(" ".join(lines).split()) == f"Mã{long}cuối"


def test_pair_puts_the_value_flush_right():
    assert rt.pair("Số tiền", "78.255 đ") == ["Số tiền" + " " * 17 + "78.255 đ"]
    assert len(rt.pair("Số tiền", "78.255 đ")[0]) == 32
    assert rt.period_vn("2023-05") == "05/2023" and rt.date_vn("2023-06-15") == "15/06/2023"
