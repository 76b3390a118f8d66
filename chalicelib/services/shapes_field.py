"""The field staff's shapes, declared once (chalicelib/domain/shapes.py): the bodies the staff app
and the managers send, and the answers they get, for api/staff.py, api/readings.py and
api/collections.py. The services parse the bodies with these and build the answers from them;
api/openapi_staff.py, openapi_readings.py and openapi_collections.py document them from here.

The messages are the ones the hand checks gave, word for word: the staff app shows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain import photos
from chalicelib.domain.shapes import spec
from chalicelib.errors import ValidationError

MAX_AMOUNT = 10**12  # VND: the bound of a cash amount or a hand-over
MAX_BATCH = 100  # readings in one offline batch
MAX_ROUTE_CUSTOMERS = 3000  # seed 003: 2,757 customers per staff member a month
MAX_NAME = 100  # a staff member's name, a branch

ReadingStatus = Literal["queued", "billed", "flagged", "rejected", "held"]  # held: a manager reviews it
PaymentChannel = Literal["cash", "bank_transfer", "authorised_debit"]
DeviceStatus = Literal["active", "idle", "unbound"]
PrintKind = Literal["notice", "receipt"]
NoticeCode = Literal["ALREADY_PAID_ONLINE", "ALREADY_PAID_IN_CASH"]


# -- rules a pattern cannot state (shapes.spec(check=...)) ------------------------------------------


def _rounded(value: float) -> float:
    """A position to 6 decimals (0.1 m): DynamoDB refuses a number of magnitude below 1e-130."""
    return round(float(value), 6)


def _instant_with_offset(value: str) -> str:
    """An ISO 8601 instant that says its offset, as Python writes it back."""
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError("no offset")
    return instant.isoformat()


def _date_time(value: str) -> str:
    """An ISO 8601 date and time (without an offset it is Vietnam time: the service reads it so)."""
    datetime.fromisoformat(value)
    return value


def _real_day(value: str) -> str:
    """A day that exists (the pattern lets 2024-02-30 through)."""
    return date.fromisoformat(value).isoformat()


def _days(value: list[int]) -> list[int]:
    """Days of the month a route is walked: each once, in order."""
    return sorted(set(value))


def _name(value: str) -> str:
    """A name with something in it, kept without its surrounding blanks."""
    value = value.strip()
    if not 0 < len(value) <= MAX_NAME:
        raise ValueError("blank or too long")
    return value


def _visiting_order(codes: list[str]) -> list[str]:
    """Customer codes in visiting order, each a code and each once (their own words, as before)."""
    for code in codes:
        if not ids.CUSTOMER_CODE_RE.match(code):
            raise ValidationError(
                "customer_codes must be 6 to 12 digits",
                "Mã khách hàng phải gồm 6 đến 12 chữ số.",
                field="customer_codes",
            )
    if len(set(codes)) != len(codes):
        raise ValidationError(
            "a customer appears twice in customer_codes",
            "Một khách hàng xuất hiện hai lần trong tuyến.",
            field="customer_codes",
        )
    return codes


def _version(value: str) -> str | None:
    """The staff app's version, blanks around it ignored; an empty one is none (426, as when absent)."""
    if value == "":
        return None
    if not ids.APP_VERSION_RE.match(value.strip()):
        raise ValueError("not a dotted version")
    return value.strip()


# -- fields several shapes share ----------------------------------------------------------------------

