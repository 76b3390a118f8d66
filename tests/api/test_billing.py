"""Tariff versions and invoice issuance through the admin API."""

from __future__ import annotations

import itertools
import threading

import pytest

from chalicelib.domain.tariff import version_to_dict
from chalicelib.domain.tariff_tables import published_versions

_refs = itertools.count(1)


def _reading(code, period="2023-06", old=275, new=286, read_on="2023-07-05", **kw):
    return dict(customer_code=code, period=period, old_index=old, new_index=new, read_on=read_on, **kw)


def _credit(code: str, amount: int) -> None:
    """A transfer that names the customer and no bill: all of it stays on the account as credit."""
    from chalicelib import deps
    from chalicelib.services.ledger import IncomingPayment, Target

    ref = f"FT{next(_refs):08d}{code}"
    deps.ledger().post_payment(
        IncomingPayment(
            channel="bank_transfer",
            payment_id=f"bank#TEST#{ref}",
            external_ref=ref,
            amount=amount,
            received_at=deps.clock().now(),
            posted_by="test",
            paid_at="2023-07-01T08:00:00+07:00",
        ),
        Target(customer_code=code, credit_only=True),
    )


def _account(code: str) -> tuple[int, list]:
    """The account's credit and its postings (event, lines), once its entries are checked against its invoices."""
    from tests.api.ledger_assert import assert_sound

    state = assert_sound(code, charged_by_ledger=True)
    return state["credit"], [(e.event, [(ln["kind"], int(ln["amount"])) for ln in e.lines]) for e in state["entries"]]


def test_issue_an_invoice_under_qd_13_2023(api, admin, registered):
    customer, tokens = registered()
    r = api.post("/v1/admin/invoices", _reading(customer.code), token=admin)
    assert r.status_code == 201, r.json
    inv = r.json
    assert (inv["consumption_m3"], inv["subtotal"], inv["vat"], inv["env_fee"], inv["total"]) == (
        11,
        67450,
        3373,
        6745,
        77568,
    )
    water = [ln for ln in inv["lines"] if ln["kind"] == "water"]
    assert [(ln["quantity"], ln["unit_price"], ln["amount"]) for ln in water] == [(10, 6000, 60000), (1, 7450, 7450)]
    assert inv["amount_in_words"] == "Bảy mươi bảy nghìn năm trăm sáu mươi tám đồng"
    assert "QĐ 13/2023/QĐ-UBND" in inv["tariff_ref"]
    assert inv["invoice_template"] == "1" and inv["invoice_symbol"].startswith("C") and inv["invoice_number"] >= 1
    assert (inv["period_start"], inv["period_end"]) == ("2023-06-05", "2023-07-05")
    # Charged on the customer's account in the same transaction; nothing paid yet.
    assert (inv["paid_amount"], inv["open_amount"], inv["payments"]) == (0, 77568, [])
    assert _account(customer.code) == (0, [("charge", [("charge", 77568)])])
    # The customer sees it.
    mine = api.get(f"/v1/invoices/{inv['invoice_id']}", token=tokens["access_token"])
    assert mine.status_code == 200 and mine.json["total"] == 77568
    # One invoice per customer and period.
    again = api.post("/v1/admin/invoices", _reading(customer.code), token=admin)
    assert again.status_code == 409 and again.json["code"] == "INVOICE_EXISTS"


def test_bad_readings_are_refused_without_writing(api, admin, new_customer):
    customer = new_customer()
    cases = [
        (_reading(customer.code, old=300, new=290), "new_index"),
        (_reading(customer.code, new=-1), "new_index"),
        (_reading(customer.code, new=12.5), "new_index"),
        (_reading(customer.code, period="2023-13"), "period"),
        (_reading(customer.code, read_on="05/07/2023"), "read_on"),
        (_reading(customer.code, previous_read_on="2023-07-06"), "previous_read_on"),
        (_reading("abc"), "customer_code"),
    ]
    for body, field in cases:
        r = api.post("/v1/admin/invoices", body, token=admin)
        assert r.status_code == 400 and r.json["field"] == field, (body, r.json)
    r = api.post(
        "/v1/admin/invoices",
        _reading(customer.code, period="2023-05", read_on="2023-06-01", previous_read_on="2023-05-01"),
        token=admin,
    )
    assert r.status_code == 409 and r.json["code"] == "NO_TARIFF"  # before QĐ 13/2023 took effect
    assert api.get(f"/v1/customers/{customer.code}/invoices", token=admin).status_code == 403


