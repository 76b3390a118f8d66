"""Model-based test of the money paths (hypothesis' stateful testing), run
concurrently: a customer's invoices are hit by rounds of events that start at
the same moment on threads against DynamoDB Local: VNPay's IPNs (success with
a new or the same transaction, failure), the reconciliation job's querydr
answers, cash taken in the field (online, offline days ago, the same
collection sent again), bank transfers from a statement (new, or the same
file again) or notified by SePay (new, or the same notification again), authorised
debits a bank reports paid (new, or the same result file again), a bill-pay partner's
payments (new, the same again, reversed the same day), corrections of an
invoice from the field, and refunds of credit
whose VNPay call times out. Orders are opened between rounds.

After every round, on the stored data:
- the account adds up (tests/api/ledger_assert: payments = allocations +
  credit + refunds; charges + adjustments - allocations - write-offs = open
  amounts; each invoice's paid amount = what is allocated to it, never above
  its total);
- every payment is posted once: one ledger posting per payment id;
- no money is dropped: every VNPay transaction VNPay took (a success IPN we
  answered, a querydr saying paid) and every cash receipt and bank line the
  test sent is posted, for its amount, and nothing else is.

60 examples of up to 8 steps in `make test` (about 20 s), more with MONEY_EXAMPLES=1000."""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from chalicelib import deps
from chalicelib.adapters.clock import VN_TZ
from chalicelib.domain.tokens import Identity
from chalicelib.errors import AppError
from tests.api.ledger_assert import assert_sound, at_once
from tests.api.test_payments import ipn_params

INVOICES = [
    ("2024-01", 100, 111, 66000, "unpaid"),
    ("2024-02", 111, 120, 54000, "unpaid"),
    ("2024-03", 120, 134, 84000, "unpaid"),
]
ACTIONS = (
    "ipn_new",
    "ipn_same",
    "ipn_fail",
    "querydr_paid",
    "cash_online",
    "cash_offline",
    "cash_again",
    "bank_new",
    "bank_again",
    "transfer_new",
    "transfer_again",
    "debit_result",
    "partner_pay",
    "partner_again",
    "partner_reversal",
    "correct",
    "refund",
)
_txns = itertools.count(51000000)
_refs = itertools.count(1)


class TimingOutVnpay:
    """VNPay's merchant API when the refund's answer never comes back (it may have been done)."""

    def __init__(self) -> None:
        self.refunds: Counter = Counter()  # VNPay refund calls per request id

    def refund(self, *a, request_id=None, **kw):
        from chalicelib.adapters.vnpay_client import VnpayUnavailable

        self.refunds[request_id] += 1
        raise VnpayUnavailable("ReadTimeout")

    def querydr(self, *a, **kw):
        from chalicelib.adapters.vnpay_client import VnpayUnavailable

        raise VnpayUnavailable("ReadTimeout")


