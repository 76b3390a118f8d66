"""VNPAY-QR: the EMVCo merchant-presented QR payload a bank app scans to pay
an order through VNPay, and its PNG/SVG rendering. Pure functions, no AWS.

Payload (EMV QRCPS merchant-presented mode, as VNPAY-QR fills it; see
../shared/VNPAY.md, section VNPAY-QR). Each data object is a TLV: two-digit
tag, two-digit length (characters), value; templates nest the same way.

    00 "01"              payload format indicator
    01 "12"              point of initiation: dynamic (one QR per order, with an amount)
    26 template          merchant account information, VNPAY-QR
       00 "A000000775"   VNPay's GUID (VietQR/NAPAS uses tag 38 with A000000727)
       01 merchant id    here: our VNPay terminal code
    52 MCC               4900 = utilities (electric, gas, water, sanitary)
    53 "704"             VND
    54 amount            whole VND, digits only (VND has no minor unit)
    58 "VN"
    59 merchant name     ASCII, <= 25, diacritics stripped
    60 merchant city     ASCII, <= 15
    62 template          additional data
       01 bill number    the order id (vnp_TxnRef), <= 25
       08 purpose        ASCII, <= 25
    63 CRC               CRC-16/CCITT-FALSE over everything before it, including
                         the literal "6304"; 4 uppercase hex digits

The payment deadline is NOT in the payload. EMVCo's additional-data template
defines sub-tags 01-09 (bill number, mobile, store, loyalty, reference,
customer, terminal, purpose, consumer-data request), none of them a deadline,
and the payloads VNPay's own QR API returns carry none either, even when the
request had an `expDate` (VNPay keeps the deadline on its side and refuses a
late payment there). Putting it in "reference label" (05) or another sub-tag
would be our invention that no bank app reads as a deadline. So
`merchant_payload` accepts `expires_at` only to check it; our app and website
show the deadline next to the QR, and VNPay enforces it through the order's
vnp_ExpireDate.

Rendering uses `qrcode` with its pure-Python PNG writer (pypng) and its SVG
factory, never Pillow (not in the Lambda package). qrcode is imported inside
`png`/`svg`, so importing this module stays cheap on a cold start.
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # qrcode is imported on first use: a cold-start cost
    from qrcode.image.base import BaseImage
    from qrcode.main import QRCode

VNPAY_GUID = "A000000775"
PAYLOAD_FORMAT = "01"
DYNAMIC = "12"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
MCC_UTILITIES = "4900"

NAME_MAX = 25
CITY_MAX = 15
BILL_MAX = 25
PURPOSE_MAX = 25
AMOUNT_MAX_DIGITS = 13  # EMVCo: tag 54 is at most 13 characters

# Templates whose value is itself a list of TLVs: 26-51 merchant account
# information, 62 additional data, 64 merchant information in another language.
TEMPLATE_TAGS = frozenset([f"{t:02d}" for t in range(26, 52)] + ["62", "64"])

_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")
_TAG = re.compile(r"^\d\d$")
_CRC = re.compile(r"^[0-9A-F]{4}$")


# --- TLV and CRC -------------------------------------------------------------


def tlv(tag: str, value: str) -> str:
    """One data object: tag, two-digit length, value. Lengths are 01-99."""
    if not isinstance(tag, str) or not _TAG.match(tag):
        raise ValueError(f"TLV tag must be two digits, got {tag!r}")
    if not isinstance(value, str):
        raise TypeError(f"TLV value for tag {tag} must be a string")
    if not 1 <= len(value) <= 99:
        raise ValueError(f"TLV value for tag {tag} must be 1-99 characters, got {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_TABLE = _crc_table()


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, xorout 0
    (the one EMVCo names after ISO/IEC 13239). b"123456789" gives 0x29B1."""
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def _crc_hex(text: str) -> str:
    return f"{crc16_ccitt_false(text.encode('ascii')):04X}"


# --- Text --------------------------------------------------------------------


