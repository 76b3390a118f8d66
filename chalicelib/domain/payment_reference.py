"""The payment reference a transfer's purpose carries ("nội dung chuyển khoản"), so that the money
of a VietQR transfer finds its bill again in a bank notification or a statement line. Pure.

A reference is short, ASCII, letters and digits only (bank apps drop or replace anything else),
and ends with a check letter, so that a mistyped one is never posted to someone else's account:

    TN<customer code>          an account: its open invoices, oldest first       (TN01031059K)
    TH<yymm><customer code>    one invoice: INV-<code>-20<yymm>                  (TH260501031059F)
    TD<order id>               a payment order (its items, several accounts at once)

followed by one check letter. The reference goes first in the purpose: a bank app that adds its own
words adds them around it, and one that cuts a long purpose cuts what follows it.

The check letter is a weighted sum (weights 1, 2, 3, ...) of the characters' values (0-9, then
A=10 ... Z=35) modulo 23, written with the 23 letters below (no I or O, which read as 1 and 0).
With a prime modulus and distinct weights below it, every single wrong character and every swap of
two characters in a reference of up to 22 characters is caught."""

from __future__ import annotations

import re
from dataclasses import dataclass

CHECK_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"  # 23 letters
MODULUS = len(CHECK_LETTERS)
MAX_LENGTH = 22  # weights stay distinct modulo 23

ACCOUNT = "account"
INVOICE = "invoice"
ORDER = "order"

# Contiguous, as they are written: a space or a dot inside is not ours. The id of an order is
# 18 digits (time and a random part) or K and 12 hex digits (an idempotency key's digest).
# A check letter followed by a digit is not one: a letter typed for a digit, or the check letter
# swapped with the last digit, would otherwise read as another, shorter reference.
_FOUND = re.compile(
    r"(?:TN(?P<account>[0-9]{6,12})"
    r"|TH(?P<yy>[0-9]{2})(?P<mm>0[1-9]|1[0-2])(?P<invoice>[0-9]{6,12})"
    r"|TD(?P<order>[0-9]{18}|K[0-9A-F]{12}))[A-Z](?![0-9])"
)


@dataclass(frozen=True)
class Reference:
    kind: str  # account | invoice | order
    text: str  # as written, check letter included
    customer_code: str | None = None
    period: str | None = None  # YYYY-MM of an invoice reference
    order_id: str | None = None

    @property
    def invoice_id(self) -> str | None:
        if self.kind != INVOICE or self.customer_code is None or self.period is None:
            return None
        return f"INV-{self.customer_code}-{self.period.replace('-', '')}"


@dataclass(frozen=True)
class Found:
    """What a purpose holds: the valid references (in order), and whether one looked like ours but
    its check letter was wrong (a typo: never guess whose money it is)."""

    references: tuple[Reference, ...] = ()
    bad_check: bool = False


def _value(char: str) -> int:
    return int(char, 36)


def check_letter(body: str) -> str:
    if not body or len(body) > MAX_LENGTH or not body.isalnum() or not body.isascii():
        raise ValueError(f"a reference body is 1-{MAX_LENGTH} ASCII letters and digits")
    total = sum(weight * _value(c) for weight, c in enumerate(body.upper(), start=1))
    return CHECK_LETTERS[total % MODULUS]


def is_valid(reference: str) -> bool:
    body, check = reference[:-1], reference[-1:]
    try:
        return check_letter(body) == check
    except ValueError:
        return False


def for_account(customer_code: str) -> str:
    body = f"TN{_digits(customer_code)}"
    return body + check_letter(body)


def for_invoice(customer_code: str, period: str) -> str:
    """`period` is YYYY-MM (a bill of 2000-2099)."""
    m = re.fullmatch(r"20([0-9]{2})-(0[1-9]|1[0-2])", period)
    if m is None:
        raise ValueError("a period is YYYY-MM, 2000-2099")
    body = f"TH{m.group(1)}{m.group(2)}{_digits(customer_code)}"
    return body + check_letter(body)


def for_order(order_id: str) -> str:
    if not re.fullmatch(r"[0-9]{18}|K[0-9A-F]{12}", order_id):
        raise ValueError("an order id is 18 digits or K and 12 hex digits")
    body = f"TD{order_id}"
    return body + check_letter(body)


def _digits(customer_code: str) -> str:
    if not re.fullmatch(r"[0-9]{6,12}", customer_code):
        raise ValueError("a customer code is 6-12 digits")
    return customer_code


def find(text: str) -> Found:
    """Every reference in a purpose as a bank passes it on (any case; words around it; diacritics
    and punctuation are the caller's to fold, see domain/statements.fold)."""
    found: list[Reference] = []
    bad = False
    for m in _FOUND.finditer(text.upper()):
        written = m.group(0)
        if not is_valid(written):
            bad = True
            continue
        if m["account"]:
            found.append(Reference(ACCOUNT, written, customer_code=m["account"]))
        elif m["invoice"]:
            found.append(Reference(INVOICE, written, customer_code=m["invoice"], period=f"20{m['yy']}-{m['mm']}"))
        else:
            found.append(Reference(ORDER, written, order_id=m["order"]))
    unique = tuple(dict.fromkeys(found))
    return Found(references=unique, bad_check=bad and not unique)