_LOGIN_WORDS = ("{field}: 3-32 of a-z, 0-9, '.', '_', '-'", "Tên đăng nhập không hợp lệ.")
STAFF_LOGIN = spec(pattern=ids.USERNAME, example="ghithu01", message=_LOGIN_WORDS)
_NAME_DOC = {"minLength": 1, "maxLength": MAX_NAME, "pattern": r"\S"}
_DAYS = spec(
    min=1,
    items=spec(min=1, max=31),
    check=_days,
    description="days of the month the route is walked",
    message=(
        "days must be a non-empty list of days of the month (1-31)",
        "Ngày đi tuyến phải là danh sách ngày trong tháng (1-31).",
    ),
)
_CUSTOMER_CODES = spec(
    min=1,
    max=MAX_ROUTE_CUSTOMERS,
    check=_visiting_order,
    schema={"items": {"type": "string", "pattern": ids.CUSTOMER_CODE}, "uniqueItems": True},
    description="customer codes in visiting order, each once",
    message=(
        f"customer_codes must list 1 to {MAX_ROUTE_CUSTOMERS} customer codes in visiting order",
        "Danh sách khách hàng của tuyến không hợp lệ.",
    ),
)
_INVOICE_ID = spec(pattern=ids.INVOICE_ID, message=("invoice_id is required", "Thiếu mã hoá đơn hoặc mã không hợp lệ."))
_COLLECTION_ID = spec(
    pattern=ids.COLLECTION_ID,
    message=("collection_id: 8-64 of letters, digits, '_.:-'", "Mã thu (collection_id) không hợp lệ."),
)
_DAY = spec(
    pattern=r"^\d{4}-\d{2}-\d{2}$",
    format="date",
    check=_real_day,
    message=("date must be a date, YYYY-MM-DD", "Ngày phải có dạng YYYY-MM-DD."),
)
_HANDOVER_STAFF = spec(
    pattern=ids.USERNAME,
    example="ghithu01",
    message=("staff: the staff member's login", "Thiếu hoặc sai tên đăng nhập nhân viên."),
)
_DATE_TIME = spec(format="date-time")
_VND = spec(description="VND")


def _position(name: str, bound: int, *, reading: bool = False) -> dict[str, Any]:
    """A latitude or longitude in degrees, null or absent when the device has none."""
    words = (
        ("{field}: " + f"a number from -{bound} to {bound}", "{field}: " + f"phải là số từ -{bound} đến {bound}")
        if reading
        else (f"{name} must be a number between -{bound} and {bound}", f"Toạ độ {name} không hợp lệ.")
    )
    return spec(min=-bound, max=bound, check=_rounded, message=words)


# -- staff: login, today's route ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StaffLogin:
    """POST /v1/staff/login. Checked in this order; the app's version against the minimum after."""

    device_imei: str = field(
        metadata=spec(
            pattern=ids.DEVICE_IMEI,
            message=(
                "{field} must be the device's IMEI (15 digits) or device id",
                "Mã IMEI của thiết bị không hợp lệ.",
            ),
        )
    )
    app_version: str | None = field(
        default=None,
        metadata=spec(
            check=_version,
            schema={"pattern": ids.APP_VERSION},
            example="1.2.0",
            description="absent, empty or older than the minimum: 426 APP_UPDATE_REQUIRED",
            message=("{field} must be a dotted version such as 1.4.2", "Phiên bản ứng dụng không hợp lệ."),
        ),
    )
    username: str = field(
        metadata=spec(pattern=ids.USERNAME, message=("username is not valid", "Tên đăng nhập không hợp lệ."))
    )
    password: str = field(metadata=spec(min=1, max=128, message=("password is required", "Vui lòng nhập mật khẩu.")))


@dataclass(frozen=True, kw_only=True)
class Route:
    """Customers in visiting order, for one staff member, one billing period, on given days."""

    route_id: str = field(metadata=spec(pattern=ids.ROUTE_ID))
    staff: str
    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    branch: str | None
    days: list[int] = field(metadata=spec(min=1, items=spec(min=1, max=31)))
    customer_codes: list[str] = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    customer_count: int


@dataclass(frozen=True, kw_only=True)
class Meter:
    serial: str | None
    size: str | None = field(metadata=spec(example="DN15"))
    digits: int = field(metadata=spec(description="the index rolls over after 10^digits - 1"))
    replaced_on: str | None = field(metadata=spec(description="YYYY-MM-DD of the last meter change"))
    start_index: int | None = field(metadata=spec(description="the new meter's first index"))


