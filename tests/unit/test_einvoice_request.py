"""The createInvoice body the Viettel S-Invoice adapter builds, field by field against the documented
shape (docs/einvoice.md), for one fixed invoice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.adapters import einvoice_viettel as v
from chalicelib.domain import einvoice as e
from chalicelib.domain import tariff as t
from chalicelib.domain.tariff_tables import published_versions

SETTINGS = v.ViettelSettings(
    base_url="https://api-vinvoice.viettel.vn/services/einvoiceapplication/api",
    supplier_tax_code="2000107187",
    template_code="1/001",
    invoice_series="C26TAA",
    username="2000107187",
    password="demo-password",
)
AT = datetime(2026, 6, 5, 3, 0, 7, 250_000, tzinfo=UTC)
SELLER = e.Party(
    "Công ty Cấp nước Cà Mau",
    "204 Quang Trung, Cà Mau",
    tax_code="2000107187",
    phone="02903831000",
    email="cskh@example.vn",
    bank_account="0123456789",
    bank_name="Vietcombank",
)
BUYER = e.Party("Nguyễn Văn A", "Phường 5, Cà Mau", code="CM000001")


def fixed_request() -> e.EInvoiceRequest:
    versions = [x for x in published_versions() if x.key == "camau-city#household"]
    bill = t.price(11, date(2023, 6, 5), date(2023, 7, 5), versions)
    return e.build_request(
        "INV-2026-06-000123",
        AT,
        SELLER,
        BUYER,
        e.bill_lines(bill.lines),
        expected_total=bill.total,
        period="2026-06",
        meter=e.MeterReading(previous_index=1520, current_index=1531, consumption_m3=11, meter_no="M-77"),
        note="Kỳ 06/2026",
    )


def test_the_blocks_are_the_documented_ones():
    body = v.build_invoice(SETTINGS, fixed_request())
    assert set(body) == {
        "generalInvoiceInfo",
        "buyerInfo",
        "sellerInfo",
        "payments",
        "itemInfo",
        "taxBreakdowns",
        "summarizeInfo",
    }


def test_general_invoice_info():
    general = v.build_invoice(SETTINGS, fixed_request())["generalInvoiceInfo"]
    assert general == {
        "transactionUuid": "INV-2026-06-000123",  # our invoice id: a retry returns the same invoice
        "invoiceType": "1",
        "templateCode": "1/001",
        "invoiceSeries": "C26TAA",
        "invoiceIssuedDate": 1780628407000,  # epoch milliseconds, whole seconds
        "currencyCode": "VND",
        "adjustmentType": "1",  # an original invoice
        "paymentStatus": False,
        "cusGetInvoiceRight": True,
        "invoiceNote": "Kỳ 06/2026",
    }


def test_buyer_and_seller():
    body = v.build_invoice(SETTINGS, fixed_request())
    assert body["buyerInfo"] == {
        "buyerName": "Nguyễn Văn A",
        "buyerLegalName": "",  # a household: no company name, no tax code
        "buyerTaxCode": "",
        "buyerAddressLine": "Phường 5, Cà Mau",
        "buyerCode": "CM000001",
        "buyerEmail": "",
        "buyerPhoneNumber": "",
        "buyerCountryCode": "VN",
        "buyerNotGetInvoice": 0,
    }
    assert body["sellerInfo"] == {
        "sellerLegalName": "Công ty Cấp nước Cà Mau",
        "sellerTaxCode": "2000107187",
        "sellerAddressLine": "204 Quang Trung, Cà Mau",
        "sellerPhoneNumber": "02903831000",
        "sellerEmail": "cskh@example.vn",
        "sellerBankName": "Vietcombank",
        "sellerBankAccount": "0123456789",
        "sellerCountryCode": "VN",
    }
    assert body["payments"] == [{"paymentMethodName": "TM/CK"}]


def test_items_one_per_line_with_their_vat():
    items = v.build_invoice(SETTINGS, fixed_request())["itemInfo"]
    assert len(items) == 3
    first, second, fee = items
    assert first == {
        "lineNumber": 1,
        "selection": 1,
        "itemCode": "",
        "itemName": "Tiền nước 0–10 m³ (camau-city-household-2023-06)",
        "unitName": "m3",
        "unitPrice": 6000,
        "quantity": 10,
        "itemTotalAmountWithoutTax": 60000,
        "itemTotalAmountAfterDiscount": 60000,
        "itemTotalAmountWithTax": 63000,
        "taxPercentage": 5,
        "taxAmount": 3000,
        "discount": 0,
        "itemDiscount": 0,
    }
    assert (second["quantity"], second["unitPrice"], second["itemTotalAmountWithoutTax"], second["taxAmount"]) == (
        1,
        7450,
        7450,
        373,
    )
    # The environment fee is collected on the invoice, outside VAT (-2: not subject).
    assert (fee["itemName"].startswith("Phí BVMT"), fee["unitName"], fee["quantity"], fee["unitPrice"]) == (
        True,
        "",
        None,
        None,
    )
    assert (fee["taxPercentage"], fee["taxAmount"], fee["itemTotalAmountWithTax"]) == (-2, 0, 6745)
    assert all("isIncreaseItem" not in item for item in items)


def test_tax_breakdowns_and_summary():
    body = v.build_invoice(SETTINGS, fixed_request())
    assert body["taxBreakdowns"] == [
        {"taxPercentage": 5, "taxableAmount": 67450, "taxAmount": 3373},
        {"taxPercentage": -2, "taxableAmount": 6745, "taxAmount": 0},
    ]
    assert body["summarizeInfo"] == {
        "sumOfTotalLineAmountWithoutTax": 74195,
        "totalAmountWithoutTax": 74195,
        "totalTaxAmount": 3373,
        "totalAmountWithTax": 77568,
        "totalAmountWithTaxInWords": "Bảy mươi bảy nghìn năm trăm sáu mươi tám đồng",
        "discountAmount": 0,
    }


def test_the_meter_block_only_when_configured():
    from dataclasses import replace

    body = v.build_invoice(replace(SETTINGS, meter_block=True), fixed_request())
    assert body["meterReading"] == [
        {"meterName": "M-77", "previousIndex": 1520, "currentIndex": 1531, "factor": 1, "amount": 11}
    ]


def test_a_fractional_quantity_is_sent_with_four_decimals_at_most():
    from fractions import Fraction

    assert v._number(Fraction(10, 3), 4) == 3.3333
    assert v._number(Fraction(6000), 4) == 6000
    assert v._number(Fraction(12345, 100), 4) == 123.45


def test_an_adjustment_references_the_original_and_signs_its_items():
    original = e.Reference(
        number="C26TAA12",
        series="C26TAA",
        template="1/001",
        issued_at=datetime(2026, 6, 5, 3, 0, tzinfo=UTC),
        reason="Đọc sai chỉ số",
    )
    lines = [
        e.BillLine("water", "Tiền nước 10–20 m³", -7450, quantity=None, unit_price=None),
        e.BillLine("vat", "Thuế GTGT 5%", -373, rate_percent=5),
        e.BillLine("env_fee", "Phí BVMT", -745),
    ]
    req = e.build_request("ADJ-1", AT, SELLER, BUYER, lines, note="Điều chỉnh giảm")
    body = v.build_invoice(SETTINGS, req, adjustment=v.ADJUSTMENT, original=original)
    general = body["generalInvoiceInfo"]
    assert general["adjustmentType"] == "5" and general["adjustmentInvoiceType"] == "1"
    assert (general["originalInvoiceId"], general["originalTemplateCode"]) == ("C26TAA12", "1/001")
    assert general["originalInvoiceIssueDate"] == 1780628400000
    assert general["additionalReferenceDesc"] == "Đọc sai chỉ số"
    water, fee = body["itemInfo"]
    assert (water["isIncreaseItem"], water["itemTotalAmountWithoutTax"], water["taxAmount"]) == (False, 7450, 373)
    assert (fee["isIncreaseItem"], fee["itemTotalAmountWithoutTax"]) == (False, 745)
    assert body["taxBreakdowns"][0] == {
        "taxPercentage": 5,
        "taxableAmount": 7450,
        "taxAmount": 373,
        "taxableAmountPos": False,
        "taxAmountPos": False,
    }
    summary = body["summarizeInfo"]
    assert (summary["totalAmountWithTax"], summary["isTotalAmountPos"]) == (8568, False)


def test_settings_refuse_a_half_configured_provider():
    with pytest.raises(ValueError, match="invoice_series, username"):
        v.ViettelSettings(
            base_url="https://x",
            supplier_tax_code="1",
            template_code="1/001",
            invoice_series="",
            username="",
            password="p",
        )
    assert "demo-password" not in repr(SETTINGS)
