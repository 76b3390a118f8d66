"""Bank statements through the handlers on DynamoDB Local: import, a line
naming one customer is posted to that account once (its invoices up to what
they owe, the rest credit), the rest in suspense, re-imports change nothing,
races with VNPay and with another import, resolving by hand (audited), roles."""

from __future__ import annotations

import secrets
import threading
from urllib.parse import quote

import pytest

from chalicelib import deps
from tests.api.ledger_assert import assert_sound, at_once

WATER = 66000  # invoice_item: + VAT 5 % 3,300 + fee 10 % 6,600
TOTAL = 75900
URL = "/v1/admin/imports/bank-statements"


def _import(api, token, text: str, bank="VCB", content_type="text/csv; charset=utf-8", raw=None):
    return api.call(
        "POST",
        f"{URL}?bank={bank}",
        raw=raw if raw is not None else text.encode("utf-8"),
        token=token,
        headers={"Content-Type": content_type},
    )


def _invoice(invoice_id):
    from chalicelib.store.models import InvoiceModel

    return InvoiceModel.get(invoice_id, consistent_read=True)


def _line(line_id):
    from chalicelib.store.models import StatementLineModel

    return StatementLineModel.get(line_id, consistent_read=True)


def _suspense(api, token) -> dict:
    out, cursor = {}, None
    while True:
        r = api.get(f"/v1/admin/suspense?limit=500{f'&cursor={cursor}' if cursor else ''}", token=token)
        assert r.status_code == 200, r.json
        out.update({x["line_id"]: x for x in r.json["items"]})
        cursor = r.json["next_cursor"]
        if not cursor:
            return out


def _ref():
    return f"FT{secrets.token_hex(5).upper()}"


def _csv(rows, header="Ngày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Mô tả", bom=True) -> str:
    title = "SAO KÊ TÀI KHOẢN 0071000123456;;;;\nTừ ngày 01/05/2024 đến ngày 31/05/2024;;;;\n"
    return ("\ufeff" if bom else "") + title + header + "\n" + "".join(";".join(r) + "\n" for r in rows)


def _credit(code) -> int:
    from chalicelib.store.models import CustomerAccountModel
    from chalicelib.store.repositories import get_or_none

    account = get_or_none(CustomerAccountModel, code, consistent_read=True)
    return int(account.credit) if account is not None else 0


def _entries(code) -> list:
    from chalicelib.store.models import LedgerEntryModel

    return list(LedgerEntryModel.query(code, consistent_read=True))


def _lines(code, kind) -> list:
    return [dict(x) for e in _entries(code) for x in e.lines if x["kind"] == kind]


def _payment(payment_id):
    from chalicelib.store.models import PaymentModel

    return PaymentModel.get(payment_id, consistent_read=True)


def _service(ledger_store=None):
    """A StatementService of its own (threads call it directly), on the real stores."""
    from chalicelib.adapters.clock import Clock
    from chalicelib.services.ledger import LedgerService
    from chalicelib.services.statements import StatementService
    from chalicelib.store import audit
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.statements import StatementStore

    clock = Clock()
    ledger = LedgerService(store=ledger_store or LedgerStore(), clock=clock)
    return StatementService(store=StatementStore(), ledger=ledger, clock=clock, audit_entry=audit.entry)


def _vnpay(code, invoice_id, amount=TOTAL):
    """A VNPay payment of `invoice_id` as the IPN posts it (through the ledger's one path)."""
    import time

    from chalicelib.services.ledger import IncomingPayment, Target

    txn = f"{secrets.randbelow(10**8):08d}"
    return (
        IncomingPayment(
            channel="vnpay",
            payment_id=f"vnpay#{txn}",
            external_ref=txn,
            amount=amount,
            received_at=int(time.time()),
            posted_by="ipn",
            paid_at="2024-05-15T10:00:00+07:00",
            transaction_no=txn,
        ),
        Target(customer_code=code, invoice_ids=[invoice_id]),
    )


@pytest.fixture
def book(new_customer):
    """Customers and invoices for one statement; returns the codes."""
    by_id = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    by_code = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid"), ("2024-04", 90, 100, 50000, "paid")])
    wrong = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    two = new_customer(invoices=[("2024-04", 90, 100, WATER, "unpaid"), ("2024-05", 100, 111, WATER, "unpaid")])
    paid = new_customer(invoices=[("2024-05", 100, 111, WATER, "paid")])
    return {"by_id": by_id.code, "by_code": by_code.code, "wrong": wrong.code, "two": two.code, "paid": paid.code}


