"""Service requests (tickets, issue 18) through the handlers: a customer raises one about a linked code (a
leak with a photo and its position), staff of the customer's branch and managers work it through the state
machine, the customer is told of each change and rates the result; someone else's ticket is a 404 like a
missing one; the overdue sweep counts what is past its target; an approved household-size registration
prices bills from the next period."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import FixedClock
from chalicelib.adapters.notifier import MemoryNotifier, MemoryReminderQueue
from chalicelib.domain.vntime import VN_TZ
from tests.api.test_photos import JPEG, _start, _upload
from tests.api.test_staff import new_staff  # noqa: F401 (a fixture)

# ruff: noqa: F811 (new_staff: the fixture, as a test's argument)


def _nine_am(days_ago: int = 0) -> int:
    """09:00 Vietnam time `days_ago` days ago: outside quiet hours, so notices go at once."""
    day = datetime.fromtimestamp(time.time() - days_ago * 86400, VN_TZ).replace(hour=9, minute=0, second=0)
    return int(day.timestamp())


@pytest.fixture
def told():
    """The reminders queue and the notifier in memory; the tickets' clock at 09:00 today (Vietnam time, outside
    quiet hours), the rest of the app's (sign-in tokens) the real one."""
    from chalicelib.adapters.ticket_types import ConfiguredTicketTypes
    from chalicelib.config import get_settings
    from chalicelib.services.tickets import TicketService
    from chalicelib.store import audit
    from chalicelib.store.reminders import ReminderStore
    from chalicelib.store.tickets import TicketStore

    queue, notifier, clock = MemoryReminderQueue(), MemoryNotifier(), FixedClock(_nine_am())
    deps.override("reminder_queue", queue)
    deps.override("notifier", notifier)
    service = TicketService(
        settings=get_settings(),
        store=TicketStore(),
        types=ConfiguredTicketTypes(get_settings().ticket_types),
        photos=deps.photos(),
        clock=clock,
        audit_entry=audit.entry,
        queue=queue,
        notices=ReminderStore(),
        notifier=notifier,
    )
    deps.override("tickets", service)
    yield queue, notifier, clock
    deps.reset()


def _photo(api, token: str, code: str) -> str:
    r = _start(api, token, code)
    assert r.status_code == 201, r.json
    assert _upload(r.json["upload"], JPEG).status_code in (200, 201, 204)
    return r.json["photo_id"]


def _leak(api, token: str, code: str, **over):
    body = {
        "customer_code": code,
        "type": "leak",
        "description": "Ống nước trước nhà bị vỡ, nước chảy ra đường.",
        "photo_ids": [_photo(api, token, code)],
        "lat": 9.1769,
        "lng": 105.1524,
        **over,
    }
    return api.post("/v1/me/tickets", body, token=token)


def _signed_in(new_staff, branch: str = "TP Ca Mau"):
    return new_staff(branch).signed_in()


def _as(staff, method: str, path: str, body=None):
    return staff.api.call(method, path, body, token=staff.tokens["access_token"], headers=staff.headers())


def _notices(queue: MemoryReminderQueue, ticket_id: str) -> list[int]:
    return [b["seq"] for b, _ in queue.messages if b.get("kind") == "ticket" and b["ticket_id"] == ticket_id]


# -- kinds of request ---------------------------------------------------------------------------


def test_the_kinds_of_request_are_data_with_their_targets(api, registered, admin):
    _, tokens = registered()
    r = api.get("/v1/me/ticket-types", token=tokens["access_token"])
    assert r.status_code == 200, r.json
    kinds = {t["key"]: t for t in r.json["types"]}
    assert {
        "new_connection",
        "meter_check",
        "leak",
        "broken_seal",
        "lost_meter",
        "move_meter",
        "change_owner",
        "household_size",
        "bill_complaint",
        "other",
    } <= set(kinds)
    assert kinds["leak"]["requires"] == ["photo", "position"] and kinds["leak"]["sla_hours"] == 24
    assert kinds["household_size"]["requires"] == ["residents"]
    assert kinds["bill_complaint"]["requires"] == ["invoice_id"]
    assert kinds["leak"]["name"] == "Báo rò rỉ, vỡ ống"
    en = api.get("/v1/admin/ticket-types", token=admin, headers={"Accept-Language": "en"})
    assert en.status_code == 200 and {t["key"]: t["name"] for t in en.json["types"]}["leak"] == "Leak or broken pipe"


