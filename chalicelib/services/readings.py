"""Meter readings from the field: accepted at once (202), queued through SQS,
then judged by the reading rules and billed by the worker. The device's
reading_id makes every step idempotent. No Chalice, no boto3."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

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
from chalicelib.ports.common import Clock, Publisher
from chalicelib.ports.customers import Customers
from chalicelib.ports.field import ReadingRecord, Readings
from chalicelib.ports.invoices import InvoiceRecord, Invoices
from chalicelib.services.billing import BillingService, month_before
from chalicelib.services.shapes_field import (
    ReadingBatch,
    ReadingQueued,
    ReadingsAccepted,
    ReadingSent,
    ReadingStatus,
    ReadingView,
    Reason,
)

THRESHOLDS = rules.Thresholds()  # the field rules' defaults


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
        thresholds: rules.Thresholds = THRESHOLDS,
    ) -> None:
        self.s = settings
        self.readings = readings
        self.customers = customers
        self.invoices = invoices
        self.billing = billing
        self.publisher = publisher
        self.clock = clock
        self.thresholds = thresholds

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
        decision = rules.evaluate(
            int(item.new_index), meter, history, customer.payment_channel or "cash", self.thresholds, read_on=read_on
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
        try:
            invoice = self.billing.issue(
                f"staff:{item.staff}",
                customer,
                item.period,
                decision.old_index,
                int(item.new_index),
                read_on,
                start,
                consumption=decision.consumption,
                field_collect=1 if decision.collect_on_spot else 0,
                reading_id=item.reading_id,
                replace_unpaid=correction,
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
        reasons, collect = decision.reasons, decision.collect_on_spot
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
        return status


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