def test_a_statement_posts_every_line_naming_one_customer_and_keeps_the_rest_in_suspense(api, admin, book):
    refs = [_ref() for _ in range(10)]
    rows = [
        ["15/05/2024", refs[0], "", "75.900", f"IBFT INV-{book['by_id']}-202405"],  # row 4
        ["15/05/2024", refs[1], "", "75,900", f"TT TIEN NUOC KH {book['by_code']}"],  # row 5
        ["16/05/2024", refs[2], "", "75.000", f"TT TIEN NUOC KH {book['wrong']} T5/2024"],  # row 6
        ["16/05/2024", refs[3], "", "75.900", "TT TIEN NUOC KH 0999999999 T5/2024"],  # row 7
        ["16/05/2024", refs[4], "", "75.900", "CHUYEN TIEN"],  # row 8
        ["17/05/2024", refs[5], "", "75.900", f"TIEN NUOC {book['two']}"],  # row 9
        ["17/05/2024", refs[6], "", "75.900", f"HD {book['paid']} T05/2024"],  # row 10
        ["17/05/2024", refs[7], "", "75.9OO", f"KH {book['wrong']}"],  # row 11: bad amount
        ["18/05/2024", refs[8], "12.000", "", "PHI SMS BANKING"],  # row 12: a debit
        ["18/05/2024", "", "", "75.900", f"KH {book['wrong']}"],  # row 13: no reference
        ["18/05/2024", refs[9], "", "151.800", f"KH {book['by_id']} VA {book['wrong']}"],  # row 14
    ]
    r = _import(api, admin, _csv(rows))
    assert r.status_code == 201, r.json
    out = r.json
    assert (out["lines"], out["matched"], out["suspense"], out["duplicates"], out["skipped"]) == (8, 5, 3, 0, 1)
    assert out["channel"] == "bank_transfer" and out["import_id"].startswith("BS-VCB-")
    assert (out["allocated"], out["credited"]) == (3 * TOTAL + 75000, TOTAL)
    assert [e["row"] for e in out["errors"]] == [11, 13]
    assert "amount" in out["errors"][0]["message"] and "reference" in out["errors"][1]["message"]
    status = {
        x["line_id"]: (
            x["status"],
            x.get("customer_code"),
            x["invoice_id"],
            x.get("allocated"),
            x.get("credited"),
            x["reason"],
        )
        for x in out["results"]
    }
    assert status == {
        f"VCB#{refs[0]}": ("matched", book["by_id"], f"INV-{book['by_id']}-202405", TOTAL, 0, None),
        f"VCB#{refs[1]}": ("matched", book["by_code"], f"INV-{book['by_code']}-202405", TOTAL, 0, None),
        # Issue 13 (these three were suspense: AMOUNT_MISMATCH, SEVERAL_INVOICES, ALREADY_PAID): a line that
        # names one customer is that customer's money. A part payment stays partly open ...
        f"VCB#{refs[2]}": ("matched", book["wrong"], f"INV-{book['wrong']}-202405", 75000, 0, None),
        # ... an account with two open bills pays the oldest first ...
        f"VCB#{refs[5]}": ("matched", book["two"], f"INV-{book['two']}-202404", TOTAL, 0, None),
        # ... and a bill paid before leaves the money on the account as credit.
        f"VCB#{refs[6]}": ("matched", book["paid"], None, 0, TOTAL, None),
        f"VCB#{refs[3]}": ("suspense", None, None, None, None, "UNKNOWN_CUSTOMER"),
        f"VCB#{refs[4]}": ("suspense", None, None, None, None, "NO_REFERENCE"),
        f"VCB#{refs[9]}": ("suspense", None, None, None, None, "SEVERAL_CUSTOMERS"),
    }
    for code, ref in ((book["by_id"], refs[0]), (book["by_code"], refs[1]), (book["two"], refs[5])):
        inv = _invoice(f"INV-{code}-2024{'04' if code == book['two'] else '05'}")
        assert inv.status == "paid" and inv.customer_status == f"{code}#paid" and int(inv.paid_amount) == TOTAL
        assert inv.paid_at == f"2024-05-{'17' if code == book['two'] else '15'}T00:00:00+07:00"
        [payment] = [dict(p) for p in inv.payments]
        assert payment["channel"] == "bank_transfer" and payment["bank_code"] == "VCB"
        assert payment["bank_ref"] == ref and int(payment["amount"]) == TOTAL
        assert payment["line_id"] == f"VCB#{ref}" and payment["import_id"] == out["import_id"]
        assert payment["payment_id"] == f"bank#VCB#{ref}"
        assert _line(f"VCB#{ref}").status == "matched" and _line(f"VCB#{ref}").customer_code == code
    part = _invoice(f"INV-{book['wrong']}-202405")
    assert (part.status, int(part.paid_amount), part.paid_at) == ("unpaid", 75000, None)
    assert [int(dict(p)["amount"]) for p in part.payments] == [75000]
    assert _invoice(f"INV-{book['two']}-202405").status == "unpaid"
    assert _credit(book["paid"]) == TOTAL and len(_invoice(f"INV-{book['paid']}-202405").payments) == 0
    suspense = _suspense(api, admin)
    for ref, reason in ((refs[3], "UNKNOWN_CUSTOMER"), (refs[4], "NO_REFERENCE"), (refs[9], "SEVERAL_CUSTOMERS")):
        line = suspense[f"VCB#{ref}"]
        assert line["reason"] == reason and line["status"] == "suspense" and line["customer_code"] is None
    assert not {f"VCB#{refs[i]}" for i in (0, 1, 2, 5, 6)} & set(suspense)

    # The same file again: every line is a duplicate, nothing is posted twice.
    again = _import(api, admin, _csv(rows)).json
    assert (again["lines"], again["matched"], again["suspense"], again["duplicates"]) == (8, 0, 0, 8)
    assert (again["allocated"], again["credited"]) == (0, 0)
    assert [e["row"] for e in again["errors"]] == [11, 13]
    for code in (book["by_id"], book["by_code"], book["wrong"]):
        assert len(_invoice(f"INV-{code}-202405").payments) == 1
        assert len(_lines(code, "payment")) == 1
    assert int(_invoice(f"INV-{book['wrong']}-202405").paid_amount) == 75000 and _credit(book["paid"]) == TOTAL
    assert _line(f"VCB#{refs[2]}").import_id == out["import_id"]
    for code in book.values():
        assert_sound(code)


