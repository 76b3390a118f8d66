"""Payment reminders: the daily plan and the worker, on the local engines.

1. The plan (`ReminderService.plan`): N unpaid invoices due on the four level
   dates of one day (N/4 each), plus paid invoices the Query filters out and
   5 % of customers opted out, written directly (untimed). The plan is timed
   on DynamoDB Local with an in-memory queue: Query pages of the by_due_date
   index, BatchGetItem customers, one conditional PutItem per reminder, 16 at
   a time. A second run (a retry of the job) is timed too: it claims nothing
   and enqueues nothing. SendMessageBatch is timed apart, on moto's SQS (much
   slower than SQS itself: it is a Python server on this machine), and added
   per batch of 10 to give the planned+enqueued rate.

2. The worker (`ReminderService.send`), one message after the other (one
   worker), with a fake notifier (no SNS/SES/Zalo latency): sends/s and the
   DynamoDB calls per reminder.

The projection for 1,000,000 customers assumes one invoice a month each with
due dates spread evenly over the month: ~1/30 of the invoices fall due on a
given day, so each of the 4 levels looks at ~33,300 invoices a day (all
unpaid: the upper bound) = ~133,000 a day.

It runs in its own interpreter (`python -m bench.reminders`), like bench.readings."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections import Counter
from datetime import date, datetime

from bench.common import JWT_SECRET, clean_env, heading, median, ms, p90, run_child

N_DUE = 2_000
N_PAID = 200
N_SEND = 500
OPT_OUT_EVERY = 20  # 5 %
TODAY = date(2033, 3, 10)  # a day no other data uses
CUSTOMERS = 1_000_000
LEVELS = 4
PER_DAY = CUSTOMERS * LEVELS / 30  # invoices the plan looks at per day at that scale
LAMBDA_LIMIT_S = 900


def run() -> dict:
    heading("Payment reminders: the daily plan and the worker on the local engines")
    sys.stdout.flush()
    result = run_child("bench.reminders", [], clean_env(SCRYPT_LOG2_N="10"), timeout=600)
    if result.get("failures"):
        raise RuntimeError("; ".join(result["failures"][:3]))
    return result


def _child() -> dict:
    from local.engines import Engines

    engines = Engines()
    engines.__enter__()
    try:
        os.environ.update(engines.env())
        os.environ.update(STAGE="test", JWT_SECRET=JWT_SECRET)
        with contextlib.redirect_stdout(io.StringIO()):
            from local import bootstrap

            bootstrap.main()
        result = _measure()
        result["engine"] = "DynamoDB Local + moto SQS" if engines.use_dynamodb_local else "moto (no java)"
        return result
    finally:
        engines.__exit__(None, None, None)


def _measure() -> dict:
    from bench.dynamo import CallLog, _describe
    from chalicelib.adapters.clock import FixedClock
    from chalicelib.adapters.notifier import MemoryNotifier, MemoryPushRegistrar, SqsReminderQueue
    from chalicelib.config import get_settings
    from chalicelib.domain import reminders as rules
    from chalicelib.observability import logger
    from chalicelib.services.reminders import CLAIM_THREADS, ReminderService
    from chalicelib.store.models import CustomerModel, InvoiceModel
    from chalicelib.store.reminders import ReminderStore
    from local.seed import invoice_item

    logger.registered_handler.setStream(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115  (open till exit)
    log = CallLog()
    log.install()
    log.prefix = get_settings().table_prefix
    failures = []

    # The data: not timed.
    t = time.perf_counter()
    due_dates = [d.isoformat() for _, d in rules.due_dates_for(TODAY)]
    with CustomerModel.batch_write() as customers, InvoiceModel.batch_write() as invoices:
        for i in range(N_DUE + N_PAID):
            code = f"0660{i:05d}"
            customers.save(
                CustomerModel(
                    code,
                    ledger_no=f"BRM{i:06d}",
                    name="Nguyễn Văn Nhắc",
                    address=f"{i} Phan Ngọc Hiển, TP Cà Mau",
                    phone=f"0966{i:06d}",
                    reminders_opt_out=1 if i % OPT_OUT_EVERY == 7 else 0,
                )
            )
            inv = invoice_item(code, "2033-01", 264, 275, 67500, "paid" if i >= N_DUE else "unpaid", "Nguyễn Văn Nhắc")
            inv.due_date = due_dates[i % LEVELS]
            invoices.save(inv)
    setup_s = time.perf_counter() - t
    expected = sum(1 for i in range(N_DUE) if i % OPT_OUT_EVERY != 7)
    print(
        f"{N_DUE + N_PAID:,} customers and invoices written in {setup_s:.1f} s ({N_DUE:,} unpaid over the "
        f"{LEVELS} level dates of {TODAY}, {N_PAID} paid, every {OPT_OUT_EVERY}th customer opted out)"
    )

    clock = FixedClock(int(datetime.combine(TODAY, datetime.min.time(), rules.VN_TZ).timestamp()) + 9 * 3600)
    from chalicelib.adapters.notifier import MemoryReminderQueue

    queue = MemoryReminderQueue()
    notifier = MemoryNotifier()
    service = ReminderService(
        settings=get_settings(),
        store=ReminderStore(),
        queue=queue,
        notifier=notifier,
        push=MemoryPushRegistrar(),
        clock=clock,
    )

    # 1. The plan, then its retry.
    with log.record():
        t = time.perf_counter()
        first = service.plan(TODAY)
        plan_s = time.perf_counter() - t
    plan_ops = Counter(f"{svc}:{op}" for svc, op, _ in log.calls)
    with log.record():
        t = time.perf_counter()
        again = service.plan(TODAY)
        again_s = time.perf_counter() - t
    if first["enqueued"] != expected or again["enqueued"] != 0:
        failures.append(f"plan enqueued {first['enqueued']} (expected {expected}), the retry {again['enqueued']}")
    looked = first["unpaid"]
    db_rate = looked / plan_s
    # SendMessageBatch on moto's SQS, 16 at a time like the plan, for the same messages.
    from concurrent.futures import ThreadPoolExecutor

    bodies = [b for b, _ in queue.take()]
    batches = [bodies[i : i + 10] for i in range(0, len(bodies), 10)]
    sqs = SqsReminderQueue()
    sqs.enqueue_batch(batches[0])  # warm-up (queue URL, client)
    t = time.perf_counter()
    with ThreadPoolExecutor(CLAIM_THREADS) as pool:
        failed = sum(len(f) for f in pool.map(sqs.enqueue_batch, batches[1:]))
    sqs_s = time.perf_counter() - t
    if failed:
        failures.append(f"{failed} messages refused by SQS")
    per_batch_s = sqs_s / max(1, len(batches) - 1)
    rate = looked / (plan_s + per_batch_s * len(batches))
    projected_s = PER_DAY / rate
    print(
        f"\nplan on DynamoDB Local: {looked:,} unpaid invoices looked at, {first['enqueued']:,} claimed, "
        f"{first['opted_out']} opted out, in {plan_s:.2f} s = {db_rate:,.0f} invoices/s ({CLAIM_THREADS} threads)"
    )
    print("      calls: " + ", ".join(f"{k} {v}" for k, v in plan_ops.most_common()))
    print(
        f"SendMessageBatch on moto, {CLAIM_THREADS} at a time: {len(batches) - 1} batches in {sqs_s:.2f} s "
        f"= {ms(per_batch_s)} of wall time a batch; planned+enqueued: {rate:,.0f} invoices/s"
    )
    print(f"retry of the job: {again['already']:,} already claimed, 0 enqueued, in {again_s:.2f} s")
    print(
        f"projection, {CUSTOMERS:,} customers (due dates spread over ~30 days: ~1/30 due per level-day, "
        f"{LEVELS} levels = {PER_DAY:,.0f} invoices a day): {projected_s:,.0f} s at this rate "
        f"(Lambda's limit {LAMBDA_LIMIT_S} s; the job stops at a page boundary and continues through the queue "
        f"if it must)"
    )

    # 2. The worker: the first N_SEND of those messages, one after the other.
    bodies = bodies[:N_SEND]
    times, outcomes, per_op = [], Counter(), Counter()
    shapes = Counter()
    for body in bodies:
        with log.record():
            t = time.perf_counter()
            outcomes[service.send(body["invoice_id"], body["level"])] += 1
            times.append(time.perf_counter() - t)
        per_op.update(f"{op}" for svc, op, _ in log.calls if svc == "dynamodb")
        shapes[_describe(log.calls)] += 1
    if outcomes != Counter({"sent": len(bodies)}) or len(notifier.sent) != len(bodies):
        failures.append(f"worker outcomes {dict(outcomes)}, {len(notifier.sent)} sent")
    send_rate = len(times) / sum(times)
    calls = sum(per_op.values()) / len(times)
    print(
        f"\nworker (one, sequential, fake notifier): {len(times):,} reminders, {send_rate:.0f} sends/s, "
        f"median {ms(median(times))}, p90 {ms(p90(times))}; {calls:g} DynamoDB calls each: "
        f"{shapes.most_common(1)[0][0]}"
    )
    for failure in failures:
        print(f"!!! REMINDERS FAILED: {failure}")
    return {
        "plan": {
            "invoices": looked,
            "enqueued": first["enqueued"],
            "opted_out": first["opted_out"],
            "seconds": round(plan_s, 2),
            "dynamodb_invoices_per_s": round(db_rate),
            "sqs_batch_s": per_batch_s,
            "invoices_per_s": round(rate),
            "threads": CLAIM_THREADS,
            "calls": dict(plan_ops),
            "retry_seconds": round(again_s, 2),
            "retry_enqueued": again["enqueued"],
        },
        "projection": {
            "customers": CUSTOMERS,
            "invoices_per_day": round(PER_DAY),
            "seconds_dynamodb_local": round(PER_DAY / db_rate),
            "seconds_with_moto_sqs": round(projected_s),
            "limit_s": LAMBDA_LIMIT_S,
        },
        "worker": {
            "reminders": len(times),
            "sends_per_s": round(send_rate, 1),
            "median_s": median(times),
            "p90_s": p90(times),
            "dynamodb_calls": calls,
            "operations": shapes.most_common(1)[0][0],
        },
        "failures": failures,
    }


if __name__ == "__main__":
    out_path = sys.argv[1]
    result = _child()
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
