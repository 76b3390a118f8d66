"""Meter readings from the field: accepted at once (202), queued through SQS,
then judged by the reading rules and billed by the worker. The device's
reading_id makes every step idempotent. No Chalice, no boto3."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal, cast

from chalicelib.config import Settings
from chalicelib.domain import readings as rules
from chalicelib.domain.identifiers import READING_ID_RE
from chalicelib.domain.invoices import detail
from chalicelib.domain.messages import ReadingToBill
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import VN_TZ
from chalicelib.errors import AppError, Conflict, NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import AuditRecorder, Clock, Publisher
from chalicelib.ports.customers import Customers
from chalicelib.ports.field import ReadingRecord, Readings, RouteStops
from chalicelib.ports.invoices import InvoiceRecord, Invoices
from chalicelib.services.billing import BillingService, month_before
from chalicelib.services.photos import PhotoService
from chalicelib.services.shapes_field import (
    ReadingBatch,
    ReadingQueued,
    ReadingsAccepted,
    ReadingSent,
    ReadingStatus,
    ReadingView,
    Reason,
)
from chalicelib.services.shapes_self_readings import (
    ApproveReading,
    Evidence,
    HeldReading,
    HeldReadings,
    ReadingReviewed,
    RereadReading,
)

THRESHOLDS = rules.Thresholds()  # the field rules' defaults (the service reads them from the settings)


class ReadingService:
    def __init__(
        self,
        *,
        settings: Settings,
        readings: Readings,
        customers: Customers,
        invoices: Invoices,
        billing: BillingService,
        publisher: Publisher,
        clock: Clock,
        thresholds: rules.Thresholds | None = None,
        stops: RouteStops | None = None,
        photos: PhotoService | None = None,
        audit: AuditRecorder | None = None,
    ) -> None:
        self.s = settings
        self.readings = readings
        self.customers = customers
        self.invoices = invoices
        self.billing = billing
        self.publisher = publisher
        self.clock = clock
        self.thresholds = thresholds or thresholds_from(settings)
        self.stops = stops  # issue 18: the customers' stops (self-read, re-read asked)
        self.photos = photos  # issue 18: the meter photo, checked when the reading is judged
        self.audit = audit  # issue 18: a manager's review

    # -- the device sends ----------------------------------------------------

    def submit(self, identity: Identity, body: dict[str, Any]) -> dict[str, Any]:
        """One reading, or {readings: [...]} from a device that was offline."""
        parsed = parse(ReadingBatch, body).readings if "readings" in body else [parse(ReadingSent, body)]
        if len({p.reading_id for p in parsed}) != len(parsed):
            raise ValidationError(
                "a reading_id appears twice in the batch", "Trùng reading_id trong lô.", field="readings"
            )
        staff = identity.account_id.split(":", 1)[1]
        now = self.clock.now()
        results = []
        for p in parsed:
            existing = self.readings.create(
                p.reading_id,
                staff=staff,
                device_imei=identity.device or None,
                staff_branch=identity.branch or None,
                customer_code=p.customer_code,
                period=p.period,
                new_index=p.new_index,
                read_at=p.read_at,
                lat=p.lat,
                lng=p.lng,
                received_at=now,
                photo_id=p.photo_id,
            )
            if existing is None:
                results.append(ReadingQueued(reading_id=p.reading_id, status="queued", duplicate=False))
                self._queue(p.reading_id)
                continue
            if (existing.customer_code, existing.period, int(existing.new_index), existing.staff) != (
                p.customer_code,
                p.period,
                p.new_index,
                staff,
            ):
                raise Conflict(
                    f"reading_id {p.reading_id} was already used for another reading",
                    f"reading_id {p.reading_id} đã dùng cho một chỉ số khác.",
                    code="READING_ID_REUSED",
                )
            if existing.status == "queued":
                # Stored before but perhaps never queued (a send that failed): queue again; the worker is idempotent.
                self._queue(p.reading_id)
            status = cast(ReadingStatus, existing.status)  # the store holds only the states this service writes
            results.append(ReadingQueued(reading_id=p.reading_id, status=status, duplicate=True))
        answer: dict[str, Any] = to_json(ReadingsAccepted(accepted=len(results), readings=results))
        return answer

    def _queue(self, reading_id: str) -> None:
        message = ReadingToBill(reading_id=reading_id)
        self.publisher.publish(message.QUEUE, to_json(message))

    def get(self, identity: Identity, reading_id: str) -> dict[str, Any]:
        staff = identity.account_id.split(":", 1)[1]
        item = self.readings.get(reading_id) if READING_ID_RE.match(reading_id or "") else None
        if item is None or item.staff != staff:
            raise NotFound("no such reading", "Không tìm thấy chỉ số.", code="READING_NOT_FOUND")
        invoice = self.invoices.get(item.invoice_id) if item.invoice_id else None
        answer: dict[str, Any] = to_json(view(item, detail(invoice) if invoice is not None else None))
        return answer

    # -- the worker --------------------------------------------------------------

    def process(self, reading_id: str) -> str:
        """Judge and bill one queued reading. Safe to run twice: a reading that
        is no longer queued is left alone, and an invoice already written for
        it is recognised."""
        item = self.readings.get(reading_id, consistent=True)
        if item is None:
            logger.warning("reading not found; dropped", extra={"reading_id": reading_id})
            return "missing"
        if item.status != "queued":
            return item.status
        customer = self.customers.get(item.customer_code)
        if customer is None:
            return self._finish(
                item,
                "rejected",
                [rules.Reason("CUSTOMER_NOT_FOUND", "Không tìm thấy khách hàng.", "No such customer.")],
            )
        by_customer = item.source == "customer"
        if item.staff_branch and customer.branch and item.staff_branch != customer.branch:
            # Like cash: a worker reads only their own branch's meters (the customer's bill follows the reading).
            return self._finish(
                item,
                "rejected",
                [
                    rules.Reason(
                        "OUTSIDE_BRANCH",
                        "Khách hàng thuộc chi nhánh khác: không ghi chỉ số.",
                        "The customer belongs to another branch: the reading is not billed.",
                    )
                ],
            )
        invoice_id = f"INV-{item.customer_code}-{item.period.replace('-', '')}"
        current = self.invoices.get(invoice_id)
        if current is not None and current.reading_id == item.reading_id:
            # Billed by an earlier run that stopped before recording it: finish
            # what that run left undone (the customer's index moves forward only,
            # so this is a no-op when it had got that far).
            if current.period_end and current.new_index is not None:
                self.customers.advance_index(item.customer_code, int(current.new_index), current.period_end)
            return self._finish(
                item, "flagged" if current.field_collect == 0 and item.reasons else "billed", None, invoice=current
            )
        if by_customer and current is not None:
            # A customer's own reading never corrects a bill: the staff's reading (or an earlier one) stands.
            return self._finish(item, "rejected", [ALREADY_READ])
        # A second reading of the period corrects its invoice, paid or not (billing keeps what was paid).
        correction = current is not None
        read_on = date.fromisoformat(_vn_date(item.read_at))
        old_index: int | None
        last_read: date | None
        if current is not None:
            old_index, start = int(current.old_index), date.fromisoformat(current.period_start or _prev(read_on))
            last_read = start
        else:
            old_index = int(customer.last_index) if customer.last_index is not None else None
            last_read = date.fromisoformat(customer.last_read_on) if customer.last_read_on else None
            start = last_read or date.fromisoformat(_prev(read_on))
        if old_index is None:
            return self._finish(
                item,
                "rejected",
                [
                    rules.Reason(
                        "NO_PREVIOUS_INDEX",
                        "Chưa có chỉ số cũ của khách hàng: liên hệ văn phòng.",
                        "No previous index on file: call the office.",
                    )
                ],
            )
        history = [
            int(i.consumption_m3) for i in self.invoices.recent(item.customer_code, 4) if i.invoice_id != invoice_id
        ][:3]
        meter = rules.Meter(
            old_index=old_index,
            digits=int(customer.meter_digits or 5),
            last_read_on=last_read,
            replaced_on=date.fromisoformat(customer.meter_replaced_on) if customer.meter_replaced_on else None,
            start_index=int(customer.meter_start_index) if customer.meter_start_index is not None else None,
        )
        known_start = current is not None or last_read is not None
        decision = rules.evaluate(
            int(item.new_index),
            meter,
            history,
            customer.payment_channel or "cash",
            self.thresholds,
            read_on=read_on,
            cycle_days=(read_on - start).days if known_start else None,
        )
        if decision.status == "rejected":
            return self._finish(item, "rejected", decision.reasons)
        if read_on <= start:
            return self._finish(
                item,
                "rejected",
                [
                    rules.Reason(
                        "READ_BEFORE_LAST_READING",
                        "Ngày đọc không sau lần đọc trước.",
                        "Read on or before the last reading.",
                    )
                ],
            )
        if by_customer and decision.status != "billed":
            # Issue 18: a customer's reading is billed only if every rule passes; otherwise the staff reads it.
            return self._finish(item, "flagged", decision.reasons + [WAITS_FOR_VISIT])
        approved = item.reviewed_by is not None  # a manager approved this held reading: bill it as read
        if not by_customer and rules.needs_review(decision) and not approved:
            photo_problem = self._check_photo(item)
            if photo_problem is not None:
                self._ask_reread(item, photo_problem.message_vi)
                return self._finish(item, "rejected", decision.reasons + [photo_problem])
            held = [r.as_dict() for r in decision.reasons]
            consumption = int(decision.consumption or 0)
            if not self.readings.hold(
                item.reading_id, held, decision.old_index, consumption, start.isoformat(), self.clock.now()
            ):
                moved = self.readings.get(item.reading_id, consistent=True)  # another run got there first
                return moved.status if moved is not None else "missing"
            logger.info(
                "reading held for review",
                extra={"reading_id": item.reading_id, "reasons": [r.code for r in decision.reasons]},
            )
            return "held"
        if not by_customer:
            self._check_photo(item)  # evidence when there is one; a bad one only goes unshown
        actor = f"customer:{item.customer_code}" if by_customer else f"staff:{item.staff}"
        try:
            invoice = self.billing.issue(
                actor,
                customer,
                item.period,
                decision.old_index,
                int(item.new_index),
                read_on,
                start,
                consumption=decision.consumption,
                field_collect=1 if decision.collect_on_spot and not by_customer else 0,
                reading_id=item.reading_id,
                replace_unpaid=correction,
                # A photo or a flag: the invoice detail then shows them (evidence()); otherwise it need not look.
                evidence=bool(item.photo_id) or any(r.code not in NOT_EVIDENCE for r in decision.reasons),
            )
        except AppError as err:
            if err.status >= 500:
                raise  # the store is busy: let SQS retry
            return self._finish(item, "rejected", [rules.Reason(err.code, err.message_vi, err.message_en)])
        if current is None:
            self.customers.advance_index(item.customer_code, int(item.new_index), read_on.isoformat())
        else:
            # The corrected index replaces the misread one, unless a later reading has moved on since.
            self.customers.correct_index(
                item.customer_code, int(item.new_index), read_on.isoformat(), replaced_read_on=current.period_end
            )
        reasons, collect = decision.reasons, decision.collect_on_spot and not by_customer
        if collect and invoice["open_amount"] == 0:
            # The account's credit, or what was paid before a correction, covers it: no cash to take.
            reasons, collect = (
                reasons
                + [
                    rules.Reason(
                        "NOTHING_TO_COLLECT",
                        "Hoá đơn đã được thanh toán đủ: không thu tiền.",
                        "The invoice is already paid in full: no cash to collect.",
                    )
                ],
                False,
            )
        return self._finish(item, decision.status, reasons, invoice_id=invoice["invoice_id"], collect=collect)

    def _finish(
        self,
        item: ReadingRecord,
        status: str,
        reasons: Sequence[rules.Reason] | None,
        invoice: InvoiceRecord | None = None,
        invoice_id: str | None = None,
        collect: bool = False,
    ) -> str:
        if invoice is not None:
            invoice_id, collect = invoice.invoice_id, bool(invoice.field_collect)
        self.readings.finish(
            item.reading_id,
            status,
            [r.as_dict() for r in reasons] if reasons is not None else None,
            invoice_id,
            collect,
            self.clock.now(),
        )
        logger.info(
            "reading processed",
            extra={"reading_id": item.reading_id, "status": status, "reasons": [r.code for r in reasons or []]},
        )
        if self.stops is not None:
            if item.source == "customer":
                self.stops.set_self(item.customer_code, item.period, item.reading_id, status, int(item.new_index))
            elif status != "rejected":
                self.stops.set_reread(item.customer_code, item.period, None, None)  # a re-read asked is answered
        return status

    # -- issue 18: the meter photo, a manager's review -------------------------------------------

    def _check_photo(self, item: ReadingRecord) -> rules.Reason | None:
        """The reading's photo checked (and kept as its evidence): None, or why it cannot serve."""
        if item.photo_key:
            return None
        if not item.photo_id or self.photos is None:
            return PHOTO_REQUIRED
        try:
            photo = self.photos.confirm("reading", item.staff, item.photo_id)
        except ValidationError as err:
            return rules.Reason(err.code, f"{err.message_vi} Chụp lại ảnh đồng hồ và gửi lại.", err.message_en)
        self.readings.set_photo(item.reading_id, photo.key, photo.content_type)
        return None

    def _ask_reread(self, item: ReadingRecord, note: str | None) -> None:
        if self.stops is not None:
            self.stops.set_reread(item.customer_code, item.period, item.reading_id, note)

    def held(self, limit: object, cursor: object) -> dict[str, Any]:
        """GET /v1/admin/readings/held: the bills waiting for a manager, oldest first, with the photo."""
        size = _page_size(limit)
        items, next_cursor = self.readings.held(size, cursor if isinstance(cursor, str) and cursor else None)
        shown = HeldReadings(
            readings=[
                HeldReading(
                    reading_id=i.reading_id,
                    customer_code=i.customer_code,
                    period=i.period,
                    staff=i.staff,
                    read_at=i.read_at,
                    period_start=i.period_start,
                    old_index=_whole(i.old_index),
                    new_index=int(i.new_index),
                    consumption_m3=_whole(i.consumption_m3),
                    reasons=_reasons(i),
                    photo_url=self._photo_url(i),
                )
                for i in items
            ],
            next_cursor=next_cursor,
        )
        answer: dict[str, Any] = to_json(shown)
        return answer

    def approve(self, actor: str, reading_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Bill a held reading as read: held -> queued (once, audited), then judged and billed as the
        worker does (if that fails here, the reading is queued and the worker finishes it)."""
        note = parse(ApproveReading, body).note
        item = self._held(reading_id)
        reasons = list(item.reasons or [])
        if not self.readings.decide(reading_id, "queued", actor, note, self.clock.now(), reasons):
            raise _not_held()
        self._audit(actor, item, "reading.approve", note)
        try:
            status = self.process(reading_id)
        except Exception:
            self._queue(reading_id)  # the store was busy: the worker bills it (process is idempotent)
            raise
        done = self.readings.get(reading_id, consistent=True)
        invoice_id = done.invoice_id if done is not None else None
        return _reviewed(reading_id, status, invoice_id, actor)

    def reread(self, actor: str, reading_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """No bill: the reading is rejected with the manager's reason, the staff's route shows it to read
        again (audited)."""
        reason = parse(RereadReading, body).reason
        item = self._held(reading_id)
        reasons = list(item.reasons or []) + [
            {
                "code": "REREAD_REQUESTED",
                "message_vi": f"Quản lý yêu cầu đọc lại chỉ số: {reason}",
                "message_en": f"The manager asked for the meter to be read again: {reason}",
            }
        ]
        if not self.readings.decide(reading_id, "rejected", actor, reason, self.clock.now(), reasons):
            raise _not_held()
        self._audit(actor, item, "reading.reread", reason)
        self._ask_reread(item, reason)
        return _reviewed(reading_id, "rejected", None, actor)

    def _held(self, reading_id: str) -> ReadingRecord:
        item = self.readings.get(reading_id, consistent=True) if READING_ID_RE.match(reading_id or "") else None
        if item is None:
            raise NotFound("no such reading", "Không tìm thấy chỉ số.", code="READING_NOT_FOUND")
        if item.status != "held":
            raise _not_held()
        return item

    def _audit(self, actor: str, item: ReadingRecord, action: str, note: str | None) -> None:
        if self.audit is not None:
            self.audit(
                f"reading#{item.reading_id}",
                actor,
                action,
                {"status": "held", "reasons": [dict(r)["code"] for r in item.reasons or []]},
                {"note": note, "customer_code": item.customer_code, "period": item.period},
            )

    def _photo_url(self, item: ReadingRecord) -> str | None:
        if self.photos is None or not item.photo_key:
            return None
        return self.photos.url(item.photo_key, item.photo_type or "image/jpeg")

    def evidence(self, reading_id: str) -> dict[str, Any] | None:
        """What the invoice shows of the reading that billed it (issue 18): the meter photo and the rules'
        flags; None when there is neither. The caller has checked the invoice is the customer's."""
        item = self.readings.get(reading_id) if READING_ID_RE.match(reading_id or "") else None
        if item is None:
            return None
        reasons = [r for r in _reasons(item) if r.code not in NOT_EVIDENCE]
        if not item.photo_key and not reasons:
            return None
        shown = Evidence(
            reading_id=item.reading_id,
            source="customer" if item.source == "customer" else "staff",
            read_at=item.read_at,
            photo_url=self._photo_url(item),
            reasons=reasons,
            reviewed=item.reviewed_by is not None,
        )
        answer: dict[str, Any] = to_json(shown)
        return answer


ALREADY_READ = rules.Reason(
    "ALREADY_READ",
    "Kỳ này đã có chỉ số và hoá đơn: chỉ số khách hàng gửi không được dùng.",
    "This period is already read and billed: the customer's reading is not used.",
)
WAITS_FOR_VISIT = rules.Reason(
    "WAITS_FOR_STAFF_VISIT",
    "Chỉ số cần kiểm tra: nhân viên sẽ đọc đồng hồ khi đến, chưa lập hoá đơn.",
    "The reading needs checking: the staff reads the meter on its visit; no bill yet.",
)
PHOTO_REQUIRED = rules.Reason(
    "PHOTO_REQUIRED",
    "Chỉ số bất thường cần ảnh đồng hồ: chụp ảnh và đọc lại.",
    "An unusual reading needs a meter photo: take one and read it again.",
)
# The reasons an invoice's evidence leaves out: how it is paid is not why it is what it is.
NOT_EVIDENCE = frozenset({"PAYS_BY_BANK_TRANSFER", "PAYS_BY_AUTHORISED_DEBIT", "NOTHING_TO_COLLECT"})
HELD_PAGE_MAX = 100
ReviewedStatus = Literal["billed", "flagged", "rejected"]


def thresholds_from(settings: Settings) -> rules.Thresholds:
    """The reading rules' limits as configured (config.py, READING_*)."""
    return rules.Thresholds(
        drop_ratio=settings.reading_drop_percent / 100,
        spike_factor=float(settings.reading_spike_factor),
        spike_min_m3=settings.reading_spike_min_m3,
        cycle_min_days=settings.reading_cycle_min_days,
        cycle_max_days=settings.reading_cycle_max_days,
    )


def _not_held() -> Conflict:
    return Conflict(
        "this reading is not waiting for a review (decided already?)",
        "Chỉ số này không chờ duyệt (đã được xử lý?).",
        code="READING_NOT_HELD",
    )


def _page_size(limit: object) -> int:
    if limit in (None, ""):
        return 50
    try:
        size = int(str(limit))
    except ValueError:
        size = 0
    if not 1 <= size <= HELD_PAGE_MAX:
        raise ValidationError(
            f"limit must be 1 to {HELD_PAGE_MAX}", f"limit phải từ 1 đến {HELD_PAGE_MAX}.", field="limit"
        )
    return size


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def _reasons(item: ReadingRecord) -> list[Reason]:
    return [
        Reason(code=r["code"], message_vi=r["message_vi"], message_en=r.get("message_en"))
        for r in (dict(r) for r in (item.reasons or []))
    ]


def _reviewed(reading_id: str, status: str, invoice_id: str | None, actor: str) -> dict[str, Any]:
    shown = ReadingReviewed(
        reading_id=reading_id,
        status=cast(ReviewedStatus, status if status in ("billed", "flagged") else "rejected"),
        invoice_id=invoice_id,
        reviewed_by=actor,
    )
    answer: dict[str, Any] = to_json(shown)
    return answer


def view(item: ReadingRecord, invoice: dict[str, Any] | None = None) -> ReadingView:
    """The reading as the staff app sees it, with the invoice it billed (domain/invoices.detail) if any."""
    reasons = [
        Reason(code=r["code"], message_vi=r["message_vi"], message_en=r.get("message_en"))
        for r in (dict(r) for r in (item.reasons or []))
    ]
    collect = bool(item.collect_on_spot)
    return ReadingView(
        reading_id=item.reading_id,
        status=cast(ReadingStatus, item.status),
        customer_code=item.customer_code,
        period=item.period,
        new_index=int(item.new_index),
        read_at=item.read_at,
        reasons=reasons,
        invoice_id=item.invoice_id,
        collect_on_spot=collect,
        print="receipt" if collect else ("notice" if item.status in ("billed", "flagged") else "none"),
        why_not_collect=None
        if collect
        else (
            [r.message_vi for r in reasons]
            or (["Đang xử lý / still being processed"] if item.status == "queued" else [])
        ),
        invoice=invoice,
    )


def _vn_date(iso: str) -> str:
    """The day in Vietnam of an ISO instant with its offset."""
    return datetime.fromisoformat(iso).astimezone(VN_TZ).date().isoformat()


def _prev(d: date) -> str:
    return month_before(d).isoformat()
