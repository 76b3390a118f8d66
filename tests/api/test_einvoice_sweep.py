"""The e-invoice sweep (issue 17, services/einvoice_sweep.py): charged invoices whose e-invoice is still
due are queued again from the sparse index by_einvoice_due (never a Scan): a charge whose publish was
lost, an invoice the provider kept pending for hours. Issued and rejected ones leave the index."""

from __future__ import annotations

import time

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import FixedClock
from chalicelib.adapters.queues import MemoryPublisher
from chalicelib.domain import einvoice_due
from chalicelib.ports.einvoice_due import DueInvoice
from chalicelib.services.einvoice_sweep import EInvoiceSweep
from tests.api.test_einvoices import FakeProvider, _charge, _einvoice_fields, _fails, _work


@pytest.fixture
def sweeping(app):
    """The provider (in memory), the queue (in memory) and a clock the test moves; the charge's own
    time is the clock's, so the invoice is due FIRST_LOOK_S after it."""
    provider, queue, clock = FakeProvider(), MemoryPublisher(), FixedClock(int(time.time()))
    deps.override("einvoices", provider)
    deps.override("publisher", queue)
    deps.override("clock", clock)
    yield provider, queue, clock
    deps.reset()


def _sweep() -> dict:
    import datetime as dt

    from app import app
    from local.events import lambda_context, scheduled_event

    name = "einvoices_sweep"
    event = scheduled_event(
        f"arn:aws:events:ap-southeast-1:123456789012:rule/cskh-test-{name}-event",
        dt.datetime.now(dt.UTC),
        "ap-southeast-1",
    )
    return app.handler_map[name](event, lambda_context(f"cskh-test-{name}"))


def _queued(queue: MemoryPublisher) -> list[str]:
    return [body["invoice_id"] for q, body in queue.messages if q == "einvoices"]


def _due(invoice_id: str) -> tuple[str | None, int | None]:
    from chalicelib.store.models import InvoiceModel

    inv = InvoiceModel.get(invoice_id, consistent_read=True)
    return inv.einvoice_due, None if inv.einvoice_due_at is None else int(inv.einvoice_due_at)


def _broken_publisher_charge(api, admin, code: str) -> str:
    class Broken:
        def publish(self, queue, body):
            raise ConnectionError("SQS unreachable")

    kept = deps.publisher()
    deps.override("publisher", Broken())
    try:
        return _charge(api, admin, code)
    finally:
        deps.override("publisher", kept)


def test_a_charge_whose_publish_was_lost_is_queued_by_the_sweep_then_issued_once(api, admin, new_customer, sweeping):
    provider, queue, clock = sweeping
    invoice_id = _broken_publisher_charge(api, admin, new_customer().code)
    charged = clock.now()
    assert _due(invoice_id) == (einvoice_due.DUE_PARTITION, charged + einvoice_due.FIRST_LOOK_S)
    assert _einvoice_fields(invoice_id)["einvoice_status"] is None and _queued(queue) == []

    clock.advance(einvoice_due.FIRST_LOOK_S - 60)  # the normal path still has its chance
    _sweep()
    assert invoice_id not in _queued(queue)

    clock.advance(61)
    counts = _sweep()
    assert _queued(queue).count(invoice_id) == 1 and counts["queued"] >= 1
    assert _due(invoice_id)[1] == clock.now() + einvoice_due.RECHECK_S  # not again at the next run
    _sweep()
    assert _queued(queue).count(invoice_id) == 1

    assert _work(invoice_id) == {"batchItemFailures": []}
    assert _einvoice_fields(invoice_id)["einvoice_status"] == "issued"
    assert _due(invoice_id) == (None, None)  # out of the index
    clock.advance(einvoice_due.RECHECK_S + 1)
    _sweep()
    assert _queued(queue).count(invoice_id) == 1
    assert [c for c in provider.calls if c[0] == "issue"] == [("issue", invoice_id)]


def test_the_normal_path_leaves_the_index_at_issue(api, admin, new_customer, sweeping):
    _, queue, clock = sweeping
    invoice_id = _charge(api, admin, new_customer().code)
    assert _queued(queue) == [invoice_id] and _due(invoice_id)[0] == einvoice_due.DUE_PARTITION
    assert _work(invoice_id) == {"batchItemFailures": []}
    assert _due(invoice_id) == (None, None)
    clock.advance(einvoice_due.FIRST_LOOK_S + 1)
    _sweep()
    assert _queued(queue) == [invoice_id]


def test_pending_is_queued_again_only_after_hours(api, admin, new_customer, sweeping):
    provider, queue, clock = sweeping
    invoice_id = _charge(api, admin, new_customer().code)
    provider.script = ["pending"]
    _fails(invoice_id)
    assert _einvoice_fields(invoice_id)["einvoice_status"] == "pending"
    _, look_at = _due(invoice_id)
    assert look_at is not None and look_at >= int(time.time()) + einvoice_due.RECHECK_S - 5

    clock.advance(einvoice_due.FIRST_LOOK_S + 1)  # SQS is still bringing it back: no need to queue it
    _sweep()
    assert _queued(queue) == [invoice_id]

    provider.pending.add(invoice_id)  # still not numbered, and its messages went to the DLQ
    clock.at = look_at
    _sweep()
    assert _queued(queue) == [invoice_id, invoice_id]
    assert _work(invoice_id) == {"batchItemFailures": []}  # find() has it now: issued, not sent again
    assert _einvoice_fields(invoice_id)["einvoice_status"] == "issued" and _due(invoice_id) == (None, None)
    assert [c for c in provider.calls if c[0] == "issue"] == [("issue", invoice_id)]


