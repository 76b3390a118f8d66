"""Water-cut notices (issue 18): managers publish a planned or emergency interruption for an area (wards,
reading routes, customer codes: their union); every affected customer with a channel is told once per
revision (publish, each update, a cancellation, "water is back"); customers see the current and upcoming
notices of their own codes; anyone sees the public board (where and when, never whom). No Chalice, no boto3.

Telling customers goes through the reminders' queue, worker and notifier (services/delivery.py):

    a change that notifies --> WaterCutFanOut(notice, revision, source 0)       (after the audited write)
    worker: one page of the area (the notice's codes, then each ward's Query, then each route's codes)
            --> one WaterCutToSend per customer (SendMessageBatch) + the next page's WaterCutFanOut
    worker: WaterCutToSend --> the delivery '<notice>#<revision>#<code>' taken by a conditional write
            (created, or taken over from a worker whose lease ran out) --> each of the customer's channels
            once (recorded one by one) --> sent

A duplicate message, a page handed out twice (a retried fan-out) or two workers at once never tell anyone
twice: the one holding the delivery sends, the others find it sent (or held: SQS brings them back later).
A message of an older revision than the notice's is dropped: the newer revision tells everyone anyway.
Planned notices wait for the quiet hours to end (in SQS delays, as reminders do), unless that would tell of
the cut only once the water is off; emergencies never wait."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, cast

from chalicelib.config import Settings
from chalicelib.domain import reminders as reminder_rules
from chalicelib.domain import water_cuts as rules
from chalicelib.domain.identifiers import WATER_CUT_ID_RE
from chalicelib.domain.messages import WaterCutFanOut, WaterCutToSend
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import iso, now_vn
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import AuditEntries, Clock
from chalicelib.ports.notices import DeliveryFailed, Notifier, ReminderQueue
from chalicelib.ports.water_cuts import NewWaterCut, WaterCutChanged, WaterCutExists, WaterCutRecord, WaterCuts
from chalicelib.services.auth import customer_code
from chalicelib.services.delivery import channels_for, send_on
from chalicelib.services.shapes_water_cuts import (
    WARD_MAX,
    ChangeWaterCut,
    CreateWaterCut,
    MyWaterCut,
    MyWaterCuts,
    PublicWaterCut,
    PublicWaterCuts,
    RestoreWaterCut,
    WaterCutAction,
    WaterCutKind,
    WaterCutList,
    WaterCutStatus,
    WaterCutView,
)

PAGE = 500  # customers handed out per fan-out message
THREADS = 8  # SendMessageBatch calls in flight
LEASE_S = 45  # a worker holds a delivery this long (under the queue's 60 s visibility: a retry may take it)
KEEP_S = 90 * 86400  # delivery records expire (TTL) long after any retry
LIST_MAX = 100
RESTORE_AHEAD_S = 300  # "water is back" may be dated a few minutes ahead of the server's clock, not more


class DeliveryBusy(Exception):
    """Another worker holds this customer's delivery: SQS brings the message back, and then it is done."""


def _not_found() -> NotFound:
    return NotFound("no such water-cut notice", "Không tìm thấy thông báo ngưng cấp nước.", code="WATER_CUT_NOT_FOUND")


def _changed() -> Conflict:
    return Conflict(
        "the notice changed since it was read: read it again",
        "Thông báo vừa được thay đổi: hãy tải lại.",
        code="WATER_CUT_CHANGED",
    )


def _not_allowed(status: str, action: str) -> Conflict:
    return Conflict(
        f"a {status} notice cannot be {action}ed",
        f"Không thể thực hiện thao tác này với thông báo ở trạng thái {status}.",
        code="WATER_CUT_NOT_ALLOWED",
    )


def _epoch(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp())


def _codes_of(identity: Identity, requested: object) -> list[str]:
    if requested is not None:
        code = customer_code(requested)
        if not identity.owns(code):
            raise Forbidden(
                "this customer code is not linked to your account",
                "Mã khách hàng này chưa được liên kết với tài khoản của bạn.",
                code="CUSTOMER_NOT_LINKED",
            )
        return [code]
    return list(identity.customer_codes)