@dataclass(frozen=True, kw_only=True)
class Consumption:
    period: str = field(metadata=spec(pattern=ids.PERIOD))
    consumption_m3: int


@dataclass(frozen=True, kw_only=True)
class UnpaidInvoice:
    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    period: str = field(metadata=spec(pattern=ids.PERIOD))
    total: int = field(metadata=_VND)
    due_date: str | None


@dataclass(frozen=True, kw_only=True)
class SelfRead:
    """The customer's own reading of the period: billed -> the staff may skip the meter; otherwise verify it."""

    reading_id: str = field(metadata=spec(pattern=ids.READING_ID))
    status: Literal["queued", "billed", "flagged", "rejected"]
    new_index: int | None
    action: Literal["skip", "verify"]


@dataclass(frozen=True, kw_only=True)
class RereadAsked:
    """A held reading a manager sent back: read the meter again, with a photo."""

    reading_id: str = field(metadata=spec(pattern=ids.READING_ID, description="the reading sent back"))
    note: str | None


@dataclass(frozen=True, kw_only=True)
class CustomerCard:
    """A customer of a route, what the app needs to read the meter and take cash offline."""

    order: int = field(metadata=spec(description="the visiting order, from 1"))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    ledger_no: str
    name: str
    address: str
    house_no: str | None
    phone: str | None
    customer_class: str
    business_type: str | None
    payment_channel: PaymentChannel
    meter: Meter
    old_index: int | None = field(metadata=spec(description="the last billed index"))
    last_read_on: str | None
    recent_consumption: list[Consumption] = field(metadata=spec(description="newest first, up to 3"))
    unpaid_amount: int = field(metadata=spec(description="VND, sum of the unpaid invoices"))
    unpaid_invoices: list[UnpaidInvoice]
    self_reading: SelfRead | None = field(
        default=None,
        metadata=spec(description="the customer sent its own reading this period (issue 18): skip or verify"),
    )
    reread: RereadAsked | None = field(
        default=None, metadata=spec(description="a manager asked to read this meter again (issue 18)")
    )


@dataclass(frozen=True, kw_only=True)
class RouteToday(Route):
    customers: list[CustomerCard]


@dataclass(frozen=True, kw_only=True)
class RoutesToday:
    """GET /v1/staff/routes/today."""

    staff: str
    reading_period: str = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    day: str = field(metadata=spec(format="date"))
    generated_at: str = field(metadata=_DATE_TIME)
    routes: list[RouteToday]


# -- managers: staff, devices, routes ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class NewStaff:
    """POST /v1/admin/staff. The password's policy (domain/passwords.py) is the service's, with its codes."""

    username: str = field(metadata=STAFF_LOGIN)
    full_name: str = field(
        metadata=spec(
            check=_name,
            schema=_NAME_DOC,
            message=(f"full_name is required (at most {MAX_NAME} characters)", "Vui lòng nhập họ tên."),
        )
    )
    branch: str = field(
        metadata=spec(
            check=_name,
            schema=_NAME_DOC,
            message=(f"branch is required (at most {MAX_NAME} characters)", "Vui lòng nhập chi nhánh."),
        )
    )
    password: str = field(
        metadata=spec(
            schema={"minLength": 8, "maxLength": 128},
            description="not a common password, nor the login; 400 WEAK_PASSWORD otherwise",
            message=("password must be a string", "Mật khẩu phải là chuỗi ký tự."),
        )
    )


@dataclass(frozen=True, kw_only=True)
class StaffCreated:
    username: str = field(metadata=spec(pattern=ids.USERNAME))
    full_name: str
    branch: str
    device_imei: str | None = field(metadata=spec(description="none yet: the first login binds one"))
    status: Literal["unbound"]


