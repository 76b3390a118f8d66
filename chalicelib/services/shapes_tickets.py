"""The service requests' shapes (issue 18), declared once (chalicelib/domain/shapes.py): what a customer
sends (`CreateTicket`, `TicketMessage`, `RateTicket`), what staff and managers send (`AssignTicket`,
`ChangeStatus`, `TicketMessage`), and the answers (`TicketView`, `TicketPage`, `TicketTypes`).
TicketService parses and builds them; api/openapi_tickets.py documents them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain import photos
from chalicelib.domain import tickets as rules
from chalicelib.domain.shapes import spec
from chalicelib.services.shapes_auth import CODE

TEXT_MAX = 2000
COMMENT_MAX = 500
PHOTOS_MAX = 5
PAGE_LIMIT_SCHEMA = {"type": "string", "pattern": r"^([1-9]|[1-9]\d|100)$", "description": "1-100 (20)"}
Status = rules.Status
Role = Literal["customer", "staff", "admin"]
EventKind = Literal["created", "message", "assigned", "status", "rated"]
_TYPE_KEY = r"^[a-z0-9_]{2,32}$"
_PHOTO_IDS = spec(
    max=PHOTOS_MAX,
    unique=True,
    items=spec(pattern=photos.PHOTO_ID),
    description="photos uploaded first (POST /v1/me/photos or /v1/staff/photos), named by their photo_id",
    message=(
        f"photo_ids: up to {PHOTOS_MAX} photo ids from the photo upload",
        f"Tối đa {PHOTOS_MAX} ảnh, mỗi ảnh là mã ảnh đã tải lên.",
    ),
)


def _text(most: int, name: str) -> dict[str, object]:
    def check(value: str) -> str:
        text = value.strip()
        if not 1 <= len(text) <= most:
            raise ValueError("length")
        return text

    return spec(
        check=check,
        schema={"minLength": 1, "maxLength": most},
        message=(f"{name}: 1 to {most} characters", f"Nội dung ({name}) từ 1 đến {most} ký tự."),
    )


def _position(name: str, bound: int) -> dict[str, object]:
    return spec(
        min=-bound,
        max=bound,
        message=(f"{name} must be a number between -{bound} and {bound}", f"Toạ độ {name} không hợp lệ."),
    )


# -- requests --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateTicket:
    """POST /v1/me/tickets: a request about one linked code. The kind says what else it needs
    (GET /v1/me/ticket-types: `requires`)."""

    customer_code: str = field(metadata=CODE)
    type: str = field(
        metadata=spec(
            pattern=_TYPE_KEY,
            description="a kind of request of GET /v1/me/ticket-types",
            message=("type must be a kind of request the utility takes", "Loại yêu cầu không hợp lệ."),
        )
    )
    description: str = field(metadata=_text(TEXT_MAX, "description"))
    request_id: str | None = field(
        default=None,
        metadata=spec(
            pattern=ids.IDEMPOTENCY_KEY,
            fullmatch=True,
            description="the app's own id of this request (or the Idempotency-Key header): sent again, the "
            "first ticket is answered and nothing changes",
            message=("request_id: 8-128 of letters, digits, '_.:-'", "Mã yêu cầu (request_id) không hợp lệ."),
        ),
    )
    photo_ids: list[str] = field(default_factory=list, metadata=_PHOTO_IDS)
    lat: float | None = field(default=None, metadata=_position("lat", 90))
    lng: float | None = field(default=None, metadata=_position("lng", 180))
    residents: int | None = field(
        default=None,
        metadata=spec(
            min=1,
            max=rules.RESIDENTS_MAX,
            description="household-size registration: the residents (nhân khẩu) of the household",
            message=(
                f"residents must be a whole number from 1 to {rules.RESIDENTS_MAX}",
                f"Số nhân khẩu phải từ 1 đến {rules.RESIDENTS_MAX}.",
            ),
        ),
    )
    invoice_id: str | None = field(
        default=None,
        metadata=spec(
            pattern=ids.INVOICE_ID,
            description="a complaint about a bill: the invoice (of this customer code)",
            message=("invoice_id is not an invoice id", "Mã hóa đơn không hợp lệ."),
        ),
    )


@dataclass(frozen=True, kw_only=True)
class TicketMessage:
    """A message on an open ticket: the customer's (POST /v1/me/tickets/{id}/messages) or a reply of staff
    or a manager (…/replies), with photos if any."""

    text: str = field(metadata=_text(TEXT_MAX, "text"))
    photo_ids: list[str] = field(default_factory=list, metadata=_PHOTO_IDS)


@dataclass(frozen=True, kw_only=True)
class AssignTicket:
    """Give the ticket to a field worker of its branch (again: to another one)."""

    assignee: str = field(
        metadata=spec(
            pattern=ids.USERNAME,
            fullmatch=True,
            description="a staff user name of the ticket's branch",
            message=("assignee must be a staff user name", "Nhân viên được giao không hợp lệ."),
        )
    )
    note: str | None = field(default=None, metadata=spec(max=TEXT_MAX))


@dataclass(frozen=True, kw_only=True)
class ChangeStatus:
    """Move the ticket on: in_progress, resolved or rejected (a reason required for the last two)."""

    status: Literal["in_progress", "resolved", "rejected"] = field(
        metadata=spec(message=("status must be in_progress, resolved or rejected", "Trạng thái không hợp lệ."))
    )
    reason: str | None = field(default=None, metadata=spec(max=TEXT_MAX))


@dataclass(frozen=True, kw_only=True)
class RateTicket:
    """POST /v1/me/tickets/{id}/rating: once, when it is resolved or rejected."""

    rating: int = field(
        metadata=spec(min=1, max=5, message=("rating must be 1 to 5", "Điểm đánh giá phải từ 1 đến 5."))
    )
    comment: str | None = field(default=None, metadata=spec(max=COMMENT_MAX))


# -- answers ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TicketTypeView:
    key: str = field(metadata=spec(pattern=_TYPE_KEY, example="leak"))
    name: str = field(metadata=spec(description="in the caller's language (Accept-Language)"))
    name_vi: str
    name_en: str
    sla_hours: int = field(metadata=spec(description="the target time: hours from the request to its closing"))
    requires: list[rules.Requirement] = field(
        metadata=spec(description="photo: photo_ids; position: lat and lng; residents; invoice_id")
    )


@dataclass(frozen=True, kw_only=True)
class TicketTypes:
    """GET /v1/me/ticket-types, GET /v1/admin/ticket-types: the kinds of request the utility takes."""

    types: list[TicketTypeView]


@dataclass(frozen=True, kw_only=True)
class PhotoLink:
    url: str = field(metadata=spec(description="shows the photo for 5 minutes"))


@dataclass(frozen=True, kw_only=True)
class TicketEvent:
    """One step of the ticket's history: made, a message, assigned, a status change, rated."""

    seq: int
    kind: EventKind
    by: Role = field(metadata=spec(description="who acted: the customer, a field worker or a manager"))
    actor: str | None = field(
        default=None, metadata=spec(omit_none=True, description="staff and managers only: the account id")
    )
    at: str = field(metadata=spec(format="date-time", description="Vietnam time (+07:00)"))
    text: str | None
    status_from: Status | None
    status_to: Status | None
    assignee: str | None
    photos: list[PhotoLink]


