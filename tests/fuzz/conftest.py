"""Fuzzing against the whole local stack (its own one: fuzzing locks demo
accounts and fills tables, so it never shares the end-to-end tests' stack).

The stack is started with tests/e2e's `running_stack`; tokens for every role
are taken once, before any fuzzing (the login fuzz soon locks the demo
accounts and rate-limits this IP, which is what it should do)."""

from __future__ import annotations

import os

import pytest
import requests

from tests.e2e.conftest import DEMO_PASSWORD, running_stack

CUSTOMER = "01031059"
STAFF = "ghithu01"
STAFF_DEVICE = "356938035643809"
STAFF_APP_VERSION = "1.2.0"


def fuzz_examples() -> int:
    """Examples per operation in the fuzzing phase: FUZZ_EXAMPLES, else a CI-sized 12."""
    raw = os.environ.get("FUZZ_EXAMPLES", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else 12


@pytest.fixture(scope="session")
def fuzz_stack(tmp_path_factory):
    # Access tokens for an hour, so a deep run (FUZZ_EXAMPLES=500) keeps its sessions.
    yield from running_stack(
        tmp_path_factory, "fuzz-stack", {"ACCESS_TOKEN_TTL": "3600", "LOCAL_QUEUE_VISIBILITY_SECONDS": "2"}
    )


def _login(url: str, path: str, body: dict) -> str:
    resp = requests.post(url + path, json=body, timeout=15)
    assert resp.status_code == 200, (path, resp.status_code, resp.text)
    return resp.json()["access_token"]


@pytest.fixture(scope="session")
def role_headers(fuzz_stack) -> dict:
    """Headers that make a request come from each role (anonymous: none)."""
    url = fuzz_stack.api_url
    customer = _login(url, "/v1/auth/login", {"customer_code": CUSTOMER, "password": DEMO_PASSWORD})
    staff = _login(
        url,
        "/v1/staff/login",
        {"username": STAFF, "password": DEMO_PASSWORD, "device_imei": STAFF_DEVICE, "app_version": STAFF_APP_VERSION},
    )
    admin = _login(url, "/v1/admin/login", {"username": "admin", "password": DEMO_PASSWORD})
    return {
        "anonymous": {},
        "customer": {"Authorization": f"Bearer {customer}"},
        "staff": {
            "Authorization": f"Bearer {staff}",
            "X-Device-Imei": STAFF_DEVICE,
            "X-App-Version": STAFF_APP_VERSION,
        },
        "admin": {"Authorization": f"Bearer {admin}"},
    }


@pytest.fixture(scope="session")
def served_document(fuzz_stack) -> dict:
    resp = requests.get(fuzz_stack.api_url + "/v1/openapi.json", timeout=15)
    assert resp.status_code == 200, resp.text
    return resp.json()


# One line per run at the end of the session (also under xdist: user properties travel
# with the reports to the controller).
_FIGURES: list = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        _FIGURES.extend(value for name, value in report.user_properties if name == "fuzz")


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("schemathesis")
        for line in sorted(_FIGURES):
            terminalreporter.write_line(line)
