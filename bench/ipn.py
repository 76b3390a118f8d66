"""VNPay's IPN (`GET /v1/vnpay/ipn`) on DynamoDB Local: latency of the first
IPN (applies the payment: 00), of a duplicate (02) and of a bad signature
(97), the DynamoDB calls each makes, and a bare baseline: one 3-item
TransactWriteItems done directly with boto3, the write the IPN cannot avoid.

The IPNs are signed by the bench's own small signer, written from VNPay's
rules (HMAC-SHA512 over the sorted, quote_plus'd vnp_* parameters), not by
the code under test.

It runs in its own interpreter (`python -m bench.ipn`): the app binds its
settings and PynamoDB connection at import, so it must be imported after its
own engines are up, not next to another section's (now stopped) engines."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import sys
import time
from urllib.parse import quote_plus, urlencode

from bench.common import JWT_SECRET, ROOT, clean_env, heading, median, ms, p90, run_child, table

# Obviously fake, bench-only values (config wants 32 characters for the secret).
HASH_SECRET = "bench-vnpay-not-a-secret-0123456"
assert len(HASH_SECRET) == 32
TMN_CODE = "CSKHBNCH"
SCRYPT_LOG2_N = "10"  # no login is measured here: keep seeding fast
PERIOD = "2024-01"
KINDS = (
    ("applied", "first IPN: payment applied", "00"),
    ("duplicate", "duplicate IPN", "02"),
    ("bad_signature", "bad signature", "97"),
)


def vnp_sign(params: dict, secret: str = HASH_SECRET) -> str:
    data = "&".join(
        f"{quote_plus(k)}={quote_plus(str(v))}"
        for k, v in sorted(params.items())
        if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType")
    )
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def ipn_params(order_id: str, amount: int, txn: str) -> dict:
    p = {
        "vnp_TmnCode": TMN_CODE,
        "vnp_Amount": str(amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP" + txn,
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan",
        "vnp_PayDate": "20240505101010",
        "vnp_ResponseCode": "00",
        "vnp_TransactionNo": txn,
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": order_id,
    }
    p["vnp_SecureHash"] = vnp_sign(p)
    return p


# -- the parent: one child interpreter ------------------------------------------


def run(reps: int = 50) -> dict:
    heading("VNPay IPN: latency and DynamoDB calls (DynamoDB Local)")
    sys.stdout.flush()
    env = clean_env(VNPAY_HASH_SECRET=HASH_SECRET, VNPAY_TMN_CODE=TMN_CODE, SCRYPT_LOG2_N=SCRYPT_LOG2_N)
    result = run_child("bench.ipn", [reps], env, timeout=300)
    if result.get("failures"):
        raise RuntimeError("; ".join(result["failures"][:3]))
    return result


# -- the child ----------------------------------------------------------------


def _child(reps: int) -> dict:
    from local.engines import Engines

    started = time.perf_counter()
    engines = Engines()
    engines.__enter__()
    try:
        os.environ.update(engines.env())
        os.environ.update(
            STAGE="test",
            JWT_SECRET=JWT_SECRET,
            VNPAY_HASH_SECRET=HASH_SECRET,
            VNPAY_TMN_CODE=TMN_CODE,
            SCRYPT_LOG2_N=SCRYPT_LOG2_N,
        )
        with contextlib.redirect_stdout(io.StringIO()):
            from local import bootstrap, seed

            bootstrap.main()
            seed.load()
        print(
            f"engines up, tables and demo data loaded in {time.perf_counter() - started:.1f} s "
            f"({'DynamoDB Local' if engines.use_dynamodb_local else 'moto: no java'} "
            f"on port {engines.dynamodb_port})"
        )
        result = _measure(reps)
        result["engine"] = "DynamoDB Local" if engines.use_dynamodb_local else "moto (no java)"
        return result
    finally:
        engines.__exit__(None, None, None)


def _measure(reps: int) -> dict:
    from bench.dynamo import CallLog, _describe

    log = CallLog()
    log.install()

    from chalice.test import Client

    import app
    from chalicelib import deps
    from chalicelib.config import get_settings
    from chalicelib.domain.tokens import Identity
    from chalicelib.observability import logger
    from chalicelib.store.models import InvoiceModel
    from local.seed import invoice_item

    log.prefix = get_settings().table_prefix
    logger.registered_handler.setStream(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115  (open till exit)
    http = Client(app.app, stage_name="bench", project_dir=ROOT).http
    payments = deps.payments()

    # One fresh customer code, unpaid invoice and order per pass (+1 warm-up), made directly, not timed.
    t = time.perf_counter()
    codes = [f"0990{i:04d}" for i in range(reps + 1)]
    with InvoiceModel.batch_write() as batch:
        for code in codes:
            batch.save(invoice_item(code, PERIOD, 1, 12, 66000, "unpaid", "Bench"))
    orders = []
    for code in codes:
        who = Identity(account_id=f"customer:{code}", role="customer", customer_codes=(code,))
        view, _ = payments.create_order(
            who,
            {"invoice_ids": [f"INV-{code}-{PERIOD.replace('-', '')}"]},
            client_ip="127.0.0.1",
            locale="vn",
            return_url="http://127.0.0.1/v1/vnpay/return",
        )
        orders.append((view["order_id"], view["amount"]))
    print(f"{len(orders)} orders opened in {time.perf_counter() - t:.1f} s (not timed)")

    samples = {kind: [] for kind, *_ in KINDS}
    seen = {kind: [] for kind, *_ in KINDS}
    calls = {kind: [] for kind, *_ in KINDS}
    failures: list[str] = []

    def ipn(kind: str, expect: str, params: dict, timed: bool) -> None:
        url = "/v1/vnpay/ipn?" + urlencode(params)
        with log.record():
            t = time.perf_counter()
            response = http.get(url)
            elapsed = time.perf_counter() - t
        code = json.loads(response.body).get("RspCode") if response.status_code == 200 else None
        if code != expect:
            failures.append(
                f"{kind} IPN for {params['vnp_TxnRef']} answered HTTP {response.status_code} "
                f"{response.body[:200]!r}, expected RspCode {expect}"
            )
            return
        seen[kind].append(_describe(log.calls))
        if not calls[kind]:
            calls[kind] = list(log.calls)
        if timed:
            samples[kind].append(elapsed)

    for n, (order_id, amount) in enumerate(orders):
        params = ipn_params(order_id, amount, str(16000000 + n))
        forged = dict(params, vnp_Amount=str(amount * 100 - 100))  # altered after signing
        for kind, _, expect in KINDS:
            ipn(kind, expect, forged if kind == "bad_signature" else params, timed=n > 0)
        if failures:
            break

    # Did the applied IPNs leave the invoices paid?
    if not failures:
        ids = [f"INV-{code}-{PERIOD.replace('-', '')}" for code in codes]
        unpaid = [i.invoice_id for i in InvoiceModel.batch_get(ids, consistent_read=True) if i.status != "paid"]
        if unpaid:
            failures.append(f"{len(unpaid)} invoices still unpaid after their IPN, e.g. {unpaid[0]}")

    bare = _bare_transactions(reps, get_settings())
    posting = _other_channels(reps, log) if not failures else {}
    failures += posting.pop("failures", [])

    rows, report = [], {}
    for kind, label, expect in KINDS:
        dynamo = [c for c in calls[kind] if c[0] == "dynamodb"]
        variants = list(dict.fromkeys(seen[kind]))
        report[kind] = {
            "rsp_code": expect,
            "median_s": median(samples[kind]),
            "p90_s": p90(samples[kind]),
            "samples": len(samples[kind]),
            "dynamodb_calls": len(dynamo),
            "operations": _describe(calls[kind]) if dynamo else "none",
            "stable": len(variants) <= 1,
            "variants": variants,
        }
        r = report[kind]
        rows.append(
            [
                label,
                expect,
                r["dynamodb_calls"],
                r["operations"] if r["stable"] else "VARIES: " + " | ".join(variants),
                ms(r["median_s"]),
                ms(r["p90_s"]),
            ]
        )
    rows.append(
        [
            "bare TransactWriteItems, 3 items (boto3)",
            "",
            1,
            "TransactWriteItems(orders,payments,invoices)",
            ms(bare["median_s"]),
            ms(bare["p90_s"]),
        ]
    )

    for key, label in (
        ("cash", "cash receipt (collect, 1 invoice)"),
        ("transfer", "bank transfer, 100,000 for a 75,900 bill (oldest open + credit)"),
    ):
        if key in posting:
            r = posting[key]
            report[key] = r
            rows.append([label, "", r["dynamodb_calls"], r["operations"], ms(r["median_s"]), ms(r["p90_s"])])
    print(
        f"\nIn-process through chalice.test.Client, {reps} orders after one warm-up; each order gets its "
        f"first IPN, then a duplicate, then one with a bad signature. Latencies are on DynamoDB Local, not AWS:"
    )
    print(table(["IPN", "RspCode", "DynamoDB calls", "operations (table)", "median", "p90"], rows, right=(2, 4, 5)))
    overhead = report["applied"]["median_s"] - bare["median_s"]
    print(
        f"The applied IPN costs {ms(overhead)} over the bare transaction it needs (median vs median): a "
        f"consistent GetItem of the order, a BatchGetItem of its invoices, Chalice, signature check and logging."
    )
    for failure in failures:
        print(f"!!! IPN FAILED: {failure}")
    return {"reps": reps, **report, "bare_transaction": bare, "overhead_over_bare_s": overhead, "failures": failures}


def _other_channels(reps: int, log) -> dict:
    """The same posting path from the other channels, in-process on the services: a cash receipt
    taken in the field and a bank transfer naming only the customer code."""
    from datetime import datetime

    from bench.dynamo import _describe
    from chalicelib import deps
    from chalicelib.adapters.clock import VN_TZ
    from chalicelib.domain.tokens import Identity
    from chalicelib.services.ledger import IncomingPayment, Target
    from chalicelib.store.models import InvoiceModel
    from local.seed import invoice_item

    out: dict = {"failures": []}
    staff = Identity(account_id="staff:benchcash", role="staff", device="356938035643801")
    codes = {"cash": [f"0991{i:04d}" for i in range(reps + 1)], "transfer": [f"0992{i:04d}" for i in range(reps + 1)]}
    with InvoiceModel.batch_write() as batch:
        for key, water in (("cash", 66000), ("transfer", 66000)):
            for code in codes[key]:
                batch.save(invoice_item(code, PERIOD, 1, 12, water, "unpaid", "Bench"))
    ledger = deps.ledger()
    collections = deps.collections()
    for key in ("cash", "transfer"):
        times, calls = [], None
        for n, code in enumerate(codes[key]):
            invoice_id = f"INV-{code}-{PERIOD.replace('-', '')}"
            total = int(InvoiceModel.get(invoice_id).total)
            with log.record():
                t = time.perf_counter()
                if key == "cash":
                    collections.collect(
                        staff,
                        {
                            "collection_id": f"bench-cash-{code}",
                            "invoice_id": invoice_id,
                            "amount": total,
                            "collected_at": datetime.now(VN_TZ).isoformat(timespec="seconds"),
                        },
                    )
                else:
                    now = int(time.time())
                    ledger.post_payment(
                        IncomingPayment(
                            channel="bank_transfer",
                            payment_id=f"bank#BENCH#{code}",
                            external_ref=f"BENCH{code}",
                            amount=100000,
                            received_at=now,
                            posted_by="bench",
                            paid_at="2024-05-05T00:00:00+07:00",
                        ),
                        Target(customer_code=code),
                    )
                elapsed = time.perf_counter() - t
            if n:
                times.append(elapsed)
            calls = calls or list(log.calls)
        paid = InvoiceModel.get(f"INV-{codes[key][-1]}-{PERIOD.replace('-', '')}", consistent_read=True)
        if paid.status != "paid":
            out["failures"].append(f"{key}: invoice left {paid.status}")
        dynamo = [c for c in calls if c[0] == "dynamodb"]
        out[key] = {
            "median_s": median(times),
            "p90_s": p90(times),
            "samples": len(times),
            "dynamodb_calls": len(dynamo),
            "operations": _describe(calls),
        }
    return out


def _bare_transactions(reps: int, settings) -> dict:
    """One TransactWriteItems of 3 items on fresh keys, like the IPN's apply:
    order pending -> paid (conditioned), a payment record (attribute_not_exists),
    invoice unpaid -> paid (conditioned). Items are written first, untimed."""
    import boto3

    from chalicelib.store.models import InvoiceModel, OrderModel, PaymentModel

    client = boto3.client("dynamodb", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint)
    orders, invoices, payments = (m.Meta.table_name for m in (OrderModel, InvoiceModel, PaymentModel))
    keys = [(f"BARE{n:08d}", f"INV-BARE{n:04d}-202401") for n in range(reps + 1)]
    for start in range(0, len(keys), 12):
        client.batch_write_item(
            RequestItems={
                orders: [
                    {
                        "PutRequest": {
                            "Item": {
                                "order_id": {"S": o},
                                "status": {"S": "pending"},
                                "expires_at": {"N": "1999999999"},
                            }
                        }
                    }
                    for o, _ in keys[start : start + 12]
                ],
                invoices: [
                    {
                        "PutRequest": {
                            "Item": {
                                "invoice_id": {"S": i},
                                "status": {"S": "unpaid"},
                                "customer_code": {"S": "BARE"},
                                "customer_status": {"S": "BARE#unpaid"},
                                "period_key": {"S": f"2024-01#{i}"},
                            }
                        }
                    }
                    for _, i in keys[start : start + 12]
                ],
            }
        )
    times, failures = [], 0
    for n, (order_id, invoice_id) in enumerate(keys):
        items = [
            {
                "Update": {
                    "TableName": orders,
                    "Key": {"order_id": {"S": order_id}},
                    "UpdateExpression": "SET #s = :paid, transaction_no = :t",
                    "ConditionExpression": "#s IN (:pending, :failed, :expired)",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {
                        ":paid": {"S": "paid"},
                        ":t": {"S": f"9{n:07d}"},
                        ":pending": {"S": "pending"},
                        ":failed": {"S": "failed"},
                        ":expired": {"S": "expired"},
                    },
                }
            },
            {
                "Put": {
                    "TableName": payments,
                    "Item": {
                        "payment_id": {"S": f"vnpay#BARE{n:07d}"},
                        "kind": {"S": "payment"},
                        "order_id": {"S": order_id},
                        "amount": {"N": "78000"},
                        "status": {"S": "applied"},
                        "received_at": {"N": "1714878610"},
                    },
                    "ConditionExpression": "attribute_not_exists(payment_id)",
                }
            },
            {
                "Update": {
                    "TableName": invoices,
                    "Key": {"invoice_id": {"S": invoice_id}},
                    "UpdateExpression": "SET #s = :paid, customer_status = :cs",
                    "ConditionExpression": "#s = :unpaid",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {
                        ":paid": {"S": "paid"},
                        ":cs": {"S": "BARE#paid"},
                        ":unpaid": {"S": "unpaid"},
                    },
                }
            },
        ]
        t = time.perf_counter()
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException:
            failures += 1
            continue
        if n:  # the first one is a warm-up
            times.append(time.perf_counter() - t)
    if failures:
        raise RuntimeError(f"{failures} bare transactions were cancelled")
    return {"median_s": median(times), "p90_s": p90(times), "samples": len(times), "items": 3}


if __name__ == "__main__":
    reps_arg, out_path = int(sys.argv[1]), sys.argv[2]
    result = _child(reps_arg)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)
