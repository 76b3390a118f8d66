"""Bank statements through the handlers on DynamoDB Local: import, exact
matches pay once, the rest in suspense, re-imports change nothing, a race
with VNPay, resolving by hand (audited), roles."""
from __future__ import annotations

import secrets
import threading
from urllib.parse import quote

import pytest

from chalicelib import deps

WATER = 66000                 # invoice_item: + VAT 5 % 3,300 + fee 10 % 6,600
TOTAL = 75900
URL = "/v1/admin/imports/bank-statements"


def _import(api, token, text: str, bank="VCB", content_type="text/csv; charset=utf-8", raw=None):
    return api.call("POST", f"{URL}?bank={bank}", raw=raw if raw is not None else text.encode("utf-8"),
                    token=token, headers={"Content-Type": content_type})


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


@pytest.fixture
def book(new_customer):
    """Customers and invoices for one statement; returns the codes."""
    by_id = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    by_code = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid"), ("2024-04", 90, 100, 50000, "paid")])
    wrong = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    two = new_customer(invoices=[("2024-04", 90, 100, WATER, "unpaid"), ("2024-05", 100, 111, WATER, "unpaid")])
    paid = new_customer(invoices=[("2024-05", 100, 111, WATER, "paid")])
    return {"by_id": by_id.code, "by_code": by_code.code, "wrong": wrong.code, "two": two.code, "paid": paid.code}


def test_a_statement_pays_exact_matches_once_and_keeps_the_rest_in_suspense(api, admin, book):
    refs = [_ref() for _ in range(9)]
    rows = [
        ["15/05/2024", refs[0], "", "75.900", f"IBFT INV-{book['by_id']}-202405"],                  # row 4
        ["15/05/2024", refs[1], "", "75,900", f"TT TIEN NUOC KH {book['by_code']}"],               # row 5
        ["16/05/2024", refs[2], "", "75.000", f"TT TIEN NUOC KH {book['wrong']} T5/2024"],         # row 6
        ["16/05/2024", refs[3], "", "75.900", "TT TIEN NUOC KH 0999999999 T5/2024"],               # row 7
        ["16/05/2024", refs[4], "", "75.900", "CHUYEN TIEN"],                                      # row 8
        ["17/05/2024", refs[5], "", "75.900", f"TIEN NUOC {book['two']}"],                         # row 9
        ["17/05/2024", refs[6], "", "75.900", f"HD {book['paid']} T05/2024"],                      # row 10
        ["17/05/2024", refs[7], "", "75.9OO", f"KH {book['wrong']}"],                              # row 11: bad amount
        ["18/05/2024", refs[8], "12.000", "", "PHI SMS BANKING"],                                  # row 12: a debit
        ["18/05/2024", "", "", "75.900", f"KH {book['wrong']}"],                                   # row 13: no reference
    ]
    r = _import(api, admin, _csv(rows))
    assert r.status_code == 201, r.json
    out = r.json
    assert (out["lines"], out["matched"], out["suspense"], out["duplicates"], out["skipped"]) == (7, 2, 5, 0, 1)
    assert out["channel"] == "bank_transfer" and out["import_id"].startswith("BS-VCB-")
    assert [e["row"] for e in out["errors"]] == [11, 13]
    assert "amount" in out["errors"][0]["message"] and "reference" in out["errors"][1]["message"]
    status = {x["line_id"]: (x["status"], x["invoice_id"], x["reason"]) for x in out["results"]}
    assert status == {
        f"VCB#{refs[0]}": ("matched", f"INV-{book['by_id']}-202405", None),
        f"VCB#{refs[1]}": ("matched", f"INV-{book['by_code']}-202405", None),
        f"VCB#{refs[2]}": ("suspense", None, "AMOUNT_MISMATCH"),
        f"VCB#{refs[3]}": ("suspense", None, "UNKNOWN_CUSTOMER"),
        f"VCB#{refs[4]}": ("suspense", None, "NO_REFERENCE"),
        f"VCB#{refs[5]}": ("suspense", None, "SEVERAL_INVOICES"),
        f"VCB#{refs[6]}": ("suspense", None, "ALREADY_PAID"),
    }
    for code, ref in ((book["by_id"], refs[0]), (book["by_code"], refs[1])):
        inv = _invoice(f"INV-{code}-202405")
        assert inv.status == "paid" and inv.customer_status == f"{code}#paid"
        assert inv.paid_at == "2024-05-15T00:00:00+07:00"
        [payment] = [dict(p) for p in inv.payments]
        assert payment["channel"] == "bank_transfer" and payment["bank_code"] == "VCB"
        assert payment["bank_ref"] == ref and int(payment["amount"]) == TOTAL and payment["booked_on"] == "2024-05-15"
        assert _line(f"VCB#{ref}").status == "matched"
    for code, period in ((book["wrong"], "202405"), (book["two"], "202404"), (book["two"], "202405")):
        assert _invoice(f"INV-{code}-{period}").status == "unpaid"
    suspense = _suspense(api, admin)
    for ref, reason in zip(refs[2:7], ["AMOUNT_MISMATCH", "UNKNOWN_CUSTOMER", "NO_REFERENCE", "SEVERAL_INVOICES",
                                       "ALREADY_PAID"]):
        line = suspense[f"VCB#{ref}"]
        assert line["reason"] == reason and line["amount"] in (75000, TOTAL) and line["status"] == "suspense"
    assert f"VCB#{refs[0]}" not in suspense

    # The same file again: every line is a duplicate, nothing is paid twice.
    again = _import(api, admin, _csv(rows)).json
    assert (again["lines"], again["matched"], again["suspense"], again["duplicates"]) == (7, 0, 0, 7)
    assert [e["row"] for e in again["errors"]] == [11, 13]
    for code in (book["by_id"], book["by_code"]):
        assert len(_invoice(f"INV-{code}-202405").payments) == 1
    assert _line(f"VCB#{refs[2]}").import_id == out["import_id"]