class WaterCutService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: WaterCuts,
        queue: ReminderQueue,
        notifier: Notifier,
        clock: Clock,
        audit_entry: AuditEntries,
        threads: int = THREADS,
    ) -> None:
        self.s = settings
        self.store = store
        self.queue = queue
        self.notifier = notifier
        self.clock = clock
        self._audit_entry = audit_entry
        self.threads = threads
        self.quiet = reminder_rules.QuietHours(tuple(settings.reminder_quiet_hours))

    # -- managers --------------------------------------------------------------------------------------

    def create(self, actor: str, body: dict[str, Any]) -> dict[str, Any]:
        asked = parse(CreateWaterCut, body)
        now = self.clock.now()
        starts_at, ends_at = _epoch(asked.starts_at), _epoch(asked.ends_at)
        self._check_times(starts_at, ends_at, now)
        wards = [w.strip() for w in asked.wards]
        self._check_area(wards, asked.route_ids, asked.customer_codes)
        notice = NewWaterCut(
            notice_id=f"WC{now_vn(now).strftime('%y%m%d')}{secrets.token_hex(4).upper()}",
            kind=asked.kind,
            status="draft",
            reason=asked.reason.strip(),
            area_note=(asked.area_note or "").strip() or None,
            starts_at=starts_at,
            ends_at=ends_at,
            wards=wards,
            ward_keys=sorted({rules.ward_key(w) for w in wards}),
            route_ids=list(asked.route_ids),
            customer_codes=list(asked.customer_codes),
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        entity = f"water_cut#{notice.notice_id}"
        try:
            self.store.create(notice, self._audit_entry(entity, actor, "water_cut.create", None, _view(notice), now))
        except WaterCutExists:  # 32 random bits within one day: retrying is the client's
            raise _changed() from None
        logger.info("water cut drafted", extra={"notice_id": notice.notice_id, "actor": actor, "kind": notice.kind})
        if asked.publish:
            return self.publish(actor, notice.notice_id, {"version": notice.version})
        return _view(self._get(notice.notice_id))

    def list_notices(self, status: str | None, limit: str | None) -> dict[str, Any]:
        if status is not None and status not in rules.STATUSES:
            raise ValidationError(
                f"status must be one of {', '.join(rules.STATUSES)}", "Trạng thái không hợp lệ.", field="status"
            )
        count = 50
        if limit is not None:
            if not limit.isdigit() or not 1 <= int(limit) <= LIST_MAX:
                raise ValidationError(
                    f"limit must be 1 to {LIST_MAX}", f"limit phải từ 1 đến {LIST_MAX}.", field="limit"
                )
            count = int(limit)
        notices = self.store.listed(count, status)
        answer: dict[str, Any] = to_json(WaterCutList(water_cuts=[_shape(n) for n in notices]))
        return answer

    def get(self, notice_id: str) -> dict[str, Any]:
        return _view(self._get(notice_id))

    def change(self, actor: str, notice_id: str, body: dict[str, Any]) -> dict[str, Any]:
        asked = parse(ChangeWaterCut, body)
        notice = self._get(notice_id, asked.version)
        action = "edit" if notice.status == "draft" else "update"
        changes: dict[str, Any] = {}
        if asked.kind is not None:
            changes["kind"] = asked.kind
        if asked.reason is not None:
            changes["reason"] = asked.reason.strip()
        if asked.area_note is not None:
            changes["area_note"] = asked.area_note.strip() or None
        if asked.starts_at is not None:
            changes["starts_at"] = _epoch(asked.starts_at)
        if asked.ends_at is not None:
            changes["ends_at"] = _epoch(asked.ends_at)
        if asked.wards is not None:
            changes["wards"] = [w.strip() for w in asked.wards]
            changes["ward_keys"] = sorted({rules.ward_key(w) for w in changes["wards"]})
        if asked.route_ids is not None:
            changes["route_ids"] = list(asked.route_ids)
        if asked.customer_codes is not None:
            changes["customer_codes"] = list(asked.customer_codes)
        if not changes:
            raise ValidationError("nothing to change", "Không có thay đổi nào.", field="reason")
        if "starts_at" in changes or "ends_at" in changes:
            self._check_times(
                changes.get("starts_at", int(notice.starts_at)),
                changes.get("ends_at", int(notice.ends_at)),
                self.clock.now(),
            )
        if {"wards", "route_ids", "customer_codes"} & set(changes):
            self._check_area(
                changes.get("wards", list(notice.wards or ())),
                changes.get("route_ids", list(notice.route_ids or ())),
                changes.get("customer_codes", list(notice.customer_codes or ())),
                checked=set(notice.route_ids or ()),
            )
        return self._move(actor, notice, action, changes)

    def publish(self, actor: str, notice_id: str, body: dict[str, Any]) -> dict[str, Any]:
        notice = self._get(notice_id, parse(WaterCutAction, body).version)
        if notice.status == "draft":  # its times were right when written: still ahead?
            self._check_times(int(notice.starts_at), int(notice.ends_at), self.clock.now())
        return self._move(actor, notice, "publish", {"published_at": self.clock.now()})

    def cancel(self, actor: str, notice_id: str, body: dict[str, Any]) -> dict[str, Any]:
        notice = self._get(notice_id, parse(WaterCutAction, body).version)
        return self._move(actor, notice, "cancel", {"cancelled_at": self.clock.now()})

    def restore(self, actor: str, notice_id: str, body: dict[str, Any]) -> dict[str, Any]:
        asked = parse(RestoreWaterCut, body)
        notice = self._get(notice_id, asked.version)
        now = self.clock.now()
        back = _epoch(asked.restored_at) if asked.restored_at is not None else now
        if back > now + RESTORE_AHEAD_S or back < int(notice.starts_at):
            raise ValidationError(
                "restored_at is between the cut's start and now (a cut that never began is cancelled)",
                "Thời điểm cấp nước lại phải sau lúc bắt đầu ngưng và không muộn hơn hiện tại.",
                field="restored_at",
            )
        return self._move(actor, notice, "restore", {"restored_at": back})

    def notify(self, actor: str, notice_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Hand the current revision to the notifier again (its queueing failed, or messages went to the
        dead-letter queue): customers already told are not told again."""
        notice = self._get(notice_id, parse(WaterCutAction, body).version)
        if int(notice.revision) < 1:
            raise _not_allowed(notice.status, "notifi")
        self._fan_out_start(notice.notice_id, int(notice.revision))
        logger.info("water cut notified again", extra={"notice_id": notice_id, "actor": actor})
        return _view(self._get(notice_id))

    def _move(self, actor: str, notice: WaterCutRecord, action: str, changes: dict[str, Any]) -> dict[str, Any]:
        try:
            step = rules.move(notice.status, int(notice.revision), action)
        except rules.NotAllowed as e:
            raise _not_allowed(e.status, e.action) from None
        now = self.clock.now()
        before = _shape(notice)
        merged = {**_fields(notice), **changes}
        until = rules.shown_until(step.status, int(merged["ends_at"]), merged.get("restored_at"))
        changes = {
            **changes,
            "status": step.status,
            "revision": step.revision,
            "updated_at": now,
            "updated_by": actor,
            "board": "live" if until is not None else None,
            "shown_until": until,
        }
        version = int(notice.version)
        after = _shape_of({**merged, **changes, "version": version + 1})
        audit = self._audit_entry(
            f"water_cut#{notice.notice_id}", actor, f"water_cut.{action}", to_json(before), to_json(after), now
        )
        try:
            self.store.change(notice.notice_id, changes, version, notice.status, audit)
        except WaterCutChanged:
            raise _changed() from None
        logger.info(
            "water cut changed",
            extra={"notice_id": notice.notice_id, "action": action, "revision": step.revision, "actor": actor},
        )
        if step.notifies:
            self._fan_out_start(notice.notice_id, step.revision)
        return _view(self._get(notice.notice_id))

    def _fan_out_start(self, notice_id: str, revision: int) -> None:
        """Queue the revision's first page. A failure leaves `queued_revision` behind `revision` (the view
        shows it; .../notify queues it again): the change itself stands, audited."""
        try:
            self.queue.enqueue(to_json(WaterCutFanOut(notice_id=notice_id, revision=revision)))
        except Exception:
            logger.exception("water cut not queued: use .../notify", extra={"notice_id": notice_id})
            return
        self.store.mark_queued(notice_id, revision)

    def _get(self, notice_id: str, version: int | None = None) -> WaterCutRecord:
        notice = self.store.get(notice_id, consistent=True) if WATER_CUT_ID_RE.fullmatch(notice_id or "") else None
        if notice is None:
            raise _not_found()
        if version is not None and int(notice.version) != version:
            raise _changed()
        return notice

    @staticmethod
    def _check_times(starts_at: int, ends_at: int, now: int) -> None:
        why = rules.check_times(starts_at, ends_at, now)
        if why is not None:
            raise ValidationError(
                why,
                "Thời gian ngưng cấp nước không hợp lệ (kết thúc phải sau bắt đầu, chưa qua, tối đa 30 ngày).",
                field="ends_at" if "ends_at" in why else "starts_at",
            )

    def _check_area(
        self, wards: Sequence[str], route_ids: Sequence[str], codes: Sequence[str], checked: set[str] | None = None
    ) -> None:
        if not (wards or route_ids or codes):
            raise ValidationError(
                "name the area: wards, route_ids or customer_codes",
                "Cần chọn khu vực: phường/xã, tuyến ghi hoặc mã khách hàng.",
                field="wards",
            )
        for ward in wards:
            if not rules.ward_key(ward) or len(ward) > WARD_MAX:
                raise ValidationError(
                    f"ward {ward[:60]!r} has no letter or digit", "Tên phường/xã không hợp lệ.", field="wards"
                )
        new_routes = [r for r in route_ids if r not in (checked or set())]
        missing = self.store.missing_routes(new_routes) if new_routes else []
        if missing:
            raise ValidationError(
                f"no such route: {', '.join(missing[:5])}",
                f"Không có tuyến ghi: {', '.join(missing[:5])}.",
                field="route_ids",
                code="ROUTE_NOT_FOUND",
            )

    # -- customers and the public -------------------------------------------------------------------------

    def mine(self, identity: Identity, requested: object) -> dict[str, Any]:
        """The current and upcoming notices affecting the caller's codes (or the one asked for, if linked);
        each names only the caller's codes it affects."""
        codes = _codes_of(identity, requested)
        now = self.clock.now()
        live = self.store.board(now) if codes else []
        if not live:
            return cast(dict[str, Any], to_json(MyWaterCuts(water_cuts=[])))
        wards = self.store.wards_of(codes)
        route_ids = {r for n in live for r in (n.route_ids or ())}
        routes = self.store.routes_with(route_ids, codes) if route_ids else {}
        out = []
        for n in sorted(live, key=lambda n: (n.starts_at, n.notice_id)):
            area = rules.Area.of(n.ward_keys or (), n.route_ids or (), n.customer_codes or ())
            ward_of = {c: (wards[c].ward_key if c in wards else None) for c in codes}
            affected = [c for c in codes if rules.affects(area, c, ward_of[c], routes.get(c, set()))]
            if affected:
                out.append(MyWaterCut(**_public_fields(n, now), customer_codes=affected))
        return cast(dict[str, Any], to_json(MyWaterCuts(water_cuts=out)))

    def public(self, ward: str | None) -> dict[str, Any]:
        """The public board: published notices, current or upcoming, that say where (a ward or the streets);
        `ward` (a name or its key) keeps those of one ward."""
        if ward is not None and (not rules.ward_key(ward) or len(ward) > WARD_MAX):
            raise ValidationError("ward: a ward's name or key", "Tên phường/xã không hợp lệ.", field="ward")
        now = self.clock.now()
        shown = [
            n
            for n in self.store.board(now)
            if (n.wards or n.area_note) and rules.public_ward_match(n.ward_keys or (), ward)
        ]
        shown.sort(key=lambda n: (n.starts_at, n.notice_id))
        return cast(
            dict[str, Any],
            to_json(PublicWaterCuts(water_cuts=[PublicWaterCut(**_public_fields(n, now)) for n in shown])),
        )

    # -- the worker ---------------------------------------------------------------------------------------

    def fan_out(self, notice_id: str, revision: int, source: int, key: object | None) -> str:
        """Hand out one page of the area of `revision`: 'queued' (and the next page queued), 'done',
        'superseded' (the notice moved on: its newer revision has its own fan-out) or 'unknown'."""
        notice = self.store.get(notice_id, consistent=True)
        if notice is None:
            return "unknown"
        if int(notice.revision) != revision:
            return "superseded"
        sources = (
            [("codes", "")]
            + [("ward", k) for k in (notice.ward_keys or ())]
            + [("route", r) for r in (notice.route_ids or ())]
        )
        if source >= len(sources):
            return "done"
        what, name = sources[source]
        next_key: object | None = None
        if what == "ward":
            if key is not None and not isinstance(key, dict):
                logger.warning("water cut fan-out with a bad key dropped", extra={"notice_id": notice_id})
                return "ignored"
            codes, next_key = self.store.ward_page(name, key, PAGE)
        else:
            offset = key if isinstance(key, int) and not isinstance(key, bool) else 0
            everyone = list(notice.customer_codes or ()) if what == "codes" else (self.store.route_codes(name) or [])
            codes = everyone[offset : offset + PAGE]
            next_key = offset + PAGE if offset + PAGE < len(everyone) else None
        bodies: list[dict[str, object]] = [
            to_json(WaterCutToSend(notice_id=notice_id, revision=revision, customer_code=c)) for c in codes
        ]
        batches = [bodies[i : i + 10] for i in range(0, len(bodies), 10)]
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            failed = sum(len(f) for f in pool.map(self.queue.enqueue_batch, batches))
        if failed:  # the whole page again: who has it already is not told twice
            raise DeliveryFailed(f"{failed} of {len(bodies)} water-cut messages not queued")
        if next_key is not None:
            following = WaterCutFanOut(notice_id=notice_id, revision=revision, source=source, key=next_key)
        elif source + 1 < len(sources):
            following = WaterCutFanOut(notice_id=notice_id, revision=revision, source=source + 1)
        else:
            following = None
        if following is not None:
            self.queue.enqueue(to_json(following))
        logger.info(
            "water cut page handed out",
            extra={"notice_id": notice_id, "revision": revision, "source": what, "count": len(codes)},
        )
        return "queued" if following is not None else "done"

    def send(self, notice_id: str, revision: int, code: str) -> str:
        """Tell one customer of one revision, once: 'sent', 'skipped', 'deferred' (quiet hours), what it
        already was, 'superseded' or 'unknown'. DeliveryBusy while another worker holds it; a failed channel
        raises (SQS retries; the channels that went out are not repeated)."""
        notice = self.store.get(notice_id, consistent=True)
        if notice is None or int(notice.revision) < 1:
            return "unknown"
        if int(notice.revision) != revision:
            return "superseded"
        key = f"{notice_id}#{revision}#{code}"
        done = self.store.delivery(key)
        if done is not None and done.status in ("sent", "skipped"):
            return done.status
        now = self.clock.now()
        if not self.store.take(key, code, now, now + LEASE_S, now + KEEP_S):
            again = self.store.delivery(key)
            if again is not None and again.status in ("sent", "skipped"):
                return again.status
            raise DeliveryBusy(f"delivery {notice_id}#{revision} held by another worker")
        try:
            # A delivery this worker created has sent nothing yet; one taken over may have (read it again).
            held = self.store.delivery(key) if done is not None else None
            return self._send_held(notice, revision, key, code, now, list(held.channels or ()) if held else [])
        except Exception:
            self.store.let_go(key, "sending")
            raise

    def _send_held(self, notice: WaterCutRecord, revision: int, key: str, code: str, now: int, done: list[str]) -> str:
        customer = self.store.customer(code)
        chosen = channels_for(customer) if customer is not None else []
        if customer is None or not chosen:
            self.store.finish(key, "skipped", now)
            return "skipped"
        event = rules.event_of(notice.status, revision)
        delay = rules.delay_seconds(notice.kind, event, now_vn(now), int(notice.starts_at), self.quiet)
        if delay:
            message = WaterCutToSend(notice_id=notice.notice_id, revision=revision, customer_code=code)
            self.queue.enqueue(to_json(message), delay)
            self.store.let_go(key, "deferred")
            return "deferred"
        restored_at = int(notice.restored_at) if notice.restored_at is not None else None
        delivered = send_on(
            self.notifier,
            customer,
            chosen,
            done,
            lambda channel: rules.compose(
                channel,
                event=event,
                kind=notice.kind,
                notice_id=notice.notice_id,
                revision=revision,
                customer_code=code,
                reason=notice.reason,
                starts_at=int(notice.starts_at),
                ends_at=int(notice.ends_at),
                restored_at=restored_at,
                sender=self.s.sms_sender_id,
            ),
            lambda channel: self.store.add_channel(key, channel),
            "water-cut channel unavailable",
        )
        self.store.finish(key, "sent" if delivered else "skipped", self.clock.now())
        return "sent" if delivered else "skipped"


# -- views --------------------------------------------------------------------------------------------------

_FIELDS = (
    "notice_id",
    "kind",
    "status",
    "revision",
    "version",
    "reason",
    "area_note",
    "starts_at",
    "ends_at",
    "wards",
    "ward_keys",
    "route_ids",
    "customer_codes",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "published_at",
    "restored_at",
    "cancelled_at",
    "queued_revision",
)


def _fields(n: WaterCutRecord | NewWaterCut) -> dict[str, Any]:
    return {name: getattr(n, name, None) for name in _FIELDS}


def _opt_int(value: object) -> int | None:
    return None if value is None else int(cast(float, value))


def _shape_of(f: dict[str, Any]) -> WaterCutView:
    return WaterCutView(
        notice_id=f["notice_id"],
        kind=cast(WaterCutKind, f["kind"]),
        status=cast(WaterCutStatus, f["status"]),
        revision=int(f["revision"] or 0),
        version=int(f["version"]),
        reason=f["reason"],
        area_note=f["area_note"],
        starts_at=iso(f["starts_at"]),
        ends_at=iso(f["ends_at"]),
        wards=list(f["wards"] or ()),
        route_ids=list(f["route_ids"] or ()),
        customer_codes=list(f["customer_codes"] or ()),
        created_at=iso(f["created_at"]),
        created_by=f["created_by"],
        updated_at=iso(f["updated_at"]),
        updated_by=f["updated_by"],
        published_at=iso(f["published_at"]),
        restored_at=iso(f["restored_at"]),
        cancelled_at=iso(f["cancelled_at"]),
        queued_revision=_opt_int(f["queued_revision"]),
    )


def _shape(n: WaterCutRecord | NewWaterCut) -> WaterCutView:
    return _shape_of(_fields(n))


def _view(n: WaterCutRecord | NewWaterCut) -> dict[str, Any]:
    return cast(dict[str, Any], to_json(_shape(n)))


def _public_fields(n: WaterCutRecord, now: int) -> dict[str, Any]:
    """What anyone may read of a notice on the board: no customer code, no route, no manager."""
    return {
        "notice_id": n.notice_id,
        "kind": n.kind,
        "status": n.status,
        "reason": n.reason,
        "area_note": n.area_note,
        "wards": list(n.wards or ()),
        "starts_at": iso(n.starts_at),
        "ends_at": iso(n.ends_at),
        "restored_at": iso(n.restored_at),
        "current": n.status in rules.LIVE and int(n.starts_at) <= now < int(n.ends_at),
        "updated_at": iso(n.updated_at),
    }
