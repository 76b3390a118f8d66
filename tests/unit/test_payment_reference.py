"""The payment reference a transfer's purpose carries (chalicelib/domain/payment_reference.py):
round trips through `find` (also among a bank's words), the check letter catching every wrong digit,
every wrong check letter and every swap of adjacent digits, and the edits it cannot catch."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import payment_reference as pr

codes = st.from_regex(r"\A[0-9]{6,12}\Z")
periods = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2000, 2099), st.integers(1, 12))
orders = st.from_regex(r"\A[0-9]{18}\Z") | st.from_regex(r"\AK[0-9A-F]{12}\Z")
references = st.one_of(
    codes.map(pr.for_account),
    st.builds(pr.for_invoice, codes, periods),
    orders.map(pr.for_order),
)
words = st.sampled_from(["", "CK ", "MBVCB.123456.", "Thanh toan ", "IBFT "])


@given(codes)
def test_an_account_reference_is_found_again(code):
    (found,) = pr.find(pr.for_account(code)).references
    assert (found.kind, found.customer_code) == (pr.ACCOUNT, code)


@given(codes, periods, words, words)
def test_an_invoice_reference_is_found_again_among_a_banks_words(code, period, before, after):
    reference = pr.for_invoice(code, period)
    (found,) = pr.find(f"{before}{reference.lower() if before else reference} {after}").references
    assert (found.kind, found.customer_code, found.period) == (pr.INVOICE, code, period)
    assert found.invoice_id == f"INV-{code}-{period.replace('-', '')}"


@given(orders)
def test_an_order_reference_is_found_again(order_id):
    (found,) = pr.find(pr.for_order(order_id)).references
    assert (found.kind, found.order_id) == (pr.ORDER, order_id)


@given(references)
def test_every_wrong_digit_and_every_wrong_check_letter_is_caught(reference):
    """The typos of a reference as read off a bill: a digit for another, another check letter.
    Nothing is found (never someone else's reference), and the text is flagged as a bad check."""
    for i, original in enumerate(reference):
        others = "0123456789" if original.isdigit() else (pr.CHECK_LETTERS if i == len(reference) - 1 else "")
        for other in others:
            if other == original:
                continue
            changed = reference[:i] + other + reference[i + 1 :]
            assert not pr.is_valid(changed), (reference, changed)
            assert pr.find(changed).references == (), (reference, changed)


@given(references)
def test_every_swap_of_two_adjacent_digits_is_caught(reference):
    for i in range(len(reference) - 1):
        a, b = reference[i], reference[i + 1]
        if a == b or not (a.isdigit() and b.isdigit()):
            continue
        swapped = reference[:i] + b + a + reference[i + 2 :]
        assert not pr.is_valid(swapped), (reference, swapped)
        assert pr.find(swapped).references == (), (reference, swapped)


# A letter typed for a digit, or the check letter swapped with the digit before it, could end a
# shorter reference whose check letter it happens to be (1 in 23); `find` refuses a check letter
# followed by a digit, so neither reads as another reference (docs/vietqr.md).
@pytest.mark.parametrize(
    ("reference", "typed"),
    [
        ("TH030184751350D", "TH03018475135D0"),  # the check letter swapped with the last digit
        ("TN91417776R", "TN914177H6R"),  # a letter typed for a digit
    ],
)
def test_a_mistyped_reference_never_reads_as_another(reference, typed):
    assert pr.is_valid(reference) and not pr.is_valid(typed)
    assert pr.find(typed).references == ()


@given(references)
def test_a_mistyped_reference_is_reported_not_guessed(reference):
    typo = reference[:-1] + next(c for c in pr.CHECK_LETTERS if c != reference[-1])
    found = pr.find(f"CK {typo} TIEN NUOC")
    assert found.references == () and found.bad_check


@pytest.mark.parametrize("bad", ["12345", "1234567890123", "01031059 ", "٠١٠٣١٠٥٩"])
def test_a_customer_code_is_6_to_12_ascii_digits(bad):
    with pytest.raises(ValueError):
        pr.for_account(bad)
