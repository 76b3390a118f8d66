"""Customer accounts through the handlers: registration, login, tokens, reset, linking."""

from __future__ import annotations

from tests.api.conftest import otp_from

STRONG = "Nuoc-sach-2024"


def test_register_confirm_login_and_me(api, sms, new_customer):
    customer = new_customer()
    r = api.post("/v1/auth/register", {"customer_code": customer.code})
    assert r.status_code == 202
    assert r.json["otp_sent_to"].endswith(customer.phone[-3:]) and customer.phone not in r.json["otp_sent_to"]
    assert sms.sent[-1]["phone"] == customer.phone  # to the phone on file, nowhere else
    r = api.post(
        "/v1/auth/register/confirm",
        {"customer_code": customer.code, "otp": otp_from(sms, customer.code), "password": STRONG},
    )
    assert r.status_code == 201
    assert r.json["token_type"] == "Bearer" and r.json["expires_in"] == 900
    me = api.get("/v1/me", token=api.login(customer.code, STRONG)["access_token"])
    assert me.status_code == 200
    assert [c["customer_code"] for c in me.json["customers"]] == [customer.code]


def test_one_time_code_is_single_use(api, sms, new_customer):
    customer = new_customer()
    api.post("/v1/auth/register", {"customer_code": customer.code})
    otp = otp_from(sms, customer.code)
    body = {"customer_code": customer.code, "otp": otp, "password": STRONG}
    assert api.post("/v1/auth/register/confirm", body).status_code == 201
    again = api.post("/v1/auth/register/confirm", body)
    assert again.status_code == 400 and again.json["code"] == "OTP_EXPIRED"


def test_wrong_codes_use_up_attempts(api, sms, new_customer):
    customer = new_customer()
    api.post("/v1/auth/register", {"customer_code": customer.code})
    right = otp_from(sms, customer.code)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    body = {"customer_code": customer.code, "otp": wrong, "password": STRONG}
    codes = [api.post("/v1/auth/register/confirm", body).json["code"] for _ in range(5)]
    assert codes == ["OTP_INVALID"] * 4 + ["OTP_EXPIRED"]
    # Even the right code is refused now: five guesses are all anyone gets.
    r = api.post("/v1/auth/register/confirm", dict(body, otp=right))
    assert r.status_code == 400 and r.json["code"] == "OTP_EXPIRED"


def test_code_resend_waits_and_register_twice_is_refused(api, sms, registered, new_customer):
    customer = new_customer()
    assert api.post("/v1/auth/register", {"customer_code": customer.code}).status_code == 202
    r = api.post("/v1/auth/register", {"customer_code": customer.code})
    assert r.status_code == 429 and r.json["code"] == "OTP_RECENTLY_SENT" and int(r.headers["Retry-After"]) > 0
    done, _ = registered()
    r = api.post("/v1/auth/register", {"customer_code": done.code})
    assert r.status_code == 409 and r.json["code"] == "ALREADY_REGISTERED"


def test_register_unknown_code_and_weak_password(api, sms, new_customer):
    r = api.post("/v1/auth/register", {"customer_code": "99999999"})
    assert r.status_code == 404 and r.json["code"] == "CUSTOMER_NOT_FOUND"
    customer = new_customer()
    api.post("/v1/auth/register", {"customer_code": customer.code})
    otp = otp_from(sms, customer.code)
    for weak in ("123456", "12345678", "short", customer.code + "x", "aaaaaaaaaa"):
        r = api.post("/v1/auth/register/confirm", {"customer_code": customer.code, "otp": otp, "password": weak})
        assert r.status_code == 400 and r.json["field"] == "password", weak
    # A refused password did not spend the code.
    r = api.post("/v1/auth/register/confirm", {"customer_code": customer.code, "otp": otp, "password": STRONG})
    assert r.status_code == 201


def test_login_wrong_password_locks_after_five(api, registered):
    customer, _ = registered()
    bad = {"customer_code": customer.code, "password": "not-the-password"}
    statuses = [api.post("/v1/auth/login", bad).status_code for _ in range(5)]
    assert statuses == [401] * 5
    locked = api.post("/v1/auth/login", {"customer_code": customer.code, "password": STRONG})
    assert locked.status_code == 423 and locked.json["code"] == "ACCOUNT_LOCKED"
    assert int(locked.headers["Retry-After"]) > 0


def test_login_unknown_code_looks_like_wrong_password(api):
    r = api.post("/v1/auth/login", {"customer_code": "12345678", "password": "whatever-it-is"})
    assert r.status_code == 401 and r.json["code"] == "INVALID_CREDENTIALS"


def test_many_failures_from_one_ip_are_rate_limited(api, registered):
    customers = [registered()[0] for _ in range(8)]
    statuses = []
    for i in range(32):
        c = customers[i % len(customers)]
        statuses.append(api.post("/v1/auth/login", {"customer_code": c.code, "password": f"guess-{i}"}).status_code)
    assert statuses[-1] == 429 and 429 in statuses[:31]


def test_refresh_rotates_and_reuse_ends_the_session(api, registered):
    _customer, tokens = registered()
    first = tokens["refresh_token"]
    r = api.post("/v1/auth/refresh", {"refresh_token": first})
    assert r.status_code == 200
    second = r.json["refresh_token"]
    assert second != first
    # The old token again: someone replayed it, so the whole family dies...
    r = api.post("/v1/auth/refresh", {"refresh_token": first})
    assert r.status_code == 401 and r.json["code"] == "SESSION_ENDED"
    # ...including the legitimate newer token.
    assert api.post("/v1/auth/refresh", {"refresh_token": second}).status_code == 401


