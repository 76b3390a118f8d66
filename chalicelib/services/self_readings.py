"""The customer's own meter reading (issue 18). In the SELF_READING_DAYS before its route's first
reading day, a customer may send the index of a linked code with a photo of the meter; the reading goes
through the staff's pipeline (the readings queue, services/readings.ReadingService.process, the same
rules) with source 'customer': billed if every rule passes, otherwise it waits for the staff's visit
(flagged, no bill). The staff's route shows it (skip or verify). A daily invitation, on the payment
reminders' channels and queue (quiet hours honoured), opens the window. No Chalice, no boto3.

The route's stop (store.models.RouteStopModel, written with the route) is what answers "when": one
BatchGetItem for this period and the next; the invitations read its `by_read_on` index."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from chalicelib.config import Settings
from chalicelib.domain import readings as rules
from chalicelib.domain import reminders as reminder_rules
from chalicelib.domain.identifiers import READING_ID_RE
from chalicelib.domain.messages import ReadingToBill, SelfReadingInvite
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import now_vn
from chalicelib.errors import Conflict, NotFound
from chalicelib.observability import logger
from chalicelib.ports.common import Clock, Publisher
from chalicelib.ports.field import ReadingRecord, Readings, RouteStopRecord, RouteStops
from chalicelib.ports.notices import Notifier, ReminderQueue, Reminders
from chalicelib.services.auth import linked_code
from chalicelib.services.delivery import channels_for, send_on
from chalicelib.services.photos import PhotoService
from chalicelib.services.readings import _reasons
from chalicelib.services.shapes_self_readings import (
    SelfReadingSent,
    SelfReadingState,
    SelfReadingStatus,
    SelfReadingView,
    SelfReadingWindow,
)

INVITE_LEVEL = "self_reading"
INVITE_PAGE = 200
RECLAIM_AFTER_S = 60


def invite_key(code: str, period: str) -> str:
    return f"selfread#{code}#{period}"


def _next_period(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def _not_open() -> Conflict:
    return Conflict(
        "self-reading is not open for this customer code today",
        "Hiện chưa đến thời gian tự ghi chỉ số cho mã khách hàng này.",
        code="SELF_READING_CLOSED",
    )


def _not_found() -> NotFound:
    return NotFound("no such reading", "Không tìm thấy chỉ số.", code="READING_NOT_FOUND")


class SelfReadingService:
    def __init__(
        self,
        *,
        settings: Settings,
        readings: Readings,
        stops: RouteStops,
        photos: PhotoService,
        publisher: Publisher,
        clock: Clock,
        notices: Reminders | None = None,
        queue: ReminderQueue | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.s = settings
        self.readings = readings
        self.stops = stops
        self.photos = photos
        self.publisher = publisher
        self.clock = clock
        self.notices = notices  # the reminders' records: each invitation once
        self.queue = queue
        self.notifier = notifier
        self.quiet = reminder_rules.QuietHours(tuple(settings.reminder_quiet_hours))

    # -- when ------------------------------------------------------------------------------------

    def _window(self, code: str, today: date) -> tuple[RouteStopRecord, tuple[date, date], date] | None:
        """The stop whose window is open today, else the next one to open (this period or the next)."""
        period = today.strftime("%Y-%m")
        found = []
        for _period, stop in sorted(self.stops.stops(code, [period, _next_period(period)]).items()):
            read_on = date.fromisoformat(stop.read_on) if stop.read_on else None
            window = rules.self_reading_window(read_on, self.s.self_reading_days) if read_on else None
            if read_on is None or window is None or today > window[1]:
                continue
            found.append((stop, window, read_on))
        opened = [f for f in found if f[1][0] <= today]
        chosen = opened or found
        return chosen[0] if chosen else None

    # -- the customer ----------------------------------------------------------------------------

    def state(self, identity: Identity, code: object) -> dict[str, Any]:
        """GET /v1/me/customers/{code}/readings."""
        code = linked_code(identity, code)
        today = now_vn(self.clock.now()).date()
        found = self._window(code, today)
        window = None
        latest = None
        if found is not None:
            stop, (opens, closes), read_on = found
            window = SelfReadingWindow(
                period=stop.period,
                read_on=read_on.isoformat(),
                opens_on=opens.isoformat(),
                closes_on=closes.isoformat(),
                open=opens <= today <= closes,
            )
            if stop.self_reading_id:
                item = self.readings.get(stop.self_reading_id)
                latest = _view(item) if item is not None else None
        answer: dict[str, Any] = to_json(SelfReadingState(customer_code=code, window=window, latest=latest))
        return answer

    def submit(self, identity: Identity, code: object, body: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/me/customers/{code}/readings: 202, queued; the same reading_id again answers the first."""
        code = linked_code(identity, code)
        sent = parse(SelfReadingSent, body)
        existing = self.readings.get(sent.reading_id, consistent=True)
        if existing is not None:
            return self._again(existing, code, sent)
        now = self.clock.now()
        today = now_vn(now).date()
        found = self._window(code, today)
        if found is None or not found[1][0] <= today <= found[1][1]:
            raise _not_open()
        stop = found[0]
        photo = self.photos.confirm("self_reading", code, sent.photo_id)  # 400 PHOTO_NOT_UPLOADED / PHOTO_INVALID
        existing = self.readings.create(
            sent.reading_id,
            staff=f"customer:{code}",  # never a staff login (USERNAME_RE has no ':'): no staff sees it
            device_imei=None,
            staff_branch=None,
            customer_code=code,
            period=stop.period,
            new_index=sent.new_index,
            read_at=now_vn(now).isoformat(timespec="seconds"),
            lat=None,
            lng=None,
            received_at=now,
            source="customer",
            account_id=identity.account_id,
            photo_id=photo.photo_id,
            photo_key=photo.key,
            photo_type=photo.content_type,
        )
        if existing is not None:  # sent twice at once: the other one stored it
            return self._again(existing, code, sent)
        self.stops.set_self(code, stop.period, sent.reading_id, "queued", sent.new_index)
        message = ReadingToBill(reading_id=sent.reading_id)
        self.publisher.publish(message.QUEUE, to_json(message))
        logger.info("self-reading queued", extra={"reading_id": sent.reading_id, "period": stop.period})
        item = self.readings.get(sent.reading_id, consistent=True)
        assert item is not None
        answer: dict[str, Any] = to_json(_view(item))
        return answer

    def _again(self, existing: ReadingRecord, code: str, sent: SelfReadingSent) -> dict[str, Any]:
        if (existing.source, existing.customer_code, int(existing.new_index), existing.photo_id) != (
            "customer",
            code,
            sent.new_index,
            sent.photo_id,
        ):
            raise Conflict(
                f"reading_id {sent.reading_id} was already used for another reading",
                f"reading_id {sent.reading_id} đã dùng cho một chỉ số khác.",
                code="READING_ID_REUSED",
            )
        if existing.status == "queued":  # perhaps never queued (a send that failed): the worker is idempotent
            message = ReadingToBill(reading_id=existing.reading_id)
            self.publisher.publish(message.QUEUE, to_json(message))
        answer: dict[str, Any] = to_json(_view(existing))
        return answer

    def get(self, identity: Identity, code: object, reading_id: str) -> dict[str, Any]:
        """GET /v1/me/customers/{code}/readings/{reading_id}: one of this code's own readings only."""
        code = linked_code(identity, code)
        item = self.readings.get(reading_id) if READING_ID_RE.match(reading_id or "") else None
        if item is None or item.source != "customer" or item.customer_code != code:
            raise _not_found()
        answer: dict[str, Any] = to_json(_view(item))
        return answer

    # -- the invitations ------------------------------------------------------------------------------

    def plan_invites(self, today: date | None = None) -> dict[str, Any]:
        """Daily: invite the customers whose window opens today (route read in SELF_READING_DAYS days),
        each (code, period) once: claimed in the reminders' records, then queued."""
        assert self.notices is not None and self.queue is not None
        today = today or now_vn(self.clock.now()).date()
        days = self.s.self_reading_days
        out: dict[str, Any] = {"today": today.isoformat(), "enqueued": 0, "already": 0}
        if days <= 0:
            return out
        read_on = today + timedelta(days=days)
        start: dict[str, Any] | None = None
        now = self.clock.now()
        while True:
            codes, start = self.stops.read_on(read_on.isoformat(), start, INVITE_PAGE)
            period = read_on.strftime("%Y-%m")
            bodies = []
            for code in codes:
                key = invite_key(code, period)
                if self.notices.claim(key, code, INVITE_LEVEL, now) or self.notices.stale_claims(
                    [key], now - RECLAIM_AFTER_S
                ):
                    bodies.append((key, to_json(SelfReadingInvite(customer_code=code, period=period))))
                else:
                    out["already"] += 1
            for i in range(0, len(bodies), 10):
                batch = bodies[i : i + 10]
                failed = set(self.queue.enqueue_batch([b for _, b in batch]))
                for n, (key, _) in enumerate(batch):
                    if n in failed:
                        self.notices.release(key)
                    else:
                        self.notices.mark_queued(key)
                        out["enqueued"] += 1
            if not start:
                break
        logger.info("self-reading invitations planned", extra=out)
        return out

    def send_invite(self, code: str, period: str) -> str:
        """The reminders worker's part: 'sent', 'skipped', 'deferred' (quiet hours), or what it was."""
        assert self.notices is not None and self.queue is not None and self.notifier is not None
        key = invite_key(code, period)
        reminder = self.notices.reminder(key)
        if reminder is None:
            return "unknown"
        if reminder.status in ("sent", "skipped"):
            return reminder.status
        stop = self.stops.stops(code, [period]).get(period)
        customer = self.notices.customer(code)
        today = now_vn(self.clock.now()).date()
        read_on = date.fromisoformat(stop.read_on) if stop is not None and stop.read_on else None
        window = rules.self_reading_window(read_on, self.s.self_reading_days) if read_on else None
        if (
            stop is None
            or stop.self_reading_id  # read already
            or window is None
            or today > window[1]
            or customer is None
            or customer.reminders_opt_out
        ):
            self.notices.set_status(key, "skipped")
            return "skipped"
        chosen = channels_for(customer)
        if not chosen:
            self.notices.set_status(key, "skipped")
            return "skipped"
        delay = self.quiet.delay_seconds(now_vn(self.clock.now()))
        if delay:
            self.queue.enqueue(to_json(SelfReadingInvite(customer_code=code, period=period)), delay)
            self.notices.set_status(key, "deferred")
            return "deferred"
        assert read_on is not None and window is not None
        link = _site(self.s.payment_link_base)
        compose: Callable[[str], reminder_rules.Message] = lambda channel: rules.invite_message(  # noqa: E731
            channel, customer_code=code, read_on=read_on, closes_on=window[1], link=link, sender=self.s.sms_sender_id
        )
        delivered = send_on(
            self.notifier,
            customer,
            chosen,
            reminder.channels or [],
            compose,
            lambda channel: self.notices.add_channel(key, channel) if self.notices is not None else None,
            "self-reading invitation channel unavailable",
        )
        self.notices.set_status(key, "sent" if delivered else "skipped", self.clock.now() if delivered else None)
        return "sent" if delivered else "skipped"


def _site(payment_link_base: str) -> str:
    """The website's address (where the payment links point)."""
    parts = urlsplit(payment_link_base)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else payment_link_base


def _view(item: ReadingRecord) -> SelfReadingView:
    status = item.status if item.status in ("queued", "billed", "flagged", "rejected") else "queued"
    reasons = _reasons(item)
    return SelfReadingView(
        reading_id=item.reading_id,
        customer_code=item.customer_code,
        period=item.period,
        new_index=int(item.new_index),
        read_at=item.read_at,
        status=cast(SelfReadingStatus, status),
        waits_for_visit=status in ("flagged", "rejected") and all(r.code != "ALREADY_READ" for r in reasons),
        reasons=reasons,
        invoice_id=item.invoice_id,
    )
