"""No Scan on any request path, and the DynamoDB calls each request makes.
(The figures themselves are measured by bench/, not asserted on time.)"""

from __future__ import annotations


def test_request_paths_never_scan_and_stay_small(api, calls, registered):
    customer, tokens = registered(invoices=[("2024-01", 1, 9, 48000, "unpaid")])
    calls.clear()
    token = api.login(customer.code, "Nuoc-sach-2024")["access_token"]
    assert sum(calls.values()) <= 3, calls  # failure counter peek, account, session
    calls.clear()
    page = api.get(f"/v1/customers/{customer.code}/invoices", token=token).json
    assert dict(calls) == {"Query": 1}
    calls.clear()
    api.get(f"/v1/invoices/{page['invoices'][0]['invoice_id']}", token=token)
    assert dict(calls) == {"GetItem": 1, "Query": 1}  # the invoice, and its consumption history (issue 18)
    calls.clear()
    api.get(f"/v1/customers/{customer.code}/consumption?periods=24", token=token)
    assert dict(calls) == {"Query": 1}
    calls.clear()
    api.get("/v1/me/notifications", token=token)
    assert dict(calls) == {"GetItem": 1}  # one a linked code
    calls.clear()
    api.get("/v1/me", token=token)
    api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    api.post("/v1/auth/customer-code-lookup", {"phone": customer.phone})
    assert "Scan" not in calls
