"""Faults injected where every DynamoDB call passes (PynamoDB's
`Connection._make_api_call`): throttling, transaction conflicts, a write that
committed but whose answer was lost, and a worker killed in the middle of a
batch. Whatever happens, a payment or a reading is applied exactly once: the
IPN either applies all of it or none of it and tells VNPay to call again
(RspCode 99), and the readings worker reports the records it did not finish,
so SQS delivers them again.

An injected error is what the application sees after botocore's own retries
have given up (standard mode: 3 attempts), so it is the worst case."""

from __future__ import annotations

import collections
import itertools
import random
import threading
import uuid

import pytest
from botocore.exceptions import ReadTimeoutError

from chalicelib import deps
from chalicelib.services.billing import ISSUE_ATTEMPTS
from tests.api.test_payments import PERIODS, ipn, ipn_params, order_for
from tests.api.test_readings import field  # noqa: F401  (the readings fixture)
from tests.api.test_reconcile_refund import FakeVnpay, later, paid_answer  # noqa: F401
from tests.sqs_events import sqs_event

THROTTLE = "ProvisionedThroughputExceededException"


class Fault:
    """What to break: the `nth` call (counting from 1) of `operation`, on a
    table whose name ends with `table` if given; `times` calls in a row;
    `after`: let the call reach DynamoDB, then fail (the write is done but
    the caller never hears it); `error`: an AWS error code, 'conflict' (a
    TransactionCanceledException whose first item lost to another
    transaction), 'timeout' (the connection timed out) or a BaseException
    class to raise (a Lambda killed mid-batch)."""

    def __init__(self, operation, nth=1, error=THROTTLE, table=None, times=1, after=False, probability=None):
        self.operation, self.nth, self.error, self.table = operation, nth, error, table
        self.times, self.after, self.probability = times, after, probability
        self.seen = 0
        self.fired = 0


