"""Field staff through the handlers: device binding, app version, the staff
headers, today's route, devices and routes for managers."""

from __future__ import annotations

import collections
import dataclasses
import itertools
import json
import secrets
from datetime import datetime

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import VN_TZ

PASSWORD = "Ghi-thu-2024!"
# From a random start: other test modules import this one's fixtures, and pytest may then hold a second copy
# of this module (its own counters) in the same session; two copies must not hand out the same names.
_names = itertools.count(secrets.randbelow(10**6) * 1000 + 1)
_imeis = itertools.count(secrets.randbelow(10**6) * 1000 + 1)


def _imei() -> str:
    return f"35{next(_imeis):013d}"


def _period(months_back: int = 0) -> str:
    today = datetime.now(VN_TZ)
    index = today.year * 12 + today.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _today() -> int:
    return datetime.now(VN_TZ).day


def _claims(token: str) -> dict:
    from chalicelib.config import get_settings, jwt_signing_key
    from chalicelib.domain import tokens

    return tokens.decode(jwt_signing_key(), get_settings().jwt_issuer, token, "access")


class Staff:
    def __init__(self, api, username: str, imei: str) -> None:
        self.api, self.username, self.imei, self.version = api, username, imei, "1.2.0"
        self.tokens = None

    def login(self, imei: str | None = None, version: str | None = None, password: str = PASSWORD):
        return self.api.post(
            "/v1/staff/login",
            {
                "username": self.username,
                "password": password,
                "device_imei": imei or self.imei,
                "app_version": version or self.version,
            },
            token="",
        )

    def signed_in(self) -> Staff:
        r = self.login()
        assert r.status_code == 200, r.json
        self.tokens = r.json
        return self

    def headers(self, geo: str | None = "9.176900,105.152400", **over) -> dict:
        h = {"X-Device-Imei": self.imei, "X-App-Version": self.version}
        if geo:
            h["X-Geo"] = geo
        h.update(over)
        return h

    def today(self, token: str | None = None, **headers):
        return self.api.get(
            "/v1/staff/routes/today", token=token or self.tokens["access_token"], headers=self.headers(**headers)
        )


@pytest.fixture
def new_staff(api, admin):
    def make(branch: str = "TP Ca Mau") -> Staff:
        username = f"tst.staff{next(_names):03d}"
        r = api.post(
            "/v1/admin/staff",
            {"username": username, "full_name": "Nguyễn Thị Thu", "branch": branch, "password": PASSWORD},
            token=admin,
        )
        assert r.status_code == 201, r.json
        assert r.json["status"] == "unbound" and r.json["device_imei"] is None
        return Staff(api, username, _imei())

    return make


def _route(api, admin, staff: str, codes: list, period: str | None = None, days: list | None = None):
    return api.post(
        "/v1/admin/routes",
        {"staff": staff, "period": period or _period(), "days": days or [_today()], "customer_codes": codes},
        token=admin,
    )


# -- login and device binding ------------------------------------------------


def test_first_login_binds_the_device_and_another_is_refused_until_rebind(api, admin, new_staff):
    staff = new_staff()
    first = staff.signed_in()
    assert first.tokens["role"] == "staff"
    assert _claims(first.tokens["access_token"])["dev"] == staff.imei
    assert staff.today().status_code == 200
    assert staff.login().status_code == 200  # the bound device logs in again

    other = _imei()
    r = staff.login(imei=other)
    assert r.status_code == 403 and r.json["code"] == "DEVICE_NOT_BOUND"
    assert "quản trị viên" in r.json["message"]
    en = api.post(
        "/v1/staff/login",
        {"username": staff.username, "password": PASSWORD, "device_imei": other, "app_version": "1.2.0"},
        token="",
        headers={"Accept-Language": "en"},
    )
    assert "ask an admin to re-bind" in en.json["message"]

    r = api.post(f"/v1/admin/staff/{staff.username}/rebind", token=admin)
    assert r.status_code == 200 and r.json["previous_device_imei"] == staff.imei
    # The old device is out: its access token no longer works, its session has ended.
    r = staff.today()
    assert r.status_code == 403 and r.json["code"] == "DEVICE_NOT_BOUND"
    r = api.post("/v1/auth/refresh", {"refresh_token": first.tokens["refresh_token"]})
    assert r.status_code == 401

    staff.imei = other
    staff.signed_in()
    assert staff.today().status_code == 200
    r = staff.login(imei=_imei())
    assert r.status_code == 403 and r.json["code"] == "DEVICE_NOT_BOUND"

    from chalicelib.store.models import AuditModel

    actions = sorted(a.action for a in AuditModel.query(f"staff#{staff.username}"))
    assert actions == ["staff.create", "staff.rebind"]


