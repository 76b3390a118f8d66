"""VietQR: the payload a bank app scans to make a NAPAS 247 transfer to the utility's account,
with the amount and the transfer's purpose ("nội dung chuyển khoản") filled in. Pure.

The layout is NAPAS's ("Tài liệu quy định về định dạng mã VietQR trong dịch vụ chuyển nhanh
NAPAS247", v1.0, 09/2021, sections 5 and 6.1.3; docs/vietqr.md says where each fact comes from).
An EMVCo merchant-presented payload, TLV as in domain/vnpay_qr.py, whose helpers this module uses:

    00 "01"                payload format indicator
    01 "12"                dynamic: one code per bill, with an amount ("11" static has none)
    38 template            the beneficiary (NAPAS's merchant account information)
       00 "A000000727"     NAPAS's AID
       01 template         the beneficiary organisation
          00 BIN           the bank's 6-digit BIN (domain/banks.py)
          01 account no.   the utility's account, at most 19 characters
       02 "QRIBFTTA"       service: NAPAS 247 transfer to an account ("QRIBFTTC" is to a card)
    53 "704"               VND
    54 amount              whole VND, digits only; NAPAS 247 takes less than 500 million a transfer
    58 "VN"
    62 template            additional data (optional, at most 99 characters)
       01 bill number      <= 25
       08 purpose          <= 25, becomes the transfer's description: the payment reference first
    63 CRC                 CRC-16/CCITT-FALSE over everything before its value, "6304" included

No merchant name (59) or city (60): NAPAS marks both optional ("O") and its own examples carry
neither; the website shows the account's name beside the QR instead. Objects come in
NAPAS's example order, so `build` reproduces NAPAS's published dynamic example exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain import payment_reference
from chalicelib.domain.vnpay_qr import (
    COUNTRY_VN,
    CURRENCY_VND,
    DYNAMIC,
    PAYLOAD_FORMAT,
    ascii_text,
    crc16_ccitt_false,
    tlv,
    tlv_objects,
)
from chalicelib.domain.vnpay_qr import parse as parse_emv

NAPAS_GUID = "A000000727"
TRANSFER_TO_ACCOUNT = "QRIBFTTA"
BENEFICIARY_TAG = "38"
ACCOUNT_MAX = 19  # NAPAS: "Merchant ID / Consumer ID ... tối đa 19 ký tự"
BILL_MAX = 25
PURPOSE_MAX = 25
# "hạn mức tối đa của một giao dịch là dưới 500 triệu đồng" (NAPAS at VietQR's launch, 06/2021):
# a code for more could never be paid in one transfer.
AMOUNT_MAX = 499_999_999
PURPOSE_WORDS = "TIEN NUOC"  # after the reference when it fits: the payer's statement says what it was

# A payload `build` makes (ECMA-262 and Python alike), for the API document and the checks.
PAYLOAD_PATTERN = (
    r"^00020101021238[0-9]{2}0010A00000072701[0-9]{2}0006[0-9]{6}01[0-9]{2}[0-9]{6,19}0208QRIBFTTA"
    r"530370454[0-9]{2}[1-9][0-9]{0,8}5802VN(62[0-9]{2}(01[0-9]{2}[ -~]{1,25})?(08[0-9]{2}[ -~]{1,25})?)?"
    r"6304[0-9A-F]{4}$"
)
PAYLOAD_RE = re.compile(PAYLOAD_PATTERN)
# A reference of domain/payment_reference.py, for the API document: its three forms and check letter.
REFERENCE_PATTERN = r"^(TN[0-9]{6,12}|TH[0-9]{2}(0[1-9]|1[0-2])[0-9]{6,12}|TD([0-9]{18}|K[0-9A-F]{12}))[A-HJ-NP-Y]$"

# [0-9], not \d: Python's \d takes any script's digits, which no bank app reads (nor ASCII carries).
_BIN = re.compile(r"[0-9]{6}")
_ACCOUNT = re.compile(r"[0-9]{6,19}")
_TEXT = re.compile(r"[\x20-\x7e]+")


@dataclass(frozen=True)
class Transfer:
    """What a VietQR asks the payer's bank to do."""

    bank_bin: str
    account_no: str
    amount: int  # VND
    purpose: str  # the transfer's description, ASCII
    bill_number: str | None = None


