"""Amount in words: the hard cases an invoice must get right, and a round trip
through an independent reader for every number up to the trillions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.words import amount_in_words, number_to_words

CASES = {
    0: "không",
    5: "năm",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    15: "mười lăm",
    20: "hai mươi",
    21: "hai mươi mốt",
    25: "hai mươi lăm",
    55: "năm mươi lăm",
    101: "một trăm lẻ một",
    105: "một trăm lẻ năm",
    110: "một trăm mười",
    115: "một trăm mười lăm",
    1001: "một nghìn không trăm lẻ một",
    1010: "một nghìn không trăm mười",
    1050: "một nghìn không trăm năm mươi",
    10000: "mười nghìn",
    78255: "bảy mươi tám nghìn hai trăm năm mươi lăm",
    101000: "một trăm lẻ một nghìn",
    1000000: "một triệu",
    1000005: "một triệu không trăm lẻ năm",
    1005000: "một triệu không trăm lẻ năm nghìn",
    1234567: "một triệu hai trăm ba mươi bốn nghìn năm trăm sáu mươi bảy",
    1000000000: "một tỷ",
    1000001000: "một tỷ không trăm lẻ một nghìn",
    2015000021: "hai tỷ không trăm mười lăm triệu không trăm hai mươi mốt",
    2000015021: "hai tỷ không trăm mười lăm nghìn không trăm hai mươi mốt",
    1000000000000: "một nghìn tỷ",
}


@pytest.mark.parametrize("n,words", sorted(CASES.items()))
def test_hard_cases(n, words):
    assert number_to_words(n) == words


def test_the_seed_invoice():
    assert amount_in_words(78255) == "Bảy mươi tám nghìn hai trăm năm mươi lăm đồng"


@pytest.mark.parametrize("bad", [-1, 1.5, "5", True, None])
def test_refuses_non_amounts(bad):
    with pytest.raises(ValueError):
        number_to_words(bad)


_UNITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "năm": 5,
    "lăm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
}


def _read_below_thousand(words: list[str]) -> int:
    total, i = 0, 0
    if len(words) > 1 and words[1] == "trăm":
        total, i = _UNITS[words[0]] * 100, 2
    rest = words[i:]
    if rest[:1] == ["lẻ"]:
        assert len(rest) == 2 and rest[1] not in ("mốt", "lăm", "không")
        return total + _UNITS[rest[1]]
    if rest[:1] == ["mười"]:
        assert len(rest) <= 2 and rest[1:] != ["mốt"]
        return total + 10 + (_UNITS[rest[1]] if len(rest) == 2 else 0)
    if len(rest) >= 2 and rest[1] == "mươi":
        assert rest[0] not in ("một", "không") and len(rest) <= 3
        tail = rest[2:]
        if tail:
            assert tail[0] not in ("một", "không")  # 21 is 'hai mươi mốt'
        return total + _UNITS[rest[0]] * 10 + (_UNITS[tail[0]] if tail else 0)
    if rest:
        assert len(rest) == 1 and total == 0
        return _UNITS[rest[0]]
    return total


def read_words(text: str) -> int:
    """An independent reader of Vietnamese numbers, used only to check the writer."""
    words = text.split()
    if words == ["không"]:
        return 0
    group, current = [], 0
    scales = {"nghìn": 10**3, "triệu": 10**6}
    billions = 0
    for w in words:
        if w == "tỷ":
            billions = billions * 10**9 + (current + (_read_below_thousand(group) if group else 0))
            current, group = 0, []
        elif w in scales:
            current += _read_below_thousand(group) * scales[w]
            group = []
        else:
            group.append(w)
    return billions * 10**9 + current + (_read_below_thousand(group) if group else 0)


@settings(max_examples=2000, deadline=None)
@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_round_trip(n):
    text = number_to_words(n)
    assert read_words(text) == n
    assert "  " not in text and text == text.strip()


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=1, max_value=10**12))
def test_amount_sentence_shape(n):
    text = amount_in_words(n)
    assert text[0].isupper() and text.endswith(" đồng") and text[1:-5] == text[1:-5].lower()