class Faults:
    """Counts the DynamoDB calls, by operation, and raises the faults."""

    def __init__(self) -> None:
        self.rules: list[Fault] = []
        self.calls = collections.Counter()
        self.lock = threading.Lock()
        self.rng = random.Random(8)

    def add(self, *args, **kw) -> Fault:
        fault = Fault(*args, **kw)
        self.rules.append(fault)
        return fault

    def clear(self) -> None:
        self.rules.clear()

    @staticmethod
    def _tables(kwargs: dict) -> list[str]:
        if "TransactItems" in kwargs:
            return [op["TableName"] for item in kwargs["TransactItems"] for op in item.values()]
        if "RequestItems" in kwargs:
            return list(kwargs["RequestItems"])
        return [kwargs.get("TableName", "")]

    def pick(self, operation: str, kwargs: dict):
        with self.lock:
            self.calls[operation] += 1
            for fault in self.rules:
                if fault.operation != operation or fault.fired >= fault.times:
                    continue
                if fault.table and not any(t.endswith(fault.table) for t in self._tables(kwargs)):
                    continue
                fault.seen += 1
                if fault.probability is not None:
                    if self.rng.random() < fault.probability:
                        return fault
                    continue
                if fault.seen >= fault.nth:
                    fault.fired += 1
                    return fault
        return None

    @staticmethod
    def error_for(fault: Fault, operation: str, kwargs: dict) -> BaseException:
        from pynamodb.exceptions import CancellationReason, VerboseClientError

        if isinstance(fault.error, type) and issubclass(fault.error, BaseException):
            return fault.error(f"injected: {operation}")
        if fault.error == "timeout":
            return ReadTimeoutError(endpoint_url="http://127.0.0.1/ (injected)")
        if fault.error == "conflict":
            n = len(kwargs.get("TransactItems", [])) or 1
            reasons = [CancellationReason(code="TransactionConflict", message="injected")] + [None] * (n - 1)
            return VerboseClientError(
                {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled (injected)"}},
                operation,
                {},
                cancellation_reasons=reasons,
            )
        return VerboseClientError({"Error": {"Code": fault.error, "Message": "injected"}}, operation, {})


@pytest.fixture
def faults(monkeypatch):
    from pynamodb.connection.base import Connection

    state = Faults()
    original = Connection._make_api_call

    def faulty(self, operation_name, operation_kwargs, *a, **kw):
        fault = state.pick(operation_name, operation_kwargs)
        if fault is None:
            return original(self, operation_name, operation_kwargs, *a, **kw)
        if fault.after:
            original(self, operation_name, operation_kwargs, *a, **kw)
        raise state.error_for(fault, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", faulty)
    return state


# -- VNPay's IPN -----------------------------------------------------------------------


def _payment_state(order: dict, ids: list[str], txn: str) -> dict:
    """What is stored for an order: read straight from the tables."""
    from chalicelib.store.models import InvoiceModel, OrderModel, PaymentModel
    from chalicelib.store.repositories import get_or_none

    invoices = [InvoiceModel.get(i, consistent_read=True) for i in ids]
    credits = [
        p
        for p in (get_or_none(PaymentModel, f"credit#{txn}#{k}", consistent_read=True) for k in ids + ["order"])
        if p is not None
    ]
    payment = get_or_none(PaymentModel, f"vnpay#{txn}", consistent_read=True)
    return {
        "order": OrderModel.get(order["order_id"], consistent_read=True).status,
        "invoices": [i.status for i in invoices],
        "entries": [len(i.payments or []) for i in invoices],
        "held": [bool(i.pending_order_id) for i in invoices],
        "payment": None if payment is None else int(payment.amount),
        "credits": len(credits),
    }


def _nothing_applied(state: dict) -> bool:
    return state == {
        "order": "pending",
        "invoices": ["unpaid", "unpaid"],
        "entries": [0, 0],
        "held": [True, True],
        "payment": None,
        "credits": 0,
    }


def _applied_once(state: dict, amount: int) -> bool:
    return state == {
        "order": "paid",
        "invoices": ["paid", "paid"],
        "entries": [1, 1],
        "held": [False, False],
        "payment": amount,
        "credits": 0,
    }


_txns = itertools.count(17000000)

# Every DynamoDB call the IPN makes that applies a payment: GetItem (order), BatchGetItem (its invoices),
# TransactWriteItems (order, payment record, invoices). Each is broken in turn.
IPN_FAULTS = {
    "order read throttled": dict(operation="GetItem", table="orders"),
    "order read times out": dict(operation="GetItem", table="orders", error="timeout"),
    "invoices read throttled": dict(operation="BatchGetItem"),
    "apply throttled once": dict(operation="TransactWriteItems"),
    "apply throttled every time": dict(operation="TransactWriteItems", times=99),
    "apply loses to a concurrent transaction": dict(operation="TransactWriteItems", error="conflict"),
    "apply loses every time": dict(operation="TransactWriteItems", error="conflict", times=99),
    "apply committed, answer lost (500)": dict(operation="TransactWriteItems", error="InternalServerError", after=True),
    "apply committed, connection timed out": dict(operation="TransactWriteItems", error="timeout", after=True),
}


@pytest.mark.parametrize("name", list(IPN_FAULTS))
def test_a_fault_in_the_ipn_applies_all_or_nothing_and_vnpays_retry_applies_once(api, registered, faults, name):
    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    ids = [
        i["invoice_id"]
        for i in api.get(f"/v1/customers/{customer.code}/invoices?status=unpaid", token=token).json["invoices"]
    ]
    order = order_for(api, token, ids)
    txn = str(next(_txns))
    params = ipn_params(order, txn=txn)

    fault = faults.add(**IPN_FAULTS[name])
    code, _ = ipn(api, params)
    assert fault.fired, "the fault was never reached"
    faults.clear()
    state = _payment_state(order, ids, txn)
    # Never half-applied: either nothing (and VNPay is told to call again) or all of it, once.
    if code == "99":
        assert _nothing_applied(state) or _applied_once(state, order["amount"]), state
    else:
        assert code in ("00", "02"), code
        assert _applied_once(state, order["amount"]), state

    # VNPay calls again with the same parameters (it does so after 99 or no answer): applied exactly once.
    again, _ = ipn(api, params)
    assert again == ("02" if code in ("00", "02") or _applied_once(state, order["amount"]) else "00")
    assert _applied_once(_payment_state(order, ids, txn), order["amount"])
    assert ipn(api, params)[0] == "02"
    view = api.get(f"/v1/payments/{order['order_id']}", token=token).json
    assert view["status"] == "paid" and view["transaction_no"] == txn and view["credit_amount"] == 0


def test_vnpay_never_heard_our_answer_and_calls_again(api, registered, faults):
    """Our handler applied the payment but the answer was lost on the way
    (VNPay's timeout): VNPay calls again, up to 10 times; each later call is
    02 and changes nothing."""
    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    ids = [
        i["invoice_id"]
        for i in api.get(f"/v1/customers/{customer.code}/invoices?status=unpaid", token=token).json["invoices"]
    ]
    order = order_for(api, token, ids)
    txn = str(next(_txns))
    params = ipn_params(order, txn=txn)
    assert ipn(api, params)[0] == "00"
    faults.calls.clear()
    assert [ipn(api, params)[0] for _ in range(9)] == ["02"] * 9
    assert dict(faults.calls) == {"GetItem": 9}  # a read each, never a write
    assert _applied_once(_payment_state(order, ids, txn), order["amount"])


@pytest.mark.parametrize("error", ["conflict", THROTTLE])
def test_a_failed_payment_is_not_confirmed_until_it_is_recorded(api, registered, faults, error):
    """VNPay reports a cancelled payment (24) while the order's transaction
    loses to another write: we must not answer 00 with the order still
    pending and its invoices held, or VNPay stops calling."""
    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    ids = [
        i["invoice_id"]
        for i in api.get(f"/v1/customers/{customer.code}/invoices?status=unpaid", token=token).json["invoices"]
    ]
    order = order_for(api, token, ids)
    params = ipn_params(order, txn=str(next(_txns)), code="24", status="02")
    faults.add("TransactWriteItems", error=error)
    assert ipn(api, params)[0] == "99"
    faults.clear()
    from chalicelib.store.models import OrderModel

    assert OrderModel.get(order["order_id"], consistent_read=True).status == "pending"
    assert ipn(api, params)[0] == "00"
    assert api.get(f"/v1/payments/{order['order_id']}", token=token).json["status"] == "failed"
    assert api.post("/v1/payments", {"invoice_ids": ids}, token=token).status_code == 201  # invoices let go


def test_ipn_and_reconciliation_race_for_many_rounds_under_conflicts(api, registered, faults, later):  # noqa: F811
    """Many rounds of three identical IPNs and two reconciliation runs at
    once, with one TransactWriteItems in four failing as a conflict or a
    throttle: every order is applied exactly once."""
    from chalicelib.store.models import OrderModel

    customer, tokens = registered(invoices=[(f"2023-{m:02d}", 10, 20, 60000, "unpaid") for m in range(1, 9)])
    token = tokens["access_token"]
    ids = [
        i["invoice_id"]
        for i in api.get(f"/v1/customers/{customer.code}/invoices?status=unpaid&limit=50", token=token).json["invoices"]
    ]
    rounds = [ids[i : i + 2] for i in range(0, len(ids), 2)]
    applied_by = collections.Counter()
    for pair in rounds:
        deps.reset()
        order = order_for(api, token, pair)
        txn = str(next(_txns))
        params = ipn_params(order, txn=txn)
        service = later(
            FakeVnpay(lambda o, oid=order["order_id"], t=txn: paid_answer(o, t if o.order_id == oid else None))
        )
        faults.add("TransactWriteItems", error="conflict", probability=0.15, times=10**6)
        faults.add("TransactWriteItems", error=THROTTLE, probability=0.10, times=10**6)
        answers, errors, barrier = [], [], threading.Barrier(5)

        def by_ipn():
            barrier.wait()
            answers.append(service.handle_ipn(params, "127.0.0.1")[0])

        def by_job():
            barrier.wait()
            try:
                service.reconcile()
            except Exception as exc:  # a run that met a fault fails; the next run retries
                errors.append(exc)

        threads = [threading.Thread(target=by_ipn) for _ in range(3)] + [
            threading.Thread(target=by_job) for _ in range(2)
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        faults.clear()
        # VNPay calls again after a 99; the job runs again after a failed run.
        for _ in range(answers.count("99")):
            answers.append(service.handle_ipn(params, "127.0.0.1")[0])
        if errors:
            service.reconcile()
        assert set(answers) <= {"00", "02", "99"}, answers
        assert answers.count("00") <= 1, answers
        pair_state = _payment_state(order, pair, txn)
        assert _applied_once(pair_state, order["amount"]), pair_state
        applied_by[OrderModel.get(order["order_id"]).applied_by] += 1
        assert answers.count("00") == (1 if OrderModel.get(order["order_id"]).applied_by == "ipn" else 0)
    deps.reset()
    assert sum(applied_by.values()) == len(rounds)


def test_a_throttled_order_does_not_stop_the_reconciliation_run(api, registered, faults, later):  # noqa: F811
    """The store throttles while one order is settled: the others are still
    settled, the run fails (Lambda's error alarm) and the next run settles the rest."""
    from chalicelib.services.payments import ReconcileIncomplete

    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    ids = [
        i["invoice_id"]
        for i in api.get(f"/v1/customers/{customer.code}/invoices?status=unpaid", token=token).json["invoices"]
    ]
    orders = [order_for(api, token, [i]) for i in ids]
    service = later(FakeVnpay(paid_answer))
    faults.add("TransactWriteItems", times=5)  # the first order's apply: five attempts, all throttled
    with pytest.raises(ReconcileIncomplete) as failed:
        service.reconcile()
    assert failed.value.counts["errors"] == 1 and failed.value.counts["paid"] >= 1
    faults.clear()
    service.reconcile()
    from chalicelib.store.models import InvoiceModel, OrderModel

    assert [OrderModel.get(o["order_id"]).status for o in orders] == ["paid", "paid"]
    assert [len(InvoiceModel.get(i).payments) for i in ids] == [1, 1]


# -- the readings worker --------------------------------------------------------------------


class Killed(BaseException):
    """The Lambda runtime ending an invocation (timeout, out of memory): not an Exception, so nothing
    in the handler can catch it and the whole batch counts as failed."""


def _deliver(reading_ids) -> list[str]:
    """One invocation of the worker, as SQS would make it; returns the ids SQS keeps (to deliver again)."""
    from chalicelib.jobs.readings import handle_batch

    out = handle_batch(sqs_event(*({"reading_id": rid} for rid in reading_ids), queue="cskh-test-readings"))
    return [reading_ids[int(f["itemIdentifier"][1:])] for f in out["batchItemFailures"]]


def _series_number() -> int:
    """The last number of this year's invoice series (the worker takes the next one per invoice)."""
    from chalicelib.config import get_settings
    from chalicelib.store.invoices import InvoiceStore

    s = get_settings()
    year = deps.clock().vn_now().year
    return InvoiceStore().last_number(f"{s.invoice_template}{s.invoice_symbol.replace('{yy}', f'{year % 100:02d}')}")


def _billed_once(readings: dict) -> None:
    """Each reading billed by exactly one invoice of the period, the customer's index moved to it."""
    from chalicelib.store.models import CustomerModel, InvoiceModel, ReadingModel

    for rid, (code, new_index) in readings.items():
        reading = ReadingModel.get(rid, consistent_read=True)
        invoice = InvoiceModel.get(f"INV-{code}-202405", consistent_read=True)
        assert reading.status == "billed" and reading.invoice_id == invoice.invoice_id, rid
        assert invoice.reading_id == rid and int(invoice.new_index) == new_index
        customer = CustomerModel.get(code, consistent_read=True)
        assert (int(customer.last_index), customer.last_read_on) == (new_index, "2024-06-05"), rid


def _reading_id() -> str:
    """Ids of our own: test_readings.py's counter may live in another copy of that module."""
    return f"flt-{uuid.uuid4().hex[:16]}"


def _prepare(field, n=5):  # noqa: F811
    _service, _staff, _queue, customer, send, _run = field
    readings = {}
    for k in range(n):
        c = customer()
        rid = send(c.code, 286 + k, reading_id=_reading_id())
        readings[rid] = (c.code, 286 + k)
    return readings


# Every DynamoDB call the worker makes for a billed reading: GetItem (reading, customer, invoice), Query (recent
# invoices, tariffs), GetItem (account, series), TransactWriteItems (series + invoice + its charge on the account),
# UpdateItem (customer index, reading). The third reading of the batch meets the fault.
WORKER_FAULTS = {
    "reading read throttled": dict(operation="GetItem", table="readings", nth=3),
    "customer read throttled": dict(operation="GetItem", table="customers", nth=3),
    "invoices query throttled": dict(operation="Query", table="invoices", nth=3),
    "tariffs query throttled": dict(operation="Query", table="tariffs", nth=3),
    "invoice write throttled": dict(operation="TransactWriteItems", nth=3),
    "invoice write loses every time": dict(
        operation="TransactWriteItems", nth=3, error="conflict", times=ISSUE_ATTEMPTS
    ),
    "invoice written, answer lost": dict(
        operation="TransactWriteItems", nth=3, error="InternalServerError", after=True
    ),
    "customer index update throttled": dict(operation="UpdateItem", table="customers", nth=3),
    "reading status update throttled": dict(operation="UpdateItem", table="readings", nth=3),
    "reading status updated, answer lost": dict(
        operation="UpdateItem", table="readings", nth=3, error="timeout", after=True
    ),
}
# Retried in place by the issue itself (a ledger posting tries a throttled or unanswered transaction again, and
# an invoice found with the number of an unanswered attempt is its own): nothing goes back to SQS.
ISSUE_RETRIES_IN_PLACE = {"invoice write throttled", "invoice written, answer lost"}


@pytest.mark.parametrize("name", list(WORKER_FAULTS))
def test_a_fault_on_one_record_retries_that_record_alone_and_bills_it_once(field, faults, name):  # noqa: F811
    readings = _prepare(field)
    ids = list(readings)
    before = _series_number()
    fault = faults.add(**WORKER_FAULTS[name])
    retry = _deliver(ids)
    assert fault.fired
    # Only the record that met the fault goes back to SQS (none when the issue retried it in place).
    assert retry == ([] if name in ISSUE_RETRIES_IN_PLACE else [ids[2]]), retry
    faults.clear()
    assert not retry or _deliver(retry) == []  # SQS delivers it again: done
    _billed_once(readings)
    assert _series_number() - before == len(ids)  # five invoice numbers taken, none twice, none skipped
    assert _deliver(ids) == []  # and a redelivery of the whole batch changes nothing
    assert _series_number() - before == len(ids)


@pytest.mark.parametrize(
    "when",
    ["before the invoice", "after the invoice, before the index", "after the index, before the reading is marked"],
)
def test_a_worker_killed_mid_batch_gets_the_whole_batch_again_and_bills_each_reading_once(
    field,  # noqa: F811  (the readings fixture, imported above)
    faults,
    when,
):
    readings = _prepare(field)
    ids = list(readings)
    before = _series_number()
    op = {
        "before the invoice": dict(operation="TransactWriteItems", nth=3),
        "after the invoice, before the index": dict(operation="UpdateItem", table="customers", nth=3),
        "after the index, before the reading is marked": dict(operation="UpdateItem", table="readings", nth=3),
    }[when]
    faults.add(**op, error=Killed)
    with pytest.raises(Killed):
        _deliver(ids)  # the invocation dies: SQS keeps the whole batch
    faults.clear()
    assert _deliver(ids) == []  # delivered again after the visibility timeout
    _billed_once(readings)
    assert _series_number() - before == len(ids)


def test_redelivered_readings_are_read_and_left_alone(field, faults):  # noqa: F811
    readings = _prepare(field, n=4)
    ids = list(readings)
    assert _deliver(ids) == []
    faults.calls.clear()
    assert _deliver(ids + ids) == []  # at-least-once: the same messages twice more
    assert dict(faults.calls) == {"GetItem": 8}  # one consistent read each, no write
    _billed_once(readings)


def test_a_corrected_reading_moves_the_customers_index_to_the_corrected_one(field):  # noqa: F811
    """A misread corrected within the period: the next month must start from
    the corrected index, or its m³ are billed twice (or never)."""
    from chalicelib.store.models import CustomerModel

    _service, _staff, _queue, customer, send, run = field
    c = customer()
    assert run(send(c.code, 290, reading_id=_reading_id()))["status"] == "billed"  # misread: 15 m³
    assert run(send(c.code, 286, reading_id=_reading_id()))["invoice"]["consumption_m3"] == 11
    assert int(CustomerModel.get(c.code, consistent_read=True).last_index) == 286
    june = run(send(c.code, 298, period="2024-06", read_at="2024-07-05T09:00:00+07:00", reading_id=_reading_id()))
    assert june["invoice"]["old_index"] == 286 and june["invoice"]["consumption_m3"] == 12


def test_a_throttled_conditional_update_is_an_error_never_a_lost_race(app, faults):
    """Every conditional update goes through store.repositories.update_if: a
    condition that failed is False (someone else's write stands), but a
    throttle or a timeout raises (503, retried) instead of reading as one.
    Before, marking a credit's refund swallowed any error as 'already under
    way' and a failed order's update as 'not pending'."""
    from chalicelib.errors import ServiceUnavailable
    from chalicelib.store.models import OrderModel, PaymentModel
    from chalicelib.store.payments import OrderStore

    store = OrderStore()
    suffix = next(_txns)
    PaymentModel(
        f"credit#throttle#{suffix}",
        kind="credit",
        status="refund_pending",
        amount=1000,
        received_at=1,
        order_id=f"ORD-T{suffix}",
        transaction_no=str(suffix),
    ).save()
    assert store.mark_credit(f"credit#throttle#{suffix}", "refunded", "refund_sent", "x") is False  # condition
    faults.add("UpdateItem", table="payments", times=50)
    with pytest.raises(ServiceUnavailable):
        store.mark_credit(f"credit#throttle#{suffix}", "refund_pending", "refund_sent", "x")
    faults.clear()
    assert PaymentModel.get(f"credit#throttle#{suffix}", consistent_read=True).status == "refund_pending"

    order = OrderModel(f"ORD-T{suffix}", status="pending")
    faults.add("UpdateItem", table="orders", times=50)
    with pytest.raises(ServiceUnavailable):
        store._fail_order_only(order, "24", "failed")
