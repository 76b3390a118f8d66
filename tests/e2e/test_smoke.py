"""`make smoke` (infra/smoke.py), the post-deploy check of docs/deploy.md, against the local stack: CI
runs it here with the demo customer as the smoke account."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def smoke(url: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SMOKE_")}
    return subprocess.run(
        ["make", "--no-print-directory", "smoke", f"URL={url}", f"PY={sys.executable}"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_make_smoke_passes_against_the_local_stack(stack, demo_password):
    run = smoke(stack.api_url, SMOKE_CUSTOMER_CODE="01031059", SMOKE_PASSWORD=demo_password)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "01031059 signed in, 4 invoices listed" in run.stdout, run.stdout
    assert "FAIL" not in run.stdout and "skip" not in run.stdout, run.stdout
    assert "all smoke checks passed" in run.stdout


def test_without_the_smoke_account_it_says_what_it_skipped(stack):
    run = smoke(stack.api_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "skip smoke account's login and invoices: SMOKE_CUSTOMER_CODE and SMOKE_PASSWORD are not set" in run.stdout


def test_a_failing_check_fails_the_run_and_says_which(stack):
    # A code no customer has: a wrong password for the demo customer would count towards its lockout.
    run = smoke(stack.api_url, SMOKE_CUSTOMER_CODE="09999999", SMOKE_PASSWORD="not-the-password")
    assert run.returncode != 0
    assert "FAIL smoke account's login and invoices: POST /v1/auth/login as 09999999: HTTP 401" in run.stdout
    assert "1 smoke check(s) FAILED" in run.stdout
    assert "ok   health" in run.stdout  # the other checks still ran


def test_it_refuses_without_a_url():
    run = subprocess.run(
        ["make", "--no-print-directory", "smoke", f"PY={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0 and "make smoke URL=" in run.stderr
