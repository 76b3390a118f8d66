"""VNPAY-QR payload and images: the CRC is CRC-16/CCITT-FALSE, a payload reads
back to what went in, every TLV length is right, tampering is caught, and the
PNG/SVG are real images of the payload, made without Pillow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import vnpay_qr
from chalicelib.domain.vnpay_qr import ascii_text, crc16_ccitt_false, merchant_payload, parse, png, svg, tlv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TMN_CODE = "CSKHDEMO"  # local/run.py's default terminal code

# The seed's order: 05/2023 water bill of customer 01031059.
SEED_ORDER = dict(
    merchant_name="CAWACO", merchant_city="CA MAU", merchant_id=TMN_CODE, amount_vnd=78255, bill_number="145859499"
)

# Payloads VNPay's QR service produced for real merchants (published in public
# code: vothanhhieu1/payment README, a createQrcode answer; and integrators'
# test data). They pin our CRC and parser to VNPay's, not only to ourselves.
VNPAY_SAMPLES = [
    "00020101021226280010A000000775011001069219495204999953037045405200005802VN5906NEWWAY"
    "6005HANOI624401039020314NEWWAY OFFLINE0708NEWWAY050803902630406FA",
    "00020101021226280010A000000775011003144389655204421453037045405150005802VN5906ILOGIC"
    "6003HCM6240010439670316ILOGIC OFFLINE 10708ILOGIC016304549C",
]

VIETNAMESE = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ",
    "e": "eèéẻẽẹêềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọôồốổỗộơờớởỡợ",
    "u": "uùúủũụưừứửữự",
    "y": "yỳýỷỹỵ",
    "d": "dđ",
}
VIET_LETTERS = "".join(VIETNAMESE.values()) + "".join(VIETNAMESE.values()).upper() + "bcghklmnpqrstvx"


def walk(text: str, templates=("26", "62")) -> list[tuple[str, str]]:
    """An independent TLV walk: every declared length must match its value and
    the objects must cover the text exactly, templates included."""
    objects, i = [], 0
    while i < len(text):
        tag, length = text[i : i + 2], int(text[i + 2 : i + 4])
        value = text[i + 4 : i + 4 + length]
        assert tag.isdigit() and len(value) == length >= 1, (text, i)
        if tag in templates:
            walk(value, templates=())
        objects.append((tag, value))
        i += 4 + length
    assert i == len(text)
    return objects


# --- TLV and CRC -------------------------------------------------------------


def test_crc_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


@pytest.mark.parametrize("sample", VNPAY_SAMPLES)
def test_vnpay_samples_verify_and_parse(sample):
    fields = parse(sample)
    assert fields["26"]["00"] == "A000000775" and fields["01"] == "12"
    assert f"{crc16_ccitt_false(sample[:-4].encode()):04X}" == sample[-4:]


def test_tlv():
    assert tlv("54", "78255") == "540578255"
    assert tlv("59", "x" * 99) == "5999" + "x" * 99
    with pytest.raises(ValueError):
        tlv("59", "x" * 100)
    with pytest.raises(ValueError):
        tlv("59", "")
    with pytest.raises(ValueError):
        tlv("5", "x")


# --- The seed's order ----------------------------------------------------------


def test_seed_order_payload():
    payload = merchant_payload(**SEED_ORDER)
    assert payload.isascii()
    assert payload.startswith("000201010212")  # format 01, dynamic
    fields = parse(payload)
    assert fields == {
        "00": "01",
        "01": "12",
        "26": {"00": "A000000775", "01": TMN_CODE},
        "52": "4900",
        "53": "704",
        "54": "78255",
        "58": "VN",
        "59": "CAWACO",
        "60": "CA MAU",
        "62": {"01": "145859499", "08": "Thanh toan hoa don"},
        "63": payload[-4:],
    }
    assert payload.endswith("6304" + f"{crc16_ccitt_false(payload[:-4].encode()):04X}")
    assert [tag for tag, _ in walk(payload)] == ["00", "01", "26", "52", "53", "54", "58", "59", "60", "62", "63"]


def test_deadline_is_not_encoded():
    """VNPAY-QR has no deadline field: the same order with or without an
    expiry gives the same payload (the app shows the deadline beside it)."""
    assert merchant_payload(**SEED_ORDER, expires_at=1_684_000_000) == merchant_payload(**SEED_ORDER)
    with pytest.raises(TypeError):
        merchant_payload(**SEED_ORDER, expires_at="2023-05-13")


def test_tampering_any_character_is_caught():
    payload = merchant_payload(**SEED_ORDER)
    for i, ch in enumerate(payload):
        for other in {"0", "9", "A", "a", " "} - {ch}:
            with pytest.raises(ValueError):
                parse(payload[:i] + other + payload[i + 1 :])
    # The classic fraud: the amount changed, lengths intact. The CRC catches it.
    with pytest.raises(ValueError, match="bad CRC"):
        parse(payload.replace("540578255", "540518255"))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "0002",
        "000201",
        "00020101021263",
        "01021200020163040000",
        "0002016304ABCD",  # wrong CRC
        "00020163041D3",  # 63 shorter than 4
    ],
)
def test_malformed_payloads(bad):
    with pytest.raises(ValueError):
        parse(bad)


def test_crc_must_be_uppercase_hex():
    payloads = (merchant_payload(**{**SEED_ORDER, "bill_number": str(n)}) for n in range(100))
    payload = next(p for p in payloads if not p[-4:].isdigit())  # a CRC with a letter in it
    parse(payload)
    with pytest.raises(ValueError):
        parse(payload[:-4] + payload[-4:].lower())


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_vnd": 0},
        {"amount_vnd": -5},
        {"amount_vnd": 10**13},
        {"bill_number": ""},
        {"bill_number": "x" * 26},
        {"bill_number": "HĐ-1"},
        {"merchant_name": "★★★"},
        {"merchant_city": ""},
        {"merchant_id": ""},
        {"mcc": "49"},
    ],
)
def test_refuses_bad_input(changes):
    with pytest.raises(ValueError):
        merchant_payload(**{**SEED_ORDER, **changes})


@pytest.mark.parametrize("changes", [{"amount_vnd": 78255.0}, {"amount_vnd": True}, {"amount_vnd": "78255"}])
def test_amount_must_be_whole_vnd(changes):
    with pytest.raises(TypeError):
        merchant_payload(**{**SEED_ORDER, **changes})


# --- Text --------------------------------------------------------------------


def test_every_vietnamese_letter_becomes_its_base_letter():
    for base, letters in VIETNAMESE.items():
        for ch in letters:
            assert ascii_text(ch, 1) == base and ascii_text(ch.upper(), 1) == base.upper(), ch


def test_names_are_ascii_and_cut_on_a_word():
    assert ascii_text("Công ty Cổ phần Cấp nước Cà Mau (CAWACO)", 25) == "Cong ty Co phan Cap nuoc"
    assert ascii_text("  Thành phố   Cà Mau ", 15) == "Thanh pho Ca"
    assert ascii_text("Đông Hải", 15) == "Dong Hai"
    payload = merchant_payload(
        **{
            **SEED_ORDER,
            "merchant_name": "Công ty Cấp nước Cà Mau",
            "merchant_city": "Cà Mau",
            "purpose": "Thanh toán hoá đơn tiền nước",
        }
    )
    fields = parse(payload)
    assert (fields["59"], fields["60"], fields["62"]["08"]) == (
        "Cong ty Cap nuoc Ca Mau",
        "Ca Mau",
        "Thanh toan hoa don tien",
    )


def test_empty_purpose_is_left_out():
    assert parse(merchant_payload(**SEED_ORDER, purpose=""))["62"] == {"01": "145859499"}


# --- Property ------------------------------------------------------------------

vietnamese_text = st.text(alphabet=VIET_LETTERS + "  .-&", min_size=1, max_size=60).filter(
    lambda s: any(c.isalpha() for c in s)
)
bill_numbers = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ-_/.", min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(1, 10**13 - 1),
    bill=bill_numbers,
    name=vietnamese_text,
    city=vietnamese_text,
    purpose=st.text(alphabet=VIET_LETTERS + " ", max_size=40),
    merchant_id=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=20),
    expires_at=st.none() | st.integers(0, 2**32),
)
def test_round_trip(amount, bill, name, city, purpose, merchant_id, expires_at):
    payload = merchant_payload(
        merchant_name=name,
        merchant_city=city,
        merchant_id=merchant_id,
        amount_vnd=amount,
        bill_number=bill,
        purpose=purpose,
        expires_at=expires_at,
    )
    assert payload.isascii() and all(" " <= c <= "~" for c in payload)
    walk(payload)
    fields = parse(payload)
    assert fields["54"] == str(amount) and fields["54"].isdigit()
    assert fields["62"]["01"] == bill
    assert fields["26"] == {"00": "A000000775", "01": merchant_id}
    assert fields["59"] == ascii_text(name, 25) and 1 <= len(fields["59"]) <= 25
    assert fields["60"] == ascii_text(city, 15) and 1 <= len(fields["60"]) <= 15
    assert fields["62"].get("08", "") == ascii_text(purpose, 25)
    assert (fields["00"], fields["01"], fields["52"], fields["53"], fields["58"]) == ("01", "12", "4900", "704", "VN")


# --- Images ------------------------------------------------------------------


def test_png_is_a_png_of_the_payload(tmp_path):
    payload = merchant_payload(**SEED_ORDER)
    image = png(payload)
    assert image.startswith(PNG_SIGNATURE)
    png_module = pytest.importorskip("png")
    width, height, rows, info = png_module.Reader(bytes=image).read()
    assert width == height and info["bitdepth"] == 1 and len(list(rows)) == height
    assert png(payload, box_size=4) != image
    if not shutil.which("zbarimg"):
        pytest.skip("zbarimg not installed (apt-get install zbar-tools)")
    path = tmp_path / "qr.png"
    path.write_bytes(image)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.rstrip("\n") == payload


def test_svg_is_an_svg_document():
    payload = merchant_payload(**SEED_ORDER)
    document = svg(payload)
    assert document.startswith("<?xml")
    root = ET.fromstring(document.encode())
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    assert root.find("{http://www.w3.org/2000/svg}path") is not None


def test_glog_bug_payload_still_renders():
    """'0' * 146 makes qrcode 8.2 raise `ValueError: glog(0)` at level M
    (lincolnloop/python-qrcode#330); another level encodes it."""
    assert png("0" * 146).startswith(PNG_SIGNATURE)
    assert "<svg" in svg("0" * 146)


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)


def test_import_loads_neither_qrcode_nor_pil():
    result = _python(
        "import sys; import chalicelib.domain.vnpay_qr; "
        "print([m for m in sys.modules if m.split('.')[0] in ('qrcode', 'PIL', 'png')])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert vnpay_qr.__name__  # the module under test is the one imported above


def test_images_need_no_pillow():
    """As in the Lambda package, where Pillow is absent."""
    result = _python(
        "import sys; sys.modules['PIL'] = None\n"
        "from chalicelib.domain.vnpay_qr import png, svg\n"
        "assert png('00020101021226').startswith(b'\\x89PNG') and '<svg' in svg('x')\n"
        "assert not any(m.split('.')[0] == 'PIL' and sys.modules[m] for m in sys.modules)"
    )
    assert result.returncode == 0, result.stderr
