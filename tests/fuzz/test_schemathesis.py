"""Schemathesis against the served /v1/openapi.json of a whole local stack.

Four runs of schemathesis's own runner (its CLI, so what fails here is
reproduced the same way by hand, see docs/security-testing.md):

- public: every operation that needs no token, in full; no-token: every
  secured operation without a token (a few examples: refused before any
  handler runs);
- customer (01031059), staff (ghithu01 on its bound device, with the
  X-Device-Imei / X-App-Version headers) and admin: every operation that
  role's token is granted (the authorizer's ROLE_ROUTES).

Phases: examples, coverage (boundaries, wrong types, missing fields and
headers, unexpected methods) and fuzzing, with a fixed seed and
deterministic generation. Checks and the few documented exceptions are in
tests/fuzz/schemathesis.toml. FUZZ_EXAMPLES (default 12) is the number of
fuzzed examples per operation; `make fuzz` runs 200.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
import time

import pytest

from chalicelib.api.authorizer import ROLE_ROUTES
from tests.fuzz.conftest import fuzz_examples

SEED = 20231105
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "schemathesis.toml")
RUNS = ("public", "no-token", "customer", "staff", "admin")
NO_TOKEN_EXAMPLES = 3


def role_regex(*roles: str) -> str:
    """The paths these roles' tokens are granted, as one regular expression (API
    Gateway's '*' in a route grant spans segments)."""
    patterns = [p for role in roles for p in ROLE_ROUTES[role]]
    return "^(" + "|".join(re.escape(p).replace(r"\*", ".*") for p in patterns) + ")$"


def test_role_regex_matches_the_authorizer():
    for role, patterns in ROLE_ROUTES.items():
        for path in (
            "/v1/me",
            "/v1/me/customers",
            "/v1/staff/routes/today",
            "/v1/admin/kpis",
            "/v1/payments",
            "/v1/invoices/X1/pdf",
            "/v1/auth/login",
        ):
            assert bool(re.match(role_regex(role), path)) == any(fnmatch.fnmatchcase(path, p) for p in patterns)


def schemathesis_command(url: str, run: str, headers: dict, report_dir: str) -> list[str]:
    """public: the operations without a token, in full; no-token: every secured
    operation without a token (refused before any handler runs, so a few
    examples each); a role: every operation its token is granted, in full."""
    examples = NO_TOKEN_EXAMPLES if run == "no-token" else fuzz_examples()
    cmd = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"),
        "--config-file",
        CONFIG,
        "run",
        url + "/v1/openapi.json",
        "--seed",
        str(SEED),
        "--max-examples",
        str(examples),
        "--no-color",
        "--report",
        "junit,ndjson",
        "--report-dir",
        report_dir,
    ]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    every_role = role_regex(*ROLE_ROUTES)
    if run == "public":
        cmd += ["--exclude-path-regex", every_role]
    elif run == "no-token":
        cmd += ["--include-path-regex", every_role, "--phases", "examples,fuzzing"]
    else:
        cmd += ["--include-path-regex", role_regex(run)]
    return cmd


def summarise(stdout: str) -> dict:
    """Operations tested and test cases generated, from the runner's summary."""
    tested = re.search(r"Tested: (\d+)", stdout)
    cases = re.search(r"(\d+) generated", stdout)
    return {"operations": int(tested.group(1)) if tested else 0, "cases": int(cases.group(1)) if cases else 0}


@pytest.mark.parametrize("role", RUNS[:3])
def test_schemathesis(role, fuzz_stack, role_headers, served_document, tmp_path, record_property):
    """public, no-token, customer; staff and admin are in test_schemathesis_managers.py, so that
    `pytest -n 2 --dist loadfile` runs the two halves at once (each file on its own stack)."""
    run_schemathesis(role, fuzz_stack, role_headers, served_document, tmp_path, record_property)


def run_schemathesis(role, fuzz_stack, role_headers, served_document, tmp_path, record_property) -> None:
    assert served_document["paths"], "the served document has no operations"
    report_dir = str(tmp_path / "report")
    headers = role_headers.get(role, {})
    cmd = schemathesis_command(fuzz_stack.api_url, role, headers, report_dir)
    started = time.monotonic()
    # In the test's own directory: schemathesis and hypothesis leave their caches there.
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=str(tmp_path),
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    elapsed = time.monotonic() - started
    figures = summarise(proc.stdout)
    summary = proc.stdout[proc.stdout.rfind("SUMMARY") :] if "SUMMARY" in proc.stdout else proc.stdout[-3000:]
    print(f"[fuzz {role}] {figures} in {elapsed:.0f}s\n{summary}")
    record_property(
        "fuzz",
        f"{role}: {figures['operations']} operations, {figures['cases']} test cases, "
        f"{elapsed:.0f} s, exit {proc.returncode}",
    )
    os.makedirs(report_dir, exist_ok=True)
    with open(os.path.join(report_dir, "stdout.txt"), "w", encoding="utf-8") as f:
        f.write(proc.stdout + proc.stderr)
    assert proc.returncode == 0, (
        f"schemathesis found problems as {role} (full output: {report_dir}/stdout.txt; reproduce: "
        "docs/security-testing.md)\n" + headlines(proc.stdout) + proc.stderr[-3000:]
    )


def headlines(stdout: str) -> str:
    """Each failure's operation, check, status, body and curl line (bodies cut to 300 characters)."""
    keep = re.compile(r"^(_{5,} .* _{5,}|- ST\d+ .*|\[\d{3}\] .*|\s+`.*|\s+curl .*|\s+(Received|Documented): .*)$")
    return "\n".join(line[:300] for line in stdout.splitlines() if keep.match(line))
