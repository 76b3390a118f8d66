"""The daily reconciliation with each bill-pay partner (docs/partners.md): our file of a day's payments,
the partner's own file, and the compare. No Chalice, no boto3.

- At 01:00 Vietnam time (jobs/partners.py) the previous day's payments of every partner are written to
  the bucket, `imports/partners/<id>/outgoing/<yyyy-mm-dd>.csv` (domain/partner_files.py: the format),
  one file per partner even on a day without payments. A partner can also fetch a day's file, as it
  stands then, with a signed GET (api/partners.py).
- The partner sends its own file of a day with a signed PUT: it is kept as
  `imports/partners/<id>/incoming/<yyyy-mm-dd>.csv` and its compare queued (the imports queue; the
  imports worker runs it). The compare reads our payments of that day as they stand (a payment that
  arrived after our file was written counts), and every difference goes to the suspense list as line
  '<id>#<txn>' (once: the same file again adds nothing) with reason PARTNER_ONLY, OURS_ONLY or
  AMOUNT_DIFFERS. The job counts them in the metric that raises the alarm; the full result is kept as
  `imports/partners/<id>/results/<day>.json`. Objects under `imports/` expire after 30 days.

A PARTNER_ONLY line resolved by hand posts the money as the partner's payment would have been
('partner#<id>#<txn>', services/statements.py), so a late retry of that payment finds it posted."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from chalicelib.domain import partner_files as rules
from chalicelib.domain.invoices import format_vnd
from chalicelib.domain.messages import PartnerFileToCompare
from chalicelib.domain.shapes import to_json
from chalicelib.domain.vntime import iso, now_vn
from chalicelib.errors import AppError, NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import Clock, Publisher
from chalicelib.ports.imports import Objects
from chalicelib.ports.money import NewStatementLine, StatementLines
from chalicelib.ports.partners import PartnerPaymentRecord, PartnerPayments, PartnerRecord, Partners
from chalicelib.services.shapes_partners import UploadAnswer

MAX_FILE_BYTES = 4_000_000  # a signed request's body: inside API Gateway's and Lambda's limits
OLDEST_DAY = timedelta(days=92)  # a quarter back: older days are settled with a person
CONTENT_TYPE = "text/csv"


class FileTooLarge(AppError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    message_vi = "Tệp gửi lên quá lớn."
    message_en = "The file is too large."


# Under imports/, whose objects expire after 30 days (docs/personal-data.md, Retention): the payments
# themselves are accounting records in DynamoDB; a day's file can be made again from them (our_file).
PREFIX = "imports/partners"


def outgoing_key(partner_id: str, day: str) -> str:
    return f"{PREFIX}/{partner_id}/outgoing/{day}.csv"


def incoming_key(partner_id: str, day: str) -> str:
    return f"{PREFIX}/{partner_id}/incoming/{day}.csv"


def result_key(partner_id: str, day: str) -> str:
    return f"{PREFIX}/{partner_id}/results/{day}.json"


class PartnerFileService:
    def __init__(
        self,
        *,
        partners: Partners,
        payments: PartnerPayments,
        lines: StatementLines,
        objects: Objects,
        publisher: Publisher,
        clock: Clock,
    ) -> None:
        self.partners = partners
        self.payments = payments
        self.lines = lines
        self.objects = objects
        self.publisher = publisher
        self.clock = clock

    # -- our side ----------------------------------------------------------------------------------

    def daily_files(self, day: str | None = None) -> dict[str, Any]:
        """Every partner's file of `day` (default: yesterday, Vietnam time) written to the bucket."""
        day = day or (now_vn(self.clock.now()).date() - timedelta(days=1)).isoformat()
        written, payments = [], 0
        for partner in self.partners.all():
            rows = self._rows(partner.partner_id, day)
            key = outgoing_key(partner.partner_id, day)
            self.objects.put(key, rules.daily_csv(rows), CONTENT_TYPE)
            written.append(key)
            payments += len(rows)
        logger.info("partner daily files written", extra={"day": day, "files": len(written), "payments": payments})
        return {"day": day, "files": written, "payments": payments}

    def our_file(self, partner: PartnerRecord, day: str) -> bytes:
        """A day's file as it stands now (the scheduled one is this, written after the day ended)."""
        return rules.daily_csv(self._rows(partner.partner_id, self._day(day)))

    def _rows(self, partner_id: str, day: str) -> list[rules.DailyRow]:
        return [_row(p) for p in sorted(self.payments.by_day(partner_id, day), key=lambda p: p.partner_txn_id)]

    # -- the partner's side ----------------------------------------------------------------------

    def upload(self, partner: PartnerRecord, day: str, data: bytes) -> dict[str, Any]:
        day = self._day(day)
        if len(data) > MAX_FILE_BYTES:
            raise FileTooLarge(
                f"a day's file is at most {MAX_FILE_BYTES:,} bytes", "Tệp đối soát tối đa 4 MB.", field="body"
            )
        try:
            rules.parse_file(data)  # refused now if it cannot be read at all; lines are checked by the compare
        except rules.PartnerFileError as exc:
            raise ValidationError(
                f"the file cannot be read: {exc} (docs/partners.md: the format)",
                "Không đọc được tệp đối soát (CSV UTF-8 có dòng tiêu đề partner_txn_id, amount...).",
                code="INVALID_PARTNER_FILE",
                field="body",
            ) from None
        key = incoming_key(partner.partner_id, day)
        self.objects.put(key, data, CONTENT_TYPE)
        message = PartnerFileToCompare(partner_id=partner.partner_id, day=day)
        self.publisher.publish(message.QUEUE, to_json(message))
        logger.info("partner file received", extra={"partner_id": partner.partner_id, "day": day, "bytes": len(data)})
        answer = UploadAnswer(partner_id=partner.partner_id, day=day, status="queued", object_key=key, bytes=len(data))
        return to_json(answer)  # type: ignore[no-any-return]

    def compare(self, partner_id: str, day: str) -> dict[str, Any]:
        """The partner's file of `day` against our payments of that day; differences to the suspense list."""
        key = incoming_key(partner_id, day)
        size = self.objects.size(key)
        if size is None:
            raise NotFound(f"no file {key}", "Không có tệp đối soát.", code="PARTNER_FILE_NOT_FOUND")
        data = self.objects.read(key, 0, min(size, MAX_FILE_BYTES + 1))
        try:
            parsed = rules.parse_file(data)
        except rules.PartnerFileError as exc:
            parsed = rules.ParsedFile(errors=[{"row": 1, "message": str(exc)}])
        ours = self._rows(partner_id, day)
        now = self.clock.now()
        differences, settled = [], 0
        for d in rules.compare(ours, parsed.lines):
            # A difference a manager has settled (posted by hand, or set aside with a note) stays settled.
            line = self.lines.line(f"{partner_id}#{d.partner_txn_id}")
            if line is not None and line.status in ("resolved", "ignored"):
                settled += 1
            else:
                differences.append(d)
        recorded = sum(self.lines.record(_line(partner_id, day, d, now)) for d in differences)
        result = {
            "partner_id": partner_id,
            "day": day,
            "compared_at": iso(now),
            "ours": sum(1 for r in ours if r.status == "paid"),
            "theirs": sum(1 for x in parsed.lines if x.status == "paid"),
            "differences": [
                {"partner_txn_id": d.partner_txn_id, "reason": d.reason, "ours": d.ours, "theirs": d.theirs}
                for d in differences
            ],
            "new_in_suspense": recorded,
            "settled": settled,
            "errors": parsed.errors[:100],
            "errors_count": len(parsed.errors),
        }
        self.objects.put(
            result_key(partner_id, day), json.dumps(result, ensure_ascii=False).encode("utf-8"), "application/json"
        )
        logger.info(
            "partner file compared",
            extra={
                "partner_id": partner_id,
                "day": day,
                "differences": len(differences),
                "new_in_suspense": recorded,
                "errors": len(parsed.errors),
            },
        )
        return result

    def _day(self, value: str) -> str:
        """A day of the reconciliation: YYYY-MM-DD, not after today nor more than OLDEST_DAY ago."""
        today = now_vn(self.clock.now()).date()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or ""):
                raise ValueError
            day = date.fromisoformat(value)
        except ValueError:
            raise ValidationError("day is YYYY-MM-DD", "Ngày phải có dạng YYYY-MM-DD.", field="day") from None
        if not today - OLDEST_DAY <= day <= today:
            raise ValidationError(
                "day is today or one of the 92 days before", "Ngày đối soát không hợp lệ.", field="day"
            )
        return day.isoformat()


