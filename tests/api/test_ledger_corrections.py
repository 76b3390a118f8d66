"""Issue 13, defect 2: a corrected invoice is paid at its current open amount.

An order holds its invoices at their amounts while it is open; once the hold
lapses a field correction may replace an invoice with a new total, and VNPay's
word on the old order (a late success IPN, or the querydr job) still arrives
for the old amount. Before the ledger the invoice was then marked paid with
the order's old item amount: the difference up was never collected, the
difference down silently kept. Now the money is posted at the invoice's open
amount at that moment: up, the invoice stays open for the difference; down,
it is paid and the excess is credit on the customer's account."""

from __future__ import annotations

import itertools
import time

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import FixedClock
from chalicelib.adapters.queues import MemoryPublisher
from chalicelib.domain.tokens import Identity
from tests.api.ledger_assert import assert_sound
from tests.api.test_faults import faults  # noqa: F401  (the fault injection fixture)
from tests.api.test_payments import ipn, ipn_params, order_for
from tests.api.test_reconcile_refund import FakeVnpay, paid_answer

_ids = itertools.count(1)
OLD_TOTAL = 77568  # 11 m³, household, Cà Mau city, QĐ 13/2023 (test_billing.py)
CORRECTED = {"up": 290, "down": 282}  # 15 m³ and 7 m³ instead of 11


@pytest.fixture
def lapsed(api, admin, registered):
    """A customer's invoice issued through billing (charged on the account), an order opened for it,
    and services that see the clock 30 minutes later: the order's 15-minute hold has lapsed."""
    customer, tokens = registered()
    r = api.post(
        "/v1/admin/invoices",
        {
            "customer_code": customer.code,
            "period": "2023-06",
            "old_index": 275,
            "new_index": 286,
            "read_on": "2023-07-05",
        },
        token=admin,
    )
    assert r.status_code == 201 and r.json["total"] == OLD_TOTAL, r.json
    invoice_id = r.json["invoice_id"]
    order = order_for(api, tokens["access_token"], [invoice_id])
    assert order["amount"] == OLD_TOTAL
    deps.override("publisher", MemoryPublisher())
    deps.override("clock", FixedClock(int(time.time()) + 1800))
    yield customer, invoice_id, order
    deps.reset()


def _correct(code: str, new_index: int) -> dict:
    """The field worker reads the meter again for the same period: the reading corrects the invoice."""
    service = deps.readings()
    staff = Identity(account_id="staff:ghithu99", role="staff", device="356938035643809")
    reading_id = f"corr-{next(_ids):06d}-{code}"
    service.submit(
        staff,
        {
            "reading_id": reading_id,
            "customer_code": code,
            "period": "2023-06",
            "new_index": new_index,
            "read_at": "2023-07-05T15:00:00+07:00",
        },
    )
    service.process(reading_id)
    out = service.get(staff, reading_id)
    assert out["status"] in ("billed", "flagged"), out
    return out["invoice"]


def _account(code: str) -> int:
    """The account's credit, once its entries are checked against it and its invoices."""
    return assert_sound(code, charged_by_ledger=True)["credit"]


def _vnpay_says_paid(api, order: dict, how: str) -> None:
    """VNPay's success for the order, for the order's (old) amount."""
    if how == "ipn":
        assert ipn(api, ipn_params(order))[0] == "00"  # the money is real: posted, not refused
        return
    ours = order["order_id"]
    # Other tests' stale orders: VNPay never saw them.
    fake = FakeVnpay(lambda o: paid_answer(o) if o.order_id == ours else {"vnp_ResponseCode": "91"})
    deps.override("vnpay_client", fake)
    deps.payments().reconcile()
    assert ("querydr", ours) in fake.calls


