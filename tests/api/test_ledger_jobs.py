"""The customer accounts' batch jobs on DynamoDB Local: the ledger migration
(paid flags, payment lists and credits of before the ledger become entries,
once) and the nightly invariant (finds a hand-corrupted account, not a sound
one; stops when its time runs short)."""

from __future__ import annotations

import time

import pytest

from chalicelib import deps
from chalicelib.store.ledger import LedgerStore


def _migration():
    return deps.ledger_migration()


def _invariant(segments: int = 2):
    from chalicelib.services.ledger_jobs import LedgerInvariant
    from chalicelib.store.ledger_jobs import AccountWalk

    return LedgerInvariant(ledger=LedgerStore(), walk=AccountWalk(), segments=segments, recheck_delay_s=0)


def _snapshot(code: str) -> tuple:
    from chalicelib.store.models import InvoiceModel

    store = LedgerStore()
    entries = [(e.entry_id, e.event, [dict(line) for line in e.lines], e.credit_delta) for e in store.entries(code)]
    invoices = sorted(
        (i.invoice_id, i.status, i.paid_amount, i.total)
        for i in InvoiceModel.by_customer.query(code, consistent_read=False)
    )
    account = store.account(code)
    return entries, invoices, int(account.credit) if account else 0


def _legacy_order(order_id: str, items: list[tuple[str, str, int]], txn: str):
    """An order as the code before the ledger left it (paid by `txn`)."""
    from chalicelib.store.models import OrderModel

    now = int(time.time())
    order = OrderModel(
        order_id,
        account_id="customer:legacy",
        invoice_ids=[i for i, _, _ in items],
        items=[{"invoice_id": i, "customer_code": c, "period": "2024-01", "amount": a} for i, c, a in items],
        amount=sum(a for _, _, a in items),
        status="paid",
        created_at=now - 7200,
        expires_at=now - 6300,
        vnp_create_date="20240105090000",
        order_info="legacy",
        client_ip="127.0.0.1",
        payment_url="https://sandbox.vnpayment.vn/x",
        qr_payload="x",
        transaction_no=txn,
    )
    order.save()
    return order


@pytest.fixture
def legacy_account(new_customer):
    """An account as it was before the ledger: two paid months (one by VNPay, one imported), an unpaid one,
    a VNPay credit for a paid invoice (refund_pending) and a second payment of a paid order (refund_failed)."""
    from chalicelib.store.models import InvoiceModel, PaymentModel

    c = new_customer(
        invoices=[
            ("2024-01", 100, 111, 66000, "paid"),
            ("2024-02", 111, 120, 54000, "paid"),
            ("2024-03", 120, 131, 66000, "unpaid"),
        ]
    )
    jan, feb, mar = (f"INV-{c.code}-2024{m:02d}" for m in (1, 2, 3))
    n = time.time_ns() % 10**8
    txn, txn2 = f"51{n:08d}", f"52{n:08d}"
    order = _legacy_order(f"ORD{n}", [(jan, c.code, 75900)], txn)
    InvoiceModel(jan).update(
        actions=[
            InvoiceModel.payments.set(
                [
                    {
                        "channel": "vnpay",
                        "order_id": order.order_id,
                        "transaction_no": txn,
                        "amount": 75900,
                        "received_at": 1704420000,
                    }
                ]
            )
        ]
    )
    PaymentModel(
        f"vnpay#{txn}",
        kind="payment",
        order_id=order.order_id,
        amount=75900 + 62100,
        invoice_ids=[jan],
        transaction_no=txn,
        received_at=1704420000,
        status="applied",
    ).save()
    PaymentModel(
        f"credit#{txn}#{feb}",
        kind="credit",
        order_id=order.order_id,
        amount=62100,
        invoice_ids=[feb],
        transaction_no=txn,
        received_at=1704420000,
        status="refund_pending",
        note="invoice already paid when this payment arrived",
    ).save()
    PaymentModel(
        f"credit#{txn2}#order",
        kind="credit",
        order_id=order.order_id,
        amount=75900,
        invoice_ids=[jan],
        transaction_no=txn2,
        received_at=1704423600,
        status="refund_failed",
        note="second payment for an order already paid",
    ).save()
    return c, {"jan": jan, "feb": feb, "mar": mar, "txn": txn, "txn2": txn2}


