"""The account statement's rows (domain/accounts.py): descriptions, the running
balance, the opening row for invoices of before the ledger, masking, CSV cells."""

from __future__ import annotations

from chalicelib.domain import accounts as view

CODE = "01031059"
MAY, JUNE = f"INV-{CODE}-202305", f"INV-{CODE}-202306"
PERIODS = {MAY: "2023-05", JUNE: "2023-06"}
AT = 1_686_364_200  # 2023-06-10T02:30:00Z = 09:30 in Vietnam


def _transfer(invoice_id=MAY, amount=100_000, allocated=78_255):
    return {
        "entry_id": f"{AT * 1000:013d}#payment#bank#VCB#FT2316012345#ab12",
        "event": "payment",
        "posted_at": AT,
        "lines": [
            {"kind": "payment", "amount": amount},
            {"kind": "allocation", "amount": allocated, "invoice_id": invoice_id},
        ],
        "credit_delta": amount - allocated,
        "payment_id": "bank#VCB#FT2316012345",
        "channel": "bank_transfer",
        "external_ref": "FT2316012345",
        "posted_by": "statement:imp-1",
        "note": '=HYPERLINK("x")',
        "flags": ["AMOUNT_DIFFERS"],
    }


def _charge(invoice_id, total, from_credit=0, at=AT + 86_400 * 30):
    lines = [{"kind": "charge", "amount": total, "invoice_id": invoice_id}]
    if from_credit:
        lines.append({"kind": "allocation", "amount": from_credit, "invoice_id": invoice_id})
    return {
        "entry_id": f"{at * 1000:013d}#charge#{invoice_id}#cd34",
        "event": "charge",
        "posted_at": at,
        "lines": lines,
        "credit_delta": -from_credit,
        "payment_id": None,
        "channel": None,
        "external_ref": None,
        "posted_by": "billing",
        "note": None,
        "flags": [],
    }


def test_a_transfer_for_a_bill_of_before_the_ledger_reads_as_the_customer_would_say_it():
    """The demo bill (78,255, no charge entry) paid by a 100,000 transfer: 21,745 stays as credit."""
    rows = view.rows([_transfer()], balance=-21_745, periods=PERIODS)
    assert [(r["kind"], r["amount"], r["effect"], r["balance"], r["description"]) for r in rows] == [
        ("opening", 78_255, 78_255, 78_255, "Số dư chuyển sang (trước khi mở sổ)"),
        ("payment", 100_000, -100_000, -21_745, "Thanh toán chuyển khoản"),
        ("allocation", 78_255, 0, -21_745, "Phân bổ vào hoá đơn 05/2023"),
        ("credit", 21_745, 0, -21_745, "Tiền thừa chuyển kỳ sau"),
    ]
    payment = rows[1]
    assert payment["date"] == "2023-06-10T09:30:00+07:00" and payment["channel"] == "bank_transfer"
    assert payment["reference"] == "****2345"  # masked, and not even its length
    assert rows[2]["invoice_id"] == MAY and rows[2]["period"] == "2023-05"
    internal = {"entry_id", "payment_id", "external_ref", "posted_by", "flags", "note", "credit_delta"}
    assert not internal & set().union(*rows)


def test_the_next_bill_takes_the_credit_and_the_balance_follows_every_row():
    entries = [_charge(MAY, 78_255, at=AT - 86_400), _transfer(), _charge(JUNE, 77_568, from_credit=21_745)]
    rows = view.rows(entries, balance=55_823, periods=PERIODS, lang="en")
    assert [(r["description"], r["balance"]) for r in rows] == [
        ("Bill 05/2023", 78_255),
        ("Payment by bank transfer", -21_745),
        ("Applied to bill 05/2023", -21_745),
        ("Overpayment carried to the next bill", -21_745),
        ("Bill 06/2023", 55_823),
        ("Credit applied to bill 06/2023", 55_823),
    ]
    assert rows[0]["kind"] == "charge"  # no opening row: the entries explain the balance
    assert view.rows(entries, balance=55_823, periods=PERIODS)[-1]["description"] == "Trừ tiền thừa vào hoá đơn 06/2023"


def test_every_kind_has_a_description_in_both_languages():
    for kind, amount, extra, vi, en in [
        ("payment", 1, {"channel": "vnpay"}, "Thanh toán VNPay", "Payment by VNPay"),
        ("payment", 1, {"channel": "cash"}, "Thanh toán tiền mặt", "Payment in cash"),
        ("payment", 1, {"channel": "later-partner"}, "Thanh toán", "Payment"),
        ("adjustment", -5, {"invoice_id": MAY}, "Điều chỉnh hoá đơn 05/2023", "Correction of bill 05/2023"),
        (
            "allocation",
            -5,
            {"invoice_id": MAY},
            "Hoàn lại từ hoá đơn 05/2023 vào tài khoản",
            "Returned from bill 05/2023 to the account",
        ),
        ("refund", 5, {"channel": "vnpay"}, "Hoàn tiền qua VNPay", "Refund through VNPay"),
        ("refund", -5, {"channel": "vnpay"}, "Huỷ hoàn tiền", "Refund cancelled"),
        ("write_off", 5, {"period": "2023-05"}, "Xoá nợ hoá đơn 05/2023", "Bill 05/2023 written off"),
    ]:
        row = dict({"kind": kind, "amount": amount, "event": "x"}, **extra)
        assert (view.describe(row, "vi"), view.describe(row, "en")) == (vi, en), row


def test_managers_see_references_and_who_posted_customers_do_not_see_other_invoices():
    foreign = _transfer(invoice_id="INV-01031060-202305")
    mine = view.rows([foreign], balance=-21_745, periods=PERIODS)
    assert all(r["invoice_id"] is None and "01031060" not in str(r) for r in mine)
    rows = view.rows([_transfer()], balance=-21_745, periods=PERIODS, internal=True)
    payment = rows[1]
    assert (
        payment["reference"],
        payment["external_ref"],
        payment["payment_id"],
        payment["posted_by"],
        payment["flags"],
    ) == ("FT2316012345", "FT2316012345", "bank#VCB#FT2316012345", "statement:imp-1", ["AMOUNT_DIFFERS"])
    assert rows[0]["kind"] == "opening" and rows[0]["flags"] == [] and rows[0]["entry_id"] is None


def test_csv_cells_cannot_become_formulas():
    statement = {"entries": view.rows([_transfer()], balance=-21_745, periods=PERIODS, internal=True)}
    header, *body = view.csv_rows(statement, internal=True)
    assert header[:3] == ["date", "description", "kind"] and header[-1] == "note"
    note = body[1][header.index("note")]
    assert note == '\'=HYPERLINK("x")'
    assert body[1][header.index("flags")] == "AMOUNT_DIFFERS" and body[1][header.index("amount")] == 100_000
    assert body[0][header.index("date")] == ""  # the opening row has no date
    assert view.csv_rows(statement)[0] == list(view.CSV_COLUMNS)


def test_no_entries_and_nothing_owed_is_an_empty_statement():
    assert view.rows([], balance=0, periods={}) == []
    assert view.mask_reference(None) is None and view.mask_reference("123") == "****"
    assert view.period_label(None, "INV-x-202312") == "12/2023"