def test_refresh_keeps_the_device_in_the_token(api, new_staff):
    staff = new_staff().signed_in()
    r = api.post("/v1/auth/refresh", {"refresh_token": staff.tokens["refresh_token"]})
    assert r.status_code == 200
    assert _claims(r.json["access_token"])["dev"] == staff.imei
    assert staff.today(token=r.json["access_token"]).status_code == 200


def test_rebind_unknown_staff_is_404(api, admin):
    r = api.post("/v1/admin/staff/nobody.here/rebind", token=admin)
    assert r.status_code == 404 and r.json["code"] == "STAFF_NOT_FOUND"


def test_old_app_version_must_update(api, new_staff):
    staff = new_staff()
    r = staff.login(version="0.9.7")
    assert r.status_code == 426 and r.json["code"] == "APP_UPDATE_REQUIRED"
    assert "cập nhật" in r.json["message"]
    assert staff.login(version="1.x").status_code == 400
    staff.signed_in()
    for version in ("0.9", ""):
        r = staff.today(**{"X-App-Version": version})
        assert r.status_code == 426 and r.json["code"] == "APP_UPDATE_REQUIRED", version


def test_minimum_version_compares_numbers_not_text(api, new_staff):
    staff = new_staff().signed_in()
    service = deps.staff.__wrapped__()  # a service of its own, not the shared one
    service.s = dataclasses.replace(service.s, min_staff_app_version="1.9.0")
    deps.override("staff", service)
    try:
        assert staff.today(**{"X-App-Version": "1.10.0"}).status_code == 200
        assert staff.today(**{"X-App-Version": "1.9"}).status_code == 200
        r = staff.today(**{"X-App-Version": "1.8.12"})
        assert r.status_code == 426 and "1.9.0" in r.json["message"]
        assert staff.login(version="1.8.9").status_code == 426
    finally:
        deps.reset()


def test_wrong_password_locks_like_every_login(api, new_staff):
    staff = new_staff()
    statuses = [staff.login(password="not-the-password").status_code for _ in range(5)]
    assert statuses == [401] * 5
    r = staff.login()
    assert r.status_code == 423 and r.json["code"] == "ACCOUNT_LOCKED" and int(r.headers["Retry-After"]) > 0
    unknown = api.post(
        "/v1/staff/login",
        {"username": "no.such.staff", "password": PASSWORD, "device_imei": _imei(), "app_version": "1.2.0"},
        token="",
    )
    assert unknown.status_code == 401 and unknown.json["code"] == "INVALID_CREDENTIALS"


def test_login_validates_its_fields(api, new_staff):
    staff = new_staff()
    for field, value in (("username", "A B"), ("device_imei", "123"), ("password", "")):
        body = {
            "username": staff.username,
            "password": PASSWORD,
            "device_imei": staff.imei,
            "app_version": "1.2.0",
            field: value,
        }
        r = api.post("/v1/staff/login", body, token="")
        assert r.status_code == 400 and r.json["field"] == field, field


# -- who may call what ----------------------------------------------------------