# -- the migration ----------------------------------------------------------------------------


def test_the_migration_brings_an_account_into_the_ledger_once(legacy_account):
    from chalicelib.store.models import InvoiceModel, PaymentModel

    c, ids = legacy_account
    first = _migration().run([c.code])
    assert first["failed"] == [] and first["accounts_migrated"] == 1 and first["credits_migrated"] == 2
    assert first["charges"] == 3 and first["payments"] == 2 and first["invoices_updated"] == 3

    entries = LedgerStore().entries(c.code)
    by_event = {}
    for e in entries:
        by_event.setdefault(e.event, []).append(e)
    charges = sorted((line["invoice_id"], int(line["amount"])) for e in by_event["charge"] for line in e.lines)
    totals = {i: int(InvoiceModel.get(i).total) for i in (ids["jan"], ids["feb"], ids["mar"])}
    assert charges == sorted(totals.items())
    payments = {e.channel: e for e in by_event["payment"]}
    # January was paid through VNPay (its payment list says so), February came with the imported history,
    # and the two VNPay credits are money on the account now.
    vnpay = [e for e in by_event["payment"] if e.external_ref == ids["txn"] and e.credit_delta == 0]
    assert len(vnpay) == 1 and vnpay[0].payment_id == f"vnpay#{ids['txn']}"
    assert [dict(line) for line in vnpay[0].lines] == [
        {"kind": "payment", "amount": totals[ids["jan"]]},
        {"kind": "allocation", "amount": totals[ids["jan"]], "invoice_id": ids["jan"]},
    ]
    assert payments["migration"].lines[1]["invoice_id"] == ids["feb"]
    credits = sorted(int(e.credit_delta) for e in by_event["payment"] if e.credit_delta)
    assert credits == [62100, 75900]
    assert all(e.posted_by == "system:migration" for e in entries)
    # Entries come back in the order things happened: each charge before the payment of its invoice.
    assert [e.entry_id for e in entries] == sorted(e.entry_id for e in entries)

    assert int(LedgerStore().account(c.code).credit) == 62100 + 75900
    paid = {i: InvoiceModel.get(i, consistent_read=True).paid_amount for i in totals}
    assert paid == {ids["jan"]: totals[ids["jan"]], ids["feb"]: totals[ids["feb"]], ids["mar"]: 0}
    for credit_id in (f"credit#{ids['txn']}#{ids['feb']}", f"credit#{ids['txn2']}#order"):
        assert PaymentModel.get(credit_id).status == "migrated"
    # The second payment of the order had no exactly-once item: now a late IPN retry finds it posted.
    guard = PaymentModel.get(f"vnpay#{ids['txn2']}")
    assert guard.kind == "payment" and guard.credited == 75900 and guard.customer_codes == [c.code]

    assert _invariant().check_codes([c.code]) == {}
    before = _snapshot(c.code)
    second = _migration().run([c.code])
    assert second["failed"] == [] and second["accounts_migrated"] == second["charges"] == second["payments"] == 0
    assert second["invoices_updated"] == second["credits_migrated"] == 0
    assert _snapshot(c.code) == before


