"""Load on the whole local stack (the one `make run` starts), over HTTP on
127.0.0.1 only, bounded to a few minutes:

(a) VNPay IPNs in a burst: N orders opened through `POST /v1/payments` (the
    demo customer, one invoice each), a sample of status polls, QR images and
    return pages, then every order's IPN signed like VNPay (with
    chalicelib/domain/vnpay.py and the stack's hash secret) plus 30 %
    duplicates, shuffled (out of order), sent by 12 concurrent clients.
    Afterwards each order must be paid exactly once: one payment record, each
    invoice one payment entry, no credit.
(b) Readings from 23 devices: 23 staff created, logged in (device bound) and
    given a route through the API; a working day is 125 readings each (seed
    003: 63,410 customers / 23 staff / 22 working days ≈ 125) = 2,875, which
    the utility spreads over the day and this scenario over one hour
    (0.8 readings/s). The bench sends 20 per device by default (bounded:
    the local worker is one process) and `--load-readings-per-staff 125`
    the whole day; each staff member's client sends its readings one after
    the other through `POST /v1/staff/readings`, 23 at once, as fast as the
    stack answers, and the stack's queue worker bills them.
    Afterwards every reading must be billed once: one invoice each, the
    invoice series moved by exactly the number of readings.

DynamoDB calls are counted on the server side: the stack's processes reach
DynamoDB Local through a small counting proxy on 127.0.0.1, which asks for
ReturnConsumedCapacity on every call (so DynamoDB Local's own read/write
units are recorded) and tells the API's calls from the worker's by the
process that owns the connection. The JSON log bytes each process writes
are counted too (CloudWatch Logs is billed by them).

Runs in its own interpreter (`python -m bench.load`), like the other
sections that need their own engines. `bench/cost.py` turns the figures
into AWS prices."""

from __future__ import annotations

import collections
import concurrent.futures
import http.client
import http.server
import json
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

from bench.common import clean_env, heading, ms, run_child, table

DEMO_PASSWORD = "bench-Demo-Pass-2023"
CUSTOMER = "01031059"  # the demo customer: its token owns this code
N_ORDERS = 300
DUPLICATES = 0.30  # share of IPNs VNPay sends twice (retries after a lost answer)
IPN_CLIENTS = 12
ORDER_CLIENTS = 8
SAMPLE = 100  # status polls / return pages measured; QR images: SAMPLE // 2
UNLOADED = 20  # requests of each kind sent one at a time: the service time
N_STAFF = 23
DAY_PER_STAFF = 125  # a working day: 63,410 / 23 / 22 working days
READINGS_PER_STAFF = 20  # sent by default (bounded); --load-readings-per-staff 125 sends the whole day
READ_PERIOD = "2024-05"
READ_AT = "2024-06-05T09:30:00+07:00"
HISTORY = (("2024-02", 11), ("2024-03", 12), ("2024-04", 10))
APP_VERSION = "1.4.2"


# -- the parent: one child interpreter ------------------------------------------------


def run(orders: int = N_ORDERS, readings_per_staff: int = READINGS_PER_STAFF) -> dict:
    heading("Load on the local stack: an IPN burst, and a day of readings from 23 devices (loopback only)")
    sys.stdout.flush()
    result = run_child("bench.load", [orders, readings_per_staff], clean_env(PYTHONUNBUFFERED="1"), timeout=1800)
    if result.get("failures"):
        raise RuntimeError("; ".join(result["failures"][:3]))
    from bench import cost

    result["cost"] = cost.run(result)
    return result


# -- counting DynamoDB calls on the way to DynamoDB Local --------------------------------


def _peer_inode(port: int, server_port: int) -> str | None:
    """The socket inode of the client's end of the loopback connection
    127.0.0.1:port -> 127.0.0.1:server_port (Linux)."""
    local, remote = f"0100007F:{port:04X}", f"0100007F:{server_port:04X}"
    try:
        with open("/proc/net/tcp", encoding="ascii") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1] == local and fields[2] == remote:
                    return fields[9]
    except OSError:
        return None
    return None


def _owner(inode: str | None, pids: dict) -> str:
    if not inode:
        return "unknown"
    target = f"socket:[{inode}]"
    for name, pid in pids.items():
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return name
                except OSError:
                    continue
        except OSError:
            continue
    return "other"


