"""Amounts in Vietnamese words, as an invoice must print them.

Rules: a group after the first always reads its hundreds ("không trăm"); a zero
ten before a unit reads "lẻ"; units after a ten above one read "mốt" (1) and
"lăm" (5); "mười lăm" but "mười một". Scales repeat every nine digits
(nghìn, triệu, tỷ, nghìn tỷ, ...).
"""

from __future__ import annotations

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _triple(n: int, leading: bool) -> list[str]:
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    out: list[str] = []
    if not leading or hundreds:
        out += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and out:
            out += ["lẻ", _DIGITS[units]]
        elif units:
            out.append(_DIGITS[units])
    elif tens == 1:
        out.append("mười")
        if units:
            out.append("lăm" if units == 5 else _DIGITS[units])
    else:
        out += [_DIGITS[tens], "mươi"]
        if units == 1:
            out.append("mốt")
        elif units == 5:
            out.append("lăm")
        elif units:
            out.append(_DIGITS[units])
    return out


def _below_billion(n: int, leading: bool) -> list[str]:
    out: list[str] = []
    for scale, name in ((10**6, "triệu"), (10**3, "nghìn"), (1, "")):
        group = n // scale % 1000
        if group == 0:
            continue
        out += _triple(group, leading and not out)
        if name:
            out.append(name)
    return out


def _words(n: int, leading: bool = True) -> list[str]:
    if n >= 10**9:
        head, rest = divmod(n, 10**9)
        out = _words(head, leading) + ["tỷ"]
        return out + (_below_billion(rest, False) if rest else [])
    return _below_billion(n, leading)


def number_to_words(n: int) -> str:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError("a non-negative integer is required")
    if n == 0:
        return "không"
    return " ".join(_words(n))


def amount_in_words(vnd: int) -> str:
    """78255 -> 'Bảy mươi tám nghìn hai trăm năm mươi lăm đồng'."""
    text = number_to_words(vnd)
    return text[0].upper() + text[1:] + " đồng"
