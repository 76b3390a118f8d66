"""The VietQR payload (chalicelib/domain/vietqr.py) against NAPAS's published examples and others'
(with their CRCs), every field's TLV, round trips, the limits; the purpose; the VIETQR_* settings;
and what a text reminder adds. Sources: docs/vietqr.md."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.config import VIETQR_DEMO, ConfigError, load_settings
from chalicelib.domain import payment_reference, vietqr
from chalicelib.domain import reminders as r
from chalicelib.domain.vietqr import Transfer, build, parse
from chalicelib.domain.vnpay_qr import crc16_ccitt_false, png, svg, tlv_objects
from chalicelib.domain.vnpay_qr import parse as parse_emv

# NAPAS, "Tài liệu quy định về định dạng mã VietQR trong dịch vụ chuyển nhanh NAPAS247" v1.0 (09/2021),
# 6.1.3 "QR động đến tài khoản" (a dynamic QR to an account), with its CRC 2E2E.
NAPAS_DYNAMIC = (
    "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA"
    "530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E"
)
NAPAS_DYNAMIC_FIELDS = Transfer(
    bank_bin="970403", account_no="0011012345678", amount=180000, purpose="thanh toan don hang", bill_number="NPS6869"
)
# The same document, 6.1.1 (static, to an account) and 6.1.2 (static, to a card).
NAPAS_STATIC_ACCOUNT = "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5"
NAPAS_STATIC_CARD = "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045802VN63044F52"
# Libraries' READMEs: npm napas-qr (github.com/duyquoc1508/napas-qr) and Go github.com/subiz/vietqr.
NAPAS_QR_README = (
    "00020101021238530010A0000007270123000697041601092245284790208QRIBFTTA"
    "53037045405100005802VN62340107NPS68690819TRANSFER TO SOMEONE6304AC13"
)
SUBIZ_README = (
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
    "530370454061200005802VN62170813ung ho lu lut6304C15C"
)


def demo(**changes) -> Transfer:
    base = Transfer(
        bank_bin="970436",
        account_no="1012345678",
        amount=78255,
        purpose="TH230501031059G TIEN NUOC",
        bill_number="INV-01031059-202305",
    )
    return dataclasses.replace(base, **changes)


# -- published examples ----------------------------------------------------------------------------


def test_napas_dynamic_example_is_built_byte_for_byte():
    assert build(NAPAS_DYNAMIC_FIELDS) == NAPAS_DYNAMIC
    assert parse(NAPAS_DYNAMIC) == NAPAS_DYNAMIC_FIELDS
    assert vietqr.PAYLOAD_RE.match(NAPAS_DYNAMIC)


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        (NAPAS_QR_README, Transfer("970416", "224528479", 10000, "TRANSFER TO SOMEONE", "NPS6869")),
        (SUBIZ_README, Transfer("970415", "0011001932418", 120000, "ung ho lu lut")),
    ],
)
def test_other_published_examples_read_and_rebuild(payload, fields):
    assert parse(payload) == fields
    assert build(fields) == payload


@pytest.mark.parametrize(
    "payload", [NAPAS_DYNAMIC, NAPAS_STATIC_ACCOUNT, NAPAS_STATIC_CARD, NAPAS_QR_README, SUBIZ_README]
)
def test_every_published_crc_is_ours(payload):
    assert f"{crc16_ccitt_false(payload[:-4].encode()):04X}" == payload[-4:]


def test_static_codes_are_read_as_emv_but_are_not_a_payable_transfer():
    assert parse_emv(NAPAS_STATIC_ACCOUNT)["01"] == "11"
    with pytest.raises(ValueError, match="static"):
        parse(NAPAS_STATIC_ACCOUNT)
    with pytest.raises(ValueError, match="static"):
        parse(NAPAS_STATIC_CARD)


# -- the fields ---------------------------------------------------------------------------------------


def test_every_field_is_its_own_tlv():
    payload = build(demo())
    root = parse_emv(payload)
    assert list(root) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert root["00"] == "01" and root["01"] == "12"
    beneficiary = root["38"]
    assert isinstance(beneficiary, dict)
    assert beneficiary["00"] == "A000000727" and beneficiary["02"] == "QRIBFTTA"
    assert tlv_objects(beneficiary["01"]) == {"00": "970436", "01": "1012345678"}
    assert payload.startswith("00020101021238540010A00000072701240006970436011010123456780208QRIBFTTA")
    assert root["53"] == "704" and root["54"] == "78255" and root["58"] == "VN"
    assert root["62"] == {"01": "INV-01031059-202305", "08": "TH230501031059G TIEN NUOC"}
    assert "6304" + root["63"] == payload[-8:]
    assert "59" not in root and "60" not in root  # NAPAS: merchant name and city are optional


def test_the_crc_catches_a_changed_character():
    payload = build(demo())
    tampered = payload.replace("78255", "18255")
    with pytest.raises(ValueError, match="bad CRC"):
        parse(tampered)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": vietqr.AMOUNT_MAX + 1}, "500 million"),
        ({"bank_bin": "97043"}, "bank_bin"),
        ({"bank_bin": "97043A"}, "bank_bin"),
        ({"account_no": "12345"}, "account_no"),
        ({"account_no": "1" * 20}, "account_no"),
        ({"account_no": "1012-345678"}, "account_no"),
        ({"account_no": "١٠١٢٣٤٥٦٧٨"}, "account_no"),  # Python's \d would take Arabic-Indic digits
        ({"bank_bin": "٩٧٠٤٣٦"}, "bank_bin"),
        ({"purpose": ""}, "purpose"),
        ({"purpose": "X" * 26}, "purpose"),
        ({"purpose": "Tiền nước"}, "purpose"),  # ASCII only: the caller transliterates
        ({"purpose": "TH23\n05"}, "purpose"),
        ({"bill_number": "B" * 26}, "bill_number"),
    ],
)
def test_what_cannot_be_carried_is_refused_not_cut(change, message):
    with pytest.raises(ValueError, match=message):
        build(demo(**change))


@pytest.mark.parametrize("amount", [True, 78255.0, "78255"])
def test_the_amount_is_whole_vnd(amount):
    with pytest.raises(TypeError):
        build(demo(amount=amount))


def test_the_limits_themselves_are_carried():
    assert parse(build(demo(amount=vietqr.AMOUNT_MAX))).amount == 499_999_999
    assert parse(build(demo(amount=1))).amount == 1
    longest = demo(account_no="9" * 19, purpose="P" * 25, bill_number="B" * 25)
    assert parse(build(longest)) == longest


@pytest.mark.parametrize(
    "bad",
    [
        NAPAS_DYNAMIC.replace("A000000727", "A000000775"),  # VNPay's GUID
        NAPAS_DYNAMIC.replace("QRIBFTTA", "QRIBFTTC"),  # to a card
        NAPAS_DYNAMIC.replace("5303704", "5303840"),  # USD
        NAPAS_DYNAMIC[:-4],
        "",
        "hello",
    ],
)
def test_what_is_not_a_vietqr_transfer_to_an_account_is_refused(bad):
    if bad and bad[-4:] != NAPAS_DYNAMIC[-4:] and len(bad) > 8:
        bad = bad[:-4] + f"{crc16_ccitt_false(bad[:-4].encode()):04X}"  # a valid CRC: the content is what is wrong
    with pytest.raises(ValueError):
        parse(bad)


# -- round trips ----------------------------------------------------------------------------------------

_printable = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=25)
transfers = st.builds(
    Transfer,
    bank_bin=st.from_regex(r"\A[0-9]{6}\Z"),
    account_no=st.from_regex(r"\A[0-9]{6,19}\Z"),
    amount=st.integers(1, vietqr.AMOUNT_MAX),
    purpose=_printable,
    bill_number=st.none() | _printable,
)


@given(transfers)
def test_parse_of_build_is_the_transfer(transfer):
    payload = build(transfer)
    assert parse(payload) == transfer
    assert vietqr.PAYLOAD_RE.fullmatch(payload), payload
    assert payload.isascii() and len(payload) <= 200


@given(transfers, st.integers(0, 10_000))
def test_any_changed_character_is_refused(transfer, where):
    payload = build(transfer)
    i = where % len(payload)
    changed = payload[:i] + ("0" if payload[i] != "0" else "1") + payload[i + 1 :]
    try:
        back = parse(changed)
    except ValueError:
        return
    raise AssertionError(f"{changed!r} read as {back!r}")  # the CRC must catch it


# -- the purpose: the payment reference first ---------------------------------------------------------


@given(st.from_regex(r"\A[0-9]{6,12}\Z"), st.integers(2000, 2099), st.integers(1, 12))
def test_an_invoices_purpose_starts_with_its_reference_and_is_found_again(code, year, month):
    period = f"{year}-{month:02d}"
    reference = vietqr.invoice_reference(f"INV-{code}-{year}{month:02d}", code, period)
    assert reference == payment_reference.for_invoice(code, period)
    text = vietqr.purpose(reference)
    assert text.startswith(reference) and len(text) <= 25 and text.isascii()
    (found,) = payment_reference.find(text).references
    assert found.invoice_id == f"INV-{code}-{year}{month:02d}"
    assert re.fullmatch(vietqr.REFERENCE_PATTERN, reference)


def test_purposes_of_each_kind():
    assert vietqr.purpose("TH230501031059G") == "TH230501031059G TIEN NUOC"
    assert vietqr.purpose("TN01031059K") == "TN01031059K TIEN NUOC"
    order = payment_reference.for_order("260501123456123456")
    assert len(order) == 21 and vietqr.purpose(order) == order  # " TIEN" would make 26: whole words or none
    assert vietqr.purpose("TN012345678901X") == "TN012345678901X TIEN NUOC"
    assert vietqr.purpose("TN0123456789012345X") == "TN0123456789012345X TIEN"  # 24: one word fits
    assert vietqr.purpose("TD123456789012345678901X") == "TD123456789012345678901X"
    for bad in ("TH 2305", "TH-2305", "Tiền", "X" * 26, ""):
        with pytest.raises(ValueError):
            vietqr.purpose(bad)


def test_an_imported_invoice_is_paid_through_its_accounts_reference():
    assert vietqr.invoice_reference("HIST-2019-0042", "01031059", "2019-04") == payment_reference.for_account(
        "01031059"
    )
    # An id that does not match its code and period is not guessed at either.
    assert vietqr.invoice_reference("INV-01031059-202306", "01031059", "2023-05").startswith("TN")


@given(
    st.one_of(
        st.from_regex(r"\A[0-9]{6,12}\Z").map(payment_reference.for_account),
        st.from_regex(r"\A[0-9]{18}\Z").map(payment_reference.for_order),
        st.from_regex(r"\AK[0-9A-F]{12}\Z").map(payment_reference.for_order),
    )
)
def test_the_reference_pattern_of_the_api_document_takes_every_reference(reference):
    assert re.fullmatch(vietqr.REFERENCE_PATTERN, reference)
    assert vietqr.purpose(reference).startswith(reference)


# -- images ----------------------------------------------------------------------------------------------


def test_png_and_svg_of_a_payload():
    payload = build(demo())
    image = png(payload)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert svg(payload).lstrip().startswith("<?xml") and "<svg" in svg(payload)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) reads the QR back")
def test_the_png_scans_back_to_the_payload(tmp_path):
    payload = build(demo())
    path = tmp_path / "vietqr.png"
    path.write_bytes(png(payload))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(path)], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == payload


# -- the VIETQR_* settings ----------------------------------------------------------------------------

DEPLOYED = {"STAGE": "prod", "JWT_SECRET_PARAM": "/p", "VNPAY_HASH_SECRET_PARAM": "/v"}
REAL = {
    "VIETQR_BANK_BIN": "970415",
    "VIETQR_ACCOUNT_NO": "113000123456",
    "VIETQR_ACCOUNT_NAME": "CTY CP CAP NUOC CA MAU",
}


def test_the_local_stage_has_demo_values_and_a_deployed_one_is_off_until_set():
    local = load_settings({})
    assert local.vietqr_on and (local.vietqr_bank_bin, local.vietqr_account_no) == ("970436", "1012345678")
    assert local.vietqr_account_name == "CTY CP CAP NUOC CA MAU" == VIETQR_DEMO["VIETQR_ACCOUNT_NAME"]
    off = load_settings(DEPLOYED)
    assert not off.vietqr_on and off.vietqr_bank_bin is None and off.vietqr_account_no is None
    assert not load_settings({**DEPLOYED, **dict.fromkeys(REAL, "")}).vietqr_on  # empty is unset
    on = load_settings({**DEPLOYED, **REAL})
    assert on.vietqr_on and on.vietqr_bank_bin == "970415" and on.vietqr_account_no == "113000123456"
    assert load_settings({"STAGE": "test", **REAL}).vietqr_bank_bin == "970415"  # set locally: used


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VIETQR_BANK_BIN", "97043", "VIETQR_BANK_BIN"),
        ("VIETQR_BANK_BIN", "970499", "VIETQR_BANK_BIN"),  # six digits, but no bank in the list has them
        ("VIETQR_BANK_BIN", "VCB", "VIETQR_BANK_BIN"),
        ("VIETQR_ACCOUNT_NO", "0011-0099", "VIETQR_ACCOUNT_NO"),
        ("VIETQR_ACCOUNT_NO", "1" * 20, "VIETQR_ACCOUNT_NO"),  # NAPAS carries 19
        ("VIETQR_ACCOUNT_NO", "12345", "VIETQR_ACCOUNT_NO"),
        ("VIETQR_ACCOUNT_NO", "١٠١٢٣٤٥٦٧٨", "VIETQR_ACCOUNT_NO"),
        ("VIETQR_ACCOUNT_NAME", "Cty CP Cấp nước Cà Mau", "VIETQR_ACCOUNT_NAME"),
        ("VIETQR_ACCOUNT_NAME", "cty cp cap nuoc ca mau", "VIETQR_ACCOUNT_NAME"),
        ("VIETQR_ACCOUNT_NAME", "CONG TY CO PHAN CAP NUOC CA MAU", "VIETQR_ACCOUNT_NAME"),  # 31 > 25
        ("VIETQR_ACCOUNT_NAME", " CTY CP", "VIETQR_ACCOUNT_NAME"),
        ("VIETQR_ACCOUNT_NAME", "CTY  CP", "VIETQR_ACCOUNT_NAME"),
    ],
)
def test_a_malformed_setting_is_refused_at_load(name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({**DEPLOYED, **REAL, name: value})
    with pytest.raises(ConfigError, match=message):
        load_settings({**REAL, name: value})  # the local stage too


@pytest.mark.parametrize("left_out", sorted(REAL))
def test_all_three_or_none(left_out):
    partial = {k: v for k, v in REAL.items() if k != left_out}
    with pytest.raises(ConfigError, match=left_out):
        load_settings({**DEPLOYED, **partial})


# -- reminders: where to transfer and the reference ---------------------------------------------------

TRANSFER = r.TransferNote("Vietcombank", "1012345678", "CTY CP CAP NUOC CA MAU", "TH230501031059G")
SMS_SEGMENT = 153  # GSM-7 characters of one part of a concatenated SMS


def _message(channel, level="overdue_14", transfer=TRANSFER, link="https://cskh.example.vn/pay?invoice="):
    return r.compose(
        r.find_level(level),
        channel,
        invoice_id="INV-01031059-202305",
        customer_code="01031059",
        period="2023-05",
        amount=78255,
        due_date="2023-06-15",
        link_base=link,
        transfer=transfer,
    )


def test_sms_email_and_zalo_say_where_to_transfer_and_the_reference():
    sms = _message("sms")
    assert sms.text.isascii() and sms.text.endswith(" CK Vietcombank 1012345678 ND TH230501031059G")
    email = _message("email")
    assert "ngân hàng Vietcombank, số tài khoản 1012345678, chủ tài khoản CTY CP CAP NUOC CA MAU" in email.text
    assert "nội dung chuyển khoản: TH230501031059G" in email.text and "78.255 đ" in email.text
    zalo = _message("zalo")
    assert "Vietcombank 1012345678, nội dung TH230501031059G" in zalo.text
    assert zalo.data["transfer_reference"] == "TH230501031059G" and zalo.data["account_no"] == "1012345678"
    assert _message("push").text == _message("push", transfer=None).text  # push stays short
    assert "CK " not in _message("sms", transfer=None).text  # VietQR off: as before


@pytest.mark.parametrize("level", ["due_soon", "due_today", "overdue_7", "overdue_14"])
def test_the_sms_keeps_its_number_of_parts(level):
    """The transfer details add 45 characters to the demo SMS and never another part (GSM-7, 153 a part)."""
    for link in ("https://cskh.example.vn/pay?invoice=", "https://cskh.capnuoccamau.com.vn/?invoice="):
        without, with_ = _message("sms", level, None, link).text, _message("sms", level, TRANSFER, link).text
        assert len(with_) - len(without) == 45
        assert -(-len(with_) // SMS_SEGMENT) == -(-len(without) // SMS_SEGMENT) == 2, (len(without), len(with_))