class CallCounter:
    """A loopback HTTP proxy in front of DynamoDB Local: forwards every call,
    asking for ReturnConsumedCapacity, and records (process, operation,
    tables, read units, write units)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.pids: dict[str, int] = {}
        self.records: list[tuple] = []
        self.lock = threading.Lock()
        counter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and the
                # client's delayed ACK hold every answer back ~40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.process = None
                self.upstream_conn = None

            def log_message(self, *args):
                pass

            def do_POST(self):
                if self.process not in counter.pids:  # until the owner is known (pids are set after start)
                    self.process = _owner(_peer_inode(self.client_address[1], counter.port), counter.pids)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                op = target.rsplit(".", 1)[-1]
                try:
                    request = json.loads(body or b"{}")
                    if op in _CAPACITY_OPS and "ReturnConsumedCapacity" not in request:
                        request["ReturnConsumedCapacity"] = "TOTAL"
                        body = json.dumps(request).encode()
                except ValueError:
                    request = {}
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("content-length", "connection", "host")
                }
                headers["Content-Length"] = str(len(body))
                for attempt in (1, 2):
                    try:
                        if self.upstream_conn is None:
                            self.upstream_conn = http.client.HTTPConnection("127.0.0.1", counter.upstream, timeout=60)
                            self.upstream_conn.connect()
                            self.upstream_conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        self.upstream_conn.request("POST", self.path, body=body, headers=headers)
                        response = self.upstream_conn.getresponse()
                        payload = response.read()
                        break
                    except (OSError, http.client.HTTPException):
                        self.upstream_conn = None
                        if attempt == 2:
                            raise
                counter.record(self.process, op, request, response.status, payload)
                self.send_response(response.status)
                for k, v in response.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, name="ddb-counter", daemon=True).start()

    def record(self, process: str, op: str, request: dict, status: int, payload: bytes) -> None:
        rru = wru = 0.0
        if status == 200:
            try:
                consumed = json.loads(payload or b"{}").get("ConsumedCapacity")
            except ValueError:
                consumed = None
            for c in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
                units = float(c.get("CapacityUnits") or 0)
                read, write = c.get("ReadCapacityUnits"), c.get("WriteCapacityUnits")
                if read is None and write is None:
                    if op in _WRITE_OPS:
                        wru += units
                    else:
                        rru += units
                else:
                    rru += float(read or 0)
                    wru += float(write or 0)
        with self.lock:
            self.records.append((time.monotonic(), process, op, _short_tables(request), rru, wru, status))

    def mark(self) -> int:
        with self.lock:
            return len(self.records)

    def since(self, mark: int, process: str | None = None) -> list[tuple]:
        with self.lock:
            rows = self.records[mark:]
        return [r for r in rows if process is None or r[1] == process]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
_CAPACITY_OPS = _WRITE_OPS | {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def _short_tables(request: dict) -> str:
    names = []
    if "TransactItems" in request:
        names = [op.get("TableName", "") for item in request["TransactItems"] for op in item.values()]
    elif "RequestItems" in request:
        names = list(request["RequestItems"])
    elif request.get("TableName"):
        names = [request["TableName"]]
    short = [n.split("-")[-1] for n in names]
    return ",".join(dict.fromkeys(short))


def summarize(rows: list[tuple], per: int) -> dict:
    """Calls, read and write units per operation of the API/worker, divided by `per`."""
    ops = collections.Counter()
    rru = wru = 0.0
    for _, _, op, tables, r, w, _ in rows:
        ops[f"{op}({tables})"] += 1
        rru += r
        wru += w
    per = max(per, 1)
    return {
        "calls": round(len(rows) / per, 2),
        "rru": round(rru / per, 2),
        "wru": round(wru / per, 2),
        "operations": {k: round(v / per, 2) for k, v in ops.most_common()},
    }


def _describe(summary: dict) -> str:
    return ", ".join(f"{op} {n:g}" for op, n in summary["operations"].items())


# -- log bytes (CloudWatch Logs ingestion) -------------------------------------------------


class LogMeter:
    """The stack's output file: JSON log lines written by the API and the worker, in bytes."""

    def __init__(self, path: str) -> None:
        self.path = path

    def offset(self) -> int:
        return os.path.getsize(self.path)

    def json_bytes(self, start: int) -> dict:
        sizes = collections.Counter()
        with open(self.path, "rb") as f:
            f.seek(start)
            for raw in f:
                name, sep, text = raw.partition(b" | ")
                text = text.strip()
                if sep and text.startswith(b"{"):
                    sizes[name.strip().decode()] += len(text) + 1
        return dict(sizes)


# -- HTTP clients --------------------------------------------------------------------------


