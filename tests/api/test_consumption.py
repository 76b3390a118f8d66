"""The consumption history through the handlers (issue 18): GET /v1/customers/{code}/consumption (the
last 12 to 24 billed periods of a linked code, oldest first, with their average) and the history in
an invoice's detail, up to that invoice's period; GET /v1/me/notifications (the reminder settings the
website shows before changing them). A and B: tests/api/test_owasp.py."""

from __future__ import annotations

import pytest


def _months(first: str, n: int) -> list[str]:
    year, month = map(int, first.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _history(n: int, first: str = "2022-01"):
    """n monthly bills: 10, 11, 12... m³, the last one unpaid; (invoices for new_customer, [(m3, total)])."""
    invoices, index = [], 100
    for i, period in enumerate(_months(first, n)):
        m3 = 10 + i
        invoices.append((period, index, index + m3, m3 * 6186, "unpaid" if i == n - 1 else "paid"))
        index += m3
    return invoices


def _total(water: int) -> int:  # local.seed.invoice_item: VAT 5 %, fee 10 %, each half up
    return water + (water * 5 + 50) // 100 + (water * 10 + 50) // 100


def test_the_last_periods_oldest_first_with_their_average(api, registered):
    bills = _history(26)
    customer, tokens = registered(invoices=bills)
    token = tokens["access_token"]
    r = api.get(f"/v1/customers/{customer.code}/consumption", token=token)
    assert r.status_code == 200, r.json
    got = r.json
    assert got["customer_code"] == customer.code
    last12 = bills[-12:]
    assert [p["period"] for p in got["periods"]] == [b[0] for b in last12]  # 2023-03 .. 2024-02
    assert [p["m3"] for p in got["periods"]] == list(range(24, 36))
    assert [p["amount"] for p in got["periods"]] == [_total(b[3]) for b in last12]
    assert got["average_m3"] == 29.5  # (24 + 35) / 2
    assert got["average_amount"] == (2 * sum(_total(b[3]) for b in last12) + 12) // 24  # half up
    assert isinstance(got["average_amount"], int)

    r = api.get(f"/v1/customers/{customer.code}/consumption?periods=24", token=token)
    assert [p["m3"] for p in r.json["periods"]] == list(range(12, 36))


def test_a_new_customer_has_an_empty_history_and_no_average(api, registered):
    customer, tokens = registered()
    r = api.get(f"/v1/customers/{customer.code}/consumption", token=tokens["access_token"])
    assert r.json == {"customer_code": customer.code, "periods": [], "average_m3": None, "average_amount": None}


@pytest.mark.parametrize("periods", ["11", "25", "0", "x", "-12", "12.5"])
def test_periods_are_12_to_24(api, registered, periods):
    customer, tokens = registered()
    path = f"/v1/customers/{customer.code}/consumption?periods={periods}"
    r = api.get(path, token=tokens["access_token"])
    assert r.status_code == 400 and r.json["field"] == "periods", r.json
    assert r.json["message"] == "periods phải từ 12 đến 24."
    r = api.get(path, token=tokens["access_token"], headers={"Accept-Language": "en"})
    assert r.json["message"] == "periods must be 12 to 24"


def test_a_malformed_or_unlinked_code_is_refused(api, registered):
    _, tokens = registered()
    r = api.get("/v1/customers/12ab/consumption", token=tokens["access_token"])
    assert r.status_code == 400 and r.json["field"] == "customer_code"
    r = api.get("/v1/customers/01031059/consumption", token=tokens["access_token"])  # the demo's, not ours
    assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED"


def test_an_invoice_carries_the_history_up_to_its_own_period(api, registered):
    bills = _history(15, first="2023-01")  # 2023-01 .. 2024-03
    customer, tokens = registered(invoices=bills)
    token = tokens["access_token"]
    newest = api.get(f"/v1/invoices/INV-{customer.code}-202403", token=token).json["consumption"]
    assert [p["period"] for p in newest["periods"]] == [b[0] for b in bills[-12:]]
    older = api.get(f"/v1/invoices/INV-{customer.code}-202306", token=token).json["consumption"]
    assert [p["period"] for p in older["periods"]] == _months("2023-01", 6)  # nothing after its period
    assert older["average_m3"] == 12.5 and older["customer_code"] == customer.code


def test_the_reminder_settings_as_they_are(api, registered):
    customer, tokens = registered()
    token = tokens["access_token"]
    r = api.get("/v1/me/notifications", token=token)
    assert r.status_code == 200
    (now,) = r.json["customers"]
    assert now["customer_code"] == customer.code and now["opt_out"] is False and now["channels"]
    put = api.call("PUT", "/v1/me/notifications", {"channels": ["sms", "zalo"], "opt_out": True}, token=token)
    assert put.status_code == 200, put.json
    r = api.get(f"/v1/me/notifications?customer_code={customer.code}", token=token)
    assert r.json == put.json
    assert r.json["customers"][0]["channels"] == ["sms", "zalo"] and r.json["customers"][0]["opt_out"] is True
    r = api.get("/v1/me/notifications?customer_code=12ab", token=token)
    assert r.status_code == 400 and r.json["field"] == "customer_code"
