"""Bad input gets a clear 4xx with a code and a message; never a 500 or a trace."""

from __future__ import annotations

import json

import pytest

POSTS = [
    "/v1/auth/customer-code-lookup",
    "/v1/auth/register",
    "/v1/auth/register/confirm",
    "/v1/auth/login",
    "/v1/auth/refresh",
    "/v1/auth/logout",
    "/v1/auth/password/forgot",
    "/v1/auth/password/reset",
    "/v1/admin/login",
]
GARBAGE = [
    b"",
    b"{",
    b"[]",
    b"null",
    b"42",
    b'"text"',
    b'{"customer_code": 1059}',
    b'{"customer_code": ["01031059"]}',
    b'{"customer_code": "01O31059", "password": null}',
    b'{"customer_code": "0103105\\u0000"}',
    b'{"refresh_token": {"a": 1}}',
    b'{"phone": 907186555}',
    b'{"ledger_no": "x", "house_no": 5}',
    b'{"otp": 123456, "customer_code": "1031059 "}',
    ("[" * 5000 + "]" * 5000).encode(),
    json.dumps({"customer_code": "0" * 10000}).encode(),
    b"\xff\xfe\x00garbage",
]


@pytest.mark.parametrize("path", POSTS)
def test_garbage_bodies_are_4xx_with_code(api, path):
    for raw in GARBAGE:
        r = api.call("POST", path, raw=raw, token="")
        assert 400 <= r.status_code < 500, (path, raw[:40], r.status_code, r.body[:200])
        assert r.json["code"] and r.json["message"], (path, raw[:40])
        assert "Traceback" not in r.body.decode("utf-8", "replace")


def test_oversized_body(api):
    r = api.call("POST", "/v1/auth/login", raw=b'{"customer_code": "' + b"1" * 20000 + b'"}', token="")
    assert r.status_code == 400 and r.json["code"] == "BODY_TOO_LARGE"


def test_messages_follow_accept_language(api):
    vi = api.post("/v1/auth/login", {"customer_code": "abc", "password": "x"})
    en = api.post("/v1/auth/login", {"customer_code": "abc", "password": "x"}, headers={"Accept-Language": "en-US"})
    assert vi.json["code"] == en.json["code"] == "VALIDATION_ERROR"
    assert vi.json["field"] == "customer_code"
    assert "Mã khách hàng" in vi.json["message"] and "digits" in en.json["message"]


def test_extra_fields_cannot_set_role_or_codes(api, sms, new_customer):
    """Mass assignment: a client cannot choose its role or extra customer codes."""
    from tests.api.conftest import otp_from

    customer = new_customer()
    api.post("/v1/auth/register", {"customer_code": customer.code})
    r = api.post(
        "/v1/auth/register/confirm",
        {
            "customer_code": customer.code,
            "otp": otp_from(sms, customer.code),
            "password": "Nuoc-sach-2024",
            "role": "admin",
            "customer_codes": ["01031059"],
        },
    )
    assert r.status_code == 201 and r.json["role"] == "customer"
    me = api.get("/v1/me", token=r.json["access_token"]).json
    assert [c["customer_code"] for c in me["customers"]] == [customer.code]
    assert api.get("/v1/customers/01031059/invoices", token=r.json["access_token"]).status_code == 403


def test_health(api):
    r = api.get("/v1/health", token="")
    assert r.status_code == 200 and r.json["status"] == "ok" and r.json["store"] is True
    assert r.headers.get("X-Request-Id")


def test_errors_chalice_answers_itself_have_our_shape(api):
    r = api.call(
        "POST", "/v1/auth/login", raw=b"a=b", token="", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 415 and r.json["code"] == "UNSUPPORTED_MEDIA_TYPE"
    r = api.call("PUT", "/v1/auth/login", raw=b"{}", token="")
    assert r.status_code == 405 and r.json["code"] == "METHOD_NOT_ALLOWED"


def test_every_answer_carries_a_request_id(api):
    r = api.get("/v1/health", token="", headers={"X-Request-Id": "app-7f3a9c21"})
    assert r.headers["X-Request-Id"] == "app-7f3a9c21"
    r = api.get("/v1/health", token="", headers={"X-Request-Id": "<script>"})
    assert r.headers["X-Request-Id"] not in ("", "<script>")


@pytest.mark.parametrize(
    "path, name, who",
    [
        ("/v1/admin/credits?status=", "status", "admin"),
        ("/v1/me/data?format=", "format", "customer"),
        ("/v1/customers/01031059/invoices?limit=", "limit", "customer"),
        ("/v1/customers/01031059/invoices?status=unpaid&cursor=", "cursor", "customer"),
        ("/v1/admin/kpis?period=", "period", "admin"),
    ],
)
def test_a_query_parameter_given_without_a_value_is_400_naming_it(api, admin, path, name, who):
    """`?status=` is not the same as leaving status out (found by schemathesis at 100 examples)."""
    token = admin if who == "admin" else api.login("01031059")["access_token"]
    r = api.get(path, token=token)
    assert r.status_code == 400 and r.json["code"] == "VALIDATION_ERROR" and r.json["field"] == name, r.json


def test_vnpays_ipn_answers_200_with_97_whatever_the_query(api):
    """VNPay's contract: an IPN always gets HTTP 200 and its outcome in RspCode."""
    for query in ("", "?=false", "?vnp_TxnRef=", "?vnp_SecureHash=00&vnp_TxnRef=1"):
        r = api.get(f"/v1/vnpay/ipn{query}", token="")
        assert r.status_code == 200 and r.json["RspCode"] == "97", (query, r.json)


def test_an_empty_date_still_means_today_where_the_document_says_so(api, admin):
    r = api.get("/v1/admin/reconciliation?staff=ghithu01&date=", token=admin)
    assert r.status_code == 200, r.json
    r = api.get("/v1/admin/reconciliation?staff=&date=", token=admin)
    assert r.status_code == 400 and r.json["field"] == "staff", r.json