def test_the_issue_example_a_round_sum_pays_the_bill_and_the_rest_is_credit(api, admin, new_customer):
    """Issue 13's worked example: 100,000 VND sent for a 78,255 VND bill, naming the customer code."""
    customer = new_customer(invoices=[("2024-05", 264, 275, 68048, "unpaid")])  # 11 m³, 78,255 VND
    invoice_id, ref = f"INV-{customer.code}-202405", _ref()
    assert int(_invoice(invoice_id).total) == 78255
    r = _import(api, admin, _csv([["20/05/2024", ref, "", "100.000", f"TT TIEN NUOC KH {customer.code}"]]))
    assert r.status_code == 201, r.json
    [result] = r.json["results"]
    assert (result["status"], result["customer_code"], result["invoice_ids"]) == (
        "matched",
        customer.code,
        [invoice_id],
    )
    assert (result["amount"], result["allocated"], result["credited"]) == (100000, 78255, 21745)

    inv = _invoice(invoice_id)
    assert (inv.status, int(inv.paid_amount), inv.paid_at) == ("paid", 78255, "2024-05-20T00:00:00+07:00")
    [shown] = [dict(p) for p in inv.payments]
    assert {k: shown[k] for k in ("channel", "bank_code", "bank_ref", "booked_on", "line_id")} == {
        "channel": "bank_transfer",
        "bank_code": "VCB",
        "bank_ref": ref,
        "booked_on": "2024-05-20",
        "line_id": f"VCB#{ref}",
    } and int(shown["amount"]) == 78255
    assert _credit(customer.code) == 21745
    [entry] = _entries(customer.code)
    assert entry.event == "payment" and entry.payment_id == f"bank#VCB#{ref}" and entry.channel == "bank_transfer"
    assert int(entry.credit_delta) == 21745 and entry.posted_by == "admin:admin"
    assert sorted((x["kind"], int(x["amount"]), x.get("invoice_id")) for x in map(dict, entry.lines)) == [
        ("allocation", 78255, invoice_id),
        ("payment", 100000, None),
    ]
    payment = _payment(f"bank#VCB#{ref}")
    assert (payment.channel, int(payment.amount), int(payment.allocated), int(payment.credited)) == (
        "bank_transfer",
        100000,
        78255,
        21745,
    )
    assert payment.external_ref == f"VCB#{ref}" and payment.invoice_ids == [invoice_id]
    assert_sound(customer.code)
    line = _line(f"VCB#{ref}")
    assert (line.status, line.customer_code, line.invoice_id, int(line.allocated), int(line.credited)) == (
        "matched",
        customer.code,
        invoice_id,
        78255,
        21745,
    )


def test_a_transfer_for_an_invoice_paid_before_becomes_credit(api, admin, new_customer):
    customer = new_customer(invoices=[("2024-05", 100, 111, WATER, "paid")])
    invoice_id, ref = f"INV-{customer.code}-202405", _ref()
    r = _import(api, admin, _csv([["20/05/2024", ref, "", "75.900", f"THANH TOAN {invoice_id}"]]))
    assert r.status_code == 201, r.json
    [result] = r.json["results"]
    assert (result["status"], result["invoice_id"], result["allocated"], result["credited"]) == (
        "matched",
        None,
        0,
        TOTAL,
    )
    inv = _invoice(invoice_id)
    assert inv.status == "paid" and inv.payments == [] and inv.paid_amount is None  # untouched
    assert _credit(customer.code) == TOTAL
    assert _lines(customer.code, "payment") == [{"kind": "payment", "amount": TOTAL}]
    assert _lines(customer.code, "allocation") == []
    assert_sound(customer.code)


