"""VNPay's money through the customer account (issue 13): every distinct
successful transaction is posted once, in the transaction that decides the
answer; reconciliation is fair and trusts only signed answers. Each test here
names the defect it reproduces; each failed on the code before the ledger."""

from __future__ import annotations

import itertools
import time

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import FixedClock
from tests.api.ledger_assert import assert_sound, at_once
from tests.api.test_payments import PERIODS, ipn_params, order_for

_txns = itertools.count(47000000)


@pytest.mark.parametrize("payments", [2, 4])
def test_distinct_payments_of_one_order_arriving_together_are_all_recorded(api, payer, payments):
    """Defect 1: two VNPay transactions for one vnp_TxnRef (a QR paid twice from a screenshot)
    racing each other: the loser answered 02 and its money was recorded nowhere."""
    from chalicelib.store.models import PaymentModel

    customer, token, ids, total = payer
    order = order_for(api, token, ids)
    txns = [str(next(_txns)) for _ in range(payments)]
    service = deps.payments()
    answers = at_once(*[lambda t=t: service.handle_ipn(ipn_params(order, txn=t), "127.0.0.1")[0] for t in txns])
    assert sorted(answers) == ["00"] + ["02"] * (payments - 1), answers
    for txn in txns:  # every transaction's money is on record, once
        assert int(PaymentModel.get(f"vnpay#{txn}", consistent_read=True).amount) == total
    state = assert_sound(customer.code)
    assert state["credit"] == total * (payments - 1)  # the others wait on the account for the next bill
    assert state["totals"].payments == total * payments
    # VNPay calling again with any of them changes nothing.
    again = at_once(*[lambda t=t: service.handle_ipn(ipn_params(order, txn=t), "127.0.0.1")[0] for t in txns])
    assert again == ["02"] * payments
    assert assert_sound(customer.code)["credit"] == total * (payments - 1)


def test_the_same_ipn_eight_times_at_once_posts_once(api, payer):
    customer, token, ids, total = payer
    order = order_for(api, token, ids)
    params = ipn_params(order)
    service = deps.payments()
    answers = at_once(*[lambda: service.handle_ipn(params, "127.0.0.1")[0] for _ in range(8)])
    assert sorted(answers) == ["00"] + ["02"] * 7
    state = assert_sound(customer.code)
    assert state["credit"] == 0 and state["totals"].payments == total


def test_a_late_success_for_an_expired_order_pays_what_is_open_now(api, payer):
    """A late IPN for an order whose hold lapsed, after one invoice was paid another way:
    the money pays what is still open and the rest stays on the account."""
    from chalicelib.store.models import InvoiceModel

    customer, token, ids, _total = payer
    order = order_for(api, token, ids)
    first = InvoiceModel.get(ids[0], consistent_read=True)
    later = int(time.time()) + 3600
    deps.override("clock", FixedClock(later))
    try:
        ledger = deps.ledger()
        from chalicelib.services.ledger import IncomingPayment, Target

        ledger.post_payment(
            IncomingPayment(
                channel="cash",
                payment_id="cash#late-order-test-" + ids[0],
                external_ref="late",
                amount=int(first.total),
                received_at=later,
                posted_by="test",
                paid_at="2024-05-05T10:00:00+07:00",
            ),
            Target(customer_code=customer.code, invoice_ids=[ids[0]]),
        )
        code, _ = deps.payments().handle_ipn(ipn_params(order), "127.0.0.1")
    finally:
        deps.reset()
    assert code == "00"
    state = assert_sound(customer.code)
    assert state["credit"] == int(first.total)  # paid twice over: once by cash, kept for next time
    assert all(i.open_amount == 0 for i in state["invoices"] if i.invoice_id in ids)


class Answers:
    """VNPay's merchant API, scripted per order: a dict order_id -> answer (or an exception)."""

    def __init__(self, by_order):
        self.by_order, self.asked = by_order, []

    def querydr(self, order):
        self.asked.append(order.order_id)
        answer = self.by_order(order)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _paid(order, txn):
    return {
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_Amount": str(int(order.amount) * 100),
        "vnp_TransactionNo": txn,
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20240505101010",
    }


def _reconciler(fake, minutes_later=30):
    deps.override("vnpay_client", fake)
    deps.override("clock", FixedClock(int(time.time()) + minutes_later * 60))
    return deps.payments()


@pytest.fixture
def orders(api, registered):
    """Five customers with one open order each, oldest first."""
    out = []
    for _ in range(5):
        customer, tokens = registered(invoices=PERIODS[:1])
        token = tokens["access_token"]
        ids = [
            i["invoice_id"] for i in api.get(f"/v1/customers/{customer.code}/invoices", token=token).json["invoices"]
        ]
        out.append((customer, order_for(api, token, ids)))
        time.sleep(1.01)  # distinct expiries: the index orders them
    yield out
    deps.reset()


