"""The customer-book import on the local engines (DynamoDB Local, moto S3):
rows per second through the real worker code (upload, chunks, validation,
batch upsert), and the projection for a 100,000-row book. Runs in its own
interpreter (`python -m bench.imports`) like bench/ipn.py."""

from __future__ import annotations

import json
import os
import sys
import time

from bench.common import clean_env, heading, run_child, table

ROWS = 20_000


def run(rows: int = ROWS) -> dict:
    heading("Customer-book import (DynamoDB Local + moto S3)")
    sys.stdout.flush()
    result = run_child("bench.imports", [rows], clean_env(), timeout=600)
    print(
        table(
            ["measure", "value"],
            [
                ["rows imported", f"{result['rows']:,} ({result['rows_failed']} refused on purpose)"],
                ["file", f"{result['file_kib']:,} KiB in {result['chunks']} chunks"],
                ["rows/s (one worker)", f"{result['rows_per_s']:,.0f}"],
                ["slowest chunk", f"{result['slowest_chunk_s']:.1f} s (Lambda allows 900 s)"],
                ["100,000 rows, projected", f"{100_000 / result['rows_per_s'] / 60:.1f} min of chunks"],
            ],
        )
    )
    return result


def _child(rows: int) -> dict:
    import requests

    from local.engines import Engines

    engines = Engines()
    os.environ.update(engines.env())
    with engines:
        from chalicelib import deps
        from local import bootstrap

        bootstrap.create_tables()
        bootstrap.create_queues()
        bootstrap.create_buckets()

        class Queue:
            def __init__(self):
                self.messages = []

            def publish(self, queue, body):
                self.messages.append(body)

        queue = Queue()
        deps.override("publisher", queue)
        service = deps.imports()
        lines = ["code,ledger_no,name,address,phone,class,persons,meter,route,payment_channel,last_index"]
        for n in range(rows):
            code = f"{50000000 + n}" if n % 500 else "BAD"  # one refused row in 500
            lines.append(
                f'{code},LB{n},Khách hàng {n},"{n} Đường {n % 97}, Phường {n % 9}, TP Cà Mau",'
                f"09{n % 100000000:08d},household,{1 + n % 6},M{n},R{n % 23},{'CK' if n % 7 == 0 else 'TT'},"
                f"{n % 9000}"
            )
        data = ("\n".join(lines) + "\n").encode("utf-8")
        created = service.create("admin:bench")
        requests.put(created["upload"]["url"], data=data, headers=created["upload"]["headers"], timeout=60)
        service.start(created["import_id"])
        started, chunks, slowest = time.perf_counter(), 0, 0.0
        while queue.messages:
            message = queue.messages.pop(0)
            t = time.perf_counter()
            service.process_chunk(message["import_id"], message["offset"])
            slowest = max(slowest, time.perf_counter() - t)
            chunks += 1
        elapsed = time.perf_counter() - started
        view = service.view(created["import_id"])
        return {
            "rows": view["rows_done"],
            "rows_ok": view["rows_ok"],
            "rows_failed": view["rows_failed"],
            "seconds": elapsed,
            "rows_per_s": view["rows_done"] / elapsed,
            "chunks": chunks,
            "slowest_chunk_s": slowest,
            "file_kib": len(data) // 1024,
        }


if __name__ == "__main__":
    rows_arg, out_path = int(sys.argv[1]), sys.argv[2]
    result = _child(rows_arg)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)