@dataclass(frozen=True, kw_only=True)
class StaffUnbound:
    username: str = field(metadata=spec(pattern=ids.USERNAME))
    device_imei: str | None
    previous_device_imei: str = field(metadata=spec(description="empty if none was bound"))
    status: Literal["unbound"]


@dataclass(frozen=True, kw_only=True)
class Device:
    device_imei: str | None
    staff: str
    full_name: str | None
    branch: str | None
    app_version: str | None
    last_lat: float | None
    last_lng: float | None
    last_seen_at: str | None = field(metadata=_DATE_TIME)
    status: DeviceStatus = field(metadata=spec(description="active: seen within 15 minutes"))


@dataclass(frozen=True, kw_only=True)
class Devices:
    """GET /v1/admin/devices."""

    devices: list[Device]
    generated_at: str = field(metadata=_DATE_TIME)


@dataclass(frozen=True, kw_only=True)
class NewRoute:
    """POST /v1/admin/routes. Checked in this order; the staff member and the customers must exist."""

    period: str = field(
        metadata=spec(
            pattern=ids.PERIOD,
            example="2026-11",
            message=("period must be YYYY-MM", "Kỳ hoá đơn phải có dạng YYYY-MM."),
        )
    )
    days: list[int] = field(metadata=_DAYS)
    customer_codes: list[str] = field(metadata=_CUSTOMER_CODES)
    staff: str = field(metadata=STAFF_LOGIN)
    branch: str | None = field(
        default=None,
        metadata=spec(
            check=_name,
            schema=_NAME_DOC,
            description="null or absent: the staff member's branch",
            message=(f"branch is required (at most {MAX_NAME} characters)", "Vui lòng nhập chi nhánh."),
        ),
    )


@dataclass(frozen=True, kw_only=True)
class RouteChange:
    """PUT /v1/admin/routes/{route_id}: what to change (at least one; null or absent: unchanged)."""

    staff: str | None = field(default=None, metadata=STAFF_LOGIN)
    days: list[int] | None = field(default=None, metadata=_DAYS)
    customer_codes: list[str] | None = field(default=None, metadata=_CUSTOMER_CODES)


# -- readings ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReadingSent:
    """A meter reading as the device sends it; its reading_id makes a send idempotent."""

    reading_id: str = field(
        metadata=spec(
            pattern=ids.READING_ID,
            message=("{field}: 8-64 of letters, digits, '_.:-'", "{field}: 8-64 ký tự chữ, số, '_.:-'"),
        )
    )
    customer_code: str = field(
        metadata=spec(
            pattern=ids.CUSTOMER_CODE, example="01031059", message=("{field}: 6-12 digits", "{field}: gồm 6-12 chữ số")
        )
    )
    period: str = field(
        metadata=spec(pattern=ids.PERIOD, example="2026-11", message=("{field}: YYYY-MM", "{field}: dạng YYYY-MM"))
    )
    new_index: int = field(
        metadata=spec(min=0, max=10**9 - 1, message=("{field}: a whole number of m³", "{field}: phải là số nguyên"))
    )
    read_at: str = field(
        metadata=spec(
            format="date-time",
            check=_instant_with_offset,
            message=("{field}: an ISO 8601 instant with its offset", "{field}: thời điểm ISO 8601 có múi giờ"),
        )
    )
    lat: float | None = field(default=None, metadata=_position("lat", 90, reading=True))
    lng: float | None = field(default=None, metadata=_position("lng", 180, reading=True))
    photo_id: str | None = field(
        default=None,
        metadata=spec(
            pattern=photos.PHOTO_ID,
            description="the meter photo (POST /v1/staff/photos, purpose reading): required for a spike, a drop "
            "or an unusual cycle, which hold the bill for a manager (issue 18)",
            message=("{field}: the photo_id an upload answered", "{field}: mã ảnh đã tải lên không hợp lệ"),
        ),
    )