@pytest.mark.parametrize("how", ["ipn", "querydr"])
@pytest.mark.parametrize("direction", ["up", "down"])
def test_a_late_payment_of_a_corrected_invoice_pays_its_open_amount(api, lapsed, direction, how):
    from chalicelib.store.models import InvoiceModel

    customer, invoice_id, order = lapsed
    corrected = _correct(customer.code, CORRECTED[direction])
    new_total = corrected["total"]
    assert corrected["invoice_id"] == invoice_id and (new_total > OLD_TOTAL) == (direction == "up")
    assert (corrected["status"], corrected["paid_amount"], corrected["open_amount"]) == ("unpaid", 0, new_total)

    _vnpay_says_paid(api, order, how)

    invoice = InvoiceModel.get(invoice_id, consistent_read=True)
    credit = _account(customer.code)
    if direction == "up":
        # Partly paid: what VNPay took is applied, the difference stays open to collect.
        assert (invoice.status, int(invoice.paid_amount)) == ("unpaid", OLD_TOTAL)
        assert int(invoice.total) - int(invoice.paid_amount) == new_total - OLD_TOTAL
        assert credit == 0
    else:
        # Paid at the new total; the excess is credit on the account, for the next bill or a refund.
        assert (invoice.status, int(invoice.paid_amount)) == ("paid", new_total)
        assert credit == OLD_TOTAL - new_total
    assert invoice.customer_status == f"{customer.code}#{invoice.status}"
    assert sum(int(p["amount"]) for p in invoice.payments) == int(invoice.paid_amount)


def test_a_correction_waits_while_the_order_still_holds_the_invoice(api, admin, registered):
    """Before the hold lapses the order may still be paid at its amount: the reading is refused, and the
    invoice, its payment and the account are left as they were."""
    from chalicelib.store.models import InvoiceModel

    customer, tokens = registered()
    r = api.post(
        "/v1/admin/invoices",
        {
            "customer_code": customer.code,
            "period": "2023-06",
            "old_index": 275,
            "new_index": 286,
            "read_on": "2023-07-05",
        },
        token=admin,
    )
    invoice_id = r.json["invoice_id"]
    order = order_for(api, tokens["access_token"], [invoice_id])
    deps.override("publisher", MemoryPublisher())
    try:
        service = deps.readings()
        staff = Identity(account_id="staff:ghithu99", role="staff", device="356938035643809")
        reading_id = f"corr-{next(_ids):06d}-{customer.code}"
        service.submit(
            staff,
            {
                "reading_id": reading_id,
                "customer_code": customer.code,
                "period": "2023-06",
                "new_index": 290,
                "read_at": "2023-07-05T15:00:00+07:00",
            },
        )
        service.process(reading_id)
        out = service.get(staff, reading_id)
    finally:
        deps.reset()
    assert out["status"] == "rejected" and out["reasons"][0]["code"] == "INVOICE_PAYMENT_PENDING"
    assert int(InvoiceModel.get(invoice_id, consistent_read=True).total) == OLD_TOTAL
    assert ipn(api, ipn_params(order))[0] == "00"
    invoice = InvoiceModel.get(invoice_id, consistent_read=True)
    assert (invoice.status, int(invoice.paid_amount)) == ("paid", OLD_TOTAL)
    assert _account(customer.code) == 0


def test_a_correction_whose_answer_was_lost_is_recognised_not_repeated(api, admin, registered, faults):  # noqa: F811
    """The correction's transaction is written but its answer lost (DynamoDB's 500 after the commit): the
    retry finds the invoice with the number it took and stops there, one number, one entry, one audit."""
    from chalicelib.store.audit import AuditStore
    from chalicelib.store.ledger import LedgerStore
    from tests.api.test_faults import _series_number

    customer, _ = registered()
    r = api.post(
        "/v1/admin/invoices",
        {
            "customer_code": customer.code,
            "period": "2023-06",
            "old_index": 275,
            "new_index": 286,
            "read_on": "2023-07-05",
        },
        token=admin,
    )
    invoice_id = r.json["invoice_id"]
    deps.override("publisher", MemoryPublisher())
    try:
        before = _series_number()
        faults.add("TransactWriteItems", error="InternalServerError", after=True)
        corrected = _correct(customer.code, 290)
        assert faults.rules[0].fired
    finally:
        deps.reset()
    assert corrected["invoice_id"] == invoice_id and corrected["consumption_m3"] == 15
    assert _series_number() - before == 1
    assert [e.event for e in LedgerStore().entries(customer.code)] == ["charge", "correction"]
    assert len(AuditStore().for_entity(f"invoice#{invoice_id}")) == 1
    assert _account(customer.code) == 0
