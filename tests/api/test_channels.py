"""Registering online for bank transfer / authorised debit; the field rules follow the confirmed channel."""

from __future__ import annotations


def _admin(api):
    return api.post("/v1/admin/login", {"username": "admin", "password": "cawaco-demo-2023"}).json["access_token"]


def test_request_confirm_and_the_customer_becomes_a_bank_transfer_payer(api, registered):
    from chalicelib.store.audit import AuditStore
    from chalicelib.store.models import CustomerModel

    customer, tokens = registered()
    body = {
        "customer_code": customer.code,
        "channel": "bank_transfer",
        "bank_code": "VCB",
        "account_holder": "NGUYEN VAN THU",
        "account_no": "0071000123456",
    }
    r = api.post("/v1/me/payment-channel", body, token=tokens["access_token"])
    assert r.status_code == 202 and r.json["account_no"] == "****3456" and r.json["status"] == "pending"
    again = api.post("/v1/me/payment-channel", body, token=tokens["access_token"])
    assert again.status_code == 409 and again.json["code"] == "REQUEST_PENDING"
    admin = _admin(api)
    waiting = api.get("/v1/admin/payment-channel-requests", token=admin).json["requests"]
    assert r.json["request_id"] in [w["request_id"] for w in waiting]
    decided = api.post(
        f"/v1/admin/payment-channel-requests/{r.json['request_id']}", {"decision": "confirm"}, token=admin
    )
    assert decided.status_code == 200 and decided.json["status"] == "confirmed"
    assert CustomerModel.get(customer.code).payment_channel == "bank_transfer"
    assert (
        api.post(
            f"/v1/admin/payment-channel-requests/{r.json['request_id']}", {"decision": "reject"}, token=admin
        ).status_code
        == 409
    )
    [entry] = AuditStore().for_entity(f"customer#{customer.code}")
    assert entry.action == "payment_channel.confirmed" and '"bank_transfer"' in entry.after
    # The field rules now bill this customer without cash.
    from chalicelib.domain.readings import Meter, evaluate

    assert (
        evaluate(20, Meter(old_index=10), [10], CustomerModel.get(customer.code).payment_channel).collect_on_spot
        is False
    )


def test_only_the_owner_may_ask_and_bad_input_is_refused(api, registered):
    mine, tokens = registered()
    theirs, _ = registered()
    body = {
        "customer_code": theirs.code,
        "channel": "authorised_debit",
        "bank_code": "AGR",
        "account_holder": "X Y",
        "account_no": "123456789",
    }
    assert api.post("/v1/me/payment-channel", body, token=tokens["access_token"]).status_code == 403
    for change, field in (
        ({"channel": "cash"}, "channel"),
        ({"bank_code": "XYZ"}, "bank_code"),
        ({"account_no": "12ab"}, "account_no"),
        ({"account_holder": ""}, "account_holder"),
    ):
        r = api.post(
            "/v1/me/payment-channel", dict(body, customer_code=mine.code, **change), token=tokens["access_token"]
        )
        assert r.status_code == 400 and r.json["field"] == field
    assert api.get("/v1/admin/payment-channel-requests", token=tokens["access_token"]).status_code == 403