def test_the_migration_fills_in_only_what_the_ledger_does_not_explain(new_customer):
    """An account whose unpaid invoice was paid in part through the ledger before the migration ran (the
    new code went live first): the migration adds the charges and the paid history, nothing twice."""
    from chalicelib.services.ledger import IncomingPayment, Target

    c = new_customer(invoices=[("2024-04", 100, 111, 66000, "paid"), ("2024-05", 111, 122, 66000, "unpaid")])
    may = f"INV-{c.code}-202405"
    now = int(time.time())
    deps.ledger().post_payment(
        IncomingPayment(
            channel="bank_transfer",
            payment_id=f"bank#VCB#T{time.time_ns()}",
            external_ref="FT24001",
            amount=30000,
            received_at=now,
            posted_by="test",
            paid_at="2024-06-10T09:00:00+07:00",
        ),
        Target(customer_code=c.code, invoice_ids=[may]),
    )
    result = _migration().run([c.code])
    assert result["failed"] == [] and result["charges"] == 2 and result["payments"] == 1
    lines = [dict(line) for e in LedgerStore().entries(c.code) for line in e.lines]
    assert sum(line["amount"] for line in lines if line["kind"] == "allocation" and line["invoice_id"] == may) == 30000
    assert _invariant().check_codes([c.code]) == {}
    assert _migration().run([c.code])["accounts_migrated"] == 0


def test_a_long_history_is_migrated_in_several_transactions(new_customer, monkeypatch):
    """Eight years of monthly bills need more than one transaction (DynamoDB takes 100 items); one VNPay
    order that paid two months stays one payment with two allocations."""
    import chalicelib.services.ledger_jobs as jobs
    from chalicelib.store.ledger_jobs import MigrationStore
    from chalicelib.store.models import InvoiceModel

    history = [(f"{2016 + m // 12}-{m % 12 + 1:02d}", 100 + m, 101 + m, 6000, "paid") for m in range(95)]
    c = new_customer(invoices=history + [("2023-12", 195, 196, 6000, "unpaid")])
    txn = f"53{time.time_ns() % 10**8:08d}"
    for period in ("2023-10", "2023-11"):
        InvoiceModel(f"INV-{c.code}-{period.replace('-', '')}").update(
            actions=[
                InvoiceModel.payments.set(
                    [
                        {
                            "channel": "vnpay",
                            "order_id": f"ORD{txn}",
                            "transaction_no": txn,
                            "amount": 6900,
                            "received_at": 1701403200,
                        }
                    ]
                )
            ]
        )
    writes = []
    real_write = MigrationStore.write
    monkeypatch.setattr(
        MigrationStore,
        "write",
        lambda self, entries, invoices=(), **kw: (
            writes.append(len(list(entries)) + len(list(invoices))),
            real_write(self, entries, invoices, **kw),
        )[1],
    )
    result = _migration().run([c.code])
    assert result["failed"] == [] and result["charges"] == 96 and result["payments"] == 94
    assert len(writes) > 2 and max(writes) <= jobs.MAX_ITEMS
    order = [e for e in LedgerStore().entries(c.code) if e.external_ref == txn]
    assert len(order) == 1 and sorted(line["invoice_id"] for line in order[0].lines[1:]) == [
        f"INV-{c.code}-202310",
        f"INV-{c.code}-202311",
    ]
    assert _invariant().check_codes([c.code]) == {}
    writes.clear()
    assert _migration().run([c.code])["accounts_migrated"] == 0 and writes == []


