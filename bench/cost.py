"""What the measured work would cost on AWS in ap-southeast-1 (Singapore,
the region closest to Cà Mau), from the figures `bench/load.py` measured:
DynamoDB read/write units per request as DynamoDB Local computed them
(item sizes, transactional writes x2, index writes), Lambda duration taken
as the request's service time measured one at a time on the local stack
(an over-estimate: it includes HTTP on loopback and `chalice local`), the
memory of each function from `.chalice/config.json` (stage prod), the JSON
log bytes each request wrote, and the API Gateway and SQS requests the flow
makes. Free tiers, storage and data transfer are left out.

Every price is in PRICES, with where it comes from. Run alone on a saved
result: `python -m bench.cost build/bench.json`."""

from __future__ import annotations

import json
import os
import sys

from bench.common import ROOT, heading, table

# USD, on-demand, first pricing tier, ap-southeast-1. Looked up 2026-11-22.
PRICES = {
    # AWS Lambda, x86: the same in us-east-1 and ap-southeast-1 (aws.amazon.com/lambda/pricing).
    "lambda_request": (0.20 / 1e6, "per request", "aws.amazon.com/lambda/pricing"),
    "lambda_gb_s": (0.0000166667, "per GB-second (x86)", "aws.amazon.com/lambda/pricing"),
    # API Gateway REST API (Chalice deploys a REST API), first 333 million a month.
    "apigw_rest_request": (3.50 / 1e6, "per REST API request", "aws.amazon.com/api-gateway/pricing"),
    # DynamoDB on demand, Standard table class. us-east-1 is $0.625 / $0.125 per million since the
    # November 2024 cut; Singapore is listed higher (~x1.14).
    "dynamodb_wru": (0.7125 / 1e6, "per write request unit", "aws.amazon.com/dynamodb/pricing/on-demand"),
    "dynamodb_rru": (0.1425 / 1e6, "per read request unit", "aws.amazon.com/dynamodb/pricing/on-demand"),
    # SQS standard queue, per 64 KB request chunk, after the first million a month.
    "sqs_request": (0.40 / 1e6, "per request", "aws.amazon.com/sqs/pricing"),
    # CloudWatch Logs, standard log class, ingestion.
    "logs_gb": (0.70, "per GB ingested", "aws.amazon.com/cloudwatch/pricing"),
    # X-Ray (tracing is on): traces recorded.
    "xray_trace": (5.00 / 1e6, "per trace recorded", "aws.amazon.com/xray/pricing"),
}
UNVERIFIED = ("dynamodb_wru", "dynamodb_rru", "logs_gb")  # Singapore figures the search tool could not confirm

# Assumptions about the flows (not measured): stated here, printed with the figures.
PAYMENT_JOURNEY = {"orders": 1, "qr": 1, "poll": 3, "return": 1, "ipn_applied": 1}
AUTHORIZER_S = 0.010  # the JWT authorizer's duration (a signature check); its answer is cached 300 s
AUTHORIZER_PER_PAYMENT = 1  # one token, one cache entry for the whole journey
LAMBDA_PLATFORM_LOG_BYTES = 350  # START / END / REPORT lines Lambda writes for each invocation
READINGS_PER_MONTH = 63_410  # seed 003: customers read each month
SQS_PER_READING = 1 + 2 / 10  # SendMessage, then ReceiveMessage and DeleteMessageBatch per batch of 10
SQS_IDLE_POLLS_PER_MONTH = 5 * 3 * 60 * 24 * 30  # Lambda's 5 pollers, one 20 s long poll each
XRAY_RESERVOIR_PER_S, XRAY_RATE = 1, 0.05  # X-Ray's default sampling rule
MONTH_S = 30 * 24 * 3600


def memory_mb() -> dict:
    with open(os.path.join(ROOT, ".chalice", "config.json"), encoding="utf-8") as f:
        prod = json.load(f)["stages"]["prod"]
    functions = prod.get("lambda_functions", {})
    api = prod.get("lambda_memory_size", 128)
    return {
        "api": api,
        "bearer": functions.get("bearer", {}).get("lambda_memory_size", api),
        "readings_worker": functions.get("readings_worker", {}).get("lambda_memory_size", api),
    }


def price(key: str) -> float:
    return PRICES[key][0]


def _xray(requests_per_month: float) -> float:
    reservoir = min(requests_per_month, XRAY_RESERVOIR_PER_S * MONTH_S)
    return reservoir + XRAY_RATE * max(0.0, requests_per_month - reservoir)


def payments(load: dict, mem: dict, n: int = 1_000_000) -> dict:
    """n payments, each: open the order, show the QR, poll 3 times, the return page, VNPay's IPN."""
    u = load["payments"]["unloaded"]
    api_requests = sum(PAYMENT_JOURNEY.values())
    rru = sum(k * u[name]["dynamodb"]["rru"] for name, k in PAYMENT_JOURNEY.items())
    wru = sum(k * u[name]["dynamodb"]["wru"] for name, k in PAYMENT_JOURNEY.items())
    api_s = sum(k * u[name]["p50_s"] for name, k in PAYMENT_JOURNEY.items())
    gb_s = api_s * mem["api"] / 1024 + AUTHORIZER_PER_PAYMENT * AUTHORIZER_S * mem["bearer"] / 1024
    log_bytes = (
        sum(
            k * load["payments"][name if name != "ipn_applied" else "ipn"]["log_bytes"]
            for name, k in PAYMENT_JOURNEY.items()
        )
        + (api_requests + AUTHORIZER_PER_PAYMENT) * LAMBDA_PLATFORM_LOG_BYTES
    )
    lines = {
        "API Gateway (REST)": n * api_requests * price("apigw_rest_request"),
        "Lambda requests": n * (api_requests + AUTHORIZER_PER_PAYMENT) * price("lambda_request"),
        "Lambda duration": n * gb_s * price("lambda_gb_s"),
        "DynamoDB writes": n * wru * price("dynamodb_wru"),
        "DynamoDB reads": n * rru * price("dynamodb_rru"),
        "CloudWatch Logs": n * log_bytes / 1e9 * price("logs_gb"),
        "X-Ray traces": _xray(n * api_requests) * price("xray_trace"),
    }
    per = {
        "api_requests": api_requests,
        "lambda_invocations": api_requests + AUTHORIZER_PER_PAYMENT,
        "gb_s": gb_s,
        "rru": rru,
        "wru": wru,
        "log_bytes": log_bytes,
    }
    return {"payments": n, "per_payment": per, "lines": lines, "total": sum(lines.values())}


