"""Model-based test of the money paths (hypothesis' stateful testing): a
customer's unpaid invoices are hit, in any order, by orders opened for any
subset of them, VNPay's IPNs (success, failure, the same one again, a second
payment of one order), cash taken in the field, and the reconciliation job's
querydr answers (paid, never seen). After every step, on the stored data:

- an invoice carries at most one payment entry, and is paid exactly when it
  carries one, for its exact total;
- every VNPay transaction we confirmed (RspCode 00 or 02) is recorded once,
  for its order's amount, as the payment or as a credit to refund;
- money is conserved: what VNPay took plus the cash taken equals the totals
  of the paid invoices plus the credits to refund.

Runs on the services (the handlers on top are covered elsewhere) against
DynamoDB Local, like the rest of tests/api: 40 sequences of 12 steps in
`make test`, more with MONEY_EXAMPLES=500."""
from __future__ import annotations

import itertools
import os
from datetime import datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from chalicelib import deps
from chalicelib.adapters.clock import VN_TZ
from chalicelib.domain.tokens import Identity
from chalicelib.errors import AppError
from tests.api.test_payments import ipn_params

INVOICES = [("2024-01", 100, 111, 66000, "unpaid"), ("2024-02", 111, 120, 54000, "unpaid"),
            ("2024-03", 120, 134, 84000, "unpaid")]
_txns = itertools.count(31000000)
_collections = itertools.count(1)