def _row(p: PartnerPaymentRecord) -> rules.DailyRow:
    return rules.DailyRow(p.partner_txn_id, p.customer_code, int(p.amount), p.paid_at, p.receipt_no, p.status)


def _line(partner_id: str, day: str, d: rules.Difference, now: int) -> NewStatementLine:
    who = f"GD {d.partner_txn_id}" + (f", KH {d.customer_code}" if d.customer_code else "")
    if d.reason == rules.PARTNER_ONLY:
        text = f"Đối tác {partner_id} báo đã thu {format_vnd(d.theirs or 0)} ({who}); hệ thống không có giao dịch này"
    elif d.reason == rules.OURS_ONLY:
        text = f"Hệ thống đã ghi nhận {format_vnd(d.ours or 0)} ({who}); tệp của đối tác {partner_id} không có"
    else:
        text = f"{who}: hệ thống ghi {format_vnd(d.ours or 0)}, đối tác {partner_id} báo {format_vnd(d.theirs or 0)}"
    return NewStatementLine(
        f"{partner_id}#{d.partner_txn_id}",
        bank_code=partner_id,
        bank_ref=d.partner_txn_id,
        booked_on=day,
        amount=int(d.theirs if d.theirs is not None else d.ours or 0),
        description=text,
        import_id=f"PARTNER-{partner_id}-{day}",
        imported_at=now,
        status="suspense",
        reason=d.reason,
    )