def ascii_text(text: str, limit: int) -> str:
    """Vietnamese (or any Latin) text as printable ASCII of at most `limit`
    characters: diacritics stripped (đ/Đ become d/D), other characters
    dropped, runs of whitespace collapsed, cut at `limit` (at a word
    boundary when there is one)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    kept = "".join(ch if " " <= ch <= "~" else (" " if ch.isspace() else "") for ch in kept)
    kept = " ".join(kept.split())
    if len(kept) <= limit:
        return kept
    cut = kept[:limit]
    if kept[limit] != " " and " " in cut:  # don't end on half a word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ([{<-,;:/&")


def _required_ascii(field: str, text: str, limit: int) -> str:
    value = ascii_text(text, limit)
    if not value:
        raise ValueError(f"{field} has no ASCII letters left after stripping diacritics: {text!r}")
    return value


def _verbatim(field: str, value: str, limit: int) -> str:
    """An identifier that must reach the bank app exactly as given."""
    if not isinstance(value, str) or not _PRINTABLE.match(value) or len(value) > limit:
        raise ValueError(f"{field} must be 1-{limit} printable ASCII characters, got {value!r}")
    return value


# --- Payload -----------------------------------------------------------------


def merchant_payload(
    *,
    merchant_name: str,
    merchant_city: str,
    merchant_id: str,
    amount_vnd: int,
    bill_number: str,
    purpose: str = "Thanh toan hoa don",
    expires_at: int | None = None,
    mcc: str = MCC_UTILITIES,
) -> str:
    """The VNPAY-QR payload for one order (dynamic: it carries the amount).

    `merchant_id` goes into template 26 after VNPay's GUID (we pass our VNPay
    terminal code). `bill_number` is the order id and is never altered: it is
    refused if it is not 1-25 printable ASCII characters. Name, city and
    purpose are made ASCII and cut to their EMVCo lengths.

    `expires_at` (epoch seconds) is checked but not encoded: VNPAY-QR has no
    deadline field (see the module docstring); the deadline is shown by our
    app and website next to the QR and enforced by VNPay via vnp_ExpireDate.
    """
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int):
        raise TypeError("amount_vnd must be an int (whole VND)")
    if amount_vnd <= 0 or len(str(amount_vnd)) > AMOUNT_MAX_DIGITS:
        raise ValueError(f"amount_vnd must be 1..{10**AMOUNT_MAX_DIGITS - 1}, got {amount_vnd}")
    if expires_at is not None and (isinstance(expires_at, bool) or not isinstance(expires_at, int)):
        raise TypeError("expires_at must be epoch seconds (int) or None")
    if not isinstance(mcc, str) or not re.fullmatch(r"\d{4}", mcc):
        raise ValueError(f"mcc must be four digits, got {mcc!r}")

    account = tlv("00", VNPAY_GUID) + tlv("01", _verbatim("merchant_id", merchant_id, 99))
    additional = tlv("01", _verbatim("bill_number", bill_number, BILL_MAX))
    purpose_ascii = ascii_text(purpose or "", PURPOSE_MAX)
    if purpose_ascii:
        additional += tlv("08", purpose_ascii)

    body = (
        "".join(
            [
                tlv("00", PAYLOAD_FORMAT),
                tlv("01", DYNAMIC),
                tlv("26", account),
                tlv("52", mcc),
                tlv("53", CURRENCY_VND),
                tlv("54", str(amount_vnd)),
                tlv("58", COUNTRY_VN),
                tlv("59", _required_ascii("merchant_name", merchant_name, NAME_MAX)),
                tlv("60", _required_ascii("merchant_city", merchant_city, CITY_MAX)),
                tlv("62", additional),
            ]
        )
        + "6304"
    )
    return body + _crc_hex(body)


def tlv_objects(text: str, where: str = "value") -> dict[str, str]:
    """Split a TLV list into {tag: value}; ValueError if it is malformed. Also for a template
    nested deeper than `parse` splits (VietQR's beneficiary, 38/01)."""
    out: dict[str, str] = {}
    i = 0
    while i < len(text):
        head = text[i : i + 4]
        if len(head) < 4 or not head.isdigit() or not head.isascii():
            raise ValueError(f"malformed TLV header {head!r} at {where}[{i}]")
        tag, length = head[:2], int(head[2:])
        value = text[i + 4 : i + 4 + length]
        if length == 0 or len(value) != length:
            raise ValueError(f"TLV {tag} at {where}[{i}] declares {length} characters, has {len(value)}")
        if tag in out:
            raise ValueError(f"duplicate tag {tag} in {where}")
        out[tag] = value
        i += 4 + length
    return out


def parse(payload: str) -> dict[str, str | dict[str, str]]:
    """Read a payload back into {tag: value}, templates (26-51, 62, 64) as
    nested {sub-tag: value} dicts. Raises ValueError when a TLV is malformed,
    when it does not start with 00 and end with a 4-character 63, or when
    the CRC does not match."""
    if not isinstance(payload, str):
        raise ValueError("payload must be a string")
    root = tlv_objects(payload, "payload")
    tags = list(root)
    if not tags or tags[0] != "00":
        raise ValueError("payload must start with tag 00 (payload format indicator)")
    if tags[-1] != "63" or not payload.endswith("6304" + root["63"]) or len(root["63"]) != 4:
        raise ValueError("payload must end with tag 63 (CRC), 4 characters")
    if not _CRC.match(root["63"]):
        raise ValueError(f"CRC must be 4 uppercase hex digits, got {root['63']!r}")
    if not payload.isascii():
        raise ValueError("payload must be ASCII")
    expected = _crc_hex(payload[:-4])
    if root["63"] != expected:
        raise ValueError(f"bad CRC: payload says {root['63']}, computed {expected}")
    return {tag: tlv_objects(value, f"tag {tag}") if tag in TEMPLATE_TAGS else value for tag, value in root.items()}


# --- Images ------------------------------------------------------------------


def _qr(payload: str, image_factory: type[BaseImage] | None, box_size: int, border: int = 4) -> QRCode:
    """A built qrcode.QRCode. Level M first; qrcode 8.2 fails some payloads
    with `ValueError: glog(0)` in its Reed-Solomon step
    (lincolnloop/python-qrcode#330), and another error-correction level,
    which splits the data into different blocks, encodes those."""
    import qrcode
    from qrcode import constants

    if isinstance(box_size, bool) or not isinstance(box_size, int) or box_size < 1:
        raise ValueError(f"box_size must be a positive int, got {box_size!r}")
    error: ValueError | None = None
    for level in (
        constants.ERROR_CORRECT_M,
        constants.ERROR_CORRECT_Q,
        constants.ERROR_CORRECT_L,
        constants.ERROR_CORRECT_H,
    ):
        qr = qrcode.QRCode(error_correction=level, box_size=box_size, border=border, image_factory=image_factory)
        qr.add_data(payload)
        try:
            qr.make(fit=True)
        except ValueError as exc:
            if "glog" not in str(exc):
                raise
            error = exc
            continue
        return qr
    assert error is not None  # every level was tried and failed with that error
    raise error


def matrix(payload: str) -> list[list[bool]]:
    """The QR's modules (True = dark), without the quiet zone: for drawing it as rectangles (the
    invoice PDF), with the same error-correction fallback as the images."""
    modules: list[list[bool]] = _qr(payload, None, box_size=1, border=0).get_matrix()
    return modules


def png(payload: str, box_size: int = 8) -> bytes:
    """The QR as a black-on-white 1-bit PNG (pypng, no Pillow), 4-module quiet zone."""
    from qrcode.image.pure import PyPNGImage

    buf = io.BytesIO()
    _qr(payload, PyPNGImage, box_size).make_image().save(buf)
    return buf.getvalue()


def svg(payload: str) -> str:
    """The QR as a standalone SVG document: one path on a white background,
    4-module quiet zone, scalable (sized in mm, with a viewBox)."""
    from qrcode.image.svg import SvgPathFillImage

    buf = io.BytesIO()
    _qr(payload, SvgPathFillImage, box_size=10).make_image().save(buf)
    return buf.getvalue().decode("utf-8")
