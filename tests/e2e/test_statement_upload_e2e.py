"""Issue 15 end to end over HTTP on the local stack: a bank statement goes to S3 (moto) through the
presigned POST the API signs, the start queues it, the stack's imports worker imports it from the
bucket, and the manager reads the result and the suspense list."""

from __future__ import annotations

import secrets
import time

import requests


def test_a_statement_uploaded_through_the_presigned_post_is_imported(api, demo_password):
    admin = api.call("POST", "/v1/admin/login", {"username": "admin", "password": demo_password}).json()["access_token"]
    refs = [f"FTE2E{secrets.token_hex(4).upper()}" for _ in range(2)]
    statement = (
        "\ufeffNgày giao dịch;Số tham chiếu;Số tiền ghi nợ;Số tiền ghi có;Mô tả\n"
        f"15/05/2024;{refs[0]};;75.900;CHUYEN TIEN\n"
        f"16/05/2024;{refs[1]};;120.000;TT TIEN NUOC KH 0999999999 T5/2024\n"
        "17/05/2024;FTE2EDEBIT;12.000;;PHI SMS BANKING\n"
    ).encode()
    created = api.call("POST", "/v1/admin/imports/bank-statements/uploads", {"bank": "VCB"}, token=admin)
    assert created.status_code == 201, created.text
    form, import_id = created.json()["upload"], created.json()["import_id"]
    assert form["url"].startswith("http://127.0.0.1:")  # moto, path style
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("sao-ke.csv", statement)}, timeout=15)
    assert posted.status_code in (200, 201, 204), posted.text
    started = api.call("POST", f"/v1/admin/imports/bank-statements/{import_id}/start", token=admin)
    assert started.status_code == 202 and started.json()["status"] == "queued", started.text
    deadline = time.monotonic() + 60
    while True:
        view = api.call("GET", f"/v1/admin/imports/bank-statements/{import_id}", token=admin).json()
        if view["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert view["status"] == "done", view
    result = view["result"]
    assert (result["lines"], result["matched"], result["suspense"], result["skipped"]) == (2, 0, 2, 1)
    full = requests.get(view["result_url"], timeout=15).json()
    assert {x["line_id"] for x in full["results"]} == {f"VCB#{r}" for r in refs}
    suspense = api.call("GET", "/v1/admin/suspense?limit=500", token=admin).json()["items"]
    mine = {x["line_id"]: x for x in suspense if x["import_id"] == import_id}
    assert {x["reason"] for x in mine.values()} == {"NO_REFERENCE", "UNKNOWN_CUSTOMER"}