def test_the_operator_command_migrates_and_says_so(new_customer, capsys):
    import json

    from chalicelib import cli

    c = new_customer(invoices=[("2024-09", 100, 111, 66000, "paid"), ("2024-10", 111, 122, 66000, "unpaid")])
    capsys.readouterr()
    assert cli.main(["migrate-ledger", "--code", c.code, "--segments", "2"]) == 0
    out = capsys.readouterr().out
    first = json.loads(out[out.index("{\n") :])
    assert (first["accounts_migrated"], first["charges"], first["payments"], first["failed"]) == (1, 2, 1, [])
    assert cli.main(["migrate-ledger", "--code", c.code]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{\n") :])["accounts_migrated"] == 0


def test_the_demo_accounts_have_a_statement_and_seeding_again_changes_nothing(app):
    from local import seed

    entries = LedgerStore().entries("01031059")
    charged = sorted(line["invoice_id"] for e in entries for line in e.lines if line["kind"] == "charge")
    assert charged == [f"INV-01031059-2023{m:02d}" for m in (2, 3, 4, 5)]
    allocated = sorted(
        line["invoice_id"]
        for e in entries
        for line in e.lines
        if line["kind"] == "allocation" and e.posted_by == "system:migration"
    )
    assert allocated == [f"INV-01031059-2023{m:02d}" for m in (2, 3, 4)]
    before = {code: _snapshot(code) for code in ("01031060", "01031070", "01031078")}
    seed.load("cawaco-demo-2023")  # (also brings in what other tests of this session wrote the old way)
    assert seed.load("cawaco-demo-2023")["ledger_accounts"] == 0
    assert {code: _snapshot(code) for code in before} == before
    codes = [c["code"] for c in seed.CUSTOMERS] + [f["code"] for f, _, _ in seed.ROUTE_CUSTOMERS]
    assert _invariant().check_codes(codes) == {}


# -- the invariant ------------------------------------------------------------------------------


def test_the_invariant_finds_a_hand_corrupted_account_and_not_a_sound_one(new_customer):
    from chalicelib.store.models import InvoiceModel

    sound = new_customer(invoices=[("2024-06", 100, 111, 66000, "paid"), ("2024-07", 111, 122, 66000, "unpaid")])
    broken = new_customer(invoices=[("2024-06", 100, 111, 66000, "paid"), ("2024-07", 111, 122, 66000, "unpaid")])
    assert _migration().run([sound.code, broken.code])["accounts_migrated"] == 2
    assert _invariant().check_codes([sound.code, broken.code]) == {}
    # By hand, the way the old code paid an invoice: the flag moves, no money reaches the ledger.
    invoice = InvoiceModel.get(f"INV-{broken.code}-202407")
    invoice.update(
        actions=[
            InvoiceModel.status.set("paid"),
            InvoiceModel.paid_amount.set(int(invoice.total)),
            InvoiceModel.customer_status.set(f"{broken.code}#paid"),
        ]
    )
    found = _invariant().check_codes([sound.code, broken.code])
    assert list(found) == [broken.code]
    assert any("open amounts" in b for b in found[broken.code])
    assert any(invoice.invoice_id in b and "allocations 0" in b for b in found[broken.code])

    result = _invariant().run()  # every account of the customers table
    assert result["complete"] is True and result["checked"] >= 2
    assert broken.code in result["codes"] and sound.code not in result["codes"]
    assert result["breaching"] == len(result["codes"]) or result["breaching"] > 100


def test_the_invariant_stops_when_its_time_runs_short(app):
    left = iter([900_000] + [30_000] * 100)  # the Lambda's 15 minutes, then only 30 s left
    result = _invariant().run(time_left_ms=lambda: next(left))
    assert result == {"complete": False, "checked": 0, "breaching": 0, "codes": []}


def test_a_breach_seen_once_is_read_again_before_it_counts(new_customer, monkeypatch):
    """A posting landing between the reads of one account looks like a breach for that instant."""
    c = new_customer(invoices=[("2024-08", 100, 111, 66000, "unpaid")])
    _migration().run([c.code])
    invariant = _invariant()
    real = invariant.breaches
    seen = []

    def first_read_torn(code, credit=None, consistent=False):
        seen.append(consistent)
        return ["torn read"] if len(seen) == 1 else real(code, credit, consistent)

    monkeypatch.setattr(invariant, "breaches", first_read_torn)
    assert invariant.check_codes([c.code]) == {}
    assert seen == [False, True]


def test_the_walk_finds_every_customer_once_through_the_shard_index(new_customer):
    """No Scan: every code written (save, batch write) carries its shard, and the segments share the
    shards, so each code comes up exactly once whatever the number of segments."""
    from chalicelib.store.ledger_jobs import AccountWalk
    from chalicelib.store.models import CustomerModel, book_shard

    mine = {new_customer().code for _ in range(5)}
    assert all(CustomerModel.get(c).book_shard == book_shard(c) for c in mine)
    for segments in (1, 3, 16, 20):
        seen: list[str] = []
        for segment in range(segments):
            key = None
            while True:
                codes, key = AccountWalk().codes_page(segment, segments, key, limit=7)
                seen += codes
                if key is None:
                    break
        assert len(seen) == len(set(seen)) and mine <= set(seen), segments