def test_the_same_file_imported_twice_at_once_posts_once(app, new_customer):
    customer = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    invoice_id, ref = f"INV-{customer.code}-202405", _ref()
    data = _csv([["15/05/2024", ref, "", "100.000", f"INV-{customer.code}-202405"]]).encode()
    services = [_service() for _ in range(4)]
    results = at_once(*[lambda s=s: s.import_statement("admin:admin", "VCB", data) for s in services])
    assert not [x for x in results if isinstance(x, Exception)], results
    assert sorted((x["matched"], x["duplicates"]) for x in results) == [(0, 1), (0, 1), (0, 1), (1, 0)]
    [won] = [x for x in results if x["matched"]]
    assert (won["allocated"], won["credited"]) == (TOTAL, 100000 - TOTAL)
    assert len(_invoice(invoice_id).payments) == 1 and int(_invoice(invoice_id).paid_amount) == TOTAL
    assert _credit(customer.code) == 100000 - TOTAL and len(_entries(customer.code)) == 1
    assert_sound(customer.code)


def test_a_line_racing_another_payment_of_the_same_invoice_conserves_the_money(app, new_customer):
    """A statement line and a VNPay payment of one invoice, both planned against the open invoice and
    committed at the same moment: the invoice is paid once, the other money is credit on the account,
    nothing is lost or counted twice, whichever wins."""
    from chalicelib.adapters.clock import Clock
    from chalicelib.services.ledger import LedgerService
    from chalicelib.store.ledger import LedgerStore

    class Together(LedgerStore):
        """Each side's first transaction waits for the other's: both read the invoice open."""

        def __init__(self, barrier):
            self.barrier, self.waited = barrier, False

        def post(self, posting, extras=None):
            if not self.waited:
                self.waited = True
                self.barrier.wait(timeout=30)
            return super().post(posting, extras)

    for _ in range(6):
        customer = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
        invoice_id, ref = f"INV-{customer.code}-202405", _ref()
        data = _csv([["15/05/2024", ref, "", "80.000", f"TT TIEN NUOC {invoice_id}"]]).encode()
        barrier = threading.Barrier(2)
        ledger = LedgerService(store=Together(barrier), clock=Clock())
        money, target = _vnpay(customer.code, invoice_id)
        statement, vnpay = at_once(
            lambda: _service(Together(barrier)).import_statement("admin:admin", "VCB", data),
            lambda: ledger.post_payment(money, target),
        )
        assert not isinstance(statement, Exception) and not isinstance(vnpay, Exception), (statement, vnpay)
        assert statement["matched"] == 1 and not vnpay.duplicate
        inv = _invoice(invoice_id)
        money_in = 80000 + TOTAL
        assert inv.status == "paid" and int(inv.paid_amount) == TOTAL
        assert int(inv.paid_amount) + _credit(customer.code) == money_in
        assert statement["allocated"] + vnpay.allocated == TOTAL
        assert statement["credited"] + vnpay.credited == money_in - TOTAL
        assert sum(int(x["amount"]) for x in _lines(customer.code, "payment")) == money_in
        assert sum(int(x["amount"]) for x in _lines(customer.code, "allocation")) == TOTAL
        assert sum(int(dict(p)["amount"]) for p in inv.payments) == TOTAL
        assert int(_line(f"VCB#{ref}").allocated) == statement["allocated"]
        assert_sound(customer.code)


def test_an_invoice_paid_by_vnpay_between_reading_and_posting_leaves_the_money_as_credit(api, admin, book):
    from chalicelib.adapters.clock import Clock
    from chalicelib.services.ledger import LedgerService
    from chalicelib.store.ledger import LedgerStore

    code = book["by_id"]
    invoice_id = f"INV-{code}-202405"
    vnpay = LedgerService(store=LedgerStore(), clock=Clock())

    class VnpayFirst(LedgerStore):
        done = False

        def post(self, posting, extras=None):
            if not VnpayFirst.done:
                VnpayFirst.done = True  # VNPay's IPN posts its payment just before our transaction
                vnpay.post_payment(*_vnpay(code, invoice_id))
            return super().post(posting, extras)

    real = deps.statements()
    deps.override("statements", _service(VnpayFirst()))
    assert real is not deps.statements()
    ref = _ref()
    r = _import(api, admin, _csv([["15/05/2024", ref, "", "75.900", f"TT {invoice_id}"]]))
    assert r.status_code == 201, r.json
    [result] = r.json["results"]
    assert (result["status"], result["allocated"], result["credited"]) == ("matched", 0, TOTAL)
    line = _line(f"VCB#{ref}")
    assert (line.status, line.invoice_id, int(line.credited)) == ("matched", None, TOTAL)
    assert [dict(p)["channel"] for p in _invoice(invoice_id).payments] == ["vnpay"]
    assert int(_invoice(invoice_id).paid_amount) == TOTAL and _credit(code) == TOTAL


