"""The invoice PDF request before and after "the document, stored once" (issue 17, docs/einvoice.md),
and what the Lambda zip carries only to render our PDF.

1. `GET /v1/invoices/{id}/pdf` for the demo invoice on the local engines (DynamoDB Local, moto's S3),
   through chalice.test.Client: first with no document kept (our payment notice, rendered by fpdf2 on
   every request), then with the provider's document kept in the documents bucket (a 302 to a
   presigned link: no render). Median and p90 of N warm requests, and the AWS calls of each.
2. What a cold API container pays for its first rendered PDF: importing fpdf2 (with Pillow and
   fontTools) and the first render, in fresh interpreters.
3. The deployment zip (build/package/deployment.zip, `python -m infra.package` builds it when
   missing): the entries only the renderer needs (fpdf2, Pillow, fontTools, defusedxml, our fonts and
   the renderer module), zipped and unzipped.

`python -m bench.document [-n 30]`; `python -m bench --only document`."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import time
import zipfile

from bench.common import BUILD, PY, ROOT, heading, median, p90, table

CODE = "01031059"
PASSWORD = "cawaco-demo-2023"
INVOICE = "INV-01031059-202305"
# Top-level entries of the zip that only rendering our PDF needs (fpdf2 and what it alone requires).
RENDERER_ONLY = ("fpdf", "PIL", "pillow.libs", "fontTools", "defusedxml")
RENDERER_DISTS = ("fpdf2-", "pillow-", "fonttools-", "defusedxml-")
OURS = ("chalicelib/assets/fonts/", "chalicelib/documents/")
PROVIDER_PDF = b"%PDF-1.7\n% bench: the provider's document\n" + b"0" * 60_000 + b"\n%%EOF\n"


def _requests(n: int) -> dict:
    from bench.dynamo import CallLog, _start

    env: dict = {}
    engines = _start(env)
    try:
        log = CallLog()
        log.install()
        from chalice.test import Client

        import app
        from chalicelib import deps
        from chalicelib.adapters.aws import s3_client
        from chalicelib.adapters.notifications import MemorySms
        from chalicelib.config import get_settings
        from chalicelib.observability import logger
        from chalicelib.store.models import InvoiceModel

        log.prefix = get_settings().table_prefix
        logger.registered_handler.setStream(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
        deps.override("queued_sms", MemorySms())
        http = Client(app.app, stage_name="bench", project_dir=ROOT).http
        login = http.post(
            "/v1/auth/login",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"customer_code": CODE, "password": PASSWORD}),
        )
        token = json.loads(login.body)["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/pdf"}

        def measure(label: str, expect: int) -> dict:
            times, calls = [], []
            for rep in range(n + 1):  # one untimed warm-up
                with log.record():
                    t = time.perf_counter()
                    r = http.get(f"/v1/invoices/{INVOICE}/pdf", headers=headers)
                    elapsed = time.perf_counter() - t
                if r.status_code != expect:
                    raise RuntimeError(f"{label}: HTTP {r.status_code} {r.body[:200]!r}")
                calls.append(list(log.calls))
                if rep:
                    times.append(elapsed)
            last = calls[-1]
            return {
                "request": label,
                "status": expect,
                "median_ms": round(median(times) * 1000, 2),
                "p90_ms": round(p90(times) * 1000, 2),
                "dynamodb_calls": sum(1 for svc, _, _ in last if svc == "dynamodb"),
                "other_aws_calls": [f"{svc}:{op}" for svc, op, _ in last if svc != "dynamodb"],
                "bytes": len(r.body or b""),
                "samples": len(times),
            }

        before = measure("our PDF, rendered (no document kept)", 200)
        # The provider's document kept, as the e-invoice worker leaves it.
        key = f"einvoices/{INVOICE}/C23TAA-C23TAA00000123.pdf"
        s3_client().put_object(
            Bucket=get_settings().documents_bucket, Key=key, Body=PROVIDER_PDF, ServerSideEncryption="AES256"
        )
        m = InvoiceModel
        m(INVOICE).update(
            actions=[
                m.einvoice_status.set("issued"),
                m.einvoice_number.set("C23TAA00000123"),
                m.einvoice_series.set("C23TAA"),
                m.einvoice_document_key.set(key),
            ]
        )
        after = measure("302 to the kept document", 302)
        return {"before": before, "after": after}
    finally:
        with contextlib.suppress(Exception):
            engines.__exit__(None, None, None)


_COLD = """
import json, sys, time
sys.modules["PIL"] = None  # as in the zip: infra/package.py leaves Pillow out (fpdf2 works without it)
t0 = time.perf_counter()
import fpdf  # noqa: F401  (fpdf2, with fontTools and defusedxml)
t1 = time.perf_counter()
from bench.pdf import DEMO_QR, demo_invoice, demo_seller
from chalicelib.documents.invoice_pdf import render_invoice_pdf
t2 = time.perf_counter()
render_invoice_pdf(demo_invoice(), demo_seller(), DEMO_QR)
t3 = time.perf_counter()
render_invoice_pdf(demo_invoice(), demo_seller(), DEMO_QR)
t4 = time.perf_counter()
print(json.dumps({"import_fpdf_ms": (t1 - t0) * 1000, "first_render_ms": (t3 - t2) * 1000,
                  "warm_render_ms": (t4 - t3) * 1000}))
