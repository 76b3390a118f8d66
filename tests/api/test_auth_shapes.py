"""The answers of the sign-in, account and statement routes are what the document says, to the key:
their schemas come from services/shapes_auth.py and shapes_accounts.py and are closed."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator

from tests.api.conftest import otp_from

STRONG = "Nuoc-sach-2024"


@pytest.fixture(scope="module")
def document():
    from chalicelib.api.openapi import document

    return document()


def conforms(document, method, path, response):
    schema = document["paths"][path][method]["responses"][str(response.status_code)]["content"]["application/json"]
    OAS30Validator(schema["schema"]).validate(response.json)
    return response.json


def test_sign_in_answers_match_the_document(api, sms, document, new_customer):
    customer = new_customer(phone="0977555123", house_no="9", ledger_no="LKS00001")
    r = api.post("/v1/auth/customer-code-lookup", {"ledger_no": "LKS00001", "house_no": "9"})
    assert [
        c["customer_code"] for c in conforms(document, "post", "/v1/auth/customer-code-lookup", r)["customers"]
    ] == [customer.code]
    r = api.post("/v1/auth/register", {"customer_code": customer.code})
    assert conforms(document, "post", "/v1/auth/register", r)["expires_in"] > 0
    body = {"customer_code": customer.code, "otp": otp_from(sms, customer.code), "password": STRONG}
    tokens = conforms(document, "post", "/v1/auth/register/confirm", api.post("/v1/auth/register/confirm", body))
    assert tokens["role"] == "customer"
    r = api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    refreshed = conforms(document, "post", "/v1/auth/refresh", r)
    r = api.post("/v1/auth/login", {"customer_code": customer.code, "password": STRONG})
    conforms(document, "post", "/v1/auth/login", r)
    me = conforms(document, "get", "/v1/me", api.get("/v1/me", token=refreshed["access_token"]))
    assert me["login"] == customer.code and me["customers"][0]["phone"] != customer.phone

    api.post("/v1/auth/password/forgot", {"customer_code": customer.code})
    body = {"customer_code": customer.code, "otp": otp_from(sms, customer.code), "new_password": "Nuoc-moi-2025"}
    r = api.post("/v1/auth/password/reset", body)
    assert conforms(document, "post", "/v1/auth/password/reset", r) == {"password_changed": True}
    r = api.post("/v1/admin/login", {"username": "admin", "password": "cawaco-demo-2023"})
    assert conforms(document, "post", "/v1/admin/login", r)["role"] == "admin"


def test_linking_and_statements_match_the_document(api, sms, document, registered, new_customer, admin):
    customer, tokens = registered(invoices=[("2024-01", 5, 9, 24000, "unpaid")])
    other = new_customer()
    r = api.post("/v1/me/customers", {"customer_code": other.code}, token=tokens["access_token"])
    conforms(document, "post", "/v1/me/customers", r)
    body = {"customer_code": other.code, "otp": otp_from(sms, other.code)}
    r = api.post("/v1/me/customers/confirm", body, token=tokens["access_token"])
    assert set(conforms(document, "post", "/v1/me/customers/confirm", r)["customer_codes"]) == {
        customer.code,
        other.code,
    }

    r = api.get(f"/v1/me/account?customer_code={customer.code}", token=tokens["access_token"])
    statement = conforms(document, "get", "/v1/me/account", r)
    assert statement["open_invoices"] and statement["entries"]
    r = api.get(f"/v1/admin/customers/{customer.code}/account", token=admin)
    rows = conforms(document, "get", "/v1/admin/customers/{code}/account", r)["entries"]
    assert all("posted_by" in row for row in rows)


def test_a_customer_s_row_carries_no_internal_reference(document):
    customer = document["paths"]["/v1/me/account"]["get"]["responses"]["200"]["content"]["application/json"]
    row = customer["schema"]["properties"]["entries"]["items"]
    assert row["additionalProperties"] is False and "payment_id" not in row["properties"]