def test_a_rejected_invoice_leaves_the_index(api, admin, new_customer, sweeping):
    provider, queue, clock = sweeping
    invoice_id = _charge(api, admin, new_customer().code)
    provider.script = ["reject"]
    _fails(invoice_id)
    assert _einvoice_fields(invoice_id)["einvoice_status"] == "rejected" and _due(invoice_id) == (None, None)
    clock.advance(einvoice_due.RECHECK_S + einvoice_due.FIRST_LOOK_S)
    _sweep()
    assert _queued(queue) == [invoice_id]  # the DLQ's alarm calls a person; the sweep does not resend


def test_a_correction_after_issue_is_due_again_until_its_adjusting_invoice_is_issued(
    api, admin, new_customer, sweeping
):
    from tests.api.test_einvoices import _correct

    provider, queue, clock = sweeping
    code = new_customer().code
    invoice_id = _charge(api, admin, code)
    assert _work(invoice_id) == {"batchItemFailures": []} and _due(invoice_id) == (None, None)
    _correct(code, 290)  # charged again: the adjusting invoice is due, its publish may be lost too
    assert _due(invoice_id) == (einvoice_due.DUE_PARTITION, clock.now() + einvoice_due.FIRST_LOOK_S)
    clock.advance(einvoice_due.FIRST_LOOK_S)
    _sweep()
    assert _queued(queue).count(invoice_id) == 3  # the charge, the correction, the sweep
    assert _work(invoice_id) == {"batchItemFailures": []}
    assert [c[0] for c in provider.calls if c[0] in ("issue", "adjust")] == ["issue", "adjust"]
    assert _due(invoice_id) == (None, None)


def test_a_correction_that_moves_no_money_leaves_the_index_when_worked(api, admin, new_customer, sweeping):
    from tests.api.test_einvoices import _correct

    provider, _queue, _clock = sweeping
    code = new_customer().code
    invoice_id = _charge(api, admin, code)
    assert _work(invoice_id) == {"batchItemFailures": []}
    _correct(code, 286)  # the same reading again: charged again, the same money
    assert _due(invoice_id)[0] == einvoice_due.DUE_PARTITION
    assert _work(invoice_id) == {"batchItemFailures": []}
    assert _due(invoice_id) == (None, None)  # not re-queued every few hours for nothing
    assert [c[0] for c in provider.calls if c[0] in ("issue", "adjust")] == ["issue"]


def test_what_is_not_to_be_issued_leaves_the_index_unqueued(api, admin, new_customer, sweeping):
    from chalicelib.store.models import InvoiceModel

    _, queue, clock = sweeping
    cancelled, imported = (_broken_publisher_charge(api, admin, new_customer().code) for _ in range(2))
    m = InvoiceModel
    m(cancelled).update(actions=[m.status.set("cancelled")])
    m(imported).update(actions=[m.source.set("imported")])
    clock.advance(einvoice_due.FIRST_LOOK_S)
    counts = _sweep()
    assert counts["left"] >= 2
    assert not {cancelled, imported} & set(_queued(queue))
    assert _due(cancelled) == _due(imported) == (None, None)


def test_the_sweep_queries_the_index_and_never_scans(api, admin, new_customer, sweeping, calls):
    _, _, clock = sweeping
    _broken_publisher_charge(api, admin, new_customer().code)
    clock.advance(einvoice_due.FIRST_LOOK_S)
    calls.clear()
    _sweep()
    assert calls["Query"] == 1 and calls["Scan"] == 0


def test_provider_off_the_sweep_does_nothing_and_a_charge_is_not_due(api, admin, new_customer, app):
    queue = MemoryPublisher()
    deps.override("publisher", queue)
    invoice_id = _charge(api, admin, new_customer().code)
    assert _due(invoice_id) == (None, None)
    assert _sweep() == {"status": "off"}
    assert queue.messages == []


# -- the service alone: bounded, a failed publish stays due ----------------------------------------------


class MemoryDue:
    def __init__(self, ids: list[str]) -> None:
        self.look: dict[str, int] = dict.fromkeys(ids, 0)
        self.left: list[str] = []

    def due(self, now: int, limit: int) -> list[DueInvoice]:
        ready = sorted((at, i) for i, at in self.look.items() if at <= now)[:limit]
        return [DueInvoice(i, to_issue=True, rev=0) for _, i in ready]

    def look_again(self, invoice_id: str, at: int) -> None:
        self.look[invoice_id] = at

    def leave(self, invoice_id: str, rev: int) -> None:
        self.left.append(invoice_id)


def test_a_run_is_bounded_by_its_page_and_the_next_run_goes_on():
    due, queue, clock = MemoryDue(["A", "B", "C"]), MemoryPublisher(), FixedClock(1_000_000)
    sweep = EInvoiceSweep(due=due, publisher=queue, clock=clock, einvoices_on=lambda: True, page=2)
    assert sweep.run() == {"queued": 2, "left": 0, "failed": 0, "full": True}
    assert sweep.run() == {"queued": 1, "left": 0, "failed": 0, "full": False}
    assert sorted(_queued(queue)) == ["A", "B", "C"]
    assert sweep.run() == {"queued": 0, "left": 0, "failed": 0, "full": False}


def test_a_publish_that_fails_leaves_the_invoice_due_for_the_next_run():
    class Flaky(MemoryPublisher):
        down = True

        def publish(self, queue, body):
            if self.down:
                raise ConnectionError("SQS unreachable")
            super().publish(queue, body)

    due, queue, clock = MemoryDue(["A"]), Flaky(), FixedClock(1_000_000)
    sweep = EInvoiceSweep(due=due, publisher=queue, clock=clock, einvoices_on=lambda: True)
    assert sweep.run()["failed"] == 1 and due.look["A"] == 0
    queue.down = False
    assert sweep.run()["queued"] == 1 and due.look["A"] == clock.now() + einvoice_due.RECHECK_S
