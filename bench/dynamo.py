"""DynamoDB API calls per request, and latencies, on the local engines.

Calls are counted below PynamoDB, at botocore's `BaseClient._make_api_call`
(what PynamoDB's `Connection._make_api_call` calls), so a call made through
boto3 directly or through a TransactWrite's own connection is counted too, and
calls to other AWS services show up separately. A Scan on any request path
fails the benchmark."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable

from bench.common import JWT_SECRET, PY, REGION, ROOT, heading, median, ms, p90, table

CODE = "01031059"
PASSWORD = "cawaco-demo-2023"
INVOICE = "INV-01031059-202305"
NEW_CODE = "01031061"  # seeded without an account: registered once per run
NEW_PASSWORD = "bench-Registers-2023"
SCRYPT_LOG2_N = "14"  # the production cost


class CallLog:
    """Records every botocore API call while `recording` is set."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.clients: list[str] = []
        self.recording = False
        self.prefix = ""

    def install(self) -> None:
        from botocore.client import BaseClient
        from botocore.session import Session

        original_call, original_create = BaseClient._make_api_call, Session.create_client
        log = self

        def counted(client, operation_name, api_params):
            if log.recording:
                log.calls.append((client.meta.service_model.service_name, operation_name, log._tables(api_params)))
            return original_call(client, operation_name, api_params)

        def created(session, service_name, *args, **kwargs):
            if log.recording:
                log.clients.append(service_name)
            return original_create(session, service_name, *args, **kwargs)

        BaseClient._make_api_call = counted
        Session.create_client = created

    def _tables(self, params: dict) -> str:
        names = []
        if "TableName" in params:
            names.append(params["TableName"])
        names += list(params.get("RequestItems") or {})
        for item in params.get("TransactItems") or []:
            names += [op.get("TableName", "?") for op in item.values()]
        return ",".join(n[len(self.prefix) :] if n.startswith(self.prefix) else n for n in names)

    @contextlib.contextmanager
    def record(self):
        self.calls, self.clients = [], []
        self.recording = True
        try:
            yield self
        finally:
            self.recording = False


def _describe(calls: list[tuple[str, str, str]]) -> str:
    counts = Counter(f"{op}({tables})" if svc == "dynamodb" else f"{svc}:{op}" for svc, op, tables in calls)
    return ", ".join(f"{n}x {k}" if n > 1 else k for k, n in counts.items()) or "none"


def _start(env_out: dict):
    """Start the engines, point this process at them, create tables and demo data."""
    from local.engines import Engines

    engines = Engines()
    engines.__enter__()
    env = engines.env()
    env.update(STAGE="test", JWT_SECRET=JWT_SECRET, SCRYPT_LOG2_N=SCRYPT_LOG2_N)
    os.environ.update(env)
    env_out.update(env)
    with contextlib.redirect_stdout(io.StringIO()):
        from local import bootstrap, seed

        bootstrap.main()
        seed.load()
    return engines


def run(reps: int = 50, cold_runs: int = 5) -> dict:
    heading("3. DynamoDB calls per request, and latency (DynamoDB Local)")
    env: dict = {}
    started = time.perf_counter()
    engines = _start(env)
    try:
        print(
            f"engines up, tables and demo data loaded in {time.perf_counter() - started:.1f} s "
            f"(DynamoDB on port {engines.dynamodb_port}, moto on {engines.moto_port}; SCRYPT_LOG2_N={SCRYPT_LOG2_N})"
        )
        return _measure(env, reps, cold_runs)
    finally:
        engines.__exit__(None, None, None)