class ConcurrentMoney(RuleBasedStateMachine):
    """One customer, three invoices, one field worker; VNPay and the bank played by the test."""

    def __init__(self, new_customer) -> None:
        super().__init__()
        customer = new_customer(invoices=INVOICES)
        self.code = customer.code
        self.customer = Identity(account_id=f"customer:{self.code}", role="customer", customer_codes=(self.code,))
        self.staff = Identity(account_id="staff:ghithu01", role="staff", device="356938035643801")
        self.invoice_ids = [f"INV-{self.code}-{p.replace('-', '')}" for p, *_ in INVOICES]
        self.orders: list[dict] = []  # {"order_id", "amount", "txn"}
        self.money: dict[str, int] = {}  # payment id -> amount that reached us
        self.collections: list[tuple[str, dict]] = []
        self.bank_files: list[bytes] = []
        self.transfers: list[tuple[bytes, str, int]] = []  # SePay notifications sent: (body, line id, amount)
        self.partner_bodies: list[dict] = []  # a bill-pay partner's payments posted (issue 16)
        self.reversed: set[str] = set()  # their payment ids taken back by a reversal: no longer our money
        self.vnpay = TimingOutVnpay()
        self.vnpay_refunds_approved = 0
        deps.override("vnpay_client", self.vnpay)

    # -- between rounds ---------------------------------------------------------------

    @rule(picks=st.lists(st.sampled_from(range(3)), min_size=1, max_size=3, unique=True))
    def open_order(self, picks):
        ids = [self.invoice_ids[i] for i in sorted(picks)]
        try:
            view, created = deps.payments().create_order(
                self.customer,
                {"invoice_ids": ids},
                client_ip="127.0.0.1",
                locale="vn",
                return_url="http://127.0.0.1/return",
            )
        except AppError as err:
            assert err.status == 409, (err.status, err.code)  # paid, or held by an open order
            return
        if created:
            self.orders.append({"order_id": view["order_id"], "amount": view["amount"], "txn": None})

    # -- a round of events at the same moment -------------------------------------------

    @precondition(lambda self: self.orders)
    @rule(actions=st.lists(st.sampled_from(ACTIONS), min_size=2, max_size=5), data=st.data())
    def a_round_at_once(self, actions, data):
        calls = [self._prepare(action, data) for action in actions]
        results = at_once(*[fn for fn, _ in calls])
        for (_, settle), result in zip(calls, results):
            settle(result)

    def _prepare(self, action, data):
        """Draw everything the event needs now (hypothesis draws are not thread-safe);
        return (what the thread runs, what to note of its outcome)."""
        # The same draws whatever the action and whatever earlier rounds' threads did: hypothesis replays
        # an example by its draws, so they may not depend on outcomes.
        pick = data.draw(st.integers(0, 999), label="pick")
        order = self.orders[pick % len(self.orders)]
        invoice_id = self.invoice_ids[data.draw(st.integers(0, 2), label="invoice")]
        bank_amount = data.draw(st.sampled_from([20000, 62100, 100000, 150000]), label="amount")
        m3 = data.draw(st.integers(0, 25), label="m3")
        payments = deps.payments()

        if action in ("ipn_new", "ipn_same", "querydr_paid"):
            txn = order["txn"] if action == "ipn_same" and order["txn"] else str(next(_txns))
            order["txn"] = order["txn"] or txn
            if action == "querydr_paid":
                answer = {
                    "vnp_ResponseCode": "00",
                    "vnp_TransactionStatus": "00",
                    "vnp_Amount": str(order["amount"] * 100),
                    "vnp_TransactionNo": txn,
                    "vnp_BankCode": "NCB",
                    "vnp_PayDate": "20240505101010",
                }

                def run():
                    from chalicelib.store.models import OrderModel

                    stored = OrderModel.get(order["order_id"], consistent_read=True)
                    counts = Counter()
                    payments._reconcile_one(stored, answer, counts)
                    return counts
            else:

                def run():
                    return payments.handle_ipn(ipn_params(order, txn=txn), "127.0.0.1")[0]

            def settle(result):
                assert not isinstance(result, Exception), result
                if isinstance(result, str):
                    assert result in ("00", "02"), result  # VNPay stops calling: the money is ours
                else:
                    assert result["errors"] == 0, result
                self.money[f"vnpay#{txn}"] = order["amount"]

            return run, settle

        if action == "ipn_fail":
            params = ipn_params(order, txn=str(next(_txns)), code="24", status="02")
            return (lambda: payments.handle_ipn(params, "127.0.0.1")[0]), (
                lambda r: self._expect(r, lambda x: x in ("00", "02"))
            )

        if action in ("cash_online", "cash_offline", "cash_again"):
            if action == "cash_again" and self.collections:
                collection_id, body = self.collections[pick % len(self.collections)]
            else:
                from chalicelib.ports.money import open_invoice
                from chalicelib.store.models import InvoiceModel

                invoice = open_invoice(InvoiceModel.get(invoice_id, consistent_read=True))
                when = datetime.now(VN_TZ) - (timedelta(days=2) if action == "cash_offline" else timedelta())
                amount = invoice.open_amount or invoice.total or 10000  # what the worker was shown
                collection_id = f"sm-{self.code}-{next(_refs):06d}"
                body = {
                    "collection_id": collection_id,
                    "invoice_id": invoice_id,
                    "amount": amount,
                    "collected_at": when.isoformat(timespec="seconds"),
                }
            collections = deps.collections()

            def settle(result):
                if isinstance(result, AppError):
                    # Refused before the money changed hands (the worker was shown another amount).
                    assert result.code == "AMOUNT_MISMATCH", (result.code, result)
                    return
                assert not isinstance(result, Exception), result
                receipt, _ = result
                self.money[f"cash#{collection_id}"] = int(receipt["amount"])
                if (collection_id, body) not in self.collections:
                    self.collections.append((collection_id, body))

            return (lambda: collections.collect(self.staff, body)), settle

        if action in ("bank_new", "bank_again"):
            if action == "bank_again" and self.bank_files:
                text, ref, amount = self.bank_files[pick % len(self.bank_files)]
            else:
                amount = bank_amount
                ref = f"FT{self.code}{next(_refs):06d}"
                text = (
                    "Ngày giao dịch;Số tham chiếu;Số tiền ghi có;Mô tả\n"
                    f"20/05/2024;{ref};{amount};TT TIEN NUOC KH {self.code}\n"
                ).encode()
            statements = deps.statements()

            def settle(result):
                assert not isinstance(result, Exception), result
                assert result["matched"] + result["duplicates"] == 1, result
                self.money[f"bank#VCB#{ref}"] = amount
                if (text, ref, amount) not in self.bank_files:
                    self.bank_files.append((text, ref, amount))

            return (lambda: statements.import_statement("admin:test", "VCB", text)), settle

        if action in ("transfer_new", "transfer_again"):
            # A SePay notification (issue 16) naming the account or one invoice by its payment reference.
            from chalicelib.config import DEMO_SEPAY_API_KEY
            from chalicelib.domain import payment_reference

            transfers = deps.bank_transfers()
            if action == "transfer_again" and self.transfers:
                raw, line_id, amount = self.transfers[pick % len(self.transfers)]
            else:
                amount, ref = bank_amount, f"FT{self.code}T{next(_refs):06d}"
                period = f"{invoice_id[-6:-2]}-{invoice_id[-2:]}"
                content = (
                    payment_reference.for_invoice(self.code, period)
                    if pick % 2
                    else payment_reference.for_account(self.code)
                )
                raw = json.dumps(
                    {
                        "id": next(_refs),
                        "gateway": "Vietcombank",
                        "transactionDate": datetime.now(VN_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                        "accountNumber": transfers.s.vietqr_account_no,
                        "content": f"{content} thanh toan tien nuoc",
                        "transferType": "in",
                        "transferAmount": amount,
                        "referenceCode": ref,
                    }
                ).encode()
                line_id = f"{transfers.bank_code()}#{ref}"
            headers = {"authorization": f"Apikey {DEMO_SEPAY_API_KEY}"}

            def settle(result):
                assert result == {"success": True}, result  # SePay stops retrying: the money is ours
                self.money[f"bank#{line_id}"] = amount
                if (raw, line_id, amount) not in self.transfers:
                    self.transfers.append((raw, line_id, amount))

            return (lambda: transfers.receive("sepay", headers, raw)), settle

        if action == "debit_result":  # a bank's authorised-debit result: a new request paid, or the file again
            from tests.api.test_debits import paid_file, pending_debit

            files = self.__dict__.setdefault("debit_files", [])
            if files and pick % 2:
                text, request_id, amount = files[pick % len(files)]
            else:
                amount = bank_amount
                request_id = pending_debit(self.code, [invoice_id], amount)
                text = paid_file(request_id, amount)
            debits = deps.debits()

            def settle(result):
                assert not isinstance(result, Exception), result
                assert result["paid"] + result["duplicates"] == 1 and result["errors"] == 0, result
                self.money[f"debit#{request_id}"] = amount
                if (text, request_id, amount) not in files:
                    files.append((text, request_id, amount))

            return (lambda: debits.post_results("admin:test", text)), settle

        if action in ("partner_pay", "partner_again", "partner_reversal"):
            # A bill-pay partner (issue 16; the seeded DEMOBANK): a new payment, the same one again, a reversal.
            partners = deps.partners()
            record = partners.partners.get("DEMOBANK")
            if action == "partner_pay" or not self.partner_bodies:
                body = {
                    "partner_txn_id": f"SM{self.code}P{next(_refs):06d}",
                    "customer_code": self.code,
                    "amount": bank_amount,
                    "paid_at": datetime.now(VN_TZ).isoformat(timespec="seconds"),
                }
            else:
                body = self.partner_bodies[pick % len(self.partner_bodies)]
            payment_id = f"partner#DEMOBANK#{body['partner_txn_id']}"

            if action == "partner_reversal":

                def settle(result):
                    if isinstance(result, AppError):
                        # Never posted, or its money was used meanwhile: it stays ours.
                        assert result.code in ("PAYMENT_NOT_FOUND", "REVERSAL_NOT_POSSIBLE"), (result.code, result)
                        return
                    assert not isinstance(result, Exception), result
                    self.reversed.add(payment_id)

                return (lambda: partners.reverse(record, body["partner_txn_id"])), settle

            def settle(result):
                if isinstance(result, AppError):
                    assert result.code == "AMOUNT_EXCEEDS_DUE", (result.code, result)  # refused: nothing moved
                    return
                assert not isinstance(result, Exception), result
                self.money[payment_id] = body["amount"]
                if body not in self.partner_bodies:
                    self.partner_bodies.append(body)

            return (lambda: partners.pay(record, dict(body))), settle

        if action == "correct":
            new_index = m3
            billing = deps.billing()

            def run():
                from datetime import date

                from chalicelib.store.models import CustomerModel, InvoiceModel

                invoice = InvoiceModel.get(invoice_id, consistent_read=True)
                customer = CustomerModel.get(self.code)
                end = date(int(invoice.period[:4]), int(invoice.period[5:]), 28)
                return billing.issue(
                    "staff:ghithu01",
                    customer,
                    invoice.period,
                    int(invoice.old_index),
                    int(invoice.old_index) + new_index,
                    end,
                    end - timedelta(days=30),
                    replace_unpaid=True,
                )

            def settle(result):
                if isinstance(result, AppError):
                    # An open VNPay order holds it, or another correction won the race.
                    assert result.status in (409, 503), (result.code, result)
                    return
                assert not isinstance(result, Exception), result

            return run, settle

        if action == "refund":
            refunds = deps.refunds()
            by_vnpay = any(p.startswith("vnpay#") for p in self.money)

            def run():
                from chalicelib.store.ledger import LedgerStore

                account = LedgerStore().account(self.code)
                credit = int(account.credit) if account else 0
                if credit <= 0:
                    return None
                body = {"customer_code": self.code, "amount": min(credit, 10000), "note": "test"}
                try:
                    asked = refunds.request("admin:asker", dict(body, method="vnpay" if by_vnpay else "cash"))
                except AppError as err:
                    if err.code != "NO_REFUNDABLE_PAYMENT":
                        raise
                    asked = refunds.request("admin:asker", dict(body, method="cash"))
                done = refunds.approve("admin:checker", asked["refund_id"], {})
                try:  # a second click on an unclear refund never calls VNPay again
                    again = refunds.approve("admin:checker", asked["refund_id"], {})
                except AppError as err:
                    again = err
                return done, again

            def settle(result):
                if result is None:
                    return
                if isinstance(result, AppError):
                    assert result.status == 409, (result.code, result)  # the credit was taken meanwhile
                    return
                assert not isinstance(result, Exception), result
                done, again = result
                assert done["status"] in ("unconfirmed", "refunded"), done  # VNPay timed out: unclear
                assert isinstance(again, AppError) and again.status == 409, again
                self.vnpay_refunds_approved += done["method"] == "vnpay"

            return run, settle

        raise AssertionError(action)

    @staticmethod
    def _expect(result, ok):
        assert not isinstance(result, Exception), result
        assert ok(result), result

    # -- what must always hold -------------------------------------------------------

    @invariant()
    def the_account_adds_up_and_no_money_is_lost_or_counted_twice(self):
        from chalicelib.store.models import PaymentModel
        from chalicelib.store.repositories import get_or_none

        state = assert_sound(self.code)
        posted = Counter(e.payment_id for e in state["entries"] if e.event == "payment")
        assert all(n == 1 for n in posted.values()), posted
        assert set(posted) == set(self.money), set(posted) ^ set(self.money)
        for payment_id, amount in self.money.items():
            guard = get_or_none(PaymentModel, payment_id, consistent_read=True)
            assert guard is not None and int(guard.amount) == amount, (payment_id, amount, guard)
        # A partner's payment reversed (issue 16) is taken back once, by its own posting: no longer our money.
        reversals = Counter(e.payment_id for e in state["entries"] if e.event == "reversal")
        assert reversals == Counter(f"{p}#reversal" for p in self.reversed), reversals
        assert state["totals"].payments == sum(a for p, a in self.money.items() if p not in self.reversed)
        for invoice in state["invoices"]:
            assert 0 <= invoice.paid <= invoice.total, invoice
        # One VNPay refund call per VNPay refund approved, however often it was clicked.
        assert sum(self.vnpay.refunds.values()) == self.vnpay_refunds_approved, self.vnpay.refunds

    def teardown(self):
        deps.reset()


@pytest.fixture
def fresh_deps(app):
    yield
    deps.reset()


def test_money_is_posted_exactly_once_whatever_happens_at_the_same_time(app, new_customer, fresh_deps):
    started = time.monotonic()
    run_state_machine_as_test(
        lambda: ConcurrentMoney(new_customer),
        settings=settings(
            max_examples=int(os.environ.get("MONEY_EXAMPLES", "60")),
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert time.monotonic() - started < 900