def test_roles_keep_to_their_routes(api, admin, new_staff, registered):
    staff = new_staff().signed_in()
    token = staff.tokens["access_token"]
    h = staff.headers()
    assert api.get("/v1/customers/01031059/invoices", token=token, headers=h).status_code == 403
    assert api.get("/v1/me", token=token, headers=h).status_code == 403
    assert api.get("/v1/admin/devices", token=token, headers=h).status_code == 403
    assert api.post("/v1/admin/routes", {}, token=token, headers=h).status_code == 403
    _, customer_tokens = registered()
    r = api.get("/v1/staff/routes/today", token=customer_tokens["access_token"], headers=h)
    assert r.status_code == 403
    assert api.get("/v1/staff/routes/today", token=admin, headers=h).status_code == 403
    assert api.get("/v1/staff/routes/today", token="", headers=h).status_code == 401


def test_device_header_must_match_the_token(api, new_staff):
    staff = new_staff().signed_in()
    r = staff.today(**{"X-Device-Imei": _imei()})
    assert r.status_code == 403 and r.json["code"] == "DEVICE_MISMATCH"
    h = staff.headers()
    del h["X-Device-Imei"]
    r = api.get("/v1/staff/routes/today", token=staff.tokens["access_token"], headers=h)
    assert r.status_code == 403 and r.json["code"] == "DEVICE_MISMATCH"


def test_bad_position_is_refused(api, new_staff):
    staff = new_staff().signed_in()
    for geo in ("91.0,105.1", "9.1", "abc,def", "nan,1", "9.1,105.1,3"):
        r = staff.today(geo=geo)
        assert r.status_code == 400 and r.json["field"] == "X-Geo", geo


# -- today's route ---------------------------------------------------------------


def test_today_lists_the_customers_in_visiting_order_with_what_the_device_needs(api, admin, new_staff, new_customer):
    from chalicelib.store.models import CustomerModel

    p3, p2, p1 = _period(3), _period(2), _period(1)
    regular = new_customer(
        [(p3, 100, 110, 61860, "paid"), (p2, 110, 122, 74232, "paid"), (p1, 122, 133, 68046, "unpaid")]
    )
    debtor = new_customer(
        [(p3, 50, 80, 185580, "unpaid"), (p2, 80, 112, 197952, "unpaid"), (p1, 112, 143, 191766, "paid")]
    )
    fresh = new_customer()
    CustomerModel(fresh.code).update(
        actions=[
            CustomerModel.last_index.set(42),
            CustomerModel.last_read_on.set(f"{p1}-10"),
            CustomerModel.payment_channel.set("bank_transfer"),
            CustomerModel.meter_serial.set("CM-TST-1"),
            CustomerModel.meter_size.set("DN15"),
            CustomerModel.business_type.set("Tiệm tạp hoá"),
            CustomerModel.customer_class.set("business"),
        ]
    )
    staff = new_staff().signed_in()
    r = _route(api, admin, staff.username, [fresh.code, debtor.code, regular.code])
    assert r.status_code == 201, r.json
    route_id = r.json["route_id"]
    # Not today: another day, last period; and another staff member's route.
    other_day = _today() % 28 + 1
    assert _route(api, admin, staff.username, [regular.code], days=[other_day]).status_code == 201
    assert _route(api, admin, staff.username, [regular.code], period=p1).status_code == 201
    colleague = new_staff()
    assert _route(api, admin, colleague.username, [new_customer().code]).status_code == 201

    r = staff.today()
    assert r.status_code == 200, r.json
    body = r.json
    assert body["reading_period"] == _period() and body["staff"] == staff.username and body["generated_at"]
    assert [route["route_id"] for route in body["routes"]] == [route_id]
    cards = body["routes"][0]["customers"]
    assert [c["customer_code"] for c in cards] == [fresh.code, debtor.code, regular.code]
    assert [c["order"] for c in cards] == [1, 2, 3]
    first, second, third = cards
    assert first["phone"] == fresh.phone  # in full: the worker calls the customer
    assert first["name"] == fresh.name and first["address"] == fresh.address
    assert first["ledger_no"] == fresh.ledger_no
    assert first["meter"] == {
        "serial": "CM-TST-1",
        "size": "DN15",
        "digits": 5,
        "replaced_on": None,
        "start_index": None,
    }
    assert first["old_index"] == 42 and first["payment_channel"] == "bank_transfer"
    assert first["business_type"] == "Tiệm tạp hoá" and first["customer_class"] == "business"
    assert first["recent_consumption"] == [] and first["unpaid_amount"] == 0
    # Old index from the last invoice when the customer has none recorded; newest month first.
    assert second["old_index"] == 143
    assert second["recent_consumption"] == [
        {"period": p1, "consumption_m3": 31},
        {"period": p2, "consumption_m3": 32},
        {"period": p3, "consumption_m3": 30},
    ]
    assert second["unpaid_amount"] == (185580 + 9279 + 18558) + (197952 + 9898 + 19795)
    assert [i["period"] for i in second["unpaid_invoices"]] == [p3, p2]
    assert third["unpaid_amount"] == 68046 + 3402 + 6805 and third["payment_channel"] == "cash"
    assert colleague.username not in json.dumps(body)