def _measure(env: dict, reps: int, cold_runs: int) -> dict:
    log = CallLog()
    log.install()

    from chalice.test import Client

    import app
    from chalicelib import deps
    from chalicelib.adapters.notifications import MemorySms
    from chalicelib.config import get_settings
    from chalicelib.observability import logger

    log.prefix = get_settings().table_prefix
    # The app's JSON access log is still formatted (its cost is part of a
    # request) but goes nowhere instead of over the bench's output.
    logger.registered_handler.setStream(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115  (open till exit)
    sms = MemorySms()
    deps.override("queued_sms", sms)
    http = Client(app.app, stage_name="bench", project_dir=ROOT).http
    state: dict = {}
    json_headers = {"Content-Type": "application/json"}

    def post(path: str, body: dict):
        return lambda: http.post(path, headers=json_headers, body=json.dumps(body))

    def get(path: str):
        return lambda: http.get(path, headers={"Authorization": f"Bearer {state['access']}"})

    def partner(method: str, path: str, body: dict | None = None):
        """A request signed as the demo bill-pay partner (docs/partners.md), a fresh nonce each time."""
        from chalicelib.config import PARTNER_DEMO_SECRET_DEFAULT
        from local.partner_client import signed_headers

        query = {"customer_code": CODE} if method == "GET" else {}
        raw = json.dumps(body).encode() if body is not None else b""

        def call():
            secret = os.environ.get("PARTNER_DEMO_SECRET") or PARTNER_DEMO_SECRET_DEFAULT
            headers = signed_headers("DEMOBANK", secret, method, path, query, raw)
            if method == "GET":
                return http.get(f"{path}?customer_code={CODE}", headers=headers)
            return http.post(path, headers={**headers, **json_headers}, body=raw)

        return call

    # (name, route as shown, request, in the README's set)
    requests: list[tuple[str, str, Callable, bool]] = [
        ("login", "POST /v1/auth/login", post("/v1/auth/login", {"customer_code": CODE, "password": PASSWORD}), True),
        ("invoice list", f"GET /v1/customers/{CODE}/invoices", get(f"/v1/customers/{CODE}/invoices"), True),
        ("invoice detail", f"GET /v1/invoices/{INVOICE}", get(f"/v1/invoices/{INVOICE}"), True),
        ("me", "GET /v1/me", get("/v1/me"), True),
        (
            "refresh",
            "POST /v1/auth/refresh",
            lambda: post("/v1/auth/refresh", {"refresh_token": state["refresh"]})(),
            True,
        ),
        (
            "unpaid invoices",
            f"GET /v1/customers/{CODE}/invoices?status=unpaid",
            get(f"/v1/customers/{CODE}/invoices?status=unpaid"),
            False,
        ),
        ("health", "GET /v1/health", lambda: http.get("/v1/health"), False),
        (
            "invoice VietQR",
            f"GET /v1/invoices/{INVOICE}/vietqr.svg",
            get(f"/v1/invoices/{INVOICE}/vietqr.svg"),
            False,
        ),
        (
            "partner bill look-up",
            f"GET /v1/partners/bills?customer_code={CODE}",
            partner("GET", "/v1/partners/bills"),
            False,
        ),
        # Issue 18's reads: the chart's data, the customer's requests and notices, the public board.
        ("consumption", f"GET /v1/customers/{CODE}/consumption", get(f"/v1/customers/{CODE}/consumption"), False),
        ("my requests", f"GET /v1/me/tickets?customer_code={CODE}", get(f"/v1/me/tickets?customer_code={CODE}"), False),
        ("my water cuts", "GET /v1/me/water-cuts", get("/v1/me/water-cuts"), False),
        ("water-cut board", "GET /v1/public/water-cuts", lambda: http.get("/v1/public/water-cuts"), False),
    ]
    samples: dict[str, list[float]] = {name: [] for name, *_ in requests}
    seen: dict[str, list[str]] = {name: [] for name, *_ in requests}
    first_calls: dict[str, list] = {}
    clients: dict[str, list[int]] = {name: [] for name, *_ in requests}
    failures: list[str] = []

    def send(name: str, label: str, fn: Callable, expect: int = 200):
        with log.record():
            t = time.perf_counter()
            response = fn()
            elapsed = time.perf_counter() - t
        if response.status_code != expect:
            failures.append(f"{label} answered {response.status_code}: {response.body[:300]!r}")
            return None, elapsed
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        body = json.loads(response.body) if response.body and is_json else {}  # an image: not read
        if name in ("login", "refresh"):
            state["access"], state["refresh"] = body["access_token"], body["refresh_token"]
        return body, elapsed

    # One warm-up pass (not timed), then `reps` timed passes; calls are counted on every pass.
    for rep in range(reps + 1):
        for name, label, fn, _ in requests:
            body, elapsed = send(name, label, fn)
            if body is None:
                continue
            if name == "invoice list" and not body.get("invoices"):
                failures.append(f"{label} returned no invoices: is the demo data loaded?")
            seen[name].append(_describe(log.calls))
            first_calls.setdefault(name, list(log.calls))
            clients[name].append(len(log.clients))
            if rep:
                samples[name].append(elapsed)
        if failures:
            break

    # What login's latency is made of: scrypt alone, at the same cost.
    from chalicelib.domain import passwords

    stored = passwords.hash_password("bench-password-1", n=1 << int(SCRYPT_LOG2_N))
    scrypt = []
    for _ in range(10):
        t = time.perf_counter()
        passwords.verify_password("bench-password-1", stored)
        scrypt.append(time.perf_counter() - t)

    # One-off paths (n=1: they change state): registration of the demo
    # customer without an account, which ends in a TransactWrite.
    once = []
    if not failures:
        for name, label, fn in (
            ("register", "POST /v1/auth/register", post("/v1/auth/register", {"customer_code": NEW_CODE})),
            (
                "register confirm",
                "POST /v1/auth/register/confirm",
                lambda: post(
                    "/v1/auth/register/confirm",
                    {"customer_code": NEW_CODE, "otp": _last_otp(sms), "password": NEW_PASSWORD},
                )(),
            ),
        ):
            body, elapsed = send(name, label, fn, 202 if name == "register" else 201)
            if body is None:
                break
            once.append((name, label, list(log.calls), len(log.clients), elapsed))
        # Money in through the new channels (each posts once: the ledger's one transaction).
        from chalicelib.config import DEMO_SEPAY_API_KEY
        from chalicelib.domain import payment_reference

        sepay = {
            "id": 90001,
            "gateway": "Vietcombank",
            "transactionDate": time.strftime("%Y-%m-%d %H:%M:%S"),
            "accountNumber": get_settings().vietqr_account_no,
            "code": None,
            "content": f"{payment_reference.for_account(CODE)} TIEN NUOC",
            "transferType": "in",
            "transferAmount": 10000,
            "accumulated": 10000,
            "subAccount": None,
            "referenceCode": "FTBENCH0001",
            "description": "",
        }
        for name, label, fn, expect in (
            (
                "SePay notification",
                "POST /v1/banks/sepay/webhook",
                lambda: http.post(
                    "/v1/banks/sepay/webhook",
                    headers={**json_headers, "Authorization": f"Apikey {DEMO_SEPAY_API_KEY}"},
                    body=json.dumps(sepay),
                ),
                200,
            ),
            (
                "partner payment",
                "POST /v1/partners/payments",
                partner(
                    "POST",
                    "/v1/partners/payments",
                    {
                        "partner_txn_id": "BENCH0001",
                        "customer_code": CODE,
                        "amount": 10000,
                        "paid_at": time.strftime("%Y-%m-%dT%H:%M:%S+07:00"),
                    },
                ),
                201,
            ),
        ):
            body, elapsed = send(name, label, fn, expect)
            if body is None:
                continue
            once.append((name, label, list(log.calls), len(log.clients), elapsed))

    rows, report, scans = [], [], []

    def add(name, label, calls, variants, new_clients, times, core):
        dynamo = [c for c in calls if c[0] == "dynamodb"]
        if any(op == "Scan" for _, op, _ in calls):
            scans.append(label)
        entry = {
            "request": label,
            "core": core,
            "dynamodb_calls": len(dynamo),
            "operations": _describe(calls),
            "other_aws_calls": [f"{svc}:{op}" for svc, op, _ in calls if svc != "dynamodb"],
            "stable": len(variants) <= 1,
            "variants": variants,
            "new_botocore_clients_per_request": new_clients,
            "median_s": median(times),
            "p90_s": p90(times),
            "samples": len(times),
        }
        report.append(entry)
        rows.append(
            [
                name,
                label,
                len(dynamo),
                entry["operations"] if len(variants) <= 1 else "VARIES: " + " | ".join(variants),
                new_clients,
                ms(entry["median_s"]),
                ms(entry["p90_s"]) if len(times) > 1 else "(n=1)",
            ]
        )

    for name, label, _, core in requests:
        if name in first_calls:
            steady = clients[name][1:] or clients[name]
            add(name, label, first_calls[name], list(dict.fromkeys(seen[name])), max(steady), samples[name], core)
    for name, label, calls, new_clients, elapsed in once:
        add(name, label, calls, [_describe(calls)], new_clients, [elapsed], False)

    print(
        f"\nIn-process through chalice.test.Client (the authorizer runs on every request: API Gateway's "
        f"cache is not there), {reps} timed passes after one warm-up; latencies are on DynamoDB Local, not AWS:"
    )
    print(
        table(
            ["request", "route", "DynamoDB calls", "operations (table)", "new clients", "median", "p90"],
            rows,
            right=(2, 4, 5, 6),
        )
    )
    print(
        f"new clients = botocore clients built during a warm request (each costs a botocore session load and "
        f"a new HTTP connection; should be 0).\nscrypt verify alone (N=2^{SCRYPT_LOG2_N}, r=8, p=1): "
        f"{ms(median(scrypt))} median of 10 on this machine; login's remainder is Chalice + 3 DynamoDB calls."
    )

    connection_cost = _connection_cost(env)
    print(
        f"Cost of one new PynamoDB Connection (own botocore session + client): "
        f"{ms(connection_cost['new_connection_s'])}; one more client from a shared botocore session: "
        f"{ms(connection_cost['shared_session_client_s'])} (median of 5 each)."
    )

    cold = _cold(env, cold_runs, state.get("access")) if not failures else None
    if cold:
        print(f"\nA cold container (fresh interpreter, handlers called as Lambda calls them, median of {cold_runs}):")
        print(
            table(
                ["step", "first call", "warm call", "first - warm"],
                [
                    ["import app", ms(cold["import_s"]), "", ""],
                    [
                        "authorizer (token check)",
                        ms(cold["authorize_first_s"]),
                        ms(cold["authorize_warm_s"]),
                        ms(cold["authorize_first_s"] - cold["authorize_warm_s"]),
                    ],
                    [
                        "invoice detail, 1st request",
                        ms(cold["detail_first_s"]),
                        ms(cold["detail_warm_s"]),
                        ms(cold["detail_first_s"] - cold["detail_warm_s"]),
                    ],
                    [
                        "login, right after",
                        ms(cold["login_first_s"]),
                        ms(cold["login_warm_s"]),
                        ms(cold["login_first_s"] - cold["login_warm_s"]),
                    ],
                ],
                right=(1, 2, 3),
            )
        )
        if cold.get("cryptography_loaded"):
            print(
                "The authorizer's first call imports PyJWT, which here also imports `cryptography` (installed in "
                "the venv by moto); the Lambda zip has no cryptography, so it is cheaper there."
            )
        print(
            "The first request pays the deferred imports (PynamoDB, botocore) and a botocore session + client "
            "shared by every table (chalicelib/store/models.py), so the next request's first use of other tables "
            "is cheap."
        )

    for failure in failures:
        print(f"!!! REQUEST FAILED: {failure}")
    if scans:
        print("\n" + "!" * 78)
        for label in scans:
            print(f"!!! SCAN on a request path: {label}")
        print("!" * 78)
    else:
        print("\nNo Scan on any request path.")
    return {
        "engine": "DynamoDB Local"
        if env.get("AWS_ENDPOINT_URL_DYNAMODB") != env.get("AWS_ENDPOINT_URL")
        else "moto (no java)",
        "reps": reps,
        "requests": report,
        "scans": scans,
        "failures": failures,
        "scrypt_verify_median_s": median(scrypt),
        "connection_cost": connection_cost,
        "cold_container": cold,
    }


def _last_otp(sms) -> str:
    import re

    for message in reversed(sms.sent):
        found = re.search(r"\b(\d{6})\b", message["text"])
        if found:
            return found.group(1)
    return "000000"


def _connection_cost(env: dict) -> dict:
    import botocore.session
    from pynamodb.connection import Connection

    host = env.get("AWS_ENDPOINT_URL_DYNAMODB")
    fresh, shared = [], []
    session = botocore.session.get_session()
    session.create_client("dynamodb", region_name=REGION, endpoint_url=host)
    for _ in range(5):
        t = time.perf_counter()
        _ = Connection(region=REGION, host=host).client
        fresh.append(time.perf_counter() - t)
        t = time.perf_counter()
        session.create_client("dynamodb", region_name=REGION, endpoint_url=host)
        shared.append(time.perf_counter() - t)
    return {"new_connection_s": median(fresh), "shared_session_client_s": median(shared)}


def _cold(env: dict, runs: int, access_token: str | None) -> dict | None:
    if not access_token or runs < 1:
        return None
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    base.update(env)
    results: dict[str, list[float]] = {}
    for _ in range(runs):
        out = subprocess.run(
            [PY, "-m", "bench._first_request", CODE, INVOICE, PASSWORD, access_token],
            cwd=ROOT,
            env=base,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            raise RuntimeError(f"cold-container run failed:\n{(out.stdout + out.stderr).strip()[-2000:]}")
        line = [ln for ln in out.stdout.splitlines() if ln.startswith('{"import_s"')][-1]
        for key, value in json.loads(line).items():
            if isinstance(value, bool):
                results[key] = [value]
                continue
            results.setdefault(key, []).append(value)
    return {key: values[0] if isinstance(values[0], bool) else median(values) for key, values in results.items()}