def readings(load: dict, mem: dict, n: int = READINGS_PER_MONTH) -> dict:
    """A month of readings: each sent (POST), queued, billed by the worker, and its result read once."""
    r = load["readings"]
    api_s = r["unloaded"]["p50_s"] + r["status"]["p50_s"]
    worker_s = r["worker"]["per_reading_s"]
    rru = r["api"]["dynamodb"]["rru"] + r["worker"]["dynamodb"]["rru"] + r["status"]["dynamodb"]["rru"]
    wru = r["api"]["dynamodb"]["wru"] + r["worker"]["dynamodb"]["wru"] + r["status"]["dynamodb"]["wru"]
    batches = n / r["worker"]["batch_size"]
    api_requests = 2 * n
    log_bytes = (
        n * (r["api"]["log_bytes"] + r["worker"]["log_bytes"])
        + (api_requests + n + batches) * LAMBDA_PLATFORM_LOG_BYTES
    )
    lines = {
        "API Gateway (REST)": api_requests * price("apigw_rest_request"),
        "Lambda requests": (api_requests + n + batches) * price("lambda_request"),  # + one authorizer each
        "Lambda duration": (
            n * api_s * mem["api"] / 1024
            + n * AUTHORIZER_S * mem["bearer"] / 1024
            + n * worker_s * mem["readings_worker"] / 1024
        )
        * price("lambda_gb_s"),
        "DynamoDB writes": n * wru * price("dynamodb_wru"),
        "DynamoDB reads": n * rru * price("dynamodb_rru"),
        "SQS (messages + idle polling)": (n * SQS_PER_READING + SQS_IDLE_POLLS_PER_MONTH) * price("sqs_request"),
        "CloudWatch Logs": log_bytes / 1e9 * price("logs_gb"),
        "X-Ray traces": _xray(api_requests + batches) * price("xray_trace"),
    }
    per = {"api_requests": 2, "worker_s": worker_s, "rru": rru, "wru": wru, "sqs": SQS_PER_READING}
    return {"readings": n, "per_reading": per, "lines": lines, "total": sum(lines.values())}


def run(load: dict) -> dict:
    heading("Cost on AWS (ap-southeast-1, on-demand prices, from the measured calls)")
    mem = memory_mb()
    pay, rd = payments(load, mem), readings(load, mem)
    keys = list(dict.fromkeys(list(pay["lines"]) + list(rd["lines"])))
    rows = [[k, f"${pay['lines'].get(k, 0):,.2f}", f"${rd['lines'].get(k, 0):,.2f}"] for k in keys]
    rows.append(["total", f"${pay['total']:,.2f}", f"${rd['total']:,.2f}"])
    p, r = pay["per_payment"], rd["per_reading"]
    print(
        f"per payment: {p['api_requests']} API requests (open, QR, 3 polls, return, IPN), "
        f"{p['lambda_invocations']} Lambda invocations, {p['gb_s']:.3f} GB-s, {p['rru']:g} RRU + {p['wru']:g} WRU, "
        f"{p['log_bytes'] / 1024:.1f} KiB of logs; per reading: 2 API requests (send, result), "
        f"worker {r['worker_s'] * 1000:.0f} ms, {r['rru']:g} RRU + {r['wru']:g} WRU, {r['sqs']:g} SQS requests"
    )
    print(table(["", "1,000,000 payments", f"a month of readings ({rd['readings']:,})"], rows, right=(1, 2)))
    print(
        f"Lambda memory (prod): API {mem['api']} MB, authorizer {mem['bearer']} MB, readings worker "
        f"{mem['readings_worker']} MB. Free tiers, storage and data transfer left out. Prices: "
        + "; ".join(
            f"{k} ${v[0] * (1e6 if v[0] < 1e-3 else 1):g}{' per million' if v[0] < 1e-3 else ''} "
            f"{'(not confirmed for Singapore) ' if k in UNVERIFIED else ''}"
            for k, v in PRICES.items()
        )
    )
    return {
        "region": "ap-southeast-1",
        "prices": {k: {"usd": v[0], "unit": v[1], "source": v[2]} for k, v in PRICES.items()},
        "memory_mb": mem,
        "payments": pay,
        "readings": rd,
        "assumptions": {
            "payment_journey": PAYMENT_JOURNEY,
            "authorizer_s": AUTHORIZER_S,
            "platform_log_bytes": LAMBDA_PLATFORM_LOG_BYTES,
            "sqs_per_reading": SQS_PER_READING,
            "sqs_idle_polls_per_month": SQS_IDLE_POLLS_PER_MONTH,
        },
    }


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bench.json")
    with open(path, encoding="utf-8") as f:
        saved = json.load(f)
    run(saved.get("load", saved))