@dataclass(frozen=True, kw_only=True)
class TicketSummary:
    ticket_id: str = field(metadata=spec(pattern=ids.TICKET_ID))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    type: str
    type_name: str
    status: Status
    description: str
    created_at: str = field(metadata=spec(format="date-time"))
    updated_at: str = field(metadata=spec(format="date-time"))
    due_at: str = field(metadata=spec(format="date-time", description="the target time (the kind's SLA)"))
    overdue: bool = field(metadata=spec(description="still open past its target time"))
    closed_at: str | None = field(metadata=spec(format="date-time"))
    on_time: bool | None = field(metadata=spec(description="closed: by its target time; open: null"))
    rating: int | None
    branch: str | None = field(default=None, metadata=spec(omit_none=True, description="staff and managers"))
    assignee: str | None = field(default=None, metadata=spec(omit_none=True, description="staff and managers"))


@dataclass(frozen=True, kw_only=True)
class TicketView(TicketSummary):
    """A ticket in full: what was asked, its photos and position, and its history with the messages."""

    lat: float | None
    lng: float | None
    residents: int | None
    invoice_id: str | None
    reason: str | None = field(metadata=spec(description="why it was resolved or rejected"))
    rating_comment: str | None
    photos: list[PhotoLink]
    history: list[TicketEvent]


@dataclass(frozen=True, kw_only=True)
class TicketPage:
    """A page of tickets; `next_cursor` (null: the last page) asks for the next."""

    tickets: list[TicketSummary]
    next_cursor: str | None


@dataclass(frozen=True, kw_only=True)
class OverdueSweep:
    """What the overdue sweep counted (jobs/tickets.py)."""

    overdue: int
    at: str = field(metadata=spec(format="date-time"))
