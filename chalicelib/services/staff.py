"""Field staff (seed 003, "ghi thu chung"): accounts bound to one device, a
minimum app version, what each device last reported, and the routes the
staff walk. No Chalice, no boto3: the store and the audit are handed in.

Each staff call costs one UpdateItem (`touch`), which is also where a device
that was re-bound away loses access. `routes/today` is one Query for the
routes, one BatchGetItem for the customers, one for their stops (issue 18: a
customer's own reading, a re-read asked) and two small Queries per customer
(recent invoices; unpaid invoices), run a few at a time."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, Literal, cast

from chalicelib.config import Settings
from chalicelib.domain import passwords
from chalicelib.domain.identifiers import APP_VERSION_RE, ROUTE_ID_RE, USERNAME_RE
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import iso
from chalicelib.errors import AppError, Conflict, Forbidden, NotFound, ValidationError
from chalicelib.ports.common import AuditRecorder, Clock, ConditionFailed
from chalicelib.ports.customers import AccountRecord, CustomerRecord
from chalicelib.ports.field import RouteRecord, RouteStopRecord, StaffDirectory
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.services.auth import AuthService
from chalicelib.services.shapes_field import (
    Consumption,
    CustomerCard,
    Device,
    Devices,
    DeviceStatus,
    Meter,
    NewRoute,
    NewStaff,
    PaymentChannel,
    RereadAsked,
    Route,
    RouteChange,
    RoutesToday,
    RouteToday,
    SelfRead,
    StaffCreated,
    StaffLogin,
    StaffUnbound,
    UnpaidInvoice,
)

# An IMEI is 15 digits; where Android hides it, the app sends its device id instead.
ACTIVE_SECONDS = 15 * 60
HISTORY_MONTHS = 3


class UpgradeRequired(AppError):
    status = 426
    code = "APP_UPDATE_REQUIRED"
    message_vi = "Phiên bản ứng dụng đã cũ. Vui lòng cập nhật ứng dụng."
    message_en = "This app version is too old; please update the app."


def device_not_bound() -> Forbidden:
    return Forbidden(
        "this account is bound to another device; ask an admin to re-bind",
        "Tài khoản này đã gắn với một thiết bị khác. Vui lòng liên hệ quản trị viên để gắn lại thiết bị.",
        code="DEVICE_NOT_BOUND",
    )


def _version_text(value: object, field: str) -> str:
    if not isinstance(value, str) or not APP_VERSION_RE.match(value.strip()):
        raise ValidationError(
            f"{field} must be a dotted version such as 1.4.2", "Phiên bản ứng dụng không hợp lệ.", field=field
        )
    return value.strip()


def parse_version(value: object, field: str = "app_version") -> tuple[int, ...]:
    parts = tuple(int(p) for p in _version_text(value, field).split("."))
    return parts + (0,) * (4 - len(parts))


def username(value: object, field: str = "username") -> str:
    if not isinstance(value, str) or not USERNAME_RE.match(value):
        raise ValidationError(f"{field}: 3-32 of a-z, 0-9, '.', '_', '-'", "Tên đăng nhập không hợp lệ.", field=field)
    return value


def position(lat: object, lng: object) -> tuple[float, float]:
    if (
        not isinstance(lat, (int, float))
        or isinstance(lat, bool)
        or not isinstance(lng, (int, float))
        or isinstance(lng, bool)
        or not (-90 <= lat <= 90 and -180 <= lng <= 180)
    ):
        raise ValidationError(
            "position must be latitude,longitude in degrees", "Toạ độ GPS không hợp lệ.", field="X-Geo"
        )
    return round(float(lat), 6), round(float(lng), 6)


def _num(value: float | None) -> float | None:
    return None if value is None else (int(value) if float(value).is_integer() else float(value))


def _whole(value: float | None) -> int | None:
    """A count the store holds as a number (an index, m³): whole, or None."""
    return None if value is None else int(value)


class StaffService:
    def __init__(
        self, *, settings: Settings, store: StaffDirectory, auth: AuthService, clock: Clock, audit: AuditRecorder
    ) -> None:
        self.s = settings
        self.store = store
        self.auth = auth
        self.clock = clock
        self.audit = audit

    # -- app version, login, device binding --------------------------------

    def check_app_version(self, value: object, field: str = "app_version") -> str:
        """426 for an app older than MIN_STAFF_APP_VERSION (or one that does not say)."""
        minimum = self.s.min_staff_app_version
        if value is None or value == "":
            raise self._too_old(minimum)
        version = _version_text(value, field)
        if parse_version(version) < parse_version(minimum):
            raise self._too_old(minimum)
        return version

    @staticmethod
    def _too_old(minimum: str) -> UpgradeRequired:
        return UpgradeRequired(
            f"this app version is too old; please update the app to {minimum} or later",
            f"Phiên bản ứng dụng đã cũ. Vui lòng cập nhật ứng dụng lên phiên bản {minimum} trở lên.",
        )

    def login(self, ip: str, body: dict[str, Any]) -> dict[str, Any]:
        request = parse(StaffLogin, body)
        version = self.check_app_version(request.app_version)
        return self.auth.staff_login(
            ip, request.username, request.password, request.device_imei, version, bind_device=self._bind
        )

    def _bind(self, account: AccountRecord, imei: str, version: str) -> None:
        """Called once the password is right: the first device binds (a
        conditional write, so two first logins cannot both bind); another is refused."""
        if account.device_imei and account.device_imei != imei:
            raise device_not_bound()
        if not self.store.bind_device(account.account_id, imei, version, self.clock.now()):
            raise device_not_bound()

    def touch(self, identity: Identity, app_version: str | None, lat: float | None, lng: float | None) -> str | None:
        """Every staff call: last seen, position and app version, in one
        UpdateItem that also requires the account to be bound to this device still.
        Returns the staff member's branch as the account holds it now."""
        if identity.role != "staff" or not identity.device:
            raise Forbidden()
        account = self.store.touch(identity.account_id, identity.device, self.clock.now(), app_version, lat, lng)
        if account is None:
            raise device_not_bound()
        return account.branch

    # -- managers: staff and devices ---------------------------------------

    def create_staff(self, actor: str, body: dict[str, Any]) -> dict[str, Any]:
        request = parse(NewStaff, body)
        login, full_name, branch = request.username, request.full_name, request.branch
        password = passwords.check_policy(request.password, login=login, min_length=self.s.password_min_length)
        if not self.store.create_account(
            f"staff:{login}",
            login=login,
            password_hash=passwords.hash_password(password, n=self.s.scrypt_n),
            now=self.clock.now(),
            full_name=full_name,
            branch=branch,
        ):
            raise Conflict(
                "a staff member with this username exists",
                "Tên đăng nhập của nhân viên đã tồn tại.",
                code="ALREADY_EXISTS",
                field="username",
            )
        self.audit(
            f"staff#{login}", actor, "staff.create", None, {"username": login, "full_name": full_name, "branch": branch}
        )
        created = StaffCreated(username=login, full_name=full_name, branch=branch, device_imei=None, status="unbound")
        answer: dict[str, Any] = to_json(created)
        return answer

    def rebind(self, actor: str, login: object) -> dict[str, Any]:
        """Free the account from its device; the next login binds a new one.
        Sessions of the old device end (the session epoch moves)."""
        login = username(login)
        before = self.store.unbind_device(f"staff:{login}")
        if before is None:
            raise _staff_not_found()
        self.audit(f"staff#{login}", actor, "staff.rebind", {"device_imei": before}, {"device_imei": None})
        unbound = StaffUnbound(username=login, device_imei=None, previous_device_imei=before, status="unbound")
        answer: dict[str, Any] = to_json(unbound)
        return answer

    def devices(self) -> dict[str, Any]:
        now = self.clock.now()
        out = []
        for a in sorted(self.store.staff_accounts(), key=lambda a: (a.branch or "", a.login)):
            status: DeviceStatus
            if not a.device_imei:
                status = "unbound"
            elif a.last_seen_at is not None and now - int(a.last_seen_at) <= ACTIVE_SECONDS:
                status = "active"
            else:
                status = "idle"
            out.append(
                Device(
                    device_imei=a.device_imei,
                    staff=a.login,
                    full_name=a.full_name,
                    branch=a.branch,
                    app_version=a.app_version,
                    last_lat=_num(a.last_lat),
                    last_lng=_num(a.last_lng),
                    last_seen_at=iso(a.last_seen_at),
                    status=status,
                )
            )
        answer: dict[str, Any] = to_json(Devices(devices=out, generated_at=iso(now)))
        return answer

    # -- managers: routes --------------------------------------------------

    def _staff(self, login: str) -> AccountRecord:
        account = self.store.account(f"staff:{login}")
        if account is None:
            raise ValidationError(
                "no staff member has this username", "Không tìm thấy nhân viên.", field="staff", code="UNKNOWN_STAFF"
            )
        return account

    def _known_customers(self, codes: list[str]) -> None:
        found = self.store.customers(codes)
        missing = [c for c in codes if c not in found]
        if missing:
            shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
            raise ValidationError(
                f"unknown customer codes: {shown}",
                f"Không tìm thấy mã khách hàng: {shown}",
                field="customer_codes",
                code="UNKNOWN_CUSTOMERS",
            )

    def create_route(self, actor: str, body: dict[str, Any]) -> dict[str, Any]:
        request = parse(NewRoute, body)
        period, days, codes = request.period, request.days, request.customer_codes
        staff = self._staff(request.staff)
        branch = request.branch or staff.branch
        self._known_customers(codes)
        route = self.store.create_route(
            f"RT-{period.replace('-', '')}-{staff.login}-{secrets.token_hex(3)}",
            staff=staff.login,
            period=period,
            branch=branch,
            days=days,
            customer_codes=codes,
            updated_at=self.clock.now(),
            updated_by=actor,
        )
        view: dict[str, Any] = to_json(_route(route))
        self.audit(f"route#{route.route_id}", actor, "route.create", None, view)
        return view

    def update_route(self, actor: str, route_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Reassign to another staff member, change the days, or replace the
        customer list; audited, and refused (409) if the route changed meanwhile."""
        request = parse(RouteChange, body)
        if request.staff is None and request.days is None and request.customer_codes is None:
            raise ValidationError(
                "give staff, customer_codes or days", "Vui lòng nhập nội dung cần thay đổi.", field="staff"
            )
        route = self.store.route(route_id) if ROUTE_ID_RE.match(route_id or "") else None
        if route is None:
            raise NotFound("no route has this id", "Không tìm thấy tuyến.", code="ROUTE_NOT_FOUND")
        before: dict[str, Any] = to_json(_route(route))
        changes: dict[str, object] = {}
        if request.staff is not None:
            changes["staff"] = self._staff(request.staff).login
        if request.days is not None:
            changes["days"] = request.days
        if request.customer_codes is not None:
            self._known_customers(request.customer_codes)
            changes["customer_codes"] = request.customer_codes
        try:
            route = self.store.update_route(route, changes, self.clock.now(), actor)
        except ConditionFailed:
            raise Conflict(
                "the route was changed meanwhile; read it again",
                "Tuyến vừa được người khác thay đổi. Vui lòng tải lại.",
                code="ROUTE_CHANGED",
            ) from None
        after: dict[str, Any] = to_json(_route(route))
        action = "route.reassign" if before["staff"] != after["staff"] else "route.update"
        self.audit(f"route#{route_id}", actor, action, before, after)
        return after

    # -- staff: today's route ----------------------------------------------

    def routes_today(self, identity: Identity) -> dict[str, Any]:
        today = self.clock.vn_now()
        period = today.strftime("%Y-%m")
        login = identity.account_id.split(":", 1)[1]
        routes = [r for r in self.store.routes_of(login, period) if today.day in {int(d) for d in r.days}]
        codes = [c for r in routes for c in r.customer_codes]
        customers = self.store.customers(codes)
        history = self.store.invoices_of([c for c in dict.fromkeys(codes) if c in customers], HISTORY_MONTHS + 1)
        stops = self.store.stops([c for c in codes if c in customers], period)  # issue 18: self-read, re-read
        shown = RoutesToday(
            staff=login,
            reading_period=period,
            day=today.date().isoformat(),
            generated_at=today.isoformat(timespec="seconds"),
            routes=[
                RouteToday(
                    **vars(_route(r)),
                    customers=[
                        _customer_card(i + 1, customers[c], *history.get(c, ([], [])), stop=stops.get(c))
                        for i, c in enumerate([c for c in r.customer_codes if c in customers])
                    ],
                )
                for r in routes
            ],
        )
        answer: dict[str, Any] = to_json(shown)
        return answer


def _staff_not_found() -> NotFound:
    return NotFound("no staff member has this username", "Không tìm thấy nhân viên.", code="STAFF_NOT_FOUND")


def _route(r: RouteRecord) -> Route:
    return Route(
        route_id=r.route_id,
        staff=r.staff,
        period=r.period,
        branch=r.branch,
        days=[int(d) for d in r.days],
        customer_codes=list(r.customer_codes),
        customer_count=len(r.customer_codes),
    )


def _customer_card(
    order: int,
    c: CustomerRecord,
    recent: Sequence[InvoiceRecord],
    unpaid: Sequence[InvoiceRecord],
    stop: RouteStopRecord | None = None,
) -> CustomerCard:
    billed = [i for i in recent if i.status != "cancelled"]
    old_index = c.last_index if c.last_index is not None else (billed[0].new_index if billed else None)
    return CustomerCard(
        order=order,
        customer_code=c.code,
        ledger_no=c.ledger_no,
        name=c.name,
        address=c.address,
        house_no=c.house_no,
        phone=c.phone,
        customer_class=c.customer_class,
        business_type=c.business_type,
        payment_channel=cast(PaymentChannel, c.payment_channel),  # the customer book takes only these
        meter=Meter(
            serial=c.meter_serial,
            size=c.meter_size,
            digits=int(c.meter_digits or 5),
            replaced_on=c.meter_replaced_on,
            start_index=_whole(c.meter_start_index),
        ),
        old_index=_whole(old_index),
        last_read_on=c.last_read_on,
        recent_consumption=[
            Consumption(period=i.period, consumption_m3=int(i.consumption_m3)) for i in billed[:HISTORY_MONTHS]
        ],
        unpaid_amount=sum(int(i.total) for i in unpaid),
        unpaid_invoices=[
            UnpaidInvoice(invoice_id=i.invoice_id, period=i.period, total=int(i.total), due_date=i.due_date)
            for i in sorted(unpaid, key=lambda i: i.period_key)
        ],
        self_reading=_self_read(stop),
        reread=RereadAsked(reading_id=stop.reread_reading_id, note=stop.reread_note)
        if stop is not None and stop.reread_reading_id
        else None,
    )


def _self_read(stop: RouteStopRecord | None) -> SelfRead | None:
    """The customer's own reading of the period: billed, the staff may skip the meter; else verify it."""
    if stop is None or not stop.self_reading_id or not stop.self_status:
        return None
    status = stop.self_status if stop.self_status in ("queued", "billed", "flagged", "rejected") else "queued"
    return SelfRead(
        reading_id=stop.self_reading_id,
        status=cast(Literal["queued", "billed", "flagged", "rejected"], status),
        new_index=_whole(stop.self_index),
        action="skip" if status == "billed" else "verify",
    )
