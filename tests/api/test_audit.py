"""The audit trail query: manager changes show up with who, when, the action
and before/after, newest first, in one Query."""

from __future__ import annotations

import collections
import secrets
import time
from datetime import UTC, datetime, timedelta

from pynamodb.connection.base import Connection

PASSWORD = "Ghi-thu-2024!"


def _staff(api, admin, branch="TP Ca Mau") -> str:
    login = f"aud.{secrets.token_hex(4)}"
    r = api.post(
        "/v1/admin/staff",
        {"username": login, "full_name": "Đỗ Văn Kiểm", "branch": branch, "password": PASSWORD},
        token=admin,
    )
    assert r.status_code == 201, r.json
    return login


def _recent(at: str) -> bool:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return timedelta(0) <= datetime.now(UTC) - moment < timedelta(minutes=5)


def _next_second() -> None:
    """Audit keys order by the second (then a random suffix): changes within
    one second have no order between them."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.02)


def test_a_tariff_added_shows_up_with_actor_and_after(api, admin):
    area = f"kpi-{secrets.token_hex(4)}"
    body = {
        "tariff_id": f"{area}-household-2025-01",
        "area": area,
        "customer_class": "household",
        "valid_from": "2025-01-01",
        "pricing": "tiers",
        "legal_ref": "QĐ thử nghiệm / test decision",
        "tiers": [{"up_to": 10, "price": 6200}, {"up_to": 20, "price": 7700}, {"up_to": None, "price": 9400}],
    }
    assert api.post("/v1/admin/tariffs", body, token=admin).status_code == 201
    r = api.get(f"/v1/admin/audit?entity=tariff%23{area}%23household", token=admin)
    assert r.status_code == 200, r.json
    assert r.json["entity"] == f"tariff#{area}#household"
    [entry] = r.json["entries"]
    assert (entry["actor"], entry["action"], entry["before"]) == ("admin:admin", "tariff.add", None)
    assert entry["after"]["tiers"][0] == {"up_to": 10, "price": 6200} and entry["after"]["area"] == area
    assert _recent(entry["at"])


def test_a_route_reassigned_shows_up_newest_first_with_before_and_after(api, admin, new_customer):
    first, second = _staff(api, admin), _staff(api, admin)
    codes = [new_customer().code for _ in range(2)]
    r = api.post(
        "/v1/admin/routes", {"staff": first, "period": "2040-01", "days": [1, 2], "customer_codes": codes}, token=admin
    )
    assert r.status_code == 201, r.json
    route_id = r.json["route_id"]
    _next_second()
    r = api.call("PUT", f"/v1/admin/routes/{route_id}", {"staff": second}, token=admin)
    assert r.status_code == 200, r.json

    seen = collections.Counter()
    original = Connection._make_api_call

    def counting(self, operation_name, operation_kwargs, *a, **kw):
        seen[operation_name] += 1
        return original(self, operation_name, operation_kwargs, *a, **kw)

    Connection._make_api_call = counting
    try:
        r = api.get(f"/v1/admin/audit?entity=route%23{route_id}", token=admin)
    finally:
        Connection._make_api_call = original
    assert r.status_code == 200, r.json
    assert dict(seen) == {"Query": 1}
    reassign, create = r.json["entries"]
    assert (reassign["actor"], reassign["action"]) == ("admin:admin", "route.reassign")
    assert reassign["before"]["staff"] == first and reassign["after"]["staff"] == second
    assert reassign["after"]["customer_codes"] == codes
    assert (create["action"], create["before"], create["after"]["staff"]) == ("route.create", None, first)
    assert reassign["at"] >= create["at"] and _recent(reassign["at"])
    # limit keeps the newest.
    r = api.get(f"/v1/admin/audit?entity=route%23{route_id}&limit=1", token=admin)
    assert [e["action"] for e in r.json["entries"]] == ["route.reassign"]


def test_staff_changes_and_unknown_entities(api, admin):
    login = _staff(api, admin)
    _next_second()
    assert api.post(f"/v1/admin/staff/{login}/rebind", token=admin).status_code == 200
    r = api.get(f"/v1/admin/audit?entity=staff%23{login}", token=admin)
    assert [e["action"] for e in r.json["entries"]] == ["staff.rebind", "staff.create"]
    assert r.json["entries"][1]["after"]["full_name"] == "Đỗ Văn Kiểm"
    r = api.get(f"/v1/admin/audit?entity=route%23RT-none-{secrets.token_hex(3)}", token=admin)
    assert r.status_code == 200 and r.json["entries"] == []


def test_bad_input_and_roles(api, admin, registered):
    for query, field in (
        ("", "entity"),
        ("entity=route", "entity"),
        ("entity=%23x", "entity"),
        ("entity=route%23RT-1&limit=0", "limit"),
        ("entity=route%23RT-1&limit=201", "limit"),
        ("entity=route%23RT-1&limit=abc", "limit"),
    ):
        r = api.get(f"/v1/admin/audit?{query}", token=admin)
        assert r.status_code == 400 and r.json["field"] == field, (query, r.json)
    _, tokens = registered()
    assert api.get("/v1/admin/audit?entity=route%23RT-1", token=tokens["access_token"]).status_code == 403
    assert api.get("/v1/admin/audit?entity=route%23RT-1", token="").status_code == 401


def test_one_managers_changes_across_entities(api):
    admin = api.post("/v1/admin/login", {"username": "admin", "password": "cawaco-demo-2023"}).json["access_token"]
    body = {
        "tariff_id": "camau-district-business-2027-01",
        "area": "camau-district",
        "customer_class": "business",
        "valid_from": "2027-01-01",
        "pricing": "flat",
        "legal_ref": "test",
        "tiers": [{"up_to": None, "price": 13000}],
    }
    assert api.post("/v1/admin/tariffs", body, token=admin).status_code == 201
    r = api.get("/v1/admin/audit?actor=admin:admin&limit=200", token=admin)
    assert r.status_code == 200 and r.json["actor"] == "admin:admin"
    assert any(
        e["entity"] == "tariff#camau-district#business" and e["action"] == "tariff.add" for e in r.json["entries"]
    )
    ats = [e["at"] for e in r.json["entries"]]
    assert ats == sorted(ats, reverse=True)
    assert api.get("/v1/admin/audit?actor=robert'); drop", token=admin).status_code == 400