def _text(field: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not _TEXT.fullmatch(value) or len(value) > limit:
        raise ValueError(f"{field} must be 1-{limit} printable ASCII characters, got {value!r}")
    return value


def build(transfer: Transfer) -> str:
    """The payload. ValueError (TypeError for a non-int amount) when a value cannot be carried:
    nothing is cut or changed here, so what reaches the bank is what was asked for."""
    t = transfer
    if not isinstance(t.bank_bin, str) or not _BIN.fullmatch(t.bank_bin):
        raise ValueError(f"bank_bin must be 6 digits, got {t.bank_bin!r}")
    if not isinstance(t.account_no, str) or not _ACCOUNT.fullmatch(t.account_no):
        raise ValueError(f"account_no must be 6-{ACCOUNT_MAX} digits, got {t.account_no!r}")
    if isinstance(t.amount, bool) or not isinstance(t.amount, int):
        raise TypeError("amount must be an int (whole VND)")
    if not 1 <= t.amount <= AMOUNT_MAX:
        raise ValueError(f"amount must be 1..{AMOUNT_MAX} VND (NAPAS 247: under 500 million), got {t.amount}")
    additional = ""
    if t.bill_number is not None:
        additional += tlv("01", _text("bill_number", t.bill_number, BILL_MAX))
    additional += tlv("08", _text("purpose", t.purpose, PURPOSE_MAX))
    beneficiary = tlv("00", t.bank_bin) + tlv("01", t.account_no)
    body = (
        tlv("00", PAYLOAD_FORMAT)
        + tlv("01", DYNAMIC)
        + tlv(BENEFICIARY_TAG, tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", TRANSFER_TO_ACCOUNT))
        + tlv("53", CURRENCY_VND)
        + tlv("54", str(t.amount))
        + tlv("58", COUNTRY_VN)
        + tlv("62", additional)
        + "6304"
    )
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def parse(payload: str) -> Transfer:
    """Read a dynamic VietQR transfer to an account back; ValueError when the CRC or a TLV is wrong,
    or it is not one (another GUID or service, a static code with no amount, another currency).
    Objects it does not use (a merchant name, say) are allowed and ignored."""
    root = parse_emv(payload)
    if root.get("00") != PAYLOAD_FORMAT:
        raise ValueError("payload format indicator (00) must be 01")
    if root.get("01") != DYNAMIC:
        raise ValueError("not a dynamic VietQR (01 must be 12): a static one carries no amount")
    beneficiary = root.get(BENEFICIARY_TAG)
    if not isinstance(beneficiary, dict) or beneficiary.get("00") != NAPAS_GUID:
        raise ValueError(f"no VietQR beneficiary: tag 38 with GUID {NAPAS_GUID}")
    if beneficiary.get("02") != TRANSFER_TO_ACCOUNT:
        raise ValueError(f"not a transfer to an account (38/02 must be {TRANSFER_TO_ACCOUNT})")
    bank = tlv_objects(beneficiary.get("01", ""), "tag 38/01")
    if not _BIN.fullmatch(bank.get("00", "")) or not _ACCOUNT.fullmatch(bank.get("01", "")):
        raise ValueError("38/01 must hold a 6-digit BIN (00) and a 6-19 digit account number (01)")
    if root.get("53") != CURRENCY_VND or root.get("58") != COUNTRY_VN:
        raise ValueError("currency (53) must be 704 and country (58) VN")
    amount = root.get("54")
    if not isinstance(amount, str) or not re.fullmatch(r"[1-9][0-9]*", amount):
        raise ValueError("amount (54) must be whole VND digits")
    extra = root.get("62", {})
    if not isinstance(extra, dict):
        raise ValueError("additional data (62) must be a template")
    return Transfer(
        bank_bin=bank["00"],
        account_no=bank["01"],
        amount=int(amount),
        purpose=extra.get("08", ""),
        bill_number=extra.get("01"),
    )


def purpose(reference: str, words: str = PURPOSE_WORDS) -> str:
    """The transfer's description: the payment reference first (a bank app that adds words adds
    them around it, one that cuts cuts what follows), then `words` (made ASCII) if they fit."""
    if not isinstance(reference, str) or not reference.isascii() or not reference.isalnum():
        raise ValueError(f"a payment reference is ASCII letters and digits, got {reference!r}")
    if len(reference) > PURPOSE_MAX:
        raise ValueError(f"a payment reference fits in {PURPOSE_MAX} characters")
    out = reference
    for word in ascii_text(words, 99).split():  # whole words only: half of one reads as noise
        if len(out) + 1 + len(word) > PURPOSE_MAX:
            break
        out += " " + word
    return out


def invoice_reference(invoice_id: str, customer_code: str, period: str) -> str:
    """The reference for paying one invoice: TH<yymm><code> when the invoice has the id that reference
    names (INV-<code>-<yyyymm>); otherwise (imported history keeps its own ids) the account's, TN<code>,
    which pays the account's open invoices oldest first."""
    if invoice_id == f"INV-{customer_code}-{period.replace('-', '')}":
        try:
            return payment_reference.for_invoice(customer_code, period)
        except ValueError:
            pass
    return payment_reference.for_account(customer_code)
