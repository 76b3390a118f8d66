"""Issue 18's shapes for readings beyond the field visit, declared once: a customer's own meter reading
(api/me_readings.py), a manager's review of a held bill (api/reading_reviews.py), and the evidence an
invoice shows (services/shapes_invoices.CustomerInvoice.evidence)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain import photos
from chalicelib.domain.shapes import spec
from chalicelib.services.shapes_field import Reason

PHOTO_ID = spec(
    pattern=photos.PHOTO_ID,
    description="the photo_id of an upload (POST /v1/me/photos or /v1/staff/photos)",
    message=("{field}: the photo_id an upload answered", "{field}: mã ảnh đã tải lên không hợp lệ"),
)
SelfReadingStatus = Literal["queued", "billed", "flagged", "rejected"]
MAX_NOTE = 500


def _note(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("empty")
    return value


def _optional_note(value: str) -> str | None:
    return value.strip() or None  # a blank note is no note


# -- the customer -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SelfReadingSent:
    """POST /v1/me/customers/{code}/readings: the meter's index and its photo; reading_id (the app's)
    makes a send idempotent."""

    reading_id: str = field(
        metadata=spec(
            pattern=ids.READING_ID,
            message=("{field}: 8-64 of letters, digits, '_.:-'", "{field}: 8-64 ký tự chữ, số, '_.:-'"),
        )
    )
    new_index: int = field(
        metadata=spec(min=0, max=10**9 - 1, message=("{field}: a whole number of m³", "{field}: phải là số nguyên"))
    )
    photo_id: str = field(metadata=PHOTO_ID)


@dataclass(frozen=True, kw_only=True)
class SelfReadingWindow:
    """When this code's meter is read, and the days its customer may read it first."""

    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    read_on: str = field(metadata=spec(format="date", description="the route's first reading day"))
    opens_on: str = field(metadata=spec(format="date"))
    closes_on: str = field(metadata=spec(format="date"))
    open: bool = field(metadata=spec(description="a reading may be sent today"))


@dataclass(frozen=True, kw_only=True)
class SelfReadingView:
    """A customer's own reading and what became of it: billed if the reading rules pass; otherwise it
    waits for the staff visit (flagged, no bill)."""

    reading_id: str = field(metadata=spec(pattern=ids.READING_ID))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    period: str = field(metadata=spec(pattern=ids.PERIOD))
    new_index: int
    read_at: str = field(metadata=spec(format="date-time", description="when the server received it (+07:00)"))
    status: SelfReadingStatus
    waits_for_visit: bool = field(metadata=spec(description="not billed: the staff reads the meter on its visit"))
    reasons: list[Reason]
    invoice_id: str | None = field(metadata=spec(pattern=ids.INVOICE_ID))


@dataclass(frozen=True, kw_only=True)
class SelfReadingState:
    """GET /v1/me/customers/{code}/readings: the window, and the latest reading the customer sent."""

    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    window: SelfReadingWindow | None = field(metadata=spec(description="null: the code is on no route soon"))
    latest: SelfReadingView | None


# -- managers -------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HeldReading:
    """A field reading whose bill waits for a manager: a spike, a drop or an unusual cycle, with its photo."""

    reading_id: str = field(metadata=spec(pattern=ids.READING_ID))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    period: str = field(metadata=spec(pattern=ids.PERIOD))
    staff: str
    read_at: str
    period_start: str | None = field(metadata=spec(format="date", description="the cycle starts after this day"))
    old_index: int | None
    new_index: int
    consumption_m3: int | None
    reasons: list[Reason]
    photo_url: str | None = field(metadata=spec(description="a link to the meter photo, valid 5 minutes"))


@dataclass(frozen=True, kw_only=True)
class HeldReadings:
    """GET /v1/admin/readings/held: oldest first."""

    readings: list[HeldReading]
    next_cursor: str | None


@dataclass(frozen=True, kw_only=True)
class ApproveReading:
    """POST /v1/admin/readings/{reading_id}/approve: bill it as read."""

    note: str | None = field(
        default=None,
        metadata=spec(
            check=_optional_note, max=MAX_NOTE, message=(f"note: at most {MAX_NOTE} characters", "Ghi chú quá dài.")
        ),
    )


@dataclass(frozen=True, kw_only=True)
class RereadReading:
    """POST /v1/admin/readings/{reading_id}/reread: no bill; the staff reads the meter again."""

    reason: str = field(
        metadata=spec(
            check=_note,
            pattern=r"^\s*\S",  # something to read, not only spaces
            min=1,
            max=MAX_NOTE,
            message=(f"reason: 1 to {MAX_NOTE} characters", f"Vui lòng nhập lý do (tối đa {MAX_NOTE} ký tự)."),
        )
    )


@dataclass(frozen=True, kw_only=True)
class ReadingReviewed:
    """What a manager's decision did."""

    reading_id: str = field(metadata=spec(pattern=ids.READING_ID))
    status: Literal["billed", "flagged", "rejected"] = field(
        metadata=spec(description="approved: billed (or flagged, billed without cash); re-read: rejected")
    )
    invoice_id: str | None
    reviewed_by: str


# -- the invoice ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """Why this bill is what it is: the meter photo and what the reading rules said (issue 18)."""

    reading_id: str = field(metadata=spec(pattern=ids.READING_ID))
    source: Literal["staff", "customer"]
    read_at: str
    photo_url: str | None = field(metadata=spec(description="the meter photo, a link valid 5 minutes"))
    reasons: list[Reason] = field(metadata=spec(description="a spike, a drop, an unusual cycle: what was checked"))
    reviewed: bool = field(metadata=spec(description="a manager looked at the photo before the bill was issued"))