"""


def _cold(runs: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STAGE"))}
    env.update(STAGE="local", PYTHONPATH=ROOT)
    out: dict[str, list[float]] = {}
    for _ in range(runs):
        proc = subprocess.run([PY, "-c", _COLD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items():
            out.setdefault(k, []).append(v)
    return {k: round(median(v), 1) for k, v in out.items()} | {"runs": runs}


def _zip() -> dict:
    path = os.path.join(BUILD, "package", "deployment.zip")
    how = "build/package/deployment.zip"
    if not os.path.exists(path):
        from bench.package import build_zip

        path, how = build_zip()
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    total_zip = os.path.getsize(path)
    total_unzipped = sum(i.file_size for i in infos)
    groups: dict[str, list[int]] = {}
    for i in infos:
        top = i.filename.split("/", 1)[0]
        if top in RENDERER_ONLY or top.startswith(RENDERER_DISTS):
            name = top if top in RENDERER_ONLY else "dist-info of those"
        elif i.filename.startswith(OURS):
            name = "our fonts and renderer (chalicelib)"
        else:
            continue
        g = groups.setdefault(name, [0, 0])
        g[0] += i.compress_size
        g[1] += i.file_size
    zipped = sum(g[0] for g in groups.values())
    unzipped = sum(g[1] for g in groups.values())
    return {
        "zip": how,
        "zip_bytes": total_zip,
        "unzipped_bytes": total_unzipped,
        "renderer_zipped_bytes": zipped,
        "renderer_unzipped_bytes": unzipped,
        "renderer_share_of_zip": round(zipped / total_zip, 3) if total_zip else None,
        "by_entry": {
            k: {"zipped": v[0], "unzipped": v[1]} for k, v in sorted(groups.items(), key=lambda kv: -kv[1][0])
        },
    }


def run(n: int = 30, cold_runs: int = 5) -> dict:
    heading("The invoice PDF request: rendered every time vs the document stored once")
    result: dict = {}
    result["requests"] = _requests(n)
    rows = []
    for r in result["requests"].values():
        rows.append(
            [
                r["request"],
                r["status"],
                f"{r['median_ms']} ms",
                f"{r['p90_ms']} ms",
                r["dynamodb_calls"],
                ", ".join(r["other_aws_calls"]) or "-",
            ]
        )
    print(table(["request", "HTTP", "median", "p90", "DynamoDB calls", "other AWS calls"], rows, right=(2, 3, 4)))
    result["cold"] = _cold(cold_runs)
    c = result["cold"]
    print(
        table(
            ["a cold API container's first rendered PDF (fresh interpreters, median)", "value"],
            [
                ["import fpdf2 (fontTools, defusedxml; no Pillow, as shipped)", f"{c['import_fpdf_ms']} ms"],
                ["first render (fonts parsed, renderer imported)", f"{c['first_render_ms']} ms"],
                ["a warm render", f"{c['warm_render_ms']} ms"],
            ],
            right=(1,),
        )
    )
    result["zip"] = _zip()
    z = result["zip"]
    mib = 1024 * 1024
    rows = [[k, f"{v['zipped'] / mib:.2f} MiB", f"{v['unzipped'] / mib:.2f} MiB"] for k, v in z["by_entry"].items()]
    rows.append(
        [
            "renderer only, in all",
            f"{z['renderer_zipped_bytes'] / mib:.2f} MiB",
            f"{z['renderer_unzipped_bytes'] / mib:.2f} MiB",
        ]
    )
    rows.append(["the whole zip", f"{z['zip_bytes'] / mib:.2f} MiB", f"{z['unzipped_bytes'] / mib:.2f} MiB"])
    print(table([f"what {z['zip']} carries for the renderer", "zipped", "unzipped"], rows, right=(1, 2)))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.document", description=__doc__)
    parser.add_argument("-n", type=int, default=30, help="timed requests per kind (default 30)")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh interpreters (default 5)")
    parser.add_argument("--out", help="also write the figures (JSON) here")
    args = parser.parse_args()
    figures = run(n=args.n, cold_runs=args.cold_runs)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=2)