def test_resolving_by_hand_posts_once_and_is_audited(api, admin, book):
    from chalicelib.store.models import AuditModel

    by_invoice, by_code, paid_before, noref = _ref(), _ref(), _ref(), _ref()
    r = _import(
        api,
        admin,
        _csv(
            [
                ["17/05/2024", by_invoice, "", "75.900", "CK"],
                ["17/05/2024", by_code, "", "100.000", "CHUYEN KHOAN"],
                ["17/05/2024", paid_before, "", "75.000", "KH 0999999999"],
                ["17/05/2024", noref, "", "75.900", "CK"],
            ]
        ),
    )
    assert r.json["suspense"] == 4, r.json
    line_id = f"VCB#{by_invoice}"
    path = f"/v1/admin/suspense/{quote(line_id, safe='')}"
    invoice_id = f"INV-{book['two']}-202404"

    # {invoice_id}: that invoice first, up to what it owes.
    r = api.post(path, {"invoice_id": invoice_id}, token=admin)
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["invoice_id"], r.json["customer_code"]) == ("resolved", invoice_id, book["two"])
    assert (r.json["allocated"], r.json["credited"], r.json["resolved_by"]) == (TOTAL, 0, "admin:admin")
    inv = _invoice(invoice_id)
    [payment] = [dict(p) for p in inv.payments]
    assert inv.status == "paid" and payment["channel"] == "bank_transfer" and payment["bank_ref"] == by_invoice
    assert payment["resolved_by"] == "admin:admin" and inv.paid_at == "2024-05-17T00:00:00+07:00"
    line = _line(line_id)
    assert (line.status, line.invoice_id, line.resolved_by) == ("resolved", invoice_id, "admin:admin")
    [entry] = list(AuditModel.query(f"statement_line#{line_id}"))
    assert entry.actor == "admin:admin" and entry.action == "statement.resolve" and '"allocated": 75900' in entry.after
    [paid] = list(AuditModel.query(f"invoice#{invoice_id}"))
    assert paid.action == "invoice.pay_from_statement" and '"status": "paid"' in paid.after
    assert line_id not in _suspense(api, admin)
    assert _entries(book["two"])[0].posted_by == "admin:admin"

    # Again, onto the other invoice or the account: the line is no longer in suspense; nothing is posted twice.
    for body in ({"invoice_id": f"INV-{book['two']}-202405"}, {"customer_code": book["two"]}):
        r = api.post(path, body, token=admin)
        assert r.status_code == 409 and r.json["code"] == "LINE_NOT_IN_SUSPENSE"
    assert _invoice(f"INV-{book['two']}-202405").status == "unpaid" and len(_invoice(invoice_id).payments) == 1
    assert len(_lines(book["two"], "payment")) == 1

    # {customer_code}: the oldest open invoices first, the rest is credit (any amount, issue 13).
    r = api.post(
        f"/v1/admin/suspense/{quote(f'VCB#{by_code}', safe='')}",
        {"customer_code": book["two"], "note": "KH gọi điện xác nhận"},
        token=admin,
    )
    assert r.status_code == 200, r.json
    assert (r.json["invoice_ids"], r.json["allocated"], r.json["credited"], r.json["note"]) == (
        [f"INV-{book['two']}-202405"],
        TOTAL,
        100000 - TOTAL,
        "KH gọi điện xác nhận",
    )
    assert _invoice(f"INV-{book['two']}-202405").status == "paid" and _credit(book["two"]) == 100000 - TOTAL

    # An invoice paid before (was a 409 INVOICE_ALREADY_PAID, issue 13): the money is credit on its account.
    r = api.post(f"/v1/admin/suspense/{quote(f'VCB#{paid_before}', safe='')}", {"invoice_id": invoice_id}, token=admin)
    assert r.status_code == 200, r.json
    assert (r.json["invoice_ids"], r.json["allocated"], r.json["credited"]) == ([], 0, 75000)
    assert _credit(book["two"]) == 100000 - TOTAL + 75000 and len(_invoice(invoice_id).payments) == 1

    # Unknown things are 404s; a malformed body is a 400.
    npath = f"/v1/admin/suspense/{quote(f'VCB#{noref}', safe='')}"
    r = api.post(npath, {"invoice_id": f"INV-{book['two']}-209912"}, token=admin)
    assert r.status_code == 404 and r.json["code"] == "INVOICE_NOT_FOUND"
    r = api.post(npath, {"customer_code": "0999999999"}, token=admin)
    assert r.status_code == 404 and r.json["code"] == "CUSTOMER_NOT_FOUND"
    r = api.post(f"/v1/admin/suspense/{quote('VCB#NOSUCHREF', safe='')}", {"ignore": True, "note": "x"}, token=admin)
    assert r.status_code == 404 and r.json["code"] == "STATEMENT_LINE_NOT_FOUND"
    for body in (
        {},
        {"ignore": True},
        {"ignore": "yes", "note": "x"},
        {"invoice_id": invoice_id, "ignore": True, "note": "x"},
        {"invoice_id": 5},
        {"customer_code": "KH01"},
        {"customer_code": book["two"], "invoice_id": invoice_id},
    ):
        r = api.post(npath, body, token=admin)
        assert r.status_code == 400 and r.json["field"] in ("invoice_id", "customer_code", "note", "ignore"), (
            body,
            r.json,
        )

    # Setting a line aside, with a note: out of the suspense list, audited.
    r = api.post(npath, {"ignore": True, "note": "phí chuyển khoản nội bộ, không phải tiền nước"}, token=admin)
    assert r.status_code == 200 and r.json["status"] == "ignored"
    assert _line(f"VCB#{noref}").status == "ignored"
    [entry] = list(AuditModel.query(f"statement_line#VCB#{noref}"))
    assert entry.action == "statement.ignore" and "không phải tiền nước" in entry.after
    assert f"VCB#{noref}" not in _suspense(api, admin)
    assert_sound(book["two"])