class Http:
    """One requests.Session per thread, against 127.0.0.1 only."""

    def __init__(self, base_url: str) -> None:
        assert base_url.startswith("http://127.0.0.1:")
        self.base = base_url
        self.local = threading.local()
        self.lock = threading.Lock()
        self.resent = 0

    @property
    def session(self):
        import requests

        if not hasattr(self.local, "s"):
            self.local.s = requests.Session()
        return self.local.s

    def call(self, method: str, path: str, body=None, token=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        import requests

        t = time.perf_counter()
        for attempt in range(4):
            try:
                r = self.session.request(method, self.base + path, json=body, headers=h, timeout=60)
                break
            except requests.ConnectionError:
                # The local server dropped the connection (its backlog, on a busy machine): send again, as a
                # device or VNPay would. Every request here is safe to repeat (reading_id, the open order, the IPN).
                with self.lock:
                    self.resent += 1
                if attempt == 3:
                    raise
                self.local.s = requests.Session()
                time.sleep(0.2 * (attempt + 1))
        return r, time.perf_counter() - t


def pct(values, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def lat(values) -> dict:
    return {
        "n": len(values),
        "p50_s": pct(values, 0.5),
        "p99_s": pct(values, 0.99),
        "mean_s": statistics.fmean(values) if values else float("nan"),
    }


def _parallel(clients: int, jobs, fn):
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(fn, jobs))


# -- the child ---------------------------------------------------------------------------------


def _child(n_orders: int, per_staff: int) -> dict:
    from local import engines
    from local.run import Stack, StackConfig

    state = tempfile.mkdtemp(prefix="cskh-load-")
    config = StackConfig.ephemeral(
        state, demo_password=DEMO_PASSWORD, extra_env={"LOCAL_QUEUE_VISIBILITY_SECONDS": "30"}
    )
    upstream = config.dynamodb_port if engines.java_available() else config.moto_port
    counter = CallCounter(upstream)
    config.extra_env["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://127.0.0.1:{counter.port}"
    log_path = os.path.join(state, "stack.log")
    started = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        stack = Stack(config, out=log)
        try:
            stack.start()
            counter.pids = {name: proc.pid for name, proc in stack.procs if name in ("api", "events")}
            counter.pids["bench"] = os.getpid()
            print(
                f"local stack up in {time.perf_counter() - started:.1f} s (API {stack.api_url}, "
                f"{'DynamoDB Local' if engines.java_available() else 'moto'} behind the call counter)"
            )
            # This process prepares data straight in the stack's tables: its settings are the stack's.
            os.environ.update(stack.env)
            meter = LogMeter(log_path)
            result = {
                "engine": "DynamoDB Local" if engines.java_available() else "moto (no java)",
                "cpus": os.cpu_count(),
                "load_average_before": os.getloadavg()[0],
                "failures": [],
            }
            result["payments"] = _payments(stack, counter, meter, n_orders, result["failures"])
            result["readings"] = _readings(stack, counter, meter, per_staff, result["failures"])
            result["seconds"] = round(time.perf_counter() - started, 1)
            result["load_average_after"] = os.getloadavg()[0]
            print(
                f"\nthe section took {result['seconds']:.0f} s; the machine's load average was "
                f"{result['load_average_before']:.1f} before and {result['load_average_after']:.1f} after "
                f"({result['cpus']} cores, shared with whatever else runs)"
            )
            return result
        finally:
            stack.stop()
            counter.close()


# -- (a) payments ------------------------------------------------------------------------------


def _payments(stack, counter: CallCounter, meter: LogMeter, n: int, failures: list) -> dict:
    from chalicelib.domain import vnpay
    from chalicelib.store.models import InvoiceModel, OrderModel, PaymentModel
    from local.seed import invoice_item

    http_ = Http(stack.api_url)
    secret = stack.env["VNPAY_HASH_SECRET"]
    r, _ = http_.call("POST", "/v1/auth/login", {"customer_code": CUSTOMER, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]

    # n unpaid invoices of the demo customer, written directly (not measured).
    periods = [f"{1990 + i // 12}-{i % 12 + 1:02d}" for i in range(n + UNLOADED)]
    with InvoiceModel.batch_write() as batch:
        for i, period in enumerate(periods):
            batch.save(invoice_item(CUSTOMER, period, 100 + i, 111 + i, 66000 + 10 * i, "unpaid", "Bench"))
    ids = [f"INV-{CUSTOMER}-{p.replace('-', '')}" for p in periods]

    def timed_phase(label, clients, jobs, fn):
        mark, logs = counter.mark(), meter.offset()
        t = time.perf_counter()
        out = _parallel(clients, jobs, fn)
        wall = time.perf_counter() - t
        time.sleep(0.3)  # the last log lines
        return out, wall, counter.since(mark, "api"), meter.json_bytes(logs)

    # Orders, one invoice each, 8 clients.
    def create(invoice_id):
        r, s = http_.call("POST", "/v1/payments", {"invoice_ids": [invoice_id]}, token=token)
        return r.status_code, (r.json() if r.status_code in (200, 201) else r.text[:200]), s

    # First a few one at a time, nothing else running: the service time (what Lambda would bill).
    unloaded = {}
    extra, wall, rows, _ = timed_phase("orders, one client", 1, ids[n:], create)
    extra_orders = [body for status, body, _ in extra if status == 201]
    unloaded["orders"] = {**lat([s for _, _, s in extra]), "dynamodb": summarize(rows, len(extra))}
    ids = ids[:n]
    created, wall, rows, logs = timed_phase("orders", ORDER_CLIENTS, ids, create)
    orders = [body for status, body, _ in created if status == 201]
    if len(orders) != n:
        failures.append(f"{n - len(orders)} orders not created: {[b for s, b, _ in created if s != 201][:2]}")
    figures = {
        "orders": {
            "count": len(orders),
            "clients": ORDER_CLIENTS,
            "wall_s": wall,
            "per_s": len(orders) / wall,
            **lat([s for _, _, s in created]),
            "dynamodb": summarize(rows, len(created)),
            "log_bytes": logs.get("api", 0) / max(len(created), 1),
        }
    }

    # A sample of what the customer's app does next: poll the status, show the QR; and the return page.
    sample = orders[:SAMPLE]

    def poll(o):
        r, s = http_.call("GET", f"/v1/payments/{o['order_id']}", token=token)
        return r.status_code, s

    def qr(o):
        r, s = http_.call("GET", f"/v1/payments/{o['order_id']}/qr.png", token=token, headers={"Accept": "image/png"})
        return r.status_code, s

    txns = {o["order_id"]: str(30000000 + i) for i, o in enumerate(orders + extra_orders)}

    def ipn_params(o: dict) -> dict:
        p = {
            "vnp_TmnCode": stack.config.vnpay_tmn_code,
            "vnp_Amount": str(o["amount"] * 100),
            "vnp_BankCode": "NCB",
            "vnp_BankTranNo": "VNP" + txns[o["order_id"]],
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": "Thanh toan tien nuoc",
            "vnp_PayDate": "20240505101010",
            "vnp_ResponseCode": "00",
            "vnp_TransactionNo": txns[o["order_id"]],
            "vnp_TransactionStatus": "00",
            "vnp_TxnRef": o["order_id"],
        }
        p["vnp_SecureHash"] = vnpay.sign(secret, vnpay.canonical(p))
        return p

    def back(o):
        r, s = http_.call("GET", "/v1/vnpay/return?" + urlencode(ipn_params(o)))
        return r.status_code, s

    for name, fn, jobs in (("poll", poll, sample), ("qr", qr, sample[: SAMPLE // 2]), ("return", back, sample)):
        out, wall, rows, logs = timed_phase(name, 4, jobs, fn)
        bad = [st for st, _ in out if st != 200]
        if bad:
            failures.append(f"{name}: {len(bad)} answers not 200, e.g. {bad[0]}")
        figures[name] = {
            **lat([s for _, s in out]),
            "dynamodb": summarize(rows, len(out)),
            "log_bytes": logs.get("api", 0) / max(len(out), 1),
        }

    for name, fn, jobs in (("poll", poll, extra_orders), ("qr", qr, extra_orders), ("return", back, extra_orders)):
        out, wall, rows, _ = timed_phase(name, 1, jobs, fn)
        unloaded[name] = {**lat([s for _, s in out]), "dynamodb": summarize(rows, len(out))}

    # The burst: every order's IPN, 30 % of them twice, in a shuffled order, 12 clients.
    rng = random.Random(7)
    burst = [ipn_params(o) for o in orders]
    burst += [dict(p) for p in rng.sample(burst, int(len(burst) * DUPLICATES))]
    rng.shuffle(burst)

    def ipn(p):
        r, s = http_.call("GET", "/v1/vnpay/ipn?" + urlencode(p))
        return (r.json().get("RspCode") if r.status_code == 200 else f"HTTP {r.status_code}"), s

    out, wall, rows, logs = timed_phase("ipn", IPN_CLIENTS, burst, ipn)
    codes = collections.Counter(c for c, _ in out)
    figures["ipn"] = {
        "ipns": len(burst),
        "orders": len(orders),
        "duplicates": len(burst) - len(orders),
        "clients": IPN_CLIENTS,
        "wall_s": wall,
        "per_s": len(burst) / wall,
        **lat([s for _, s in out]),
        "rsp_codes": dict(codes),
        "dynamodb": summarize(rows, len(burst)),
        "dynamodb_per_order": summarize(rows, len(orders)),
        "log_bytes": logs.get("api", 0) / max(len(burst), 1),
    }
    # One 00 per order and 02 for the duplicates (a request sent again after a dropped connection may turn a
    # 00 into a 02); anything else is a failure. Exactly-once is checked on the stored data below.
    if set(codes) - {"00", "02"} or codes.get("00", 0) > len(orders) or codes.get("00", 0) + http_.resent < len(orders):
        failures.append(f"IPN answers {dict(codes)}: expected 00 x {len(orders)}, 02 x {len(burst) - len(orders)}")

    # The extra orders' IPNs one at a time: the applied IPN's and the duplicate's service time and calls.
    for name, jobs in (
        ("ipn_applied", [ipn_params(o) for o in extra_orders]),
        ("ipn_duplicate", [ipn_params(o) for o in extra_orders]),
    ):
        out, wall, rows, _ = timed_phase(name, 1, jobs, ipn)
        expect = "00" if name == "ipn_applied" else "02"
        if any(c != expect for c, _ in out):
            failures.append(f"{name}: answers {collections.Counter(c for c, _ in out)}")
        unloaded[name] = {**lat([s for _, s in out]), "dynamodb": summarize(rows, len(out))}
    figures["unloaded"] = unloaded
    figures["resent_after_connection_reset"] = http_.resent

    # Exactly once: every order paid, one payment record each, one payment entry per invoice, no credit.
    by_id = {o.order_id: o for o in OrderModel.batch_get([o["order_id"] for o in orders], consistent_read=True)}
    payments = {
        p.payment_id: p for p in PaymentModel.batch_get([f"vnpay#{t}" for t in txns.values()], consistent_read=True)
    }
    invoices = {
        i.invoice_id: i for i in InvoiceModel.batch_get([o["invoice_ids"][0] for o in orders], consistent_read=True)
    }
    from chalicelib.store.models import CustomerAccountModel

    holders = {o["items"][0]["customer_code"] for o in orders}
    credits = [a for a in CustomerAccountModel.batch_get(list(holders), consistent_read=True) if int(a.credit or 0)]
    problems = collections.Counter()
    for o in orders:
        stored = by_id.get(o["order_id"])
        pay = payments.get(f"vnpay#{txns[o['order_id']]}")
        inv = invoices.get(o["invoice_ids"][0])
        problems["order not paid"] += stored is None or stored.status != "paid"
        problems["payment record missing or wrong"] += (
            pay is None or int(pay.amount) != o["amount"] or int(pay.credited or 0) != 0
        )
        problems["invoice not paid exactly once"] += inv is None or inv.status != "paid" or len(inv.payments) != 1
    problems["accounts left with credit"] = len(credits)
    problems = {k: v for k, v in problems.items() if v}
    figures["exactly_once"] = {"orders_checked": len(orders), "problems": problems}
    if problems:
        failures.append(f"IPN burst broke exactly-once: {problems}")

    rows_out = []
    for key, label in (
        ("orders", "POST /v1/payments (open an order)"),
        ("poll", "GET /v1/payments/{id}"),
        ("qr", "GET /v1/payments/{id}/qr.png"),
        ("return", "GET /v1/vnpay/return"),
        ("ipn", "GET /v1/vnpay/ipn (burst, 30 % duplicates)"),
    ):
        f = figures[key]
        rows_out.append(
            [
                label,
                f["n"],
                ms(f["p50_s"]),
                ms(f["p99_s"]),
                f"{f['dynamodb']['calls']:g}",
                f"{f['dynamodb']['rru']:g} / {f['dynamodb']['wru']:g}",
                _describe(f["dynamodb"]),
            ]
        )
    print(
        f"\n(a) Payments: {len(orders)} orders, {len(burst)} IPNs ({len(burst) - len(orders)} duplicates, shuffled) "
        f"from {IPN_CLIENTS} clients in {figures['ipn']['wall_s']:.1f} s = {figures['ipn']['per_s']:.0f} IPNs/s; "
        f"answers {dict(codes)}; orders opened at {figures['orders']['per_s']:.0f}/s by {ORDER_CLIENTS} clients"
    )
    print(
        table(
            ["request", "n", "p50", "p99", "DynamoDB calls", "RRU / WRU", "operations (per request)"],
            rows_out,
            right=(1, 2, 3, 4),
        )
    )
    print(
        f"one client at a time (n={UNLOADED} each; the service time, used for Lambda's duration): "
        + ", ".join(f"{k} {ms(v['p50_s'])}" for k, v in unloaded.items())
    )
    print(
        "exactly once after the burst: "
        + ("yes (every order paid once, one payment record each, no credit)" if not problems else f"NO: {problems}")
    )
    return figures


# -- (b) readings ----------------------------------------------------------------------------


def _readings(stack, counter: CallCounter, meter: LogMeter, per_staff: int, failures: list) -> dict:
    from chalicelib.config import get_settings
    from chalicelib.store.models import CustomerModel, InvoiceModel, InvoiceSeriesModel, ReadingModel
    from local.seed import invoice_item

    http_ = Http(stack.api_url)
    r, _ = http_.call("POST", "/v1/admin/login", {"username": "admin", "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    admin = r.json()["access_token"]

    # Customers: per_staff for each of the 23, three paid months and a last index; written directly.
    t = time.perf_counter()
    plan = []  # (staff index, customer code, new index)
    with CustomerModel.batch_write() as customers, InvoiceModel.batch_write() as invoices:
        for s in range(N_STAFF):
            for k in range(per_staff):
                code = f"07{s:02d}{k:04d}"
                index = 275 - sum(m3 for _, m3 in HISTORY)
                for period, m3 in HISTORY:
                    invoices.save(invoice_item(code, period, index, index + m3, m3 * 6000, "paid", "Khách Đo Tải"))
                    index += m3
                customers.save(
                    CustomerModel(
                        code,
                        ledger_no=f"LD{s:02d}{k:04d}",
                        name="Khách Đo Tải",
                        address=f"{k} Lý Thường Kiệt, TP Cà Mau",
                        house_no=str(k),
                        phone=f"09{s:02d}{k:06d}",
                        customer_class="household",
                        branch="TP Ca Mau",
                        persons=2,
                        payment_channel="cash",
                        tariff_area="camau-city",
                        last_index=275,
                        last_read_on="2024-05-05",
                    )
                )
                plan.append((s, code, 275 + 9 + (k % 5)))
    setup_customers_s = time.perf_counter() - t

    # Staff, devices and routes through the API (not measured).
    t = time.perf_counter()
    tokens, imeis, passwords = [], [], []
    for s in range(N_STAFF):
        login, imei = f"tai{s:02d}", f"35693803{s:07d}"
        password = f"Load-{s:02d}-Duong-Nuoc-2024"
        r, _ = http_.call(
            "POST",
            "/v1/admin/staff",
            {"username": login, "password": password, "full_name": f"Nhân viên {s:02d}", "branch": "TP Ca Mau"},
            token=admin,
        )
        assert r.status_code == 201, r.text
        r, _ = http_.call(
            "POST",
            "/v1/staff/login",
            {"username": login, "password": password, "device_imei": imei, "app_version": APP_VERSION},
        )
        assert r.status_code == 200, r.text
        tokens.append(r.json()["access_token"])
        imeis.append(imei)
        passwords.append((login, password))
        codes = [c for i, c, _ in plan if i == s]
        r, _ = http_.call(
            "POST",
            "/v1/admin/routes",
            {"staff": login, "period": READ_PERIOD, "days": [5], "customer_codes": codes},
            token=admin,
        )
        assert r.status_code == 201, r.text
    setup_staff_s = time.perf_counter() - t
    print(
        f"\n{len(plan):,} customers with 3 paid months written in {setup_customers_s:.1f} s; {N_STAFF} staff "
        f"created, logged in (device bound) and given a route through the API in {setup_staff_s:.1f} s"
    )

    s = get_settings()
    import datetime as dt

    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).year
    series = f"{s.invoice_template}{s.invoice_symbol.replace('{yy}', f'{year % 100:02d}')}"

    def last_number() -> int:
        from chalicelib.store.repositories import get_or_none

        item = get_or_none(InvoiceSeriesModel, series, consistent_read=True)
        return int(item.last_number) if item else 0

    number_before = last_number()

    # 23 devices at once, each sending its own readings one after the other.
    by_staff = collections.defaultdict(list)
    for i, code, new_index in plan:
        by_staff[i].append((f"load-{code}", code, new_index))
    api_mark, worker_mark, logs = counter.mark(), counter.mark(), meter.offset()
    latencies, statuses = [], collections.Counter()
    lock = threading.Lock()
    t0 = time.perf_counter()

    def device(i: int, readings=None):
        headers = {"X-Device-Imei": imeis[i], "X-App-Version": APP_VERSION, "X-Geo": "9.1769,105.1524"}
        for reading_id, code, new_index in by_staff[i] if readings is None else readings:
            r, sec = http_.call(
                "POST",
                "/v1/staff/readings",
                {
                    "reading_id": reading_id,
                    "customer_code": code,
                    "period": READ_PERIOD,
                    "new_index": new_index,
                    "read_at": READ_AT,
                    "lat": 9.1769,
                    "lng": 105.1524,
                },
                token=tokens[i],
                headers=headers,
            )
            with lock:
                latencies.append(sec)
                statuses[r.status_code] += 1

    # Staff 0's first readings one at a time, nothing else running: the service time.
    first, by_staff[0] = by_staff[0][:UNLOADED], by_staff[0][UNLOADED:]
    single = _parallel(1, [0], lambda i: device(i, first))
    unloaded = lat(latencies[:])
    del single
    _parallel(N_STAFF, range(N_STAFF), device)
    sent_s = time.perf_counter() - t0
    api_rows = counter.since(api_mark, "api")
    print(
        f"{len(latencies):,} readings sent by {N_STAFF} devices in {sent_s:.1f} s "
        f"({len(latencies) / sent_s:.1f}/s; answers {dict(statuses)}); waiting for the worker to bill them ..."
    )
    if statuses.get(202, 0) != len(plan):
        failures.append(f"readings answered {dict(statuses)}")

    # Wait until every reading is billed (the stack's event runner delivers the queue to readings_worker).
    ids = [f"load-{code}" for _, code, _ in plan]
    deadline = time.monotonic() + 900
    done_at = None
    while time.monotonic() < deadline:
        pending = 0
        for start in range(0, len(ids), 100):
            pending += sum(1 for r in ReadingModel.batch_get(ids[start : start + 100]) if r.status == "queued")
        if pending == 0:
            done_at = time.perf_counter() - t0
            break
        time.sleep(1.0)
    time.sleep(0.5)
    # The worker's calls (the event runner's process), less the scheduled reconciliation's look at orders.
    worker_rows = [r for r in counter.since(worker_mark, "events") if r[3] not in ("orders", "payments")]
    log_bytes = meter.json_bytes(logs)
    if done_at is None:
        failures.append(f"{pending} readings still queued after 15 minutes")
        done_at = time.perf_counter() - t0

    # Exactly once: each reading billed, one invoice per customer and period carrying its reading, index moved,
    # and the invoice series moved by exactly the number of readings (no invoice issued twice).
    readings = {}
    for start in range(0, len(ids), 100):
        readings.update(
            {r.reading_id: r for r in ReadingModel.batch_get(ids[start : start + 100], consistent_read=True)}
        )
    invoice_ids = [f"INV-{code}-{READ_PERIOD.replace('-', '')}" for _, code, _ in plan]
    invoices = {}
    for start in range(0, len(invoice_ids), 100):
        invoices.update(
            {i.invoice_id: i for i in InvoiceModel.batch_get(invoice_ids[start : start + 100], consistent_read=True)}
        )
    customers = {}
    codes = [code for _, code, _ in plan]
    for start in range(0, len(codes), 100):
        customers.update({c.code: c for c in CustomerModel.batch_get(codes[start : start + 100], consistent_read=True)})
    problems = collections.Counter()
    outcomes = collections.Counter()
    processed = []
    for (_, code, new_index), reading_id, invoice_id in zip(plan, ids, invoice_ids):
        r = readings.get(reading_id)
        outcomes[r.status if r else "missing"] += 1
        inv = invoices.get(invoice_id)
        problems["reading not billed"] += r is None or r.status not in ("billed", "flagged")
        problems["invoice missing or not this reading's"] += inv is None or inv.reading_id != reading_id
        problems["customer index not moved"] += int(customers[code].last_index) != new_index
        if r is not None and r.processed_at:
            processed.append(int(r.processed_at))
    numbers = last_number() - number_before
    if numbers != len(plan):
        problems[f"invoice numbers taken: {numbers} for {len(plan)} readings"] += 1
    problems = {k: v for k, v in problems.items() if v}
    if problems:
        failures.append(f"readings broke exactly-once: {problems}")

    n = len(plan)
    worker_span = (max(processed) - min(processed) + 1) if processed else done_at
    api_summary, worker_summary = summarize(api_rows, n), summarize(worker_rows, n)
    # What the device asks next: the reading's result (status, invoice, what to print), for a sample.
    # (Access tokens last 15 minutes and the whole day takes longer here: log in again first.)
    for i, (login, password) in enumerate(passwords):
        r, _ = http_.call(
            "POST",
            "/v1/staff/login",
            {"username": login, "password": password, "device_imei": imeis[i], "app_version": APP_VERSION},
        )
        if r.status_code == 200:
            tokens[i] = r.json()["access_token"]
    mark = counter.mark()
    sample = [(i, reading_id) for i, reading_id in zip([p[0] for p in plan], ids)][:: max(1, n // SAMPLE)]

    def status(job):
        i, reading_id = job
        r, sec = http_.call(
            "GET",
            f"/v1/staff/readings/{reading_id}",
            token=tokens[i],
            headers={"X-Device-Imei": imeis[i], "X-App-Version": APP_VERSION},
        )
        return r.status_code, sec

    got = _parallel(4, sample, status)
    if any(code != 200 for code, _ in got):
        failures.append(f"reading results: {collections.Counter(code for code, _ in got)}")
    time.sleep(0.3)
    status_summary = summarize(counter.since(mark, "api"), len(got))
    figures = {
        "staff": N_STAFF,
        "per_staff": per_staff,
        "readings": n,
        "devices": N_STAFF,
        "send_wall_s": sent_s,
        "send_per_s": n / sent_s,
        "all_billed_after_s": done_at,
        "compression": 3600 / done_at,
        "unloaded": unloaded,
        "day": N_STAFF * DAY_PER_STAFF,
        "day_billed_in_s": N_STAFF * DAY_PER_STAFF * (worker_span / n),
        "api": {**lat(latencies), "dynamodb": api_summary, "log_bytes": log_bytes.get("api", 0) / n},
        "worker": {
            "readings_per_s": n / max(worker_span, 1e-9),
            "span_s": worker_span,
            "per_reading_s": worker_span / n,
            "dynamodb": worker_summary,
            "log_bytes": log_bytes.get("events", 0) / n,
            "batch_size": 10,
        },
        "status": {**lat([s for _, s in got]), "dynamodb": status_summary},
        "resent_after_connection_reset": http_.resent,
        "outcomes": dict(outcomes),
        "exactly_once": {"readings_checked": n, "problems": problems, "invoice_numbers_taken": numbers},
    }
    print(
        f"all billed {done_at:.1f} s after the first reading was sent; one worker (the local event runner, one "
        f"invocation at a time) billed {figures['worker']['readings_per_s']:.1f} readings/s, so a whole day "
        f"({N_STAFF * DAY_PER_STAFF:,} readings) takes {figures['day_billed_in_s'] / 60:.1f} minutes of it "
        f"(the day's hour: {N_STAFF * DAY_PER_STAFF / 3600:.2f} readings/s); outcomes {dict(outcomes)}"
    )
    print(
        table(
            ["step", "n", "p50", "p99", "DynamoDB calls", "RRU / WRU", "operations (per reading)"],
            [
                [
                    "POST /v1/staff/readings (23 devices at once)",
                    n,
                    ms(figures["api"]["p50_s"]),
                    ms(figures["api"]["p99_s"]),
                    f"{api_summary['calls']:g}",
                    f"{api_summary['rru']:g} / {api_summary['wru']:g}",
                    _describe(api_summary),
                ],
                [
                    "readings_worker, per reading",
                    n,
                    ms(figures["worker"]["per_reading_s"]),
                    "",
                    f"{worker_summary['calls']:g}",
                    f"{worker_summary['rru']:g} / {worker_summary['wru']:g}",
                    _describe(worker_summary),
                ],
                [
                    "GET /v1/staff/readings/{id} (sample)",
                    len(got),
                    ms(figures["status"]["p50_s"]),
                    ms(figures["status"]["p99_s"]),
                    f"{status_summary['calls']:g}",
                    f"{status_summary['rru']:g} / {status_summary['wru']:g}",
                    _describe(status_summary),
                ],
            ],
            right=(1, 2, 3, 4),
        )
    )
    print(
        "exactly once: "
        + (
            f"yes ({n:,} readings, {numbers:,} invoice numbers taken, every index moved)"
            if not problems
            else f"NO: {problems}"
        )
    )
    return figures


if __name__ == "__main__":
    orders_arg, per_staff_arg, out_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    result = _child(orders_arg, per_staff_arg)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