def test_seed_route_of_ghithu01(api, admin):
    # Other tests log in as ghithu01 from their own device: free it before and after.
    assert api.post("/v1/admin/staff/ghithu01/rebind", token=admin).status_code == 200
    staff = Staff(api, "ghithu01", _imei())
    r = staff.login(password="cawaco-demo-2023")
    assert r.status_code == 200, r.json
    try:
        staff.tokens = r.json
        body = staff.today().json
        cards = [c for route in body["routes"] for c in route["customers"]]
        assert len(cards) >= 10
        channels = collections.Counter(c["payment_channel"] for c in cards)
        assert channels["bank_transfer"] >= 1 and channels["authorised_debit"] >= 1 and channels["cash"] >= 5
        assert any([m["consumption_m3"] for m in c["recent_consumption"]] == [31, 32, 30] for c in cards)
        assert all(c["old_index"] is not None and c["recent_consumption"] and c["phone"] for c in cards)
    finally:
        assert api.post("/v1/admin/staff/ghithu01/rebind", token=admin).status_code == 200


def test_today_makes_no_scan(api, admin, new_staff, new_customer, calls):
    staff = new_staff().signed_in()
    codes = [new_customer([(_period(1), 1, 9, 48000, "paid")]).code for _ in range(3)]
    assert _route(api, admin, staff.username, codes).status_code == 201
    seen = calls
    seen.clear()
    assert staff.today().status_code == 200
    # touch, the routes, the customers, then recent and unpaid invoices per customer
    # BatchGetItem: the customers, and their stops (issue 18: who read their own meter, a re-read asked).
    assert dict(seen) == {"UpdateItem": 1, "Query": 1 + 2 * len(codes), "BatchGetItem": 2}
    seen.clear()
    assert api.get("/v1/admin/devices", token=admin).status_code == 200
    assert dict(seen) == {"Query": 1}


# -- devices -----------------------------------------------------------------------


def test_last_seen_position_and_version_show_in_devices(api, admin, new_staff):
    from chalicelib.store.models import AccountModel

    seen = new_staff().signed_in()
    seen.version = "1.3.1"
    assert seen.today(geo="9.1801,105.1502").status_code == 200
    idle = new_staff().signed_in()
    AccountModel(f"staff:{idle.username}").update(actions=[AccountModel.last_seen_at.set(1_000_000_000)])
    unbound = new_staff()

    r = api.get("/v1/admin/devices", token=admin)
    assert r.status_code == 200
    by_staff = {d["staff"]: d for d in r.json["devices"]}
    d = by_staff[seen.username]
    assert d["device_imei"] == seen.imei and d["status"] == "active" and d["app_version"] == "1.3.1"
    assert (d["last_lat"], d["last_lng"]) == (9.1801, 105.1502)
    assert d["full_name"] == "Nguyễn Thị Thu" and d["branch"] == "TP Ca Mau" and d["last_seen_at"].endswith("+07:00")
    assert by_staff[idle.username]["status"] == "idle"
    assert by_staff[unbound.username]["status"] == "unbound" and by_staff[unbound.username]["device_imei"] is None
    assert all(d["staff"] != "admin" for d in r.json["devices"])