@dataclass(frozen=True, kw_only=True)
class ReadingBatch:
    """POST /v1/staff/readings from a device that was offline: {readings: [...]}."""

    readings: list[ReadingSent] = field(
        metadata=spec(
            min=1,
            max=MAX_BATCH,
            # an item that is not an object, in the words the hand check used
            items=spec(message=("{field}.reading: must be an object", "{field}.reading: phải là một đối tượng")),
            message=(f"readings: 1 to {MAX_BATCH} readings", f"readings: từ 1 đến {MAX_BATCH} chỉ số."),
        )
    )


@dataclass(frozen=True, kw_only=True)
class ReadingQueued:
    reading_id: str = field(metadata=spec(pattern=ids.READING_ID))
    status: ReadingStatus
    duplicate: bool = field(metadata=spec(description="sent before: what became of it"))


@dataclass(frozen=True, kw_only=True)
class ReadingsAccepted:
    """POST /v1/staff/readings: 202."""

    accepted: int
    readings: list[ReadingQueued]


@dataclass(frozen=True, kw_only=True)
class Reason:
    """Why a reading was flagged or rejected, or why no cash may be taken (domain/readings.py)."""

    code: str
    message_vi: str
    message_en: str | None = field(default=None, metadata=spec(omit_none=True))


@dataclass(frozen=True, kw_only=True)
class ReadingView:
    """GET /v1/staff/readings/{reading_id}: what became of a reading."""

    reading_id: str = field(metadata=spec(pattern=ids.READING_ID))
    status: ReadingStatus
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    period: str = field(metadata=spec(pattern=ids.PERIOD))
    new_index: int
    read_at: str = field(metadata=spec(description="as the device sent it: ISO 8601 with its offset"))
    reasons: list[Reason] = field(metadata=spec(description="why it was flagged or rejected"))
    invoice_id: str | None
    collect_on_spot: bool
    print: Literal["receipt", "notice", "none"]
    why_not_collect: list[str] | None
    # domain/invoices.detail: the document states it (api/openapi_readings.py)
    invoice: object | None = field(
        default=None, metadata=spec(omit_none=True, description="the invoice it billed, once billed")
    )


# -- cash, prints, the day's reconciliation -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Collection:
    """POST /v1/staff/collections: cash taken for an invoice, once per collection_id."""

    collection_id: str = field(metadata=_COLLECTION_ID)
    invoice_id: str = field(metadata=_INVOICE_ID)
    amount: int = field(
        metadata=spec(
            min=1,
            max=MAX_AMOUNT,
            message=("amount must be a positive whole number of VND", "Số tiền phải là số nguyên dương (đồng)."),
        )
    )
    collected_at: str = field(
        metadata=spec(
            format="date-time",
            max=40,
            check=_date_time,
            description="within the last 7 days; without an offset, Vietnam time",
            message=("collected_at must be an ISO 8601 date and time", "Thời điểm thu (collected_at) không hợp lệ."),
        )
    )
    lat: float | None = field(default=None, metadata=_position("lat", 90))
    lng: float | None = field(default=None, metadata=_position("lng", 180))