def test_reconciliation_does_not_starve_behind_orders_it_cannot_settle(orders):
    """Defect 5: the job always took the oldest pending orders; ones whose answer it could not act on
    stayed at the head for ever, and newer orders were never reconciled."""
    from chalicelib.store.models import OrderModel

    stuck = {o["order_id"] for _, o in orders[:3]}
    mine = {o["order_id"] for _, o in orders}

    def answer(order):
        if order.order_id in stuck:
            return {"vnp_ResponseCode": "99", "vnp_Message": "Unknown error"}
        return _paid(order, "48" + order.order_id[-8:])

    fake = Answers(answer)
    service = _reconciler(fake)
    # Only this test's orders: others in the table (other tests) are answered 'not found'.
    fake.by_order = lambda o: answer(o) if o.order_id in mine else {"vnp_ResponseCode": "91"}
    newer = [o["order_id"] for _, o in orders[3:]]
    for _ in range(30):  # other tests' orders share the table: a bounded number of runs, not exactly four
        service.reconcile(limit=3)
        if all(OrderModel.get(i, consistent_read=True).status == "paid" for i in newer) and all(
            OrderModel.get(i, consistent_read=True).status != "pending" for i in stuck
        ):
            break
    assert all(OrderModel.get(i, consistent_read=True).status == "paid" for i in newer)
    # The ones VNPay could not answer went to a person after three unclear answers.
    assert {OrderModel.get(i, consistent_read=True).status for i in stuck} == {"review"}
    report = service.daily_report()
    assert stuck <= {o["order_id"] for o in report["orders_in_review"]}


def test_an_unsigned_answer_is_never_acted_on(orders):
    """Defect 6: an unsigned non-00 querydr answer ('91 not found') expired the order."""
    from chalicelib.adapters.vnpay_client import VnpayUnsigned
    from chalicelib.store.models import OrderModel

    _, order = orders[0]
    mine = order["order_id"]
    fake = Answers(lambda o: VnpayUnsigned("91") if o.order_id == mine else {"vnp_ResponseCode": "91"})
    service = _reconciler(fake)
    counts = service.reconcile()
    assert mine in fake.asked and counts["unclear"] >= 1
    assert OrderModel.get(mine, consistent_read=True).status == "pending"


def test_the_client_refuses_an_unsigned_error_answer(monkeypatch):
    import requests

    from chalicelib.adapters.vnpay_client import VnpayClient, VnpayUnsigned
    from chalicelib.config import get_settings, vnpay_hash_secret

    class Resp:
        def raise_for_status(self):
            return None

        def json(self):
            return {"vnp_ResponseCode": "91", "vnp_Message": "Transaction not found", "vnp_TxnRef": "X"}

    monkeypatch.setattr(requests, "post", lambda *a, **kw: Resp())

    class Order:
        order_id, order_info, vnp_create_date = "24050510101000000", "Thanh toan", "20240505101010"

    with pytest.raises(VnpayUnsigned):
        VnpayClient(get_settings(), vnpay_hash_secret, FixedClock(int(time.time()))).querydr(Order())


def test_querydr_of_another_amount_posts_what_vnpay_took(orders):
    from chalicelib.store.models import OrderModel, PaymentModel

    customer, order = orders[0]
    mine = order["order_id"]
    txn = "49" + mine[-8:]

    def answer(o):
        if o.order_id != mine:
            return {"vnp_ResponseCode": "91"}
        return dict(_paid(o, txn), vnp_Amount=str((int(o.amount) + 5000) * 100))

    counts = _reconciler(Answers(answer)).reconcile()
    assert counts["mismatch"] == 1
    payment = PaymentModel.get(f"vnpay#{txn}", consistent_read=True)
    assert int(payment.amount) == order["amount"] + 5000 and "AMOUNT_MISMATCH" in payment.flags
    assert OrderModel.get(mine, consistent_read=True).status == "paid"
    assert assert_sound(customer.code)["credit"] == 5000


def test_the_return_page_does_not_say_not_charged_for_07(api, payer):
    _, token, ids, _ = payer
    order = order_for(api, token, ids)
    from urllib.parse import urlencode

    r = api.get("/v1/vnpay/return?" + urlencode(ipn_params(order, code="07", status="07")), token="")
    page = r.body.decode()
    assert r.status_code == 200 and "xác minh" in page and "chưa bị trừ tiền" not in page
    r = api.get("/v1/vnpay/return?" + urlencode(ipn_params(order, txn="1", code="24", status="02")), token="")
    assert "chưa được thanh toán" in r.body.decode()
