"""Water-cut notices through the handlers and the reminders worker, on DynamoDB Local: managers publish,
change, cancel and restore (audited); every affected customer with a channel is told once per revision,
whatever the duplicates and however many workers; quiet hours; the customer's own view (BOLA) and the
public board (no personal data)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import datetime, timedelta

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import FixedClock
from chalicelib.adapters.notifier import MemoryNotifier, MemoryReminderQueue
from chalicelib.domain.vntime import VN_TZ
from tests.sqs_events import sqs_event

# Each test lives in its own far-future fortnight: no other test's notice is on its board.
_weeks = itertools.count(0)
_n = itertools.count(1)


class Cuts:
    """The service on its own clock (the app's clock signs tokens), the reminders queue and notifier in memory."""

    def __init__(self, api, admin, new_customer) -> None:
        from chalicelib.config import get_settings
        from chalicelib.services.water_cuts import WaterCutService
        from chalicelib.store import audit
        from chalicelib.store.water_cuts import WaterCutStore

        self.api, self.admin, self._new_customer = api, admin, new_customer
        self.day = datetime(2041, 1, 5, tzinfo=VN_TZ) + timedelta(days=14 * next(_weeks))
        self.clock = FixedClock(self.at(9))
        self.queue, self.notifier = MemoryReminderQueue(), MemoryNotifier()
        self.service = WaterCutService(
            settings=get_settings(),
            store=WaterCutStore(),
            queue=self.queue,
            notifier=self.notifier,
            clock=self.clock,
            audit_entry=audit.entry,
        )
        deps.override("reminder_queue", self.queue)
        deps.override("water_cuts", self.service)

    def at(self, hour: int, minute: int = 0, days: int = 0) -> int:
        return int((self.day + timedelta(days=days, hours=hour, minutes=minute)).timestamp())

    def iso(self, hour: int, minute: int = 0, days: int = 0) -> str:
        return datetime.fromtimestamp(self.at(hour, minute, days), VN_TZ).isoformat()

    def ward(self) -> str:
        return f"Phường Thử {next(_n)}"

    def customer(self, ward: str | None = None, **attrs):
        c = self._new_customer()
        if ward is not None or attrs:
            c.ward = ward
            for k, v in attrs.items():
                setattr(c, k, v)
            c.save()
        return c

    def route(self, *codes: str) -> str:
        from chalicelib.store.models import RouteModel

        route_id = f"WCT-{next(_n):05d}-{int(time.time())}"
        RouteModel(
            route_id,
            staff="ghithu01",
            period="2041-01",
            days=[5],
            customer_codes=list(codes),
            updated_at=0,
            updated_by="admin:test",
        ).save()
        return route_id

    def publish(self, **body):
        body = {
            "kind": "planned",
            "reason": "Sửa chữa đường ống D200",
            "starts_at": self.iso(8, days=2),
            "ends_at": self.iso(17, days=2),
            "publish": True,
            **body,
        }
        r = self.api.post("/v1/admin/water-cuts", body, token=self.admin)
        assert r.status_code == 201, r.json
        return r.json

    def act(self, notice, action: str, **body):
        return self.api.post(
            f"/v1/admin/water-cuts/{notice['notice_id']}/{action}",
            {"version": notice["version"], **body},
            token=self.admin,
        )

    def patch(self, notice, **body):
        return self.api.call(
            "PATCH",
            f"/v1/admin/water-cuts/{notice['notice_id']}",
            {"version": notice["version"], **body},
            token=self.admin,
        )

    def deliver(self, rounds: int = 50) -> list[dict]:
        """Hand the queued messages to the reminders worker until none is left (delayed ones too, as SQS
        would, later); returns every body delivered."""
        from chalicelib.jobs.reminders import handle_batch

        seen = []
        for _ in range(rounds):
            taken = self.queue.take()
            if not taken:
                return seen
            for i in range(0, len(taken), 10):
                bodies = [b for b, _ in taken[i : i + 10]]
                seen += bodies
                answer = handle_batch(sqs_event(*bodies, queue="cskh-test-reminders"))
                assert answer == {"batchItemFailures": []}, answer
        raise AssertionError("the queue never emptied")

    def told(self, notice_id: str | None = None) -> list[tuple[str, str]]:
        return sorted(
            (m["customer_code"], m["channel"])
            for m in self.notifier.sent
            if notice_id is None or m["data"]["notice_id"] == notice_id
        )


@pytest.fixture
def cuts(api, admin, new_customer):
    yield Cuts(api, admin, new_customer)
    deps.reset()


def _delivery(notice_id: str, revision: int, code: str):
    from chalicelib.store.models import WaterCutDeliveryModel

    return WaterCutDeliveryModel.get(f"{notice_id}#{revision}#{code}", consistent_read=True)


# -- telling the affected customers, once -----------------------------------------------------------


def test_publishing_tells_every_affected_customer_with_a_channel_once(cuts):
    ward = cuts.ward()
    listed, in_ward, on_route, everywhere = cuts.customer(), cuts.customer(ward), cuts.customer(), cuts.customer(ward)
    no_channel = cuts.customer(ward, phone=None)
    elsewhere = cuts.customer(cuts.ward())
    route = cuts.route(on_route.code, everywhere.code)
    notice = cuts.publish(
        wards=[ward], route_ids=[route], customer_codes=[listed.code, everywhere.code, no_channel.code]
    )
    assert (notice["status"], notice["revision"], notice["queued_revision"]) == ("published", 1, 1)
    cuts.deliver()
    expected = sorted((c.code, "sms") for c in (listed, in_ward, on_route, everywhere))
    assert cuts.told(notice["notice_id"]) == expected
    assert elsewhere.code not in {code for code, _ in cuts.told()}
    assert _delivery(notice["notice_id"], 1, no_channel.code).status == "skipped"
    assert _delivery(notice["notice_id"], 1, everywhere.code).channels == ["sms"]
    text = next(m for m in cuts.notifier.sent if m["customer_code"] == listed.code)["text"]
    assert "Sua chua duong ong D200" in text and listed.code in text


def test_duplicate_messages_and_pages_handed_out_twice_tell_nobody_twice(cuts):
    from chalicelib.jobs.reminders import handle_batch

    ward = cuts.ward()
    people = [cuts.customer(ward) for _ in range(4)]
    notice = cuts.publish(wards=[ward], customer_codes=[people[0].code])
    delivered = cuts.deliver()
    assert len(cuts.told()) == 4
    # SQS delivers at least once: every message again, twice, in one batch and in several.
    again = delivered * 2
    for i in range(0, len(again), 10):
        assert handle_batch(sqs_event(*again[i : i + 10], queue="cskh-test-reminders")) == {"batchItemFailures": []}
    cuts.deliver()  # the pages handed out again queued their customers again: still nobody told twice
    assert cuts.told(notice["notice_id"]) == sorted((p.code, "sms") for p in people)


def test_two_workers_at_once_tell_the_customer_once(cuts):
    """Two workers hold the same message (a duplicate delivered to two Lambdas): one sends, the other is
    told it is held (its record fails and SQS brings it back, when it finds it sent)."""
    from chalicelib.services.water_cuts import DeliveryBusy

    customer = cuts.customer()
    notice = cuts.publish(customer_codes=[customer.code], publish=True)
    cuts.queue.take()  # the fan-out: not needed, the workers get the customer's message directly

    class Slow(MemoryNotifier):
        def send(self, channel, customer, message):
            time.sleep(0.3)
            super().send(channel, customer, message)

    cuts.service.notifier = Slow()
    outcomes: list[object] = []

    def work():
        try:
            outcomes.append(cuts.service.send(notice["notice_id"], 1, customer.code))
        except DeliveryBusy as busy:
            outcomes.append(busy)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(map(type, outcomes), key=str) == sorted([str, DeliveryBusy], key=str), outcomes
    assert len(cuts.service.notifier.sent) == 1
    assert cuts.service.send(notice["notice_id"], 1, customer.code) == "sent"  # the retry
    assert len(cuts.service.notifier.sent) == 1


def test_a_worker_that_died_holding_a_delivery_lets_it_go_when_its_lease_ends(cuts):
    from chalicelib.services.water_cuts import LEASE_S, DeliveryBusy
    from chalicelib.store.water_cuts import WaterCutStore

    customer = cuts.customer()
    notice = cuts.publish(customer_codes=[customer.code])
    key = f"{notice['notice_id']}#1#{customer.code}"
    now = cuts.clock.now()
    assert WaterCutStore().take(key, customer.code, now, now + LEASE_S, now + 86400)  # and then it died
    with pytest.raises(DeliveryBusy):
        cuts.service.send(notice["notice_id"], 1, customer.code)
    cuts.clock.advance(LEASE_S + 1)
    assert cuts.service.send(notice["notice_id"], 1, customer.code) == "sent"
    assert cuts.told() == [(customer.code, "sms")]


def test_a_failed_channel_is_retried_and_the_sent_ones_are_not_repeated(cuts):
    customer = cuts.customer(notify_channels=["sms", "email"], email="khach@example.vn")
    notice = cuts.publish(customer_codes=[customer.code])
    cuts.queue.take()
    cuts.service.notifier = MemoryNotifier(fail={"email"})
    with pytest.raises(Exception, match="email"):
        cuts.service.send(notice["notice_id"], 1, customer.code)
    assert [m["channel"] for m in cuts.service.notifier.sent] == ["sms"]
    cuts.service.notifier.fail.clear()
    assert cuts.service.send(notice["notice_id"], 1, customer.code) == "sent"
    assert [m["channel"] for m in cuts.service.notifier.sent] == ["sms", "email"]


def test_updates_a_cancellation_and_water_back_each_tell_again_once_and_drafts_tell_nobody(cuts):
    customer = cuts.customer()
    r = cuts.api.post(
        "/v1/admin/water-cuts",
        {
            "kind": "planned",
            "reason": "Thay van",
            "starts_at": cuts.iso(8, days=2),
            "ends_at": cuts.iso(12, days=2),
            "customer_codes": [customer.code],
        },
        token=cuts.admin,
    )
    assert r.status_code == 201 and (r.json["status"], r.json["revision"]) == ("draft", 0), r.json
    draft = cuts.patch(r.json, reason="Thay van D100").json
    assert (draft["status"], draft["revision"], draft["reason"]) == ("draft", 0, "Thay van D100")
    assert cuts.deliver() == [] and cuts.told() == []
    published = cuts.act(draft, "publish").json
    cuts.deliver()
    updated = cuts.patch(published, ends_at=cuts.iso(15, days=2)).json
    assert (updated["status"], updated["revision"]) == ("updated", 2)
    cuts.deliver()
    cuts.clock.at = cuts.at(14, days=2)  # the water comes back early
    restored = cuts.act(updated, "restore").json
    assert (restored["status"], restored["revision"]) == ("restored", 3)
    cuts.deliver()
    texts = [m["text"] for m in cuts.notifier.sent]
    assert len(texts) == 3
    assert "Cap nhat" in texts[1] and "15:00" in texts[1]
    assert "Nuoc da duoc cap tro lai tu 14:00" in texts[2]
    assert cuts.act(restored, "cancel").status_code == 409  # final


def test_a_message_of_an_older_revision_is_dropped(cuts):
    customer = cuts.customer()
    notice = cuts.publish(customer_codes=[customer.code])
    first = cuts.queue.take()  # revision 1's fan-out, not delivered yet
    updated = cuts.patch(notice, reason="Sửa chữa đường ống D300").json
    cuts.queue.messages += first
    cuts.deliver()
    assert len(cuts.notifier.sent) == 1 and "D300" in cuts.notifier.sent[0]["text"]
    assert updated["revision"] == 2
    assert cuts.service.send(notice["notice_id"], 1, customer.code) == "superseded"


def test_cancelling_a_published_notice_tells_its_customers(cuts):
    customer = cuts.customer()
    notice = cuts.publish(customer_codes=[customer.code])
    cuts.deliver()
    cancelled = cuts.act(notice, "cancel").json
    assert (cancelled["status"], cancelled["revision"]) == ("cancelled", 2)
    cuts.deliver()
    assert "da duoc huy" in cuts.notifier.sent[-1]["text"] and len(cuts.notifier.sent) == 2


# -- quiet hours ----------------------------------------------------------------------------------------


def test_a_planned_notice_waits_out_the_quiet_hours_and_an_emergency_does_not(cuts):
    planned_for, urgent_for = cuts.customer(), cuts.customer()
    cuts.clock.at = cuts.at(22)
    planned = cuts.publish(customer_codes=[planned_for.code], starts_at=cuts.iso(9, days=2))
    cuts.publish(
        kind="emergency", customer_codes=[urgent_for.code], starts_at=cuts.iso(21, 55), ends_at=cuts.iso(6, days=1)
    )
    delays = []
    for _ in range(5):
        taken = cuts.queue.take()
        if not taken:
            break
        delays += [d for _, d in taken]
        from chalicelib.jobs.reminders import handle_batch

        handle_batch(sqs_event(*[b for b, _ in taken], queue="cskh-test-reminders"))
    assert cuts.told() == [(urgent_for.code, "sms")]
    assert _delivery(planned["notice_id"], 1, planned_for.code).status == "deferred"
    deferred = cuts.queue.take()
    assert [(b["customer_code"], d) for b, d in deferred] == [(planned_for.code, 900)]
    cuts.clock.at = cuts.at(7, 0, days=1)  # morning: SQS brings it back
    cuts.queue.messages += deferred
    cuts.deliver()
    assert cuts.told() == sorted([(urgent_for.code, "sms"), (planned_for.code, "sms")])


def test_a_planned_cut_starting_before_the_quiet_hours_end_is_told_at_once(cuts):
    customer = cuts.customer()
    cuts.clock.at = cuts.at(22)
    cuts.publish(customer_codes=[customer.code], starts_at=cuts.iso(6, days=1), ends_at=cuts.iso(10, days=1))
    cuts.deliver()
    assert cuts.told() == [(customer.code, "sms")]


# -- the managers' side ------------------------------------------------------------------------------------


def test_managers_refusals(cuts):
    customer = cuts.customer()
    body = {"kind": "planned", "reason": "Sửa ống", "starts_at": cuts.iso(10, days=1), "ends_at": cuts.iso(9, days=1)}
    post = lambda b: cuts.api.post("/v1/admin/water-cuts", b, token=cuts.admin)  # noqa: E731
    r = post({**body, "customer_codes": [customer.code]})
    assert r.status_code == 400 and r.json["field"] == "ends_at", r.json
    r = post({**body, "ends_at": cuts.iso(12, days=1)})
    assert r.status_code == 400 and r.json["field"] == "wards", r.json
    r = post({**body, "ends_at": cuts.iso(12, days=1), "route_ids": ["NO-SUCH-ROUTE-X"]})
    assert r.status_code == 400 and r.json["code"] == "ROUTE_NOT_FOUND", r.json
    r = post({**body, "ends_at": cuts.iso(12, days=1), "starts_at": "2041-01-06T10:00:00", "wards": ["P1"]})
    assert r.status_code == 400 and r.json["field"] == "starts_at", r.json
    r = post({**body, "kind": "sometimes", "ends_at": cuts.iso(12, days=1), "wards": ["P1"]})
    assert r.status_code == 400 and r.json["field"] == "kind", r.json
    notice = cuts.publish(customer_codes=[customer.code])
    stale = dict(notice, version=notice["version"] - 1)
    r = cuts.patch(stale, reason="Khác")
    assert r.status_code == 409 and r.json["code"] == "WATER_CUT_CHANGED"
    assert cuts.act(notice, "publish").json["code"] == "WATER_CUT_NOT_ALLOWED"
    r = cuts.act(notice, "restore", restored_at=cuts.iso(7, days=2))  # before the cut began
    assert r.status_code == 400 and r.json["field"] == "restored_at"
    for missing in ("WC41010500000000", "nope"):
        r = cuts.api.get(f"/v1/admin/water-cuts/{missing}", token=cuts.admin)
        assert r.status_code == 404 and r.json["code"] == "WATER_CUT_NOT_FOUND"
    r = cuts.api.get("/v1/admin/water-cuts", token=cuts.admin, headers={"Accept-Language": "en"})
    assert r.status_code == 200 and notice["notice_id"] in [n["notice_id"] for n in r.json["water_cuts"]]
    r = cuts.api.get("/v1/admin/water-cuts?status=sometimes", token=cuts.admin)
    assert r.status_code == 400 and r.json["field"] == "status"


def test_every_change_is_audited(cuts):
    from chalicelib.store.models import AuditModel

    customer = cuts.customer()
    notice = cuts.publish(customer_codes=[customer.code])
    cuts.act(cuts.patch(notice, area_note="Đường Lý Thường Kiệt").json, "cancel")
    trail = {a.action: a for a in AuditModel.query(f"water_cut#{notice['notice_id']}")}  # one clock: one instant
    assert sorted(trail) == ["water_cut.cancel", "water_cut.create", "water_cut.publish", "water_cut.update"]
    assert all(a.actor.startswith("admin:") for a in trail.values())
    update = trail["water_cut.update"]
    assert (
        json.loads(update.after)["area_note"] == "Đường Lý Thường Kiệt" and json.loads(update.before)["revision"] == 1
    )
    assert json.loads(trail["water_cut.cancel"].after)["status"] == "cancelled"


def test_a_notice_whose_queueing_failed_is_queued_again_by_notify(cuts):
    customer = cuts.customer()

    class Down(MemoryReminderQueue):
        def enqueue(self, body, delay_seconds=0):
            raise RuntimeError("SQS is down")

    cuts.service.queue = Down()
    notice = cuts.publish(customer_codes=[customer.code])
    assert (notice["revision"], notice["queued_revision"]) == (1, None)
    cuts.service.queue = cuts.queue
    again = cuts.act(notice, "notify").json
    assert again["queued_revision"] == 1
    cuts.deliver()
    assert cuts.told() == [(customer.code, "sms")]


# -- what customers and the public see ------------------------------------------------------------------


def test_a_customer_sees_only_the_notices_of_their_own_codes(cuts, registered):
    """BOLA: A sees the notices affecting A's codes (by code, ward or route), each naming only A's codes; B's
    notice is not A's to see, nor is B's code A's to ask for."""
    a, a_tokens = registered()
    b, b_tokens = registered()
    ward = cuts.ward()
    a.ward = ward
    a.save()
    by_code = cuts.publish(customer_codes=[a.code, b.code])
    by_ward = cuts.publish(wards=[ward])
    by_route = cuts.publish(route_ids=[cuts.route(a.code)])
    only_b = cuts.publish(customer_codes=[b.code], reason="Chỉ nhà B")
    draft = cuts.publish(customer_codes=[a.code], publish=False)
    r = cuts.api.get("/v1/me/water-cuts", token=a_tokens["access_token"])
    assert r.status_code == 200, r.json
    seen = {n["notice_id"]: n for n in r.json["water_cuts"]}
    assert set(seen) == {by_code["notice_id"], by_ward["notice_id"], by_route["notice_id"]}
    assert all(n["customer_codes"] == [a.code] for n in seen.values())
    assert b.code not in r.body.decode() and only_b["notice_id"] not in r.body.decode()
    assert draft["notice_id"] not in seen
    r = cuts.api.get(f"/v1/me/water-cuts?customer_code={b.code}", token=a_tokens["access_token"])
    assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED"
    r = cuts.api.get(f"/v1/me/water-cuts?customer_code={b.code}", token=b_tokens["access_token"])
    assert {n["notice_id"] for n in r.json["water_cuts"]} == {by_code["notice_id"], only_b["notice_id"]}


def test_the_board_shows_current_and_upcoming_notices_and_water_back_for_a_while(cuts, registered):
    a, tokens = registered()
    notice = cuts.publish(customer_codes=[a.code], starts_at=cuts.iso(8), ends_at=cuts.iso(12))
    mine = lambda: cuts.api.get("/v1/me/water-cuts", token=tokens["access_token"]).json["water_cuts"]  # noqa: E731
    assert [(n["status"], n["current"]) for n in mine()] == [("published", True)]
    cuts.clock.at = cuts.at(11)
    restored = cuts.act(notice, "restore").json
    assert restored["status"] == "restored"
    assert [(n["status"], n["current"], n["restored_at"]) for n in mine()] == [("restored", False, cuts.iso(11))]
    cuts.clock.at = cuts.at(11) + 13 * 3600
    assert mine() == []


def test_the_public_board_needs_no_login_and_shows_no_personal_data(cuts):
    ward = cuts.ward()
    customer = cuts.customer(ward)
    route = cuts.route(customer.code)
    public = cuts.publish(
        wards=[ward], route_ids=[route], customer_codes=[customer.code], area_note="Đường Lý Thường Kiệt, số 1-99"
    )
    codes_only = cuts.publish(customer_codes=[customer.code])  # nowhere to tell the public: not shown
    draft = cuts.publish(wards=[ward], publish=False)
    cancelled = cuts.act(cuts.publish(wards=[ward]), "cancel").json
    r = cuts.api.get("/v1/public/water-cuts", token="")
    assert r.status_code == 200 and r.headers["Cache-Control"].startswith("public")
    ids = [n["notice_id"] for n in r.json["water_cuts"]]
    assert public["notice_id"] in ids
    assert not {codes_only["notice_id"], draft["notice_id"], cancelled["notice_id"]} & set(ids)
    body = r.body.decode()
    for private in (customer.code, customer.phone, customer.name, route, "admin:", "created_by", "customer_codes"):
        assert private not in body, private
    shown = next(n for n in r.json["water_cuts"] if n["notice_id"] == public["notice_id"])
    assert shown["wards"] == [ward] and shown["area_note"].startswith("Đường")
    for asked in (ward, ward.upper(), public_key(ward)):
        r = cuts.api.get(f"/v1/public/water-cuts?ward={asked}", token="")
        assert [n["notice_id"] for n in r.json["water_cuts"]] == [public["notice_id"]], asked
    assert cuts.api.get("/v1/public/water-cuts?ward=%20-%20", token="").status_code == 400


def public_key(name: str) -> str:
    from chalicelib.domain.water_cuts import ward_key

    return ward_key(name)


# -- the customer book names the ward ---------------------------------------------------------------------


def test_the_customer_book_names_a_ward_and_the_index_finds_its_customers(app):
    from chalicelib.domain.customer_book import check_header, customer_from_row
    from chalicelib.store.imports import ImportStore
    from chalicelib.store.water_cuts import WaterCutStore

    header = check_header(
        [
            "code",
            "ledger_no",
            "name",
            "address",
            "phone",
            "class",
            "persons",
            "meter",
            "route",
            "payment_channel",
            "last_index",
            "ward",
        ]
    )
    code = f"08{next(_n):06d}{int(time.time()) % 100:02d}"
    row = customer_from_row(
        header,
        [
            code,
            "WD1",
            "Trần Thị Phường",
            "1 Lý Thường Kiệt",
            "0912345678",
            "household",
            "3",
            "M1",
            "R1",
            "tt",
            "0",
            "Phường Tân Thành 9",
        ],
    )
    assert row["ward"] == "Phường Tân Thành 9"
    ImportStore().upsert_customers([row])
    codes, more = WaterCutStore().ward_page("phuong-tan-thanh-9", None, 10)
    assert code in codes and more is None


def test_the_boards_are_a_query_and_never_a_scan(cuts, registered, calls):
    a, tokens = registered()
    cuts.publish(route_ids=[cuts.route(a.code)], area_note="Đường 3/2")
    calls.clear()
    assert cuts.api.get("/v1/public/water-cuts?ward=Phường 1", token="").status_code == 200
    assert dict(calls) == {"Query": 1}
    calls.clear()
    assert len(cuts.api.get("/v1/me/water-cuts", token=tokens["access_token"]).json["water_cuts"]) == 1
    assert dict(calls) == {"Query": 1, "BatchGetItem": 2}  # the board; the codes' wards; the routes named