def test_numbers_are_gap_free_under_concurrent_issuing(app, new_customer):
    from chalicelib import deps
    from chalicelib.errors import AppError

    customers = [new_customer() for _ in range(12)]
    billing = deps.billing()
    results, errors = [], []

    def issue(code):
        try:
            results.append(
                billing.issue_invoice(
                    "admin:test", _reading(code, period="2023-08", old=10, new=25, read_on="2023-09-05")
                )
            )
        except AppError as err:
            errors.append(err)

    threads = [threading.Thread(target=issue, args=(c.code,)) for c in customers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    numbers = sorted(r["invoice_number"] for r in results)
    assert len(set(numbers)) == 12 and numbers == list(range(numbers[0], numbers[0] + 12))


def test_tariff_versions_are_added_never_changed_and_audited(api, admin):
    from chalicelib.store.audit import AuditStore

    body = {
        "tariff_id": "camau-city-household-2025-01",
        "area": "camau-city",
        "customer_class": "household",
        "valid_from": "2025-01-01",
        "pricing": "tiers",
        "legal_ref": "QĐ thử nghiệm / test decision",
        "tiers": [{"up_to": 10, "price": 6200}, {"up_to": 20, "price": 7700}, {"up_to": None, "price": 9400}],
    }
    r = api.post("/v1/admin/tariffs", body, token=admin)
    assert r.status_code == 201 and r.json["tiers"][0]["price"] == 6200
    again = api.post("/v1/admin/tariffs", dict(body, tiers=[{"up_to": None, "price": 1}]), token=admin)
    assert again.status_code == 409 and again.json["code"] == "TARIFF_VERSION_EXISTS"
    listed = api.get("/v1/admin/tariffs?area=camau-city&customer_class=household", token=admin).json["versions"]
    assert [v["valid_from"] for v in listed] == ["2023-06-01", "2025-01-01"]
    assert listed[-1]["created_by"] == "admin:admin"
    [entry] = [a for a in AuditStore().for_entity("tariff#camau-city#household") if a.actor == "admin:admin"]
    assert entry.action == "tariff.add" and '"price": 6200' in entry.after


@pytest.mark.parametrize(
    "change,field_hint",
    [
        ({"tiers": [{"up_to": 10, "price": 6000}]}, "last tier"),
        (
            {"tiers": [{"up_to": 10, "price": 6000}, {"up_to": 5, "price": 7000}, {"up_to": None, "price": 8000}]},
            "above",
        ),
        ({"customer_class": "vip"}, "customer_class"),
        ({"valid_from": "2025-02-30"}, "malformed"),
        ({"legal_ref": ""}, "legal_ref"),
        ({"tiers": "cheap"}, "malformed"),
    ],
)
def test_invalid_tariff_versions_are_400(api, admin, change, field_hint):
    body = dict(version_to_dict(published_versions()[0]), valid_from="2026-01-01", **{})
    body.update(change)
    r = api.post("/v1/admin/tariffs", body, token=admin)
    assert (
        r.status_code == 400
        and r.json["code"] == "INVALID_TARIFF"
        and field_hint
        in r.json["message"]
        + api.post("/v1/admin/tariffs", body, token=admin, headers={"Accept-Language": "en"}).json["message"]
    )


def test_admin_routes_refuse_customers(api, registered):
    _, tokens = registered()
    token = tokens["access_token"]
    assert api.post("/v1/admin/tariffs", {}, token=token).status_code == 403
    assert api.post("/v1/admin/invoices", {}, token=token).status_code == 403
    assert api.get("/v1/admin/tariffs?area=camau-city&customer_class=household", token=token).status_code == 403


def test_the_accounts_credit_pays_the_next_invoice_and_the_bill_shows_it(api, admin, registered):
    """Issue 13: credit on the account (an overpayment, a correction down) is applied to the next
    charge when it is issued; the invoice, its detail and its PDF show it."""
    from tests.unit.test_invoice_pdf import text_of

    customer, tokens = registered()
    _credit(customer.code, 30000)
    r = api.post("/v1/admin/invoices", _reading(customer.code), token=admin)
    assert r.status_code == 201, r.json
    inv = r.json
    assert (inv["total"], inv["paid_amount"], inv["open_amount"], inv["status"]) == (77568, 30000, 47568, "unpaid")
    assert [(p["channel"], p["amount"]) for p in inv["payments"]] == [("credit", 30000)]
    credit, postings = _account(customer.code)
    assert credit == 0 and sorted(postings) == [
        ("charge", [("charge", 77568), ("allocation", 30000)]),
        ("payment", [("payment", 30000)]),
    ]
    mine = api.get(f"/v1/invoices/{inv['invoice_id']}", token=tokens["access_token"]).json
    assert (mine["paid_amount"], mine["open_amount"], mine["payments"][0]["channel"]) == (30000, 47568, "credit")
    listed = api.get(f"/v1/customers/{customer.code}/invoices?status=unpaid", token=tokens["access_token"]).json
    assert [(i["paid_amount"], i["open_amount"]) for i in listed["invoices"]] == [(30000, 47568)]
    pdf = api.get(
        f"/v1/invoices/{inv['invoice_id']}/pdf", token=tokens["access_token"], headers={"Accept": "application/pdf"}
    )
    assert pdf.status_code == 200
    text = text_of(pdf.body)
    for expected in (
        "Tổng cộng thanh toán",
        "77.568",
        "Trừ tiền thừa kỳ trước",
        "-30.000",
        "Còn phải thanh toán",
        "47.568",
    ):
        assert expected in text, expected

    # More credit than the bill: the invoice is issued paid, the rest waits for the next one.
    rich, _ = registered()
    _credit(rich.code, 100000)
    inv = api.post("/v1/admin/invoices", _reading(rich.code), token=admin).json
    assert (inv["status"], inv["paid_amount"], inv["open_amount"]) == ("paid", 77568, 0) and inv["paid_at"]
    assert _account(rich.code)[0] == 100000 - 77568
    from chalicelib.store.models import InvoiceModel

    assert InvoiceModel.get(inv["invoice_id"], consistent_read=True).customer_status == f"{rich.code}#paid"


def test_credit_that_moves_while_an_invoice_is_issued_is_read_again(app, new_customer):
    """The charge takes the credit as read, on the condition that it has not moved: a payment posted
    between the read and the write fails the transaction, and the issue reads the account again."""
    from chalicelib import deps

    customer = new_customer()
    _credit(customer.code, 10000)
    billing = deps.billing()
    read = billing.ledger.account
    seen = []

    def racing(code, *a, **kw):
        seen.append(read(code, *a, **kw))
        if len(seen) == 1:
            _credit(code, 5000)  # arrives after the read, before the invoice is written
        return seen[-1]

    billing.ledger.account = racing
    try:
        inv = billing.issue_invoice("admin:test", _reading(customer.code))
    finally:
        del billing.ledger.account
    assert [int(a.credit) for a in seen] == [10000, 15000]
    assert (inv["paid_amount"], inv["open_amount"]) == (15000, 77568 - 15000)
    credit, postings = _account(customer.code)
    assert credit == 0 and ("charge", [("charge", 77568), ("allocation", 15000)]) in postings