# -- managers: staff and routes ---------------------------------------------------


def test_create_staff_checks_the_password_and_the_name(api, admin, new_staff):
    body = {"username": "tst.weak", "full_name": "Lê Văn Yếu", "branch": "TP Ca Mau"}
    for weak in (None, "123456", "12345678", "tst.weak-2024"):
        r = api.post("/v1/admin/staff", dict(body, password=weak), token=admin)
        assert r.status_code == 400 and r.json["field"] == "password", weak
    assert api.post("/v1/admin/staff", dict(body, password=PASSWORD, full_name=""), token=admin).status_code == 400
    staff = new_staff()
    r = api.post("/v1/admin/staff", dict(body, username=staff.username, password=PASSWORD), token=admin)
    assert r.status_code == 409 and r.json["code"] == "ALREADY_EXISTS"


def test_route_needs_known_customers_and_staff(api, admin, new_staff, new_customer):
    staff = new_staff()
    known = new_customer().code
    r = _route(api, admin, staff.username, [known, "99999998"])
    assert r.status_code == 400 and r.json["code"] == "UNKNOWN_CUSTOMERS" and "99999998" in r.json["message"]
    r = _route(api, admin, "nobody.here", [known])
    assert r.status_code == 400 and r.json["code"] == "UNKNOWN_STAFF"
    assert _route(api, admin, staff.username, [known, known]).status_code == 400
    assert _route(api, admin, staff.username, [known], period="2026-13").json["field"] == "period"
    assert _route(api, admin, staff.username, [known], days=[0]).json["field"] == "days"
    assert _route(api, admin, staff.username, []).json["field"] == "customer_codes"


def test_reassign_is_audited_and_moves_the_route(api, admin, new_staff, new_customer):
    from chalicelib.store.models import AuditModel

    first, second = new_staff().signed_in(), new_staff().signed_in()
    codes = [new_customer().code, new_customer().code]
    route = _route(api, admin, first.username, codes).json
    assert [r["route_id"] for r in first.today().json["routes"]] == [route["route_id"]]

    r = api.call("PUT", f"/v1/admin/routes/{route['route_id']}", {"staff": second.username}, token=admin)
    assert r.status_code == 200 and r.json["staff"] == second.username
    assert first.today().json["routes"] == []
    assert [c["customer_code"] for c in second.today().json["routes"][0]["customers"]] == codes

    r = api.call("PUT", f"/v1/admin/routes/{route['route_id']}", {"customer_codes": codes[::-1]}, token=admin)
    assert r.status_code == 200 and r.json["customer_codes"] == codes[::-1]
    audit = {a.action: a for a in AuditModel.query(f"route#{route['route_id']}")}  # same second: any order
    assert sorted(audit) == ["route.create", "route.reassign", "route.update"]
    reassign = audit["route.reassign"]
    assert json.loads(reassign.before)["staff"] == first.username
    assert json.loads(reassign.after)["staff"] == second.username
    assert json.loads(audit["route.update"].after)["customer_codes"] == codes[::-1]
    assert all(a.actor == "admin:admin" for a in audit.values())

    r = api.call("PUT", f"/v1/admin/routes/{route['route_id']}", {"customer_codes": ["99999997"]}, token=admin)
    assert r.status_code == 400 and r.json["code"] == "UNKNOWN_CUSTOMERS"
    assert api.call("PUT", f"/v1/admin/routes/{route['route_id']}", {}, token=admin).status_code == 400
    r = api.call("PUT", "/v1/admin/routes/RT-nope", {"staff": second.username}, token=admin)
    assert r.status_code == 404 and r.json["code"] == "ROUTE_NOT_FOUND"
