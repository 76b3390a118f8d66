"""`python -m bench`: run the sections, print the figures, write build/bench.json."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
import traceback

from bench.common import BUILD, ms

SECTIONS = (
    "coldstart",
    "package",
    "dynamodb",
    "billing",
    "pdf",
    "document",
    "ipn",
    "readings",
    "imports",
    "reminders",
    "load",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run (default: all of {', '.join(SECTIONS)})",
    )
    parser.add_argument("--runs", type=int, default=15, help="fresh-interpreter imports per side (default 15)")
    parser.add_argument("--reps", type=int, default=50, help="timed passes over the requests (default 50)")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold-container runs (default 5)")
    parser.add_argument("--out", default=os.path.join(BUILD, "bench.json"), help="where to write the JSON")
    parser.add_argument("--load-orders", type=int, default=300, help="orders in the IPN burst (default 300)")
    parser.add_argument(
        "--load-readings-per-staff",
        type=int,
        default=20,
        help="readings per staff member, 23 staff (default 20; 125 is a working day)",
    )
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    result: dict = {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "errors": {},
    }
    for section in SECTIONS:
        if section not in wanted:
            continue
        try:
            if section == "coldstart":
                from bench import coldstart

                result["coldstart"] = coldstart.run(runs=args.runs)
            elif section == "package":
                from bench import package

                result["package"] = package.run()
            elif section == "billing":
                from bench import billing

                result["billing"] = billing.run()
            elif section == "pdf":
                from bench import pdf

                result["pdf"] = pdf.run()
            elif section == "document":
                from bench import document

                result["document"] = document.run()
            elif section == "ipn":
                from bench import ipn

                result["ipn"] = ipn.run(reps=args.reps)
            elif section == "readings":
                from bench import readings

                result["readings"] = readings.run()
            elif section == "reminders":
                from bench import reminders

                result["reminders"] = reminders.run()
            elif section == "load":
                from bench import load

                result["load"] = load.run(args.load_orders, args.load_readings_per_staff)
            elif section == "imports":
                from bench import imports

                result["imports"] = imports.run()
            else:
                from bench import dynamo

                result["dynamodb"] = dynamo.run(reps=args.reps, cold_runs=args.cold_runs)
        except Exception as exc:  # a section that cannot run is reported, the others still run
            traceback.print_exc()
            print(f"\n!!! section {section} could not run: {exc}", file=sys.stderr)
            result["errors"][section] = str(exc)
    result["seconds"] = round(time.perf_counter() - started, 1)

    status, reasons = _status(result)
    result["status"] = {"exit_code": status, "reasons": reasons}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")

    print(f"\nFor the README (paste as is):\n\n{markdown(result)}\n")
    print(f"Figures written to {os.path.relpath(args.out)}; the bench took {result['seconds']} s.")
    for reason in reasons:
        print(f"FAILED: {reason}", file=sys.stderr)
    return status


def _status(result: dict) -> tuple[int, list[str]]:
    reasons = []
    d = result.get("dynamodb") or {}
    for label in d.get("scans", []):
        reasons.append(f"Scan on a request path: {label}")
    for failure in d.get("failures", []):
        reasons.append(f"request failed: {failure}")
    p = result.get("package") or {}
    if p and not p.get("within_limits", True):
        reasons.append("the package is over Lambda's size limits")
    if reasons:
        return 1, reasons
    if result["errors"]:
        return 2, [f"section {s} could not run: {e}" for s, e in result["errors"].items()]
    return 0, []


def _md(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return lines


def markdown(result: dict) -> str:
    out: list[str] = []
    rows = [("Figure", "Value", "Goal / limit")]
    c = result.get("coldstart")
    if c:
        rows.append(
            (
                f"Cold start: import `app` vs bare `import boto3, chalice, pynamodb.models` "
                f"(median of {c['runs']} fresh interpreters)",
                f"{ms(c['app_median_s'])} vs {ms(c['baseline_median_s'])} = {c['ratio']:.2f}×",
                f"≤ {c['goal_ratio']}×",
            )
        )
    d = result.get("dynamodb") or {}
    cold = d.get("cold_container")
    if cold:
        rows.append(
            (
                "Cold container: import `app` + first request (invoice detail, DynamoDB Local)",
                ms(cold["import_s"] + cold["detail_first_s"]),
                "",
            )
        )
    p = result.get("package")
    if p:
        mib = 1024 * 1024
        rows.append(
            (
                "Lambda package",
                f"{p['zip_bytes'] / mib:.1f} MiB zipped, {p['unzipped_bytes'] / mib:.1f} MiB unzipped",
                "50 MiB / 250 MiB",
            )
        )
    for label, figures in (result.get("billing") or {}).items():
        rows.append((f"Tariff engine: {label}", f"{figures['invoices_per_s']:,} invoices/s", ""))
    pdf = result.get("pdf")
    if pdf:
        rows.append(
            (
                "Invoice PDF (with a VNPay-length QR)",
                f"{pdf['median_ms']} ms, {pdf['size_kib']} KiB (first render with imports {pdf['first_render_ms']} ms)",
                "",
            )
        )
    i = result.get("ipn")
    if i:
        a = i["applied"]
        rows.append(
            (
                f"VNPay IPN (payment applied), DynamoDB Local (n={a['samples']})",
                f"median {ms(a['median_s'])} (p90 {ms(a['p90_s'])}), {a['dynamodb_calls']} DynamoDB calls "
                f"({a['operations']})",
                f"bare 3-item transaction {ms(i['bare_transaction']['median_s'])}",
            )
        )
        for key, label in (
            ("cash", "Cash receipt posted (collect)"),
            ("transfer", "Bank transfer posted (100,000 for a 75,900 bill: allocation + credit)"),
        ):
            if key in i:
                rows.append(
                    (
                        f"{label}, DynamoDB Local (n={i[key]['samples']})",
                        f"median {ms(i[key]['median_s'])} (p90 {ms(i[key]['p90_s'])}), "
                        f"{i[key]['dynamodb_calls']} DynamoDB calls ({i[key]['operations']})",
                        "",
                    )
                )
    rd = result.get("readings") or {}
    w = rd.get("worker")
    if w:
        rows.append(
            (
                f"Readings worker (`ReadingService.process`, one worker), {w['engine']} (n={w['readings']})",
                f"{w['readings_per_s']:g} readings/s, median {ms(w['median_s'])} (p90 {ms(w['p90_s'])}), "
                f"{w['dynamodb_calls_per_reading']:g} DynamoDB calls per reading",
                ", ".join(f"{k} {v}" for k, v in sorted(w["outcomes"].items())),
            )
        )
    m = rd.get("month")
    if m:
        rows.append(
            (
                f"Simulated month, seed scale ({m['customers']:,} customers, {m['staff']} staff): "
                "rules + tariff in-process",
                f"{m['readings_per_s']:,} readings/s; {m['issued']:,} invoices ({m['flagged']:,} flagged), "
                f"{m['rejected']:,} rejected",
                "",
            )
        )
        rows.append(
            (
                "Simulated month: reading rate / collection round 1 / after the sweep "
                "(payment behaviour assumed, not measured)",
                f"{m['reading_rate']:.1f} % / {m['round1_rate']:.1f} % / {m['after_sweep_rate']:.1f} %",
                "seed: — / 66.6 % / > 95 %; rules ≥ 99 % read, ≥ 95 % collected",
            )
        )
    rm = result.get("reminders") or {}
    if rm.get("plan"):
        pl, pr, wk = rm["plan"], rm["projection"], rm["worker"]
        rows.append(
            (
                f"Reminder plan, {pl['invoices']:,} due invoices, {pl['threads']} threads: DynamoDB Local "
                "(Query, BatchGetItem, conditional PutItem) / with moto's SendMessageBatch",
                f"{pl['dynamodb_invoices_per_s']:,} / {pl['invoices_per_s']:,} invoices/s; a re-run enqueues "
                f"{pl['retry_enqueued']} ({pl['retry_seconds']} s)",
                f"{pr['customers']:,} customers ≈ {pr['invoices_per_day']:,} a day (1/30 due per level-day) → "
                f"{pr['seconds_dynamodb_local']:,} / {pr['seconds_with_moto_sqs']:,} s at these rates; "
                f"one Lambda: {pr['limit_s']} s, then continuations",
            )
        )
        rows.append(
            (
                f"Reminder worker, one, fake notifier (n={wk['reminders']:,})",
                f"{wk['sends_per_s']:g} sends/s, median {ms(wk['median_s'])}, {wk['dynamodb_calls']:g} DynamoDB calls",
                "",
            )
        )
    rows += _load_rows(result.get("load"))
    if len(rows) > 1:
        out += _md(rows)
    core = [r for r in d.get("requests", []) if r["core"]]
    if core:
        out.append("")
        rows = [("Request", "DynamoDB calls", f"Median latency, DynamoDB Local (n={core[0]['samples']})")]
        for r in core:
            latency = ms(r["median_s"])
            if "login" in r["request"]:
                latency += f" (scrypt: {ms(d['scrypt_verify_median_s'])}, by design)"
            rows.append((f"`{r['request']}`", f"{r['dynamodb_calls']}: {r['operations']}", latency))
        out += _md(rows)
        out.append("")
        out.append(
            "No request path does a Scan (`make bench` fails if one does)."
            if not d.get("scans")
            else f"**Scan on: {', '.join(d['scans'])}**"
        )
    return "\n".join(out)


def _load_rows(lo: dict | None) -> list[tuple[str, str, str]]:
    if not lo or "payments" not in lo:
        return []
    p, r = lo["payments"], lo["readings"]
    ipn, w = p["ipn"], r["worker"]
    rows = [
        (
            f"Local stack, IPN burst: {ipn['orders']} orders' IPNs + {ipn['duplicates']} duplicates, shuffled, "
            f"{ipn['clients']} clients (loopback, {lo['cpus']} cores)",
            f"{ipn['per_s']:.0f} IPNs/s, p50 {ms(ipn['p50_s'])}, p99 {ms(ipn['p99_s'])}; answers "
            + ", ".join(f"{k} × {v}" for k, v in sorted(ipn["rsp_codes"].items()))
            + f"; {ipn['dynamodb_per_order']['calls']:g} DynamoDB calls per order paid",
            "each order paid once" if not p["exactly_once"]["problems"] else f"BROKEN: {p['exactly_once']['problems']}",
        ),
        (
            f"Local stack, readings: {r['readings']:,} from {r['devices']} devices at once "
            f"({r['readings'] / r['day']:.0%} of a working day)",
            f"sent at {r['send_per_s']:.0f}/s (p50 {ms(r['api']['p50_s'])}, p99 {ms(r['api']['p99_s'])}); one worker "
            f"{w['readings_per_s']:.1f} readings/s, {w['dynamodb']['calls']:g} DynamoDB calls each; all billed after "
            f"{r['all_billed_after_s']:.0f} s; a day ({r['day']:,}) ≈ {r['day_billed_in_s'] / 60:.0f} min of one "
            "worker",
            "each billed once" if not r["exactly_once"]["problems"] else f"BROKEN: {r['exactly_once']['problems']}",
        ),
    ]
    c = lo.get("cost")
    if c:
        rows.append(
            (
                "AWS cost, ap-southeast-1 on demand, from the measured calls (`bench/cost.py`)",
                f"${c['payments']['total']:,.0f} per 1,000,000 payments; ${c['readings']['total']:,.2f} per month "
                f"of readings ({c['readings']['readings']:,})",
                "free tiers, storage, transfer left out",
            )
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
