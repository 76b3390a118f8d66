from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.invoices import format_vnd, lines_add_up
from local.seed import INVOICES, invoice_item


def test_format_vnd():
    assert format_vnd(78255) == "78.255 đ"
    assert format_vnd(0) == "0 đ"
    assert format_vnd(1234567) == "1.234.567 đ"


def test_seed_invoice_of_may_2023():
    inv = invoice_item("01031059", "2023-05", 264, 275, 68048, "unpaid", "Dương Tấn Hiền")
    assert (inv.consumption_m3, inv.total, inv.vat, inv.env_fee) == (11, 78255, 3402, 6805)
    assert inv.due_date == "2023-06-15" and inv.customer_status == "01031059#unpaid"


def test_every_demo_invoice_adds_up():
    for code, period, old, new, water, status in INVOICES:
        inv = invoice_item(code, period, old, new, water, status, "x")
        assert lines_add_up(inv.lines, inv.subtotal, inv.vat, inv.env_fee, inv.total)


@given(st.integers(min_value=0, max_value=10**10))
def test_imported_invoice_lines_always_add_up(water):
    inv = invoice_item("01031059", "2023-12", 0, 1, water, "unpaid", "x")
    assert lines_add_up(inv.lines, inv.subtotal, inv.vat, inv.env_fee, inv.total)
    assert all(isinstance(int(line.amount), int) for line in inv.lines)
    assert inv.issued_on == "2024-01-01"
