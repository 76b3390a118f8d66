"""Issue 18: the customer's own reading (a window before the route's day, a photo, the staff's pipeline and
rules, billed or waiting for the visit, shown on the staff's route) and evidence against bill shock (a
spike, a drop or an unusual cycle needs a photo and holds the bill for a manager: approve -> billed once,
or re-read; the customer sees the photo and the reasons with the invoice)."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import VN_TZ, FixedClock
from chalicelib.adapters.queues import MemoryPublisher
from tests.api.test_photos import JPEG, _upload
from tests.api.test_staff import PASSWORD, Staff

_ids = itertools.count(1)
_names = itertools.count(1)
DAY = 86400


def _rid(prefix: str = "self") -> str:
    return f"{prefix}-{int(time.time())}-{next(_ids):05d}"


@pytest.fixture
def queue():
    fake = MemoryPublisher()
    deps.override("publisher", fake)
    yield fake
    deps.reset()


def _vn(at: int) -> datetime:
    return datetime.fromtimestamp(at, VN_TZ)


@pytest.fixture
def new_staff(api, admin):
    """A staff member of the customers' branch (names of this module's own: test_staff's counter is not
    shared when pytest imports that module under another name)."""

    def make() -> Staff:
        n = next(_names)
        username = f"tst.selfread{n:03d}"
        r = api.post(
            "/v1/admin/staff",
            {"username": username, "full_name": "Nguyễn Thị Thu", "branch": "TP Ca Mau", "password": PASSWORD},
            token=admin,
        )
        assert r.status_code == 201, r.json
        return Staff(api, username, f"35{9_000_000_000_000 + n:013d}")

    return make


@pytest.fixture
def home(api, admin, registered, new_staff, queue):
    """A registered customer (history 11, 12, 10 m³; index 275 read 30 days before `at`), on a route of a
    signed-in staff member whose first day is `read_in` days after `at`."""

    def make(at: int, read_in: int = 2, history=(11, 12, 10), cycle_days: int = 30):
        periods = ["2024-02", "2024-03", "2024-04"]
        index, invoices = 275 - sum(history), []
        for period, m3 in zip(periods, history):
            invoices.append((period, index, index + m3, m3 * 6000, "paid"))
            index += m3
        customer, tokens = registered(invoices=invoices)
        customer.update(
            actions=[
                type(customer).last_index.set(275),
                type(customer).last_read_on.set((_vn(at) - timedelta(days=cycle_days)).date().isoformat()),
            ]
        )
        staff = new_staff().signed_in()
        read_on = (_vn(at) + timedelta(days=read_in)).date()
        r = api.post(
            "/v1/admin/routes",
            {
                "staff": staff.username,
                "period": read_on.strftime("%Y-%m"),
                "days": [read_on.day],
                "customer_codes": [customer.code],
            },
            token=admin,
        )
        assert r.status_code == 201, r.json
        return customer, tokens["access_token"], staff, read_on

    return make


def _photo(api, token: str, code: str) -> str:
    r = api.post(
        "/v1/me/photos", {"purpose": "self_reading", "customer_code": code, "content_type": "image/jpeg"}, token=token
    )
    assert r.status_code == 201, r.json
    assert _upload(r.json["upload"], JPEG).status_code in (200, 201, 204)
    return r.json["photo_id"]


def _send(api, token: str, code: str, new_index: int, photo_id: str, reading_id: str | None = None):
    body = {"reading_id": reading_id or _rid(), "new_index": new_index, "photo_id": photo_id}
    return api.post(f"/v1/me/customers/{code}/readings", body, token=token)


def _at(clock_at: int) -> FixedClock:
    clock = FixedClock(clock_at)
    deps.override("clock", clock)
    return clock


# -- the customer's own reading ------------------------------------------------------------------------


def test_a_self_reading_in_the_window_is_billed_through_the_staff_pipeline(api, home, queue):
    now = int(time.time())
    customer, token, _staff, read_on = home(now)
    state = api.get(f"/v1/me/customers/{customer.code}/readings", token=token)
    assert state.status_code == 200, state.json
    window = state.json["window"]
    assert window["open"] is True and window["read_on"] == read_on.isoformat()
    assert window["closes_on"] == (read_on - timedelta(days=1)).isoformat() and state.json["latest"] is None
    reading_id, photo_id = _rid(), _photo(api, token, customer.code)
    r = _send(api, token, customer.code, 286, photo_id, reading_id)
    assert r.status_code == 202, r.json
    assert r.json["status"] == "queued" and r.json["period"] == read_on.strftime("%Y-%m")
    assert queue.messages[-1] == ("readings", {"reading_id": reading_id})  # the staff's queue and worker
    again = _send(api, token, customer.code, 286, photo_id, reading_id)
    assert again.status_code == 202 and again.json["reading_id"] == reading_id  # idempotent by the app's id
    other = _send(api, token, customer.code, 290, photo_id, reading_id)
    assert other.status_code == 409 and other.json["code"] == "READING_ID_REUSED"
    assert deps.readings().process(reading_id) == "billed"
    assert deps.readings().process(reading_id) == "billed"  # redelivered: billed once
    shown = api.get(f"/v1/me/customers/{customer.code}/readings/{reading_id}", token=token).json
    assert shown["status"] == "billed" and shown["waits_for_visit"] is False and shown["invoice_id"]
    invoice = api.get(f"/v1/invoices/{shown['invoice_id']}", token=token).json
    assert (invoice["old_index"], invoice["new_index"], invoice["consumption_m3"]) == (275, 286, 11)
    assert invoice["evidence"]["source"] == "customer" and invoice["evidence"]["photo_url"]
    from chalicelib.store.models import InvoiceModel, RouteStopModel

    assert InvoiceModel.get(shown["invoice_id"]).field_collect == 0  # nobody takes cash for it
    stop = RouteStopModel.get(customer.code, read_on.strftime("%Y-%m"))
    assert (stop.self_reading_id, stop.self_status, int(stop.self_index)) == (reading_id, "billed", 286)
    latest = api.get(f"/v1/me/customers/{customer.code}/readings", token=token).json["latest"]
    assert latest["reading_id"] == reading_id and latest["status"] == "billed"


def test_a_self_reading_the_rules_flag_is_not_billed_and_waits_for_the_visit(api, home):
    customer, token, _staff, _read_on = home(int(time.time()), history=(30, 32, 31))
    r = _send(api, token, customer.code, 280, _photo(api, token, customer.code))  # 5 m³ against ~31: a drop
    assert deps.readings().process(r.json["reading_id"]) == "flagged"
    shown = api.get(f"/v1/me/customers/{customer.code}/readings/{r.json['reading_id']}", token=token).json
    assert shown["waits_for_visit"] is True and shown["invoice_id"] is None
    assert [x["code"] for x in shown["reasons"]] == ["CONSUMPTION_DROP", "WAITS_FOR_STAFF_VISIT"]
    from chalicelib.store.models import CustomerModel

    assert int(CustomerModel.get(customer.code).last_index) == 275  # nothing billed, the index stays


def test_a_self_reading_is_refused_outside_the_window(api, home):
    for read_in in (5, 0):  # too early; on the staff's day
        customer, token, _staff, _read_on = home(int(time.time()), read_in=read_in)
        r = _send(api, token, customer.code, 286, _photo(api, token, customer.code))
        assert r.status_code == 409 and r.json["code"] == "SELF_READING_CLOSED", (read_in, r.json)
        window = api.get(f"/v1/me/customers/{customer.code}/readings", token=token).json["window"]
        assert window is None or window["open"] is False


def test_a_self_reading_needs_its_own_uploaded_photo(api, home, registered):
    customer, token, _staff, _read_on = home(int(time.time()))
    other, other_tokens = registered()
    not_mine = _photo(api, other_tokens["access_token"], other.code)
    missing = "ph_" + "A" * 22
    for photo_id, code in ((not_mine, "PHOTO_NOT_UPLOADED"), (missing, "PHOTO_NOT_UPLOADED")):
        r = _send(api, token, customer.code, 286, photo_id)
        assert r.status_code == 400 and r.json["code"] == code, r.json
    r = api.post(
        "/v1/me/photos",
        {"purpose": "self_reading", "customer_code": customer.code, "content_type": "image/png"},
        token=token,
    )
    assert _upload(r.json["upload"], b"<html>not a photo</html>").status_code in (200, 201, 204)
    bad = _send(api, token, customer.code, 286, r.json["photo_id"])
    assert bad.status_code == 400 and bad.json["code"] == "PHOTO_INVALID"
    r = api.post(f"/v1/me/customers/{customer.code}/readings", {"reading_id": _rid(), "new_index": 286}, token=token)
    assert r.status_code == 400 and r.json["field"] == "photo_id"


def test_a_self_reading_of_a_code_not_linked_is_refused_like_a_code_nobody_has(api, home, registered):
    customer, token, _staff, _read_on = home(int(time.time()))
    _other, other_tokens = registered()
    photo_id = _photo(api, token, customer.code)
    mine = _send(api, token, customer.code, 286, photo_id)
    for path in (
        f"/v1/me/customers/{customer.code}/readings",
        f"/v1/me/customers/{customer.code}/readings/{mine.json['reading_id']}",
    ):
        theirs = api.get(path, token=other_tokens["access_token"])
        nobody = api.get(path.replace(customer.code, "99999999"), token=other_tokens["access_token"])
        assert theirs.status_code == 403 and theirs.json["code"] == "CUSTOMER_NOT_LINKED"
        assert (nobody.status_code, nobody.json) == (theirs.status_code, theirs.json)
    r = _send(api, other_tokens["access_token"], customer.code, 286, photo_id)
    assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED"


def test_the_staff_route_shows_who_read_their_own_meter(api, home):
    """Read two days before the route's day (today): billed -> skip; the rules' doubt -> verify."""
    now = int(time.time())
    customer, token, staff, read_on = home(now - 2 * DAY)
    _at(now - 2 * DAY)  # the customer sends it two days ago
    r = _send(api, token, customer.code, 286, _photo(api, token, customer.code))
    assert r.status_code == 202, r.json
    assert deps.readings().process(r.json["reading_id"]) == "billed"
    deps.override("clock", FixedClock(now))
    assert read_on == _vn(now).date()
    cards = [c for route in staff.today().json["routes"] for c in route["customers"]]
    card = next(c for c in cards if c["customer_code"] == customer.code)
    assert card["self_reading"] == {
        "reading_id": r.json["reading_id"],
        "status": "billed",
        "new_index": 286,
        "action": "skip",
    }


# -- evidence: held bills, a manager's review ------------------------------------------------------------


def _staff_photo(api, staff) -> str:
    r = api.post(
        "/v1/staff/photos",
        {"purpose": "reading", "content_type": "image/jpeg"},
        token=staff.tokens["access_token"],
        headers=staff.headers(),
    )
    assert r.status_code == 201, r.json
    assert _upload(r.json["upload"], JPEG).status_code in (200, 201, 204)
    return r.json["photo_id"]


def _staff_reads(api, staff, code: str, period: str, new_index: int, photo_id: str | None = None) -> str:
    reading_id = _rid("field")
    body = {
        "reading_id": reading_id,
        "customer_code": code,
        "period": period,
        "new_index": new_index,
        "read_at": datetime.now(VN_TZ).isoformat(timespec="seconds"),
    }
    if photo_id:
        body["photo_id"] = photo_id
    r = api.post("/v1/staff/readings", body, token=staff.tokens["access_token"], headers=staff.headers())
    assert r.status_code == 202, r.json
    return reading_id


def test_a_spike_without_a_photo_is_sent_back_to_read_with_one(api, home, admin):
    customer, _token, staff, read_on = home(int(time.time()), read_in=0)
    rid = _staff_reads(api, staff, customer.code, read_on.strftime("%Y-%m"), 275 + 90)
    assert deps.readings().process(rid) == "rejected"
    out = api.get(f"/v1/staff/readings/{rid}", token=staff.tokens["access_token"], headers=staff.headers()).json
    assert [r["code"] for r in out["reasons"]] == ["CONSUMPTION_SPIKE", "PHOTO_REQUIRED"] and out["invoice_id"] is None
    card = next(c for r in staff.today().json["routes"] for c in r["customers"] if c["customer_code"] == customer.code)
    assert card["reread"]["reading_id"] == rid


def test_a_held_reading_is_approved_once_and_billed_with_its_evidence(api, home, admin):
    customer, token, staff, read_on = home(int(time.time()), read_in=0, cycle_days=45)
    rid = _staff_reads(api, staff, customer.code, read_on.strftime("%Y-%m"), 286, _staff_photo(api, staff))
    assert deps.readings().process(rid) == "held"  # a 45-day cycle: the bill waits
    out = api.get(f"/v1/staff/readings/{rid}", token=staff.tokens["access_token"], headers=staff.headers()).json
    assert out["status"] == "held" and out["invoice_id"] is None
    page = api.get("/v1/admin/readings/held?limit=100", token=admin)
    assert page.status_code == 200, page.json
    held = [h for h in page.json["readings"] if h["reading_id"] == rid]
    while not held and page.json["next_cursor"]:
        page = api.get(f"/v1/admin/readings/held?limit=100&cursor={page.json['next_cursor']}", token=admin)
        held = [h for h in page.json["readings"] if h["reading_id"] == rid]
    assert held and held[0]["photo_url"] and held[0]["consumption_m3"] == 11
    assert [r["code"] for r in held[0]["reasons"]] == ["CYCLE_TOO_LONG"]
    r = api.post(f"/v1/admin/readings/{rid}/approve", {"note": "ảnh rõ, đúng chỉ số"}, token=admin)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "flagged" and r.json["invoice_id"] and r.json["reviewed_by"] == "admin:admin"
    again = api.post(f"/v1/admin/readings/{rid}/approve", {}, token=admin)
    assert again.status_code == 409 and again.json["code"] == "READING_NOT_HELD"
    assert deps.readings().process(rid) == "flagged"  # the worker's copy of the message: nothing more
    from chalicelib.store.models import AuditModel, InvoiceModel

    invoices = [i for i in InvoiceModel.by_customer.query(customer.code) if i.reading_id == rid]
    assert len(invoices) == 1 and int(invoices[0].consumption_m3) == 11
    assert [a.action for a in AuditModel.query(f"reading#{rid}")] == ["reading.approve"]
    detail = api.get(f"/v1/invoices/{r.json['invoice_id']}", token=token).json
    assert detail["evidence"]["reviewed"] is True and detail["evidence"]["photo_url"]
    assert [x["code"] for x in detail["evidence"]["reasons"]] == ["CYCLE_TOO_LONG"]


def test_a_manager_asks_for_a_re_read_and_the_route_shows_it(api, home, admin):
    customer, _token, staff, read_on = home(int(time.time()), read_in=0, history=(30, 32, 31))
    period = read_on.strftime("%Y-%m")
    rid = _staff_reads(api, staff, customer.code, period, 280, _staff_photo(api, staff))
    assert deps.readings().process(rid) == "held"
    assert api.post(f"/v1/admin/readings/{rid}/reread", {"reason": "  "}, token=admin).status_code == 400
    r = api.post(f"/v1/admin/readings/{rid}/reread", {"reason": "Ảnh mờ, đọc lại"}, token=admin)
    assert r.status_code == 200 and r.json["status"] == "rejected" and r.json["invoice_id"] is None
    out = api.get(f"/v1/staff/readings/{rid}", token=staff.tokens["access_token"], headers=staff.headers()).json
    assert out["status"] == "rejected" and out["reasons"][-1]["code"] == "REREAD_REQUESTED"
    card = next(c for r in staff.today().json["routes"] for c in r["customers"] if c["customer_code"] == customer.code)
    assert card["reread"] == {"reading_id": rid, "note": "Ảnh mờ, đọc lại"}
    # Read again, normally this time: billed, and the route no longer asks.
    again = _staff_reads(api, staff, customer.code, period, 306, _staff_photo(api, staff))
    assert deps.readings().process(again) in ("billed", "flagged")
    card = next(c for r in staff.today().json["routes"] for c in r["customers"] if c["customer_code"] == customer.code)
    assert card.get("reread") is None
    assert api.post(f"/v1/admin/readings/{rid}/approve", {}, token=admin).status_code == 409


def test_review_routes_answer_404_for_an_unknown_reading(api, admin):
    for action, body in (("approve", {}), ("reread", {"reason": "x"})):
        r = api.post(f"/v1/admin/readings/nope-00000001/{action}", body, token=admin)
        assert r.status_code == 404 and r.json["code"] == "READING_NOT_FOUND"
