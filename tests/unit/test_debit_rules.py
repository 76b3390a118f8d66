"""Authorised debit's pure rules (chalicelib/domain/debits.py): ids, the mandate rule, both file formats
and the failed-debit message."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import pytest

from chalicelib.domain import debits as rules


@dataclass(frozen=True)
class Choice:
    request_id: str
    customer_code: str
    channel: str
    bank_code: str
    requested_at: float
    decided_at: float | None


def test_ids_and_periods():
    assert rules.run_id("VCB", "2026-05") == "VCB-202605"
    assert rules.request_id("VCB", "2026-05", "01031059") == "VCB-202605-01031059"
    assert rules.period_of_run("AGR-202612") == ("AGR", "2026-12")
    for bad in ("VCB-202613", "vcb-202605", "VCB202605", "VCB-202605-01031059"):
        with pytest.raises(ValueError):
            rules.period_of_run(bad)
    assert rules.period_before(date(2026, 1, 20)) == "2025-12"
    assert rules.period_before(date(2026, 6, 1)) == "2026-05"


def test_the_mandate_is_the_confirmed_request_decided_last():
    confirmed = [
        Choice("CR1", "01000001", "authorised_debit", "VCB", 1, 10),
        Choice("CR2", "01000001", "authorised_debit", "AGR", 2, 20),  # moved to AGR
        Choice("CR3", "01000002", "authorised_debit", "VCB", 3, 30),
        Choice("CR4", "01000003", "authorised_debit", "VCB", 4, 40),
        Choice("CR5", "01000003", "bank_transfer", "VCB", 5, 50),  # now pays by transfer
    ]
    assert [c.request_id for c in rules.mandates_at(confirmed, "VCB")] == ["CR3"]
    assert [c.request_id for c in rules.mandates_at(confirmed, "AGR")] == ["CR2"]
    assert rules.mandates_at(reversed(confirmed), "AGR") == rules.mandates_at(confirmed, "AGR")


def test_the_request_file():
    line = rules.RequestLine(
        "VCB-202605-01031059", "01031059", "CR0A1B2C3D4E5F", "=1+1", ("INV-A", "INV-B"), 133400, "2026-05"
    )
    data = rules.requests_csv(
        [line, rules.RequestLine("VCB-202605-01031060", "01031060", "CR1", 'Lê "Bé", Tư', ("X",), 1, "2026-05")]
    )
    assert data.startswith(b"request_id,customer_code,mandate_ref,account_holder,invoice_ids,amount,period\r\n")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert (
        rows[0]["account_holder"] == "'=1+1"
        and rows[0]["invoice_ids"] == "INV-A;INV-B"
        and rows[0]["amount"] == "133400"
    )
    assert rows[1]["account_holder"] == 'Lê "Bé", Tư'  # quoted as RFC 4180, read back whole


def test_the_result_file_is_read_or_refused_whole():
    rid = "VCB-202605-01031059"
    rows = rules.parse_results(
        (
            "\ufeffStatus;Request_ID;Amount;Bank_Ref;Reason;Note\n"
            f"PAID;{rid};75.900;FT1;;x\n\n"
            "failed;VCB-202605-01031060;;;Khong du so du;\n"
        ).encode()
    )
    assert [(r.row, r.request_id, r.status, r.amount, r.bank_ref, r.reason) for r in rows] == [
        (2, rid, "paid", 75900, "FT1", None),
        (4, "VCB-202605-01031060", "failed", None, None, "Khong du so du"),
    ]
    header = "request_id,status,bank_ref,amount,reason\n"
    for text, row in (
        ("", None),
        ("request_id,status,amount\n", 1),
        (header + f"{rid},paid,FT1,75900,\n{rid},failed,,,x\n", 3),
        (header + f"{rid},paid,FT1,75,900\n", 2),
        (header + f"{rid},paid,FT1,-5,\n", 2),
        (header + f"{rid},paid,,5,\n", 2),
        (header + f"{rid},refunded,FT1,5,\n", 2),
        (header + f"{rid},failed,,,{'x' * 201}\n", 2),
        (header + f"{rid},failed,,,a\x07b\n", 2),
    ):
        with pytest.raises(rules.DebitFileError) as info:
            rules.parse_results(text.encode())
        assert info.value.row == row, (text, info.value)
    with pytest.raises(rules.DebitFileError):
        rules.parse_results(b"PK\x03\x04 an excel workbook")


def test_the_failed_debit_message_names_no_one():
    sms = rules.failed_message(
        "sms",
        bank="VCB",
        customer_code="01031059",
        period="2026-05",
        amount=75900,
        invoice_id="INV-01031059-202605",
        link_base="https://cskh.example.vn/pay?invoice=",
    )
    assert sms.text.isascii() and "75.900" in sms.text and "05/2026" in sms.text and "01031059" in sms.text
    assert sms.data["payment_link"] == "https://cskh.example.vn/pay?invoice=INV-01031059-202605"
    email = rules.failed_message(
        "email", bank="VCB", customer_code="01031059", period="2026-05", amount=1, invoice_id="I", link_base="x/"
    )
    assert email.subject.startswith("CAWACO: Nhờ thu") and "Kính gửi" in email.text
    with pytest.raises(ValueError):
        rules.failed_message(
            "fax", bank="VCB", customer_code="1", period="2026-05", amount=1, invoice_id="I", link_base=""
        )