class MoneyMachine(RuleBasedStateMachine):
    """One customer, three unpaid invoices, one field worker; VNPay played by the test."""

    def __init__(self, new_customer) -> None:
        super().__init__()
        from chalicelib.store.models import InvoiceModel
        customer = new_customer(invoices=INVOICES)
        self.code = customer.code
        self.customer = Identity(account_id=f"customer:{self.code}", role="customer", customer_codes=(self.code,))
        self.staff = Identity(account_id="staff:ghithu01", role="staff", device="356938035643801")
        self.invoice_ids = [f"INV-{self.code}-{p.replace('-', '')}" for p, *_ in INVOICES]
        self.totals = {i: int(InvoiceModel.get(i).total) for i in self.invoice_ids}
        self.orders: dict[str, dict] = {}          # order_id -> {"amount", "invoice_ids", "txn"}
        self.confirmed: dict[str, int] = {}        # VNPay transaction -> amount VNPay took (we said 00/02)
        self.cash = 0

    def _payments(self):
        return deps.get("payments")

    def _pick_order(self, data) -> str:
        # By position in the order they were opened: order ids are random, so a replayed
        # example must not depend on how they sort.
        return list(self.orders)[data.draw(st.integers(0, len(self.orders) - 1))]

    # -- what happens -----------------------------------------------------------------

    @rule(picks=st.lists(st.sampled_from(range(3)), min_size=1, max_size=3, unique=True))
    def open_order(self, picks):
        ids = [self.invoice_ids[i] for i in sorted(picks)]
        try:
            view, created = self._payments().create_order(self.customer, {"invoice_ids": ids}, client_ip="127.0.0.1",
                                                          locale="vn", return_url="http://127.0.0.1/return")
        except AppError as err:
            # Paid already, or held by another open order: refused as a whole, never half-opened.
            assert err.status == 409, (err.status, err.code)
            return
        if not created:     # the same invoices asked for again (a double tap): the order already open
            assert view["order_id"] in self.orders and view["status"] == "pending", view
            return
        assert view["amount"] == sum(self.totals[i] for i in ids)
        self.orders[view["order_id"]] = {"amount": view["amount"], "invoice_ids": ids, "txn": None}

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), again=st.booleans())
    def vnpay_pays(self, data, again):
        """The IPN of a successful payment: the order's transaction (again, if it had one)
        or a new one (the QR scanned a second time)."""
        order_id = self._pick_order(data)
        order = self.orders[order_id]
        txn = order["txn"] if again and order["txn"] else str(next(_txns))
        order["txn"] = order["txn"] or txn
        params = ipn_params({"order_id": order_id, "amount": order["amount"]}, txn=txn)
        code, _ = self._payments().handle_ipn(params, "127.0.0.1")
        assert code in ("00", "02"), code
        self.confirmed[txn] = order["amount"]

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def vnpay_fails(self, data):
        order_id = self._pick_order(data)
        order = self.orders[order_id]
        params = ipn_params({"order_id": order_id, "amount": order["amount"]}, txn=str(next(_txns)),
                            code="24", status="02")
        code, _ = self._payments().handle_ipn(params, "127.0.0.1")
        assert code in ("00", "02"), code

    @rule(pick=st.sampled_from(range(3)))
    def cash_in_the_field(self, pick):
        invoice_id = self.invoice_ids[pick]
        body = {"collection_id": f"sm-{self.code}-{next(_collections):06d}", "invoice_id": invoice_id,
                "amount": self.totals[invoice_id], "collected_at": datetime.now(VN_TZ).isoformat(timespec="seconds")}
        try:
            receipt, created = deps.get("collections").collect(self.staff, body)
        except AppError as err:
            assert err.code == "INVOICE_ALREADY_PAID", err.code     # the worker is told not to take the money
            return
        assert created
        self.cash += receipt["amount"]

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), paid=st.booleans())
    def reconciliation_asks_vnpay(self, data, paid):
        """The job's querydr for an order still pending after it expired: paid (its IPN was lost)
        or never seen by VNPay (91)."""
        from chalicelib.store.models import OrderModel
        order_id = self._pick_order(data)
        stored = OrderModel.get(order_id, consistent_read=True)
        if stored.status != "pending":
            return                                   # the job lists pending orders only
        order = self.orders[order_id]
        txn = order["txn"] or str(next(_txns))
        if paid:
            answer = {"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00",
                      "vnp_Amount": str(order["amount"] * 100), "vnp_TransactionNo": txn,
                      "vnp_BankCode": "NCB", "vnp_PayDate": "20240505101010"}
        else:
            answer = {"vnp_ResponseCode": "91"}
        counts = {"checked": 0, "paid": 0, "failed": 0, "expired": 0, "unanswered": 0, "mismatch": 0, "errors": 0}
        self._payments()._reconcile_one(stored, answer, counts)
        assert counts["errors"] == 0 and counts["mismatch"] == 0, counts
        if paid:
            order["txn"] = txn
            self.confirmed[txn] = order["amount"]

    # -- what must always hold ----------------------------------------------------------

    @invariant()
    def money_is_applied_once_and_conserved(self):
        from chalicelib.store.models import InvoiceModel, PaymentModel
        from chalicelib.store.repositories import get_or_none
        paid_total = 0
        for invoice_id in self.invoice_ids:
            invoice = InvoiceModel.get(invoice_id, consistent_read=True)
            entries = [dict(p) for p in (invoice.payments or [])]
            assert len(entries) <= 1, (invoice_id, entries)
            assert (invoice.status == "paid") == (len(entries) == 1), (invoice_id, invoice.status, entries)
            if entries:
                assert int(entries[0]["amount"]) == self.totals[invoice_id], entries
                paid_total += self.totals[invoice_id]
        credits = 0
        for txn, amount in self.confirmed.items():
            payment = get_or_none(PaymentModel, f"vnpay#{txn}", consistent_read=True)
            whole = get_or_none(PaymentModel, f"credit#{txn}#order", consistent_read=True)
            # Recorded once: as the order's payment, or whole as a credit (a second payment of a paid order).
            assert (payment is None) != (whole is None), (txn, payment, whole)
            if payment is not None:
                assert int(payment.amount) == amount
            else:
                credits += int(whole.amount)
            for invoice_id in self.invoice_ids:
                part = get_or_none(PaymentModel, f"credit#{txn}#{invoice_id}", consistent_read=True)
                credits += int(part.amount) if part is not None else 0
        assert sum(self.confirmed.values()) + self.cash == paid_total + credits, (
            self.confirmed, self.cash, paid_total, credits)


@pytest.fixture
def fresh_deps(app):
    yield
    deps.reset()


def test_money_is_applied_exactly_once_in_any_order_of_events(app, new_customer, fresh_deps):
    run_state_machine_as_test(
        lambda: MoneyMachine(new_customer),
        settings=settings(max_examples=int(os.environ.get("MONEY_EXAMPLES", "40")), stateful_step_count=12,
                          deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