@dataclass(frozen=True, kw_only=True)
class CreditNotice:
    """When cash went on the account: who paid the invoice meanwhile; keep it as credit or give it back."""

    code: NoticeCode = field(
        metadata=spec(description="who paid the invoice meanwhile: online (VNPay, bank) or another cash receipt")
    )
    message_en: str
    message_vi: str


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """A cash receipt, as the worker's app prints it."""

    collection_id: str = field(metadata=spec(pattern=ids.COLLECTION_ID))
    receipt_no: str = field(metadata=spec(example="GHITHU01-2026-000123"))
    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    amount: int = field(metadata=_VND)
    amount_text: str
    amount_in_words: str
    collected_at: str = field(metadata=_DATE_TIME)
    staff: str
    date: str = field(metadata=spec(format="date"))
    allocated: int = field(metadata=spec(min=0, description="of amount, applied to the invoice"))
    credited: int = field(
        metadata=spec(
            min=0,
            description="of amount, kept on the customer's account as credit: the invoice was paid meanwhile "
            "(taken off the next bill, or given back)",
        )
    )
    notice: CreditNotice | None = field(
        default=None,
        metadata=spec(
            omit_none=True,
            description="present when credited > 0: tell the worker (keep it on the account, or give the money back)",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class PrintRequest:
    """POST /v1/staff/prints; GET /v1/staff/invoices/{invoice_id}/print reads the same from its path and query."""

    invoice_id: str = field(metadata=_INVOICE_ID)
    kind: PrintKind = field(
        metadata=spec(message=("kind must be notice or receipt", "Loại phiếu phải là notice hoặc receipt."))
    )
    reason: str | None = field(
        default=None,
        metadata=spec(
            max=300,
            description="why no cash was taken (notice)",
            message=("reason: up to 300 characters", "Lý do tối đa 300 ký tự."),
        ),
    )
    collection_id: str | None = field(
        default=None,
        metadata=dict(_COLLECTION_ID, description="which cash receipt (kind receipt); absent: the invoice's latest"),
    )


@dataclass(frozen=True, kw_only=True)
class Printed:
    """What to print, and how often it was printed."""

    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    kind: PrintKind
    print_count: int
    reprint: bool | None = field(default=None, metadata=spec(omit_none=True, description="when counted: not the first"))
    text: str = field(metadata=spec(description="plain text for a 58 mm printer, 32 characters a line"))


@dataclass(frozen=True, kw_only=True)
class Handover:
    """POST /v1/admin/reconciliation/handover: the cash a staff member handed over for a day."""

    staff: str = field(metadata=_HANDOVER_STAFF)
    date: str = field(metadata=_DAY)
    handed_over: int = field(
        metadata=spec(
            min=0,
            max=MAX_AMOUNT,
            message=(
                "handed_over must be a whole, non-negative number of VND",
                "Số tiền nộp phải là số nguyên không âm (đồng).",
            ),
        )
    )
    note: str | None = field(
        default=None, metadata=spec(max=500, message=("note: up to 500 characters", "Ghi chú tối đa 500 ký tự."))
    )


@dataclass(frozen=True, kw_only=True)
class DayQuery:
    """The `date` of a reconciliation (its query; absent or empty: today, which the service fills in)."""

    date: str = field(metadata=_DAY)


@dataclass(frozen=True, kw_only=True)
class StaffDayQuery:
    """GET /v1/admin/reconciliation's query: whose day (the date as DayQuery)."""

    staff: str = field(metadata=_HANDOVER_STAFF)


@dataclass(frozen=True, kw_only=True)
class HandoverView:
    expected: int = field(metadata=spec(description="VND, the day's receipts"))
    handed_over: int = field(metadata=_VND)
    difference: int = field(metadata=spec(description="handed_over - expected"))
    received_by: str
    received_at: str = field(metadata=_DATE_TIME)
    note: str | None


@dataclass(frozen=True, kw_only=True)
class ReconciledReceipt:
    receipt_no: str
    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    amount: int = field(metadata=_VND)
    collected_at: str = field(metadata=_DATE_TIME)
    print_count: int
    credited: int = field(metadata=spec(min=0, description="of amount, kept on the customer's account as credit"))


@dataclass(frozen=True, kw_only=True)
class Reconciliation:
    """A staff member's receipts and cash for a day, and what an admin recorded of the hand-over."""

    staff: str
    date: str = field(metadata=spec(format="date"))
    count: int
    cash_total: int = field(metadata=_VND)
    cash_total_text: str
    receipts: list[ReconciledReceipt]
    handover: HandoverView | None
    not_handed_over: int = field(metadata=spec(description="VND: cash_total - handed_over"))
