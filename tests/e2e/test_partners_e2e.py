"""Issue 16, section 3, end to end over HTTP on the local stack: the demo partner DEMOBANK, played by
local/partner_client.py (its own HMAC code, the secret seeded into moto's SSM), looks a bill up, pays part
of it, pays again with the same partner_txn_id (one posting), reverses it, fetches its daily file and sends
its own, whose difference the stack's imports worker puts in the suspense list."""

from __future__ import annotations

import json
import os
import secrets
import time
from datetime import datetime

from local.partner_client import DEFAULT_SECRET, VN, Partner

CODE = "01031078"  # seed 003: owes last month's bill; no other end-to-end test pays it


def _client(stack, tmp_path) -> Partner:
    secret = os.environ.get("PARTNER_DEMO_SECRET") or DEFAULT_SECRET  # what the stack's seed put in SSM
    return Partner(stack.api_url, "DEMOBANK", secret, str(tmp_path / "journal.jsonl"))


def test_look_up_pay_repeat_reverse_and_the_daily_files(api, stack, demo_password, tmp_path):
    partner = _client(stack, tmp_path)
    status, bill = partner.call("GET", "/v1/partners/bills", {"customer_code": CODE})
    assert status == 200, bill
    assert bill["name"] == "N** V** H**" and bill["address"].startswith("***, ") and bill["amount_due"] > 2000
    due = bill["amount_due"]

    txn = f"E2E{secrets.token_hex(4).upper()}"
    body = {
        "partner_txn_id": txn,
        "customer_code": CODE,
        "amount": 2000,
        "paid_at": datetime.now(VN).isoformat(timespec="seconds"),
    }
    raw = json.dumps(body).encode()
    status, paid = partner.call("POST", "/v1/partners/payments", body=raw)
    assert status == 201 and paid["status"] == "paid" and paid["receipt_no"].startswith("DEMOBANK-"), paid
    status, again = partner.call("POST", "/v1/partners/payments", body=raw)
    assert status == 200 and again == paid
    assert partner.call("GET", "/v1/partners/bills", {"customer_code": CODE})[1]["amount_due"] == due - 2000
    status, other = partner.call("POST", "/v1/partners/payments", body=json.dumps(dict(body, amount=2001)).encode())
    assert status == 409 and other["code"] == "PARTNER_TXN_CONFLICT"
    status, over = partner.call(
        "POST", "/v1/partners/payments", body=json.dumps(dict(body, partner_txn_id=txn + "X", amount=due)).encode()
    )
    assert status == 422 and over["code"] == "AMOUNT_EXCEEDS_DUE"

    status, reversed_ = partner.call("POST", f"/v1/partners/payments/{txn}/reversal")
    assert status == 201 and reversed_["status"] == "reversed" and reversed_["amount"] == 2000, reversed_
    assert partner.call("POST", f"/v1/partners/payments/{txn}/reversal") == (200, reversed_)
    assert partner.call("GET", "/v1/partners/bills", {"customer_code": CODE})[1]["amount_due"] == due

    # A request not signed right is refused.
    wrong = Partner(stack.api_url, "DEMOBANK", "not-the-demo-secret", str(tmp_path / "other.jsonl"))
    status, refused = wrong.call("GET", "/v1/partners/bills", {"customer_code": CODE})
    assert status == 401 and refused["code"] == "SIGNATURE_INVALID"

    # The day's file, ours; then the partner's own with one payment we never heard of.
    day = paid["day"]
    status, ours = partner.call("GET", f"/v1/partners/reconciliation/{day}")
    assert status == 200 and f"{txn},{CODE},2000," in ours and ours.rstrip().endswith("reversed"), ours
    unknown = f"E2EU{secrets.token_hex(4).upper()}"
    theirs = f"partner_txn_id,customer_code,amount,status\n{txn},{CODE},2000,reversed\n{unknown},{CODE},5000,paid\n"
    status, kept = partner.call(
        "PUT", f"/v1/partners/reconciliation/{day}", body=theirs.encode(), content_type="text/csv"
    )
    assert status == 202 and kept["status"] == "queued", kept
    admin = api.call("POST", "/v1/admin/login", {"username": "admin", "password": demo_password}).json()["access_token"]
    deadline, line = time.monotonic() + 60, None
    while line is None and time.monotonic() < deadline:
        items = api.call("GET", "/v1/admin/suspense?limit=500", token=admin).json()["items"]
        line = next((x for x in items if x["line_id"] == f"DEMOBANK#{unknown}"), None)
        time.sleep(0.5)
    assert line is not None, "the compare did not put the difference in the suspense list"
    assert (line["reason"], line["amount"], line["booked_on"]) == ("PARTNER_ONLY", 5000, day)
    assert not any(x["line_id"] == f"DEMOBANK#{txn}" for x in items)  # both sides say reversed


def test_the_fake_partner_on_the_command_line(stack, tmp_path, capsys):
    """What `make run` tells a developer to type: pay, reverse, send the day's file from its journal."""
    from local.partner_client import main

    journal = tmp_path / "cli.jsonl"
    base = ["--url", stack.api_url, "--journal", str(journal)]
    txn = f"E2EC{secrets.token_hex(4).upper()}"
    assert main([*base, "bills", CODE]) == 0
    assert main([*base, "pay", CODE, "1000", "--txn", txn]) == 0
    assert main([*base, "reverse", txn]) == 0
    assert [json.loads(line)["status"] for line in journal.read_text().splitlines()] == ["paid", "reversed"]
    day = json.loads(journal.read_text().splitlines()[0])["day"]
    assert main([*base, "daily-file", day]) == 0
    assert main([*base, "upload-file", day]) == 0
    out = capsys.readouterr().out
    assert out.count("HTTP 201") == 2 and "HTTP 202" in out and f"{txn},{CODE},1000," in out
