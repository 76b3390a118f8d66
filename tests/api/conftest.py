"""Handlers through chalice.test.Client, on DynamoDB Local (and moto)."""

from __future__ import annotations

import collections
import itertools
import json
import re

import pytest

from chalicelib import deps
from chalicelib.adapters.notifications import MemorySms

_codes = itertools.count(1)


@pytest.fixture(scope="session")
def app(engines):
    from local import seed

    seed.load("cawaco-demo-2023")
    import app as app_module

    return app_module.app


@pytest.fixture
def sms():
    fake = MemorySms()
    deps.override("queued_sms", fake)
    yield fake
    deps.reset()


@pytest.fixture(autouse=True)
def _fresh_counters(request):
    """Rate-limit windows are per client IP, and every test client has the same
    one: start each test with no counters (a test-only Scan)."""
    yield
    if "app" in request.fixturenames:
        from chalicelib.store.models import CounterModel

        for item in CounterModel.scan():
            item.delete()


@pytest.fixture
def admin(api):
    """The demo manager's access token."""
    r = api.post("/v1/admin/login", {"username": "admin", "password": "cawaco-demo-2023"})
    assert r.status_code == 200, r.json
    return r.json["access_token"]


@pytest.fixture
def calls(monkeypatch):
    """DynamoDB operations made while a test runs, by name (PynamoDB's one choke point)."""
    from pynamodb.connection.base import Connection

    seen = collections.Counter()
    original = Connection._make_api_call

    def counting(self, operation_name, operation_kwargs, *a, **kw):
        seen[operation_name] += 1
        return original(self, operation_name, operation_kwargs, *a, **kw)

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    return seen


class Api:
    """A thin JSON client over chalice.test.Client."""

    def __init__(self, client) -> None:
        self.http = client.http
        self.token = None

    def call(self, method: str, path: str, body=None, token=None, headers=None, raw: bytes | None = None):
        h = {"Content-Type": "application/json"}
        tok = token if token is not None else self.token
        if tok:
            h["Authorization"] = f"Bearer {tok}"
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        if method == "GET":
            resp = self.http.get(path, headers=h)
        else:
            resp = self.http.request(method, path, headers=h, body=data)
        is_json = resp.headers.get("Content-Type", "application/json").startswith("application/json")
        resp.json = json.loads(resp.body) if resp.body and is_json else None
        return resp

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def login(self, code: str, password: str = "cawaco-demo-2023") -> dict:
        r = self.post("/v1/auth/login", {"customer_code": code, "password": password}, token="")
        assert r.status_code == 200, r.json
        return r.json


@pytest.fixture
def api(app, sms):
    from chalice.test import Client

    with Client(app, stage_name="test") as client:
        yield Api(client)


@pytest.fixture
def new_customer(app):
    """A fresh customer (no account) with its own code and phone, and optionally invoices."""
    from chalicelib.store.models import CustomerModel
    from local.seed import invoice_item

    def make(invoices=(), phone=None, house_no="7", ledger_no=None):
        n = next(_codes)
        code = f"09{n:06d}"
        customer = CustomerModel(
            code,
            ledger_no=ledger_no or f"TST{n:06d}",
            name="Nguyễn Văn Thử",
            address=f"{house_no} Lý Thường Kiệt, Phường 7, TP Cà Mau",
            house_no=house_no,
            phone=phone or f"0988{n:06d}",
            customer_class="household",
            branch="TP Ca Mau",
            persons=2,
            payment_channel="cash",
        )
        customer.save()
        for period, old, new, water, status in invoices:
            invoice_item(code, period, old, new, water, status, customer.name).save()
        return customer

    return make


def otp_from(sms: MemorySms, code: str) -> str:
    texts = [m["text"] for m in sms.sent if m["customer_code"] == code]
    assert texts, f"no SMS for {code}"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


@pytest.fixture
def registered(api, sms, new_customer):
    """A customer who has registered through the API; returns (customer, tokens)."""

    def make(invoices=(), password="Nuoc-sach-2024", **kw):
        customer = new_customer(invoices, **kw)
        assert api.post("/v1/auth/register", {"customer_code": customer.code}).status_code == 202
        r = api.post(
            "/v1/auth/register/confirm",
            {"customer_code": customer.code, "otp": otp_from(sms, customer.code), "password": password},
        )
        assert r.status_code == 201, r.json
        return customer, r.json

    return make


@pytest.fixture
def payer(api, registered):
    """A registered customer with two unpaid invoices: (customer, token, invoice ids, their total)."""
    from tests.api.test_payments import PERIODS

    customer, tokens = registered(invoices=PERIODS)
    token = tokens["access_token"]
    invoices = api.get(f"/v1/customers/{customer.code}/invoices?status=unpaid", token=token).json["invoices"]
    return customer, token, [i["invoice_id"] for i in invoices], sum(i["total"] for i in invoices)