def test_the_same_file_imported_twice_at_once_pays_once(app, book):
    from chalicelib.services.statements import StatementService
    from chalicelib.store import audit
    from chalicelib.store.statements import StatementStore
    from chalicelib.adapters.clock import Clock
    service = StatementService(store=StatementStore(), clock=Clock(), audit_entry=audit.entry)
    ref = _ref()
    data = _csv([["15/05/2024", ref, "", "75.900", f"INV-{book['by_id']}-202405"]]).encode()
    results = []
    threads = [threading.Thread(target=lambda: results.append(service.import_statement("admin:admin", "VCB", data)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted((x["matched"], x["duplicates"]) for x in results) == [(0, 1), (0, 1), (0, 1), (1, 0)]
    assert len(_invoice(f"INV-{book['by_id']}-202405").payments) == 1


def test_an_invoice_paid_by_vnpay_between_reading_and_applying_leaves_the_line_in_suspense(api, admin, book):
    from chalicelib.store.models import InvoiceModel
    from chalicelib.store.statements import StatementStore

    invoice_id = f"INV-{book['by_id']}-202405"

    class VnpayFirst(StatementStore):
        def apply(self, line, invoice, payment, paid_at):
            # VNPay's IPN applies its payment just before our transaction.
            InvoiceModel(invoice.invoice_id).update(actions=[
                InvoiceModel.status.set("paid"), InvoiceModel.customer_status.set(f"{invoice.customer_code}#paid"),
                InvoiceModel.paid_at.set("2024-05-15T10:00:00+07:00"),
                InvoiceModel.payments.set(InvoiceModel.payments.append([{"channel": "vnpay", "amount": TOTAL}]))],
                condition=InvoiceModel.status == "unpaid")
            return super().apply(line, invoice, payment, paid_at)

    real = deps.get("statements")
    deps.override("statements", type(real)(store=VnpayFirst(), clock=real.clock, audit_entry=real._audit_entry))
    ref = _ref()
    r = _import(api, admin, _csv([["15/05/2024", ref, "", "75.900", f"TT {invoice_id}"]]))
    assert r.status_code == 201, r.json
    assert (r.json["matched"], r.json["suspense"]) == (0, 1)
    assert r.json["results"][0]["reason"] == "ALREADY_PAID"
    line = _line(f"VCB#{ref}")
    assert line.status == "suspense" and line.reason == "ALREADY_PAID" and line.invoice_id is None
    assert [dict(p)["channel"] for p in _invoice(invoice_id).payments] == ["vnpay"]


def test_resolving_by_hand_pays_once_and_is_audited(api, admin, book):
    from chalicelib.store.models import AuditModel
    several, mismatch, noref = _ref(), _ref(), _ref()
    r = _import(api, admin, _csv([["17/05/2024", several, "", "75.900", f"TIEN NUOC {book['two']}"],
                                  ["17/05/2024", mismatch, "", "75.000", f"KH {book['wrong']}"],
                                  ["17/05/2024", noref, "", "75.900", "CK"]]))
    assert r.json["suspense"] == 3, r.json
    line_id = f"VCB#{several}"
    path = f"/v1/admin/suspense/{quote(line_id, safe='')}"
    invoice_id = f"INV-{book['two']}-202404"

    r = api.post(path, {"invoice_id": invoice_id}, token=admin)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "resolved" and r.json["invoice_id"] == invoice_id
    assert r.json["resolved_by"] == "admin:admin"
    inv = _invoice(invoice_id)
    [payment] = [dict(p) for p in inv.payments]
    assert inv.status == "paid" and payment["channel"] == "bank_transfer" and payment["bank_ref"] == several
    assert payment["resolved_by"] == "admin:admin"
    line = _line(line_id)
    assert (line.status, line.invoice_id, line.resolved_by) == ("resolved", invoice_id, "admin:admin")
    [entry] = list(AuditModel.query(f"statement_line#{line_id}"))
    assert entry.actor == "admin:admin" and entry.action == "statement.resolve"
    assert len(list(AuditModel.query(f"invoice#{invoice_id}"))) == 1
    assert line_id not in _suspense(api, admin)

    # Again, or onto the other invoice: the line is no longer in suspense; nothing is paid twice.
    r = api.post(path, {"invoice_id": f"INV-{book['two']}-202405"}, token=admin)
    assert r.status_code == 409 and r.json["code"] == "LINE_NOT_IN_SUSPENSE"
    assert _invoice(f"INV-{book['two']}-202405").status == "unpaid" and len(_invoice(invoice_id).payments) == 1

    # 75,000 cannot pay a 75,900 invoice; an already paid invoice is refused; unknown things are 404s.
    mpath = f"/v1/admin/suspense/{quote(f'VCB#{mismatch}', safe='')}"
    r = api.post(mpath, {"invoice_id": f"INV-{book['wrong']}-202405"}, token=admin)
    assert r.status_code == 409 and r.json["code"] == "AMOUNT_MISMATCH"
    npath = f"/v1/admin/suspense/{quote(f'VCB#{noref}', safe='')}"
    r = api.post(npath, {"invoice_id": invoice_id}, token=admin)
    assert r.status_code == 409 and r.json["code"] == "INVOICE_ALREADY_PAID"
    r = api.post(npath, {"invoice_id": f"INV-{book['two']}-209912"}, token=admin)
    assert r.status_code == 404 and r.json["code"] == "INVOICE_NOT_FOUND"
    r = api.post(f"/v1/admin/suspense/{quote('VCB#NOSUCHREF', safe='')}", {"ignore": True, "note": "x"}, token=admin)
    assert r.status_code == 404 and r.json["code"] == "STATEMENT_LINE_NOT_FOUND"
    for body in ({}, {"ignore": True}, {"ignore": "yes", "note": "x"}, {"invoice_id": invoice_id, "ignore": True,
                                                                          "note": "x"}, {"invoice_id": 5}):
        r = api.post(npath, body, token=admin)
        assert r.status_code == 400 and r.json["field"] in ("invoice_id", "note", "ignore"), (body, r.json)

    # Setting a line aside, with a note: out of the suspense list, audited.
    r = api.post(npath, {"ignore": True, "note": "phí chuyển khoản nội bộ, không phải tiền nước"}, token=admin)
    assert r.status_code == 200 and r.json["status"] == "ignored"
    assert _line(f"VCB#{noref}").status == "ignored"
    [entry] = list(AuditModel.query(f"statement_line#VCB#{noref}"))
    assert entry.action == "statement.ignore" and "không phải tiền nước" in entry.after
    assert f"VCB#{noref}" not in _suspense(api, admin)


def test_treasury_collections_are_recorded_as_authorised_debit(api, admin, new_customer):
    school = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    ref = f"KB{secrets.token_hex(4).upper()}"
    text = ("Số chứng từ,Ngày hạch toán,Số tiền,Nội dung\n"
            f'{ref},20/05/2024,"75,900","TRUONG THCS P5 NOP TIEN NUOC MA KH {school.code} THANG 05/2024"\n')
    r = _import(api, admin, text, bank="KBNN")
    assert r.status_code == 201 and r.json["matched"] == 1 and r.json["channel"] == "authorised_debit", r.json
    [payment] = [dict(p) for p in _invoice(f"INV-{school.code}-202405").payments]
    assert payment["channel"] == "authorised_debit" and payment["bank_code"] == "KBNN"
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
    assert api.post(f"/v1/admin/suspense/{quote('VCB#X', safe='')}", {"ignore": True, "note": "x"},
                    token=customer).status_code == 403
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
    r = _import(api, admin, "", raw=data.getvalue(),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert r.status_code == 201, r.json
    assert r.json["matched"] == 1 and _invoice(f"INV-{customer.code}-202405").status == "paid"
    broken = _import(api, admin, "", raw=b"PK\x03\x04 not really a workbook",
                     content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert broken.status_code == 400 and broken.json["code"] == "INVALID_STATEMENT"