# -- the customer ------------------------------------------------------------------------------


def test_a_leak_with_its_photo_and_position_is_raised_once_and_followed(api, registered, told):
    customer, tokens = registered()
    token = tokens["access_token"]
    r = _leak(api, token, customer.code, request_id="app-req-0001")
    assert r.status_code == 201, r.json
    ticket = r.json
    assert ticket["status"] == "new" and ticket["type"] == "leak" and ticket["overdue"] is False
    assert ticket["due_at"].endswith("+07:00") and ticket["lat"] == 9.1769 and len(ticket["photos"]) == 1
    assert "assignee" not in ticket and "branch" not in ticket  # staff's business
    # The same request again (a retry after a lost answer): the first ticket, nothing new.
    again = _leak(api, token, customer.code, request_id="app-req-0001")
    assert again.status_code == 200 and again.json["ticket_id"] == ticket["ticket_id"]
    # The Idempotency-Key header does the same.
    body = {"customer_code": customer.code, "type": "meter_check", "description": "Đồng hồ chạy nhanh bất thường."}
    first = api.post("/v1/me/tickets", body, token=token, headers={"Idempotency-Key": "key-0000-0001"})
    second = api.post("/v1/me/tickets", body, token=token, headers={"Idempotency-Key": "key-0000-0001"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json["ticket_id"] == second.json["ticket_id"]
    listed = api.get(f"/v1/me/tickets?customer_code={customer.code}", token=token)
    assert listed.status_code == 200
    assert [t["ticket_id"] for t in listed.json["tickets"]] == [first.json["ticket_id"], ticket["ticket_id"]]
    one = api.get(f"/v1/me/tickets/{ticket['ticket_id']}", token=token)
    assert one.status_code == 200 and [e["kind"] for e in one.json["history"]] == ["created"]
    assert one.json["history"][0]["by"] == "customer" and "actor" not in one.json["history"][0]
    r = api.post(f"/v1/me/tickets/{ticket['ticket_id']}/messages", {"text": "Nước vẫn đang chảy."}, token=token)
    assert r.status_code == 201 and [e["kind"] for e in r.json["history"]] == ["created", "message"]
    assert _notices(told[0], ticket["ticket_id"]) == []  # the customer is not told of its own message


@pytest.mark.parametrize(
    "over,status,code,field",
    [
        ({"photo_ids": []}, 400, "TICKET_FIELD_REQUIRED", "photo_ids"),
        ({"lat": None, "lng": None}, 400, "TICKET_FIELD_REQUIRED", "lat"),
        ({"lng": None}, 400, "VALIDATION_ERROR", "lng"),
        ({"type": "flood"}, 400, "TICKET_TYPE_UNKNOWN", "type"),
        ({"type": "Leak!"}, 400, "VALIDATION_ERROR", "type"),
        ({"description": "   "}, 400, "VALIDATION_ERROR", "description"),
        ({"lat": 91}, 400, "VALIDATION_ERROR", "lat"),
        ({"photo_ids": ["ph_" + "A" * 22]}, 400, "PHOTO_NOT_UPLOADED", "photo_ids[0]"),
        ({"request_id": "short"}, 400, "VALIDATION_ERROR", "request_id"),
    ],
)
def test_a_request_missing_what_its_kind_needs_is_refused(api, registered, over, status, code, field):
    customer, tokens = registered()
    r = _leak(api, tokens["access_token"], customer.code, **over)
    assert (r.status_code, r.json["code"], r.json.get("field")) == (status, code, field), r.json


def test_kinds_that_need_residents_or_an_invoice(api, registered):
    customer, tokens = registered(invoices=[("2024-03", 10, 21, 66000, "unpaid")])
    other, _ = registered()
    token = tokens["access_token"]
    base = {"customer_code": customer.code, "description": "Xin đăng ký định mức cho 5 nhân khẩu."}
    r = api.post("/v1/me/tickets", {**base, "type": "household_size"}, token=token)
    assert (r.status_code, r.json["code"], r.json["field"]) == (400, "TICKET_FIELD_REQUIRED", "residents")
    r = api.post("/v1/me/tickets", {**base, "type": "household_size", "residents": 51}, token=token)
    assert r.status_code == 400 and r.json["field"] == "residents"
    r = api.post("/v1/me/tickets", {**base, "type": "bill_complaint"}, token=token)
    assert r.status_code == 400 and r.json["field"] == "invoice_id"
    r = api.post(
        "/v1/me/tickets", {**base, "type": "bill_complaint", "invoice_id": f"INV-{other.code}-202403"}, token=token
    )
    assert r.status_code == 400 and r.json["code"] == "INVOICE_NOT_FOUND"
    r = api.post(
        "/v1/me/tickets", {**base, "type": "bill_complaint", "invoice_id": f"INV-{customer.code}-202403"}, token=token
    )
    assert r.status_code == 201 and r.json["invoice_id"] == f"INV-{customer.code}-202403"


def test_a_photo_of_another_code_cannot_be_attached(api, registered):
    a, a_tokens = registered()
    b, b_tokens = registered()
    b_photo = _photo(api, b_tokens["access_token"], b.code)
    r = _leak(api, a_tokens["access_token"], a.code, photo_ids=[b_photo])
    assert r.status_code == 400 and r.json["code"] == "PHOTO_NOT_UPLOADED"


def test_customer_a_cannot_reach_customer_bs_tickets(api, registered):
    a, a_tokens = registered()
    b, b_tokens = registered()
    a_token = a_tokens["access_token"]
    b_ticket = _leak(api, b_tokens["access_token"], b.code).json["ticket_id"]
    r = api.post("/v1/me/tickets", {"customer_code": b.code, "type": "other", "description": "x"}, token=a_token)
    assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED"
    r = api.get(f"/v1/me/tickets?customer_code={b.code}", token=a_token)
    assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED"
    missing = "TK" + "0" * 16
    for ticket_id in (b_ticket, missing):
        for method, suffix, body in (
            ("GET", "", None),
            ("POST", "/messages", {"text": "xin chào"}),
            ("POST", "/rating", {"rating": 1}),
        ):
            r = api.call(method, f"/v1/me/tickets/{ticket_id}{suffix}", body, token=a_token)
            assert (r.status_code, r.json["code"]) == (404, "TICKET_NOT_FOUND"), (ticket_id, suffix)
    # A request id B used does not reach B's ticket either: ids are the caller's own.
    body = {"customer_code": a.code, "type": "other", "description": "Khác"}
    mine = api.post("/v1/me/tickets", body, token=a_token, headers={"Idempotency-Key": "same-key-0001"})
    theirs = api.post(
        "/v1/me/tickets",
        {**body, "customer_code": b.code},
        token=b_tokens["access_token"],
        headers={"Idempotency-Key": "same-key-0001"},
    )
    assert mine.status_code == theirs.status_code == 201 and mine.json["ticket_id"] != theirs.json["ticket_id"]


# -- staff and managers -------------------------------------------------------------------------


def test_staff_of_the_branch_work_the_ticket_and_the_customer_is_told(api, registered, admin, new_staff, told):
    queue, notifier, clock = told
    customer, tokens = registered()
    token = tokens["access_token"]
    ticket_id = _leak(api, token, customer.code).json["ticket_id"]
    x, y = _signed_in(new_staff), _signed_in(new_staff)
    r = _as(x, "GET", "/v1/staff/tickets")
    assert r.status_code == 200 and ticket_id in [t["ticket_id"] for t in r.json["tickets"]], r.json
    shown = next(t for t in r.json["tickets"] if t["ticket_id"] == ticket_id)
    assert shown["branch"] == "TP Ca Mau" and shown["status"] == "new"
    r = _as(x, "GET", "/v1/staff/tickets?type=meter_check")
    assert ticket_id not in [t["ticket_id"] for t in r.json["tickets"]]
    # Refusals: a move the machine does not allow, a worker of another branch, no reason to resolve.
    r = _as(x, "POST", f"/v1/staff/tickets/{ticket_id}/status", {"status": "in_progress"})
    assert (r.status_code, r.json["code"]) == (409, "TICKET_TRANSITION_REFUSED")
    z = new_staff("Nam Can")
    r = _as(x, "POST", f"/v1/staff/tickets/{ticket_id}/assign", {"assignee": z.username})
    assert (r.status_code, r.json["code"]) == (400, "ASSIGNEE_NOT_IN_BRANCH")
    r = _as(x, "POST", f"/v1/staff/tickets/{ticket_id}/assign", {"assignee": "no.such.worker"})
    assert (r.status_code, r.json["code"]) == (400, "ASSIGNEE_NOT_IN_BRANCH")
    r = _as(x, "POST", f"/v1/staff/tickets/{ticket_id}/assign", {"assignee": y.username})
    assert r.status_code == 200 and r.json["status"] == "assigned" and r.json["assignee"] == y.username
    r = _as(y, "POST", f"/v1/staff/tickets/{ticket_id}/status", {"status": "in_progress"})
    assert r.status_code == 200 and r.json["status"] == "in_progress"
    r = _as(y, "POST", f"/v1/staff/tickets/{ticket_id}/replies", {"text": "Đội sửa chữa đang đến."})
    assert r.status_code == 201
    r = _as(y, "POST", f"/v1/staff/tickets/{ticket_id}/status", {"status": "resolved", "reason": "  "})
    assert (r.status_code, r.json["code"]) == (400, "REASON_REQUIRED")
    clock.advance(3600)
    r = _as(y, "POST", f"/v1/staff/tickets/{ticket_id}/status", {"status": "resolved", "reason": "Đã thay ống."})
    assert r.status_code == 200 and r.json["status"] == "resolved" and r.json["on_time"] is True
    assert r.json["reason"] == "Đã thay ống."
    r = _as(y, "POST", f"/v1/staff/tickets/{ticket_id}/status", {"status": "rejected", "reason": "x"})
    assert (r.status_code, r.json["code"]) == (409, "TICKET_TRANSITION_REFUSED")
    r = _as(y, "POST", f"/v1/staff/tickets/{ticket_id}/replies", {"text": "Thêm"})
    assert (r.status_code, r.json["code"]) == (409, "TICKET_CLOSED")
    history = api.get(f"/v1/me/tickets/{ticket_id}", token=token).json["history"]
    assert [(e["kind"], e["status_to"]) for e in history] == [
        ("created", "new"),
        ("assigned", "assigned"),
        ("status", "in_progress"),
        ("message", None),
        ("status", "resolved"),
    ]
    assert all("actor" not in e and e["assignee"] is None for e in history)  # staff names stay inside
    # Each change the customer should hear of was queued; the reminders worker sends it, once per channel.
    assert _notices(queue, ticket_id) == [1, 2, 3, 4]
    from chalicelib.jobs.reminders import _record_handler

    class Record:
        def __init__(self, body: dict) -> None:
            import json

            self.body = json.dumps(body)

    for body, _ in list(queue.messages):
        if body.get("ticket_id") == ticket_id:
            assert _record_handler(Record(body)) == "sent"
            assert _record_handler(Record(body)) == "sent"  # redelivered: not sent again
    texts = [m for m in notifier.sent if m["customer_code"] == customer.code]
    assert len(texts) == 4 and all(m["channel"] == "sms" for m in texts), notifier.sent
    assert "da xu ly xong" in texts[-1]["text"] and "Da thay ong" in texts[-1]["text"]
    # The audit trail has who did what.
    r = api.get(f"/v1/admin/audit?entity=ticket%23{ticket_id}", token=admin)
    actions = [c["action"] for c in r.json["entries"]]
    assert actions == ["ticket.resolved", "ticket.in_progress", "ticket.assign"], actions


def test_staff_of_another_branch_and_customers_do_not_reach_the_queue(api, registered, admin, new_staff):
    customer, tokens = registered()
    ticket_id = _leak(api, tokens["access_token"], customer.code).json["ticket_id"]
    z = _signed_in(new_staff, "Nam Can")
    r = _as(z, "GET", "/v1/staff/tickets")
    assert r.status_code == 200 and ticket_id not in [t["ticket_id"] for t in r.json["tickets"]]
    for method, suffix, body in (
        ("GET", "", None),
        ("POST", "/assign", {"assignee": z.username}),
        ("POST", "/status", {"status": "rejected", "reason": "x"}),
        ("POST", "/replies", {"text": "x"}),
    ):
        r = _as(z, method, f"/v1/staff/tickets/{ticket_id}{suffix}", body)
        assert (r.status_code, r.json["code"]) == (404, "TICKET_NOT_FOUND"), suffix
    # The customer's token reaches neither the staff's nor the managers' routes (the authorizer's roles).
    for path in ("/v1/staff/tickets", "/v1/admin/tickets", f"/v1/admin/tickets/{ticket_id}"):
        assert api.get(path, token=tokens["access_token"]).status_code == 403
    # Managers see every branch, and one.
    r = api.get("/v1/admin/tickets?branch=TP%20Ca%20Mau&limit=100", token=admin)
    assert r.status_code == 200
    r = api.get(f"/v1/admin/tickets/{ticket_id}", token=admin)
    assert r.status_code == 200 and r.json["branch"] == "TP Ca Mau"
    r = api.post(
        f"/v1/admin/tickets/{ticket_id}/status", {"status": "rejected", "reason": "Trùng yêu cầu"}, token=admin
    )
    assert r.status_code == 200 and r.json["status"] == "rejected"


def test_queue_parameters_are_checked(api, admin, new_staff):
    x = _signed_in(new_staff)
    for query, field in (
        ("status=done", "status"),
        ("type=flood", "type"),
        ("overdue=yes", "overdue"),
        ("limit=0", "limit"),
        ("status=resolved&overdue=true", "overdue"),
        ("cursor=nope", "cursor"),
    ):
        r = _as(x, "GET", f"/v1/staff/tickets?{query}")
        assert r.status_code == 400 and r.json["field"] == field, (query, r.json)
    r = api.get("/v1/admin/tickets?status=resolved&limit=5", token=admin)
    assert r.status_code == 200


def test_the_result_is_rated_once_when_closed(api, registered, admin, told):
    customer, tokens = registered()
    token = tokens["access_token"]
    ticket_id = _leak(api, token, customer.code).json["ticket_id"]
    r = api.post(f"/v1/me/tickets/{ticket_id}/rating", {"rating": 5}, token=token)
    assert (r.status_code, r.json["code"]) == (409, "TICKET_NOT_CLOSED")
    r = api.post(
        f"/v1/admin/tickets/{ticket_id}/status", {"status": "rejected", "reason": "Không phải rò rỉ"}, token=admin
    )
    assert r.status_code == 200
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": "5"}, {"rating": 4, "comment": "x" * 501}):
        assert api.post(f"/v1/me/tickets/{ticket_id}/rating", bad, token=token).status_code == 400, bad
    r = api.post(f"/v1/me/tickets/{ticket_id}/rating", {"rating": 4, "comment": "Nhanh"}, token=token)
    assert r.status_code == 200 and (r.json["rating"], r.json["rating_comment"]) == (4, "Nhanh")
    r = api.post(f"/v1/me/tickets/{ticket_id}/rating", {"rating": 1}, token=token)
    assert (r.status_code, r.json["code"]) == (409, "TICKET_ALREADY_RATED")


# -- the target time ------------------------------------------------------------------------------


def test_overdue_tickets_are_listed_and_counted(api, registered, admin, told):
    from app import app
    from local.events import lambda_context, scheduled_event

    _, _, clock = told
    customer, tokens = registered()
    clock.at = _nine_am(days_ago=2)  # made two days ago: a leak's target is 24 hours
    late = _leak(api, tokens["access_token"], customer.code).json["ticket_id"]
    clock.at = _nine_am()
    fresh = _leak(api, tokens["access_token"], customer.code).json["ticket_id"]
    r = api.get("/v1/admin/tickets?overdue=true&branch=TP%20Ca%20Mau&type=leak&limit=100", token=admin)
    ids = [t["ticket_id"] for t in r.json["tickets"]]
    assert late in ids and fresh not in ids
    assert all(t["overdue"] for t in r.json["tickets"])
    name = "tickets_sweep"
    event = scheduled_event(
        f"arn:aws:events:ap-southeast-1:123456789012:rule/cskh-test-{name}-event", datetime.now(VN_TZ), "ap-southeast-1"
    )
    result = app.handler_map[name](event, lambda_context(f"cskh-test-{name}"))
    assert result["overdue"] >= 1 and result["at"].endswith("+07:00")
    # Closed late: counted late in the KPIs of its period, with the satisfaction.
    r = api.post(f"/v1/admin/tickets/{late}/status", {"status": "rejected", "reason": "Trùng"}, token=admin)
    assert r.status_code == 200 and r.json["on_time"] is False
    api.post(f"/v1/me/tickets/{late}/rating", {"rating": 2}, token=tokens["access_token"])
    period = datetime.fromtimestamp(_nine_am(days_ago=2), VN_TZ).strftime("%Y-%m")
    report = api.get(f"/v1/admin/kpis?period={period}&branch=TP%20Ca%20Mau", token=admin).json
    leak = next(row for row in report["tickets"]["by_type"] if row["type"] == "leak")
    assert leak["late"] >= 1 and leak["ratings"] >= 1 and 1 <= leak["average_rating"] <= 5
    assert report["tickets"]["total"]["type"] == "all" and report["tickets"]["total"]["tickets"] >= leak["tickets"]


# -- the household size ---------------------------------------------------------------------------


def test_an_approved_household_size_counts_from_the_next_period(api, registered, admin, told):
    from chalicelib.domain import tickets as rules
    from chalicelib.services.billing import billed_persons
    from chalicelib.store.models import CustomerModel

    _, _, clock = told
    customer, tokens = registered()
    r = api.post(
        "/v1/me/tickets",
        {"customer_code": customer.code, "type": "household_size", "description": "5 nhân khẩu", "residents": 5},
        token=tokens["access_token"],
    )
    assert r.status_code == 201, r.json
    ticket_id = r.json["ticket_id"]
    for status in ("in_progress", "resolved"):
        if status == "in_progress":
            api.post(f"/v1/admin/tickets/{ticket_id}/assign", {"assignee": _any_staff(api, admin)}, token=admin)
        r = api.post(f"/v1/admin/tickets/{ticket_id}/status", {"status": status, "reason": "Đã xác minh"}, token=admin)
        assert r.status_code == 200, r.json
    stored = CustomerModel.get(customer.code, consistent_read=True)
    this = rules.period_of(clock.now())
    assert (stored.persons, stored.persons_next, stored.persons_from) == (2, 5, rules.next_period(this))
    assert billed_persons(stored, this) == 2 and billed_persons(stored, rules.next_period(this)) == 5
    trail = api.get(f"/v1/admin/audit?entity=customer%23{customer.code}", token=admin).json["entries"]
    assert trail[0]["action"] == "customer.persons_next" and trail[0]["after"]["persons_next"] == 5


def _any_staff(api, admin) -> str:
    username = f"tk.staff{int(time.time() * 1000) % 10**8:08d}"
    r = api.post(
        "/v1/admin/staff",
        {"username": username, "full_name": "Lê Văn Sửa", "branch": "TP Ca Mau", "password": "Ghi-thu-2024!"},
        token=admin,
    )
    assert r.status_code == 201, r.json
    return username


def test_a_manager_replies_with_a_photo_kept_apart_from_the_staffs(api, registered, admin):
    """A manager's photos are uploaded through POST /v1/admin/photos and kept under manager_reply: a field
    worker who shares the manager's user name cannot name them, nor the manager a worker's."""
    customer, tokens = registered()
    ticket_id = _leak(api, tokens["access_token"], customer.code).json["ticket_id"]
    r = api.post("/v1/admin/photos", {"purpose": "ticket_reply", "content_type": "image/jpeg"}, token=admin)
    assert r.status_code == 201, r.json
    assert r.json["upload"]["fields"]["key"].startswith("photos/manager_reply/")
    assert _upload(r.json["upload"], JPEG).status_code in (200, 201, 204)
    reply = {"text": "Ảnh đồng hồ sau khi thay.", "photo_ids": [r.json["photo_id"]]}
    done = api.post(f"/v1/admin/tickets/{ticket_id}/replies", reply, token=admin)
    assert done.status_code == 201, done.json
    seen = api.get(f"/v1/me/tickets/{ticket_id}", token=tokens["access_token"]).json
    [message] = [e for e in seen["history"] if e["kind"] == "message"]
    assert len(message["photos"]) == 1
    # A customer's upload form is not a manager's, and a customer cannot ask for one.
    refused = api.post("/v1/admin/photos", {"purpose": "ticket", "content_type": "image/jpeg"}, token=admin)
    assert refused.status_code == 400 and refused.json["field"] == "purpose"
    assert (
        api.post(
            "/v1/admin/photos", {"purpose": "ticket_reply", "content_type": "image/jpeg"}, token=tokens["access_token"]
        ).status_code
        == 403
    )
