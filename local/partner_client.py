"""A fake bill-pay partner (a bank's bill-payment menu) for the local stack: it signs its requests the
way docs/partners.md tells a partner's developers to, with its own few lines of HMAC (not the server's
code), and keeps its own journal of what it collected, from which it builds its daily file.

    python -m local.partner_client bills 01031059
    python -m local.partner_client pay 01031059 78255 [--txn ID] [--invoice INV-...] [--paid-at ISO]
    python -m local.partner_client reverse <txn>
    python -m local.partner_client daily-file 2024-06-10        # the utility's file of that day
    python -m local.partner_client upload-file 2024-06-10 [--file our.csv]

The partner is DEMOBANK with $PARTNER_DEMO_SECRET (or the documented default) against
http://127.0.0.1:$API_PORT (8000); --partner, --secret and --url say otherwise. The journal is
.local/partner_client/<partner>.jsonl."""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import io
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VN = timezone(timedelta(hours=7))
DEFAULT_SECRET = "demo-partner-secret-change-me"  # chalicelib/config.py PARTNER_DEMO_SECRET_DEFAULT


def canonical(method: str, path: str, query: dict[str, str], timestamp: str, nonce: str, body: bytes) -> str:
    """docs/partners.md, "The signature": what the partner signs."""
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in query.items())
    target = path + ("?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else "")
    return "\n".join([method.upper(), target, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def signed_headers(partner: str, secret: str, method: str, path: str, query: dict[str, str], body: bytes) -> dict:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    text = canonical(method, path, query, timestamp, nonce, body)
    signature = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    return {"X-Partner-Id": partner, "X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature}


class Partner:
    def __init__(self, url: str, partner: str, secret: str, journal: str) -> None:
        self.url, self.partner, self.secret, self.journal = url.rstrip("/"), partner, secret, journal

    def call(
        self, method: str, path: str, query: dict | None = None, body: bytes = b"", content_type="application/json"
    ):
        """(status, parsed JSON or text)."""
        query = query or {}
        headers = signed_headers(self.partner, self.secret, method, path, query, body)
        headers["Content-Type"] = content_type
        full = self.url + path + ("?" + urlencode(query) if query else "")
        request = urllib.request.Request(full, data=body if method != "GET" else None, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=15) as resp:
                status, raw, kind = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            status, raw, kind = err.code, err.read(), err.headers.get("Content-Type", "")
        text = raw.decode("utf-8")
        return status, json.loads(text) if kind.startswith("application/json") and text else text

    # -- the partner's own records ---------------------------------------------------------------

    def note(self, record: dict) -> None:
        os.makedirs(os.path.dirname(self.journal), exist_ok=True)
        with open(self.journal, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")

    def day_file(self, day: str) -> bytes:
        """Its own file of `day` from its journal: the last word on each transaction."""
        last: dict[str, dict] = {}
        if os.path.exists(self.journal):
            with open(self.journal, encoding="utf-8") as f:
                for line in f:
                    record = json.loads(line)
                    if record.get("day") == day:
                        last[record["partner_txn_id"]] = record
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["partner_txn_id", "customer_code", "amount", "paid_at", "status"])
        for txn in sorted(last):
            r = last[txn]
            writer.writerow([txn, r["customer_code"], r["amount"], r["paid_at"], r["status"]])
        return out.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.partner_client", description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('API_PORT') or 8000}")
    parser.add_argument("--partner", default="DEMOBANK")
    parser.add_argument("--secret", default=os.environ.get("PARTNER_DEMO_SECRET") or DEFAULT_SECRET)
    parser.add_argument("--journal", default=None, help="default .local/partner_client/<partner>.jsonl")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("bills", help="look a bill up")
    p.add_argument("customer_code")
    p = sub.add_parser("pay", help="pay a bill")
    p.add_argument("customer_code")
    p.add_argument("amount", type=int)
    p.add_argument("--txn", help="the partner's transaction id (default: a new one)")
    p.add_argument("--invoice", action="append", dest="invoice_ids", help="an invoice it pays (repeatable)")
    p.add_argument("--paid-at", help="ISO 8601 (default: now)")
    p = sub.add_parser("reverse", help="reverse a payment of today")
    p.add_argument("txn")
    p = sub.add_parser("daily-file", help="the utility's file of a day")
    p.add_argument("day")
    p = sub.add_parser("upload-file", help="send the partner's own file of a day (from its journal, or --file)")
    p.add_argument("day")
    p.add_argument("--file", help="a CSV to send instead")
    args = parser.parse_args(argv)
    journal = args.journal or os.path.join(ROOT, ".local", "partner_client", f"{args.partner}.jsonl")
    client = Partner(args.url, args.partner, args.secret, journal)
    try:
        return _run(args, client, journal)
    except urllib.error.URLError as exc:
        print(f"cannot reach {args.url} ({exc.reason}): is `make run` running? (--url says where)", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, client: Partner, journal: str) -> int:

    if args.command == "bills":
        status, answer = client.call("GET", "/v1/partners/bills", {"customer_code": args.customer_code})
    elif args.command == "pay":
        txn = args.txn or f"T{datetime.now(VN):%Y%m%d%H%M%S}{secrets.token_hex(2).upper()}"
        paid_at = args.paid_at or datetime.now(VN).isoformat(timespec="seconds")
        body = {"partner_txn_id": txn, "customer_code": args.customer_code, "amount": args.amount, "paid_at": paid_at}
        if args.invoice_ids:
            body["invoice_ids"] = args.invoice_ids
        status, answer = client.call("POST", "/v1/partners/payments", body=json.dumps(body).encode())
        if status in (200, 201):
            day = answer["day"]
            client.note(dict(body, day=day, status="paid"))
    elif args.command == "reverse":
        status, answer = client.call("POST", f"/v1/partners/payments/{args.txn}/reversal")
        if status in (200, 201):
            paid = _journal_entry(journal, args.txn)
            if paid:
                client.note(dict(paid, status="reversed"))
    elif args.command == "daily-file":
        status, answer = client.call("GET", f"/v1/partners/reconciliation/{args.day}")
    else:
        if args.file:
            with open(args.file, "rb") as f:
                data = f.read()
        else:
            data = client.day_file(args.day)
        path = f"/v1/partners/reconciliation/{args.day}"
        status, answer = client.call("PUT", path, body=data, content_type="text/csv")
    print(f"HTTP {status}")
    print(answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False, indent=2))
    return 0 if status < 400 else 1


def _journal_entry(journal: str, txn: str) -> dict | None:
    found = None
    if os.path.exists(journal):
        with open(journal, encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                if record.get("partner_txn_id") == txn:
                    found = record
    return found


if __name__ == "__main__":
    sys.exit(main())
