"""The legal e-invoice's request built from our bill: items, VAT groups and totals add up, always."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import einvoice as e
from chalicelib.domain import tariff as t
from chalicelib.domain.tariff_tables import published_versions

VERSIONS = published_versions()
KEYS = sorted({v.key for v in VERSIONS})
SELLER = e.Party("Công ty Cấp nước Cà Mau", "204 Quang Trung, Cà Mau", tax_code="2000107187")
BUYER = e.Party("Khách hàng 0001", "Phường 5, Cà Mau", code="CM000001")
AT = datetime(2026, 6, 5, 3, 0, tzinfo=UTC)


def request_for(bill: t.Bill, invoice_id: str = "INV-1") -> e.EInvoiceRequest:
    return e.build_request(invoice_id, AT, SELLER, BUYER, e.bill_lines(bill.lines), expected_total=bill.total)


def test_a_worked_bill_becomes_items_and_one_vat_group():
    bill = t.price(11, date(2023, 6, 5), date(2023, 7, 5), [v for v in VERSIONS if v.key == "camau-city#household"])
    req = request_for(bill)
    assert [(i.name.split(" (")[0], i.amount, i.vat_percent, i.vat) for i in req.items] == [
        ("Tiền nước 0–10 m³", 60000, 5, 3000),
        ("Tiền nước 10–20 m³", 7450, 5, 373),  # 3,373 VND of VAT spread in proportion, adding up exactly
        ("Phí BVMT nước thải 10% / Waste-water fee 10%", 6745, None, 0),
    ]
    assert req.vat_groups == (e.VatGroup(5, 67450, 3373), e.VatGroup(None, 6745, 0))
    assert (req.total_without_vat, req.total_vat, req.total) == (74195, 3373, 77568)
    assert req.total_in_words.startswith("Bảy mươi bảy nghìn")
    assert e.adds_up(req)


def test_a_total_other_than_the_bill_is_refused():
    bill = t.price(11, date(2023, 6, 5), date(2023, 7, 5), [v for v in VERSIONS if v.key == "camau-city#household"])
    with pytest.raises(e.EInvoiceError, match="add up to 77568"):
        e.build_request("INV-1", AT, SELLER, BUYER, e.bill_lines(bill.lines), expected_total=77569)


def test_unknown_lines_and_missing_seller_tax_code_are_refused():
    with pytest.raises(e.EInvoiceError, match="kind 'discount'"):
        e.build_request("I", AT, SELLER, BUYER, [e.BillLine("discount", "x", -5)])
    with pytest.raises(e.EInvoiceError, match="tax code"):
        e.build_request("I", AT, replace(SELLER, tax_code=""), BUYER, [e.BillLine("env_fee", "x", 5)])


def test_store_lines_with_decimal_numbers_are_read_exactly():
    class Stored:  # the store's InvoiceLine: DynamoDB numbers come back as Decimal/float
        def __init__(self, kind, description, amount, quantity=None, unit_price=None, rate_percent=None):
            self.kind, self.description, self.amount = kind, description, amount
            self.quantity, self.unit_price, self.rate_percent = quantity, unit_price, rate_percent

    lines = e.bill_lines([Stored("water", "w", 1234.0, 0.1, 12340.0), Stored("vat", "v", 62.0, rate_percent=5.0)])
    assert lines[0].quantity == Fraction(1, 10) and lines[0].unit_price == 12340 and lines[1].rate_percent == 5


CHARGE = t.Charge("drainage", "Phí thoát nước", 1500, vat_percent=10)
FREE_CHARGE = t.Charge("forest", "Dịch vụ môi trường rừng", 52, vat_percent=0)


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(KEYS),
    m3=st.integers(0, 5000),
    start_offset=st.integers(0, 900),
    days=st.integers(1, 95),
    persons=st.integers(1, 12),
    charges=st.sampled_from([(), (CHARGE,), (FREE_CHARGE,), (CHARGE, FREE_CHARGE)]),
)
def test_the_request_always_adds_up_to_the_bill(key, m3, start_offset, days, persons, charges):
    start = date(2023, 6, 1) + timedelta(days=start_offset)
    versions = [replace(v, charges=charges) for v in VERSIONS if v.key == key]
    try:
        bill = t.price(m3, start, start + timedelta(days=days), versions, persons=persons)
    except t.TariffError:
        return  # a period before the first version: nothing to invoice
    req = request_for(bill)
    assert e.adds_up(req)
    assert req.total == bill.total
    assert req.total_vat == sum(ln.amount for ln in bill.lines if ln.kind == "vat")
    # Each item's VAT is its group's rate of its amount, to within the one đồng the spreading moves.
    for item in req.items:
        if item.vat_percent:
            assert abs(Fraction(item.amount * item.vat_percent, 100) - item.vat) < 1 + Fraction(item.amount, 10**4)
        else:
            assert item.vat == 0
    # Every line of the bill but the VAT lines is an item, in order, amounts unchanged.
    assert [i.amount for i in req.items] == [ln.amount for ln in bill.lines if ln.kind != "vat"]
    assert [i.line_no for i in req.items] == list(range(1, len(req.items) + 1))


@given(
    weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=30),
    total=st.integers(0, 10**8),
)
def test_spreading_a_vat_amount_adds_up_exactly(weights, total):
    shares = e._allocate(weights, total)
    assert sum(shares) == total and len(shares) == len(weights)
    if sum(weights):
        for w, s in zip(weights, shares, strict=True):
            assert abs(Fraction(w * total, sum(weights)) - s) < 1


# -- adjusting invoices (Decree 70/2025) --------------------------------------------------------


def basis_for(bill: t.Bill) -> e.Basis:
    return e.Basis(
        lines=tuple(e.bill_lines(bill.lines)),
        total=bill.total,
        issued_on="2023-07-06",
        period="2023-06",
        customer_name="Khách hàng 0001",
        customer_address="Phường 5",
        old_index=275,
        new_index=275 + bill.consumption_m3,
        consumption_m3=bill.consumption_m3,
    )


def test_an_adjustment_states_the_differences_per_item():
    versions = [v for v in VERSIONS if v.key == "camau-city#household"]
    before = basis_for(t.price(11, date(2023, 6, 5), date(2023, 7, 5), versions))
    after = basis_for(t.price(15, date(2023, 6, 5), date(2023, 7, 5), versions))
    req = e.build_adjustment("INV-1#ADJ-1", AT, SELLER, BUYER, before, after)
    assert req is not None and req.invoice_id == "INV-1#ADJ-1"
    # The first tier is unchanged and left out; the second grows by 4 m³; the fee follows.
    assert [(i.name.split(" (")[0], i.quantity, i.amount) for i in req.items] == [
        ("Tiền nước 10–20 m³", 4, 4 * 7450),
        ("Phí BVMT nước thải 10% / Waste-water fee 10%", None, 2980),  # 10% of the water's 29,800 more
    ]
    assert req.total == after.total - before.total and e.adds_up(req)
    assert e.build_adjustment("INV-1#ADJ-1", AT, SELLER, BUYER, before, before) is None  # nothing moved


def test_a_basis_round_trips_through_json_exactly():
    versions = [v for v in VERSIONS if v.key == "camau-city#household"]
    basis = basis_for(t.price(11, date(2023, 6, 5), date(2023, 7, 20), versions))  # prorated: fractional m³
    import json

    assert e.Basis.from_json(json.loads(json.dumps(basis.to_json()))) == basis


@settings(max_examples=200, deadline=None)
@given(
    key=st.sampled_from(KEYS),
    m3=st.tuples(st.integers(0, 3000), st.integers(0, 3000)),
    days=st.tuples(st.integers(20, 40), st.integers(20, 40)),
    persons=st.integers(1, 8),
    charges=st.sampled_from([(), (CHARGE,), (CHARGE, FREE_CHARGE)]),
)
def test_the_original_plus_its_adjustment_is_the_corrected_bill(key, m3, days, persons, charges):
    """Per VAT treatment, what the original says plus what the adjustment says is what the corrected
    bill says: taxable amount and VAT, to the đồng; and the adjustment's total is the difference."""
    versions = [replace(v, charges=charges) for v in VERSIONS if v.key == key]
    start = date(2024, 3, 1)
    try:
        bills = [t.price(q, start, start + timedelta(days=d), versions, persons=persons) for q, d in zip(m3, days)]
    except t.TariffError:
        return
    before, after = basis_for(bills[0]), basis_for(bills[1])
    adj = e.build_adjustment("I#ADJ-1", AT, SELLER, BUYER, before, after)
    if adj is None:
        assert before.money() == after.money() or before.total == after.total
        return
    assert e.adds_up(adj) and adj.total == after.total - before.total

    def groups(req: e.EInvoiceRequest | None) -> dict:
        return {g.vat_percent: (g.taxable, g.vat) for g in (req.vat_groups if req else ())}

    orig = groups(e.build_request("I", AT, SELLER, BUYER, before.lines))
    corrected = groups(e.build_request("I", AT, SELLER, BUYER, after.lines))
    delta = groups(adj)
    for rate in set(orig) | set(corrected) | set(delta):
        o, c, d = orig.get(rate, (0, 0)), corrected.get(rate, (0, 0)), delta.get(rate, (0, 0))
        assert (o[0] + d[0], o[1] + d[1]) == c