def test_two_managers_resolving_one_line_at_once_post_it_once(api, admin, new_customer):
    from chalicelib.errors import Conflict

    one = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    other = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    ref = _ref()
    assert _import(api, admin, _csv([["17/05/2024", ref, "", "75.900", "CK"]])).json["suspense"] == 1
    results = at_once(
        lambda: _service().resolve("admin:a", f"VCB#{ref}", {"customer_code": one.code}),
        lambda: _service().resolve("admin:b", f"VCB#{ref}", {"invoice_id": f"INV-{other.code}-202405"}),
    )
    assert sorted(type(x).__name__ for x in results) == ["Conflict", "dict"], results
    [won] = [x for x in results if not isinstance(x, Conflict)]
    [lost] = [x for x in results if isinstance(x, Conflict)]
    assert lost.code == "LINE_NOT_IN_SUSPENSE"
    paid = [c for c in (one.code, other.code) if _invoice(f"INV-{c}-202405").status == "paid"]
    assert paid == [won["customer_code"]]
    assert sum(len(_lines(c, "payment")) for c in (one.code, other.code)) == 1
    assert _line(f"VCB#{ref}").customer_code == won["customer_code"]
    for code in (one.code, other.code):
        assert_sound(code)


def test_treasury_collections_are_recorded_as_authorised_debit(api, admin, new_customer):
    school = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    ref = f"KB{secrets.token_hex(4).upper()}"
    text = (
        "Số chứng từ,Ngày hạch toán,Số tiền,Nội dung\n"
        f'{ref},20/05/2024,"75,900","TRUONG THCS P5 NOP TIEN NUOC MA KH {school.code} THANG 05/2024"\n'
    )
    r = _import(api, admin, text, bank="KBNN")
    assert r.status_code == 201 and r.json["matched"] == 1 and r.json["channel"] == "authorised_debit", r.json
    [payment] = [dict(p) for p in _invoice(f"INV-{school.code}-202405").payments]
    assert payment["channel"] == "authorised_debit" and payment["bank_code"] == "KBNN"
    assert payment["payment_id"] == f"bank#KBNN#{ref}" and _payment(f"bank#KBNN#{ref}").channel == "authorised_debit"
    assert _line(f"KBNN#{ref}").status == "matched"


def test_what_an_import_refuses(api, admin):
    r = _import(api, admin, "x", bank="XYZ")
    assert r.status_code == 400 and r.json["field"] == "bank"
    r = _import(api, admin, "no,header,here\n1,2,3\n")
    assert r.status_code == 400 and r.json["code"] == "INVALID_STATEMENT"
    r = _import(api, admin, "", raw=b"")
    assert r.status_code == 400 and r.json["code"] == "INVALID_STATEMENT"
    r = _import(api, admin, "", raw=b"\xff\xfe\x00garbage\xd8\x00")
    assert r.status_code == 400 and r.json["code"] == "INVALID_STATEMENT"
    r = _import(api, admin, "", raw=b"Ng\xe0y;x\n" * 10)
    assert r.status_code == 400 and r.json["code"] == "INVALID_STATEMENT"
    big = _csv([]).encode() + b"x" * (5 * 1024 * 1024)
    r = _import(api, admin, "", raw=big)
    assert r.status_code == 413 and r.json["code"] == "PAYLOAD_TOO_LARGE" and r.json["message"]
    r = _import(api, admin, _csv([]), content_type="application/json")
    assert r.status_code == 415 and r.json["code"] == "UNSUPPORTED_MEDIA_TYPE"
    r = _import(api, admin, _csv([]), content_type="application/octet-stream")
    assert r.status_code == 201 and r.json["lines"] == 0
    r = api.get("/v1/admin/suspense?limit=0", token=admin)
    assert r.status_code == 400 and r.json["field"] == "limit"
    r = api.get("/v1/admin/suspense?cursor=nonsense", token=admin)
    assert r.status_code == 400 and r.json["code"] == "INVALID_CURSOR"