def test_logout_revokes_the_refresh_token(api, registered):
    _, tokens = registered()
    assert api.post("/v1/auth/logout", {"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_forged_and_wrong_type_tokens(api, registered):
    _, tokens = registered()
    # An access token is not a refresh token, and vice versa.
    assert api.post("/v1/auth/refresh", {"refresh_token": tokens["access_token"]}).status_code == 401
    assert api.get("/v1/me", token=tokens["refresh_token"]).status_code == 403
    head, body, sig = tokens["access_token"].split(".")
    assert api.get("/v1/me", token=f"{head}.{body}.{sig[:-2]}xx").status_code == 403
    import base64
    import json

    none_head = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode().rstrip("=")
    assert api.get("/v1/me", token=f"{none_head}.{body}.").status_code == 403
    assert api.get("/v1/me", token="").status_code == 401


def test_password_reset_ends_old_sessions(api, sms, registered):
    customer, tokens = registered()
    r = api.post("/v1/auth/password/forgot", {"customer_code": customer.code})
    assert r.status_code == 202
    otp = otp_from(sms, customer.code)
    r = api.post(
        "/v1/auth/password/reset", {"customer_code": customer.code, "otp": otp, "new_password": "Mat-khau-moi-99"}
    )
    assert r.status_code == 200
    assert api.post("/v1/auth/login", {"customer_code": customer.code, "password": STRONG}).status_code == 401
    assert (
        api.post("/v1/auth/login", {"customer_code": customer.code, "password": "Mat-khau-moi-99"}).status_code == 200
    )
    # Every session from before the reset is over, even one from the same second.
    r = api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401 and r.json["code"] == "SESSION_ENDED"


def test_forgot_for_unregistered_code(api, new_customer):
    r = api.post("/v1/auth/password/forgot", {"customer_code": new_customer().code})
    assert r.status_code == 404 and r.json["code"] == "NOT_REGISTERED"


def test_link_second_code_and_pay_for_two_houses(api, sms, registered, new_customer):
    customer, tokens = registered(invoices=[("2024-01", 10, 20, 60000, "unpaid")])
    other = new_customer(invoices=[("2024-01", 5, 9, 24000, "unpaid")])
    token = tokens["access_token"]
    # Before linking: not yours.
    assert api.get(f"/v1/customers/{other.code}/invoices", token=token).status_code == 403
    r = api.post("/v1/me/customers", {"customer_code": other.code}, token=token)
    assert r.status_code == 202 and sms.sent[-1]["phone"] == other.phone
    r = api.post(
        "/v1/me/customers/confirm", {"customer_code": other.code, "otp": otp_from(sms, other.code)}, token=token
    )
    assert r.status_code == 200 and r.json["customer_codes"] == [customer.code, other.code]
    new_token = r.json["access_token"]
    assert api.get(f"/v1/customers/{other.code}/invoices", token=new_token).json["invoices"][0]["total"] > 0
    me = api.get("/v1/me", token=new_token).json
    assert [c["customer_code"] for c in me["customers"]] == [customer.code, other.code]
    # The code is now held: nobody else can register or link it.
    r = api.post("/v1/auth/register", {"customer_code": other.code})
    assert r.status_code == 409


def test_cannot_link_a_code_that_has_its_own_account(api, sms, registered):
    _mine, tokens = registered()
    theirs, _ = registered()
    r = api.post("/v1/me/customers", {"customer_code": theirs.code}, token=tokens["access_token"])
    assert r.status_code == 202
    r = api.post(
        "/v1/me/customers/confirm",
        {"customer_code": theirs.code, "otp": otp_from(sms, theirs.code)},
        token=tokens["access_token"],
    )
    assert r.status_code == 409 and r.json["code"] == "ALREADY_LINKED"


def test_lookup_by_phone_and_ledger_is_masked(api, new_customer):
    customer = new_customer(phone="0977123456", house_no="15B", ledger_no="LK000777")
    r = api.post("/v1/auth/customer-code-lookup", {"phone": "+84 977 123 456"})
    assert r.status_code == 200
    [found] = r.json["customers"]
    assert found["customer_code"] == customer.code
    assert found["name"] == "N***** V** T**" and "Lý Thường Kiệt" not in found["address"]
    r = api.post("/v1/auth/customer-code-lookup", {"ledger_no": "LK000777", "house_no": "15b"})
    assert [c["customer_code"] for c in r.json["customers"]] == [customer.code]
    r = api.post("/v1/auth/customer-code-lookup", {"ledger_no": "LK000777", "house_no": "99"})
    assert r.json["customers"] == []


def test_lookup_is_rate_limited(api):
    statuses = [api.post("/v1/auth/customer-code-lookup", {"phone": f"09000000{i:02d}"}).status_code for i in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


def test_admin_login_and_roles(api):
    r = api.post("/v1/admin/login", {"username": "admin", "password": "cawaco-demo-2023"})
    assert r.status_code == 200 and r.json["role"] == "admin"
    admin = r.json["access_token"]
    # An admin token is not a customer token.
    assert api.get("/v1/me", token=admin).status_code == 403
    assert api.get("/v1/invoices/INV-01031059-202305", token=admin).status_code == 403
    r = api.post("/v1/admin/login", {"username": "admin", "password": "wrong-password"})
    assert r.status_code == 401