def test_only_managers(api, registered):
    _, tokens = registered()
    customer = tokens["access_token"]
    assert _import(api, customer, _csv([])).status_code == 403
    assert api.get("/v1/admin/suspense", token=customer).status_code == 403
    assert (
        api.post(
            f"/v1/admin/suspense/{quote('VCB#X', safe='')}", {"ignore": True, "note": "x"}, token=customer
        ).status_code
        == 403
    )
    assert _import(api, "", _csv([])).status_code == 401
    assert api.get("/v1/admin/suspense", token="").status_code == 401


def test_an_excel_export_is_read_like_a_csv(api, admin, new_customer):
    import datetime
    import io

    from openpyxl import Workbook

    customer = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    wb = Workbook()
    sheet = wb.active
    sheet.append(["SAO KÊ TÀI KHOẢN 0071000123456"])
    sheet.append(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Mô tả"])
    ref = _ref()
    sheet.append([datetime.datetime(2024, 5, 20), ref, None, float(TOTAL), f"TT TIEN NUOC KH {customer.code}"])
    data = io.BytesIO()
    wb.save(data)
    r = _import(
        api,
        admin,
        "",
        raw=data.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert r.status_code == 201, r.json
    assert r.json["matched"] == 1 and _invoice(f"INV-{customer.code}-202405").status == "paid"
    broken = _import(
        api,
        admin,
        "",
        raw=b"PK\x03\x04 not really a workbook",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert broken.status_code == 400 and broken.json["code"] == "INVALID_STATEMENT"


# -- uploads through S3 (issue 15: a 5 MB body never reaches Lambda) ------------------------------


@pytest.fixture
def uploads(app):
    from chalicelib.adapters.queues import MemoryPublisher

    queue = MemoryPublisher()
    deps.override("publisher", queue)
    yield queue
    deps.reset()


def _post_form(upload: dict, data: bytes, content_type: str | None = None):
    """What the managers' page does: a multipart form to the presigned POST, the file last."""
    import requests

    fields = dict(upload["fields"])
    if content_type is not None:
        fields["Content-Type"] = content_type
    return requests.post(upload["url"], data=fields, files={"file": ("statement.csv", data)}, timeout=30)


def _run_worker(queue):
    from chalicelib.jobs.imports import handle_batch
    from tests.sqs_events import sqs_event

    while queue.messages:
        _, message = queue.messages.pop(0)
        assert handle_batch(sqs_event(message)) == {"batchItemFailures": []}


def test_a_statement_uploaded_to_s3_is_imported_by_the_worker(api, admin, book, uploads):
    refs = [_ref() for _ in range(3)]
    rows = [
        ["15/05/2024", refs[0], "", "75.900", f"IBFT INV-{book['by_id']}-202405"],
        ["16/05/2024", refs[1], "", "75.900", "CHUYEN TIEN"],
        ["17/05/2024", refs[2], "", "75.9OO", f"KH {book['wrong']}"],  # row 6: bad amount
    ]
    created = api.post(f"{URL}/uploads", {"bank": "vcb"}, token=admin)
    assert created.status_code == 201, created.json
    upload, import_id = created.json["upload"], created.json["import_id"]
    assert upload["method"] == "POST" and upload["max_bytes"] == 5 * 1024 * 1024
    assert upload["fields"]["Content-Type"] == "text/csv" and created.json["bank"] == "VCB"
    assert api.post(f"{URL}/{import_id}/start", {}, token=admin).json["code"] == "FILE_NOT_UPLOADED"
    assert _post_form(upload, _csv(rows).encode("utf-8")).status_code in (200, 201, 204)
    started = api.post(f"{URL}/{import_id}/start", {}, token=admin)
    assert started.status_code == 202 and started.json["status"] == "queued", started.json
    assert api.post(f"{URL}/{import_id}/start", {}, token=admin).status_code == 409
    assert [m for _, m in uploads.messages] == [{"import_id": import_id, "kind": "bank_statement"}]
    _run_worker(uploads)
    view = api.get(f"{URL}/{import_id}", token=admin)
    assert view.status_code == 200, view.json
    result = view.json["result"]
    assert view.json["status"] == "done" and view.json["bank"] == "VCB"
    assert (result["lines"], result["matched"], result["suspense"], result["duplicates"]) == (2, 1, 1, 0)
    assert result["errors_count"] == 1 and result["errors"][0]["row"] == 6
    full = __import__("requests").get(view.json["result_url"], timeout=10).json()
    assert {x["line_id"]: x["status"] for x in full["results"]} == {
        f"VCB#{refs[0]}": "matched",
        f"VCB#{refs[1]}": "suspense",
    }
    assert _line(f"VCB#{refs[0]}").import_id == import_id
    assert _invoice(f"INV-{book['by_id']}-202405").status == "paid"
    # A message SQS delivers again changes nothing; the customer-book routes do not know this import.
    from chalicelib.jobs.imports import handle_batch
    from tests.sqs_events import sqs_event

    assert handle_batch(sqs_event({"import_id": import_id, "kind": "bank_statement"})) == {"batchItemFailures": []}
    assert api.get(f"{URL}/{import_id}", token=admin).json["result"] == result
    assert api.get(f"/v1/admin/imports/{import_id}", token=admin).status_code == 404
    assert api.post(f"/v1/admin/imports/{import_id}/start", {}, token=admin).status_code == 404


def test_what_an_upload_refuses(api, admin, uploads):
    for bank in ("XYZ", {}, ["VCB"], 7):
        r = api.post(f"{URL}/uploads", {"bank": bank}, token=admin)
        assert r.status_code == 400 and r.json["field"] == "bank", (bank, r.json)
    for content_type in ("application/json", {}, ["text/csv"], 1):  # a dict was a 500 (found by fuzzing)
        r = api.post(f"{URL}/uploads", {"bank": "VCB", "content_type": content_type}, token=admin)
        assert r.status_code == 400 and r.json["field"] == "content_type", (content_type, r.json)
    assert api.get(f"{URL}/IMP000000000000", token=admin).status_code == 404
    assert api.get(f"{URL}/nonsense", token=admin).status_code == 404
    # A customer book's import is not a statement's.
    book_import = api.post("/v1/admin/imports/customers", {}, token=admin).json["import_id"]
    assert api.get(f"{URL}/{book_import}", token=admin).status_code == 404
    # A file that is not a statement fails the import, with the reason.
    created = api.post(f"{URL}/uploads", {"bank": "VCB"}, token=admin).json
    assert _post_form(created["upload"], b"no,header,here\n1,2,3\n").status_code in (200, 201, 204)
    assert api.post(f"{URL}/{created['import_id']}/start", {}, token=admin).status_code == 202
    _run_worker(uploads)
    view = api.get(f"{URL}/{created['import_id']}", token=admin).json
    assert view["status"] == "failed" and view["result"]["error"]["code"] == "INVALID_STATEMENT"
    assert view["result_url"] is None
    # S3 refuses a file above the policy's 5 MB (moto does not): starting one is refused all the same.
    created = api.post(f"{URL}/uploads", {"bank": "VCB"}, token=admin).json
    assert _post_form(created["upload"], b"x" * (5 * 1024 * 1024 + 1)).status_code in (200, 201, 204)
    r = api.post(f"{URL}/{created['import_id']}/start", {}, token=admin)
    assert r.status_code == 413 and r.json["code"] == "PAYLOAD_TOO_LARGE"


def test_an_excel_statement_through_s3(api, admin, book, uploads):
    import io

    from openpyxl import Workbook

    ref = _ref()
    wb = Workbook()
    ws = wb.active
    ws.append(["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Mô tả"])
    ws.append(["15/05/2024", ref, "", "75.900", f"TT TIEN NUOC KH {book['by_code']}"])
    out = io.BytesIO()
    wb.save(out)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    created = api.post(f"{URL}/uploads", {"bank": "VCB", "content_type": xlsx}, token=admin).json
    assert created["upload"]["fields"]["key"].endswith(".xlsx")
    assert _post_form(created["upload"], out.getvalue()).status_code in (200, 201, 204)
    api.post(f"{URL}/{created['import_id']}/start", {}, token=admin)
    _run_worker(uploads)
    result = api.get(f"{URL}/{created['import_id']}", token=admin).json["result"]
    assert (result["lines"], result["matched"]) == (1, 1)


def test_the_direct_body_limit_is_what_the_gateway_lets_through(api, admin):
    """A body reaches Lambda inside a 6 MB event, base64-encoded when binary: 4,000,000 bytes is the most
    the direct route takes (and answers 413 pointing at the upload), never a gateway failure."""
    from chalicelib.services.statements import DIRECT_MAX_BYTES

    assert DIRECT_MAX_BYTES * 4 / 3 + 64 * 1024 < 6 * 1024 * 1024
    r = _import(api, admin, "", raw=_csv([]).encode() + b"x" * DIRECT_MAX_BYTES)
    assert r.status_code == 413 and r.json["code"] == "PAYLOAD_TOO_LARGE" and "tải" in r.json["message"], r.json
