"""Field staff (seed 003, "ghi thu chung"): accounts bound to one device, a
minimum app version, what each device last reported, and the routes the
staff walk. No Chalice, no boto3: the store and the audit are handed in.

Each staff call costs one UpdateItem (`touch`), which is also where a device
that was re-bound away loses access. `routes/today` is one Query for the
routes, one BatchGetItem for the customers and two small Queries per customer
(recent invoices; unpaid invoices), run a few at a time."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from chalicelib.config import Settings
from chalicelib.domain import passwords
from chalicelib.domain.tokens import Identity
from chalicelib.errors import AppError, Conflict, Forbidden, NotFound, ValidationError
from chalicelib.services.auth import USERNAME_RE, customer_code
from chalicelib.store.models import AccountModel, CustomerModel, InvoiceModel, RouteModel
from chalicelib.store.repositories import ConditionFailed, get_or_none, save_if, storage_errors, update_if

VERSION_RE = re.compile(r"^\d{1,4}(\.\d{1,4}){0,3}$")
# An IMEI is 15 digits; where Android hides it, the app sends its device id instead.
DEVICE_RE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ROUTE_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
ACTIVE_SECONDS = 15 * 60
MAX_ROUTE_CUSTOMERS = 3000  # seed 003: 2,757 customers per staff member a month
HISTORY_MONTHS = 3
LOOKUP_THREADS = 8


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


def parse_version(value: object, field: str = "app_version") -> tuple:
    if not isinstance(value, str) or not VERSION_RE.match(value.strip()):
        raise ValidationError(
            f"{field} must be a dotted version such as 1.4.2", "Phiên bản ứng dụng không hợp lệ.", field=field
        )
    parts = tuple(int(p) for p in value.strip().split("."))
    return parts + (0,) * (4 - len(parts))


def device_id(value: object, field: str = "device_imei") -> str:
    if not isinstance(value, str) or not DEVICE_RE.match(value):
        raise ValidationError(
            f"{field} must be the device's IMEI (15 digits) or device id",
            "Mã IMEI của thiết bị không hợp lệ.",
            field=field,
        )
    return value


def username(value: object, field: str = "username") -> str:
    if not isinstance(value, str) or not USERNAME_RE.match(value):
        raise ValidationError(f"{field}: 3-32 of a-z, 0-9, '.', '_', '-'", "Tên đăng nhập không hợp lệ.", field=field)
    return value


def position(lat: object, lng: object) -> tuple[float, float]:
    ok = (
        all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lng))
        and -90 <= lat <= 90
        and -180 <= lng <= 180
    )
    if not ok:
        raise ValidationError(
            "position must be latitude,longitude in degrees", "Toạ độ GPS không hợp lệ.", field="X-Geo"
        )
    return round(float(lat), 6), round(float(lng), 6)


def _text(body: dict, name: str, vi: str, max_len: int = 100, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value.strip()) <= max_len:
        raise ValidationError(f"{name} is required (at most {max_len} characters)", f"Vui lòng nhập {vi}.", field=name)
    return value.strip()


def _period(value: object) -> str:
    if not isinstance(value, str) or not PERIOD_RE.match(value):
        raise ValidationError("period must be YYYY-MM", "Kỳ hoá đơn phải có dạng YYYY-MM.", field="period")
    return value


def _days(value: object) -> list[int]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 31 for d in value)
    ):
        raise ValidationError(
            "days must be a non-empty list of days of the month (1-31)",
            "Ngày đi tuyến phải là danh sách ngày trong tháng (1-31).",
            field="days",
        )
    return sorted(set(value))


def _codes(value: object) -> list[str]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_ROUTE_CUSTOMERS:
        raise ValidationError(
            f"customer_codes must list 1 to {MAX_ROUTE_CUSTOMERS} customer codes in visiting order",
            "Danh sách khách hàng của tuyến không hợp lệ.",
            field="customer_codes",
        )
    codes = [customer_code(c, "customer_codes") for c in value]
    if len(set(codes)) != len(codes):
        raise ValidationError(
            "a customer appears twice in customer_codes",
            "Một khách hàng xuất hiện hai lần trong tuyến.",
            field="customer_codes",
        )
    return codes


def _iso(epoch: int | None, tz) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(int(epoch), tz).isoformat()


def _num(value):
    return None if value is None else (int(value) if float(value).is_integer() else float(value))


class StaffService:
    def __init__(self, *, settings: Settings, store, auth, clock, audit: Callable[..., None]) -> None:
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
        if parse_version(value, field) < parse_version(minimum):
            raise self._too_old(minimum)
        return value.strip()

    @staticmethod
    def _too_old(minimum: str) -> UpgradeRequired:
        return UpgradeRequired(
            f"this app version is too old; please update the app to {minimum} or later",
            f"Phiên bản ứng dụng đã cũ. Vui lòng cập nhật ứng dụng lên phiên bản {minimum} trở lên.",
        )

    def login(self, ip: str, body: dict) -> dict:
        imei = device_id(body.get("device_imei"))
        version = self.check_app_version(body.get("app_version"))
        return self.auth.staff_login(
            ip, body.get("username"), body.get("password"), imei, version, bind_device=self._bind
        )

    def _bind(self, account: AccountModel, imei: str, version: str) -> None:
        """Called once the password is right: the first device binds (a
        conditional write, so two first logins cannot both bind); another is refused."""
        if account.device_imei and account.device_imei != imei:
            raise device_not_bound()
        if not self.store.bind_device(account.account_id, imei, version, self.clock.now()):
            raise device_not_bound()
        account.device_imei = imei

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

    def create_staff(self, actor: str, body: dict) -> dict:
        login = username(body.get("username"))
        full_name = _text(body, "full_name", "họ tên")
        branch = _text(body, "branch", "chi nhánh")
        password = passwords.check_policy(body.get("password"), login=login, min_length=self.s.password_min_length)
        now = self.clock.now()
        account = AccountModel(
            f"staff:{login}",
            role="staff",
            login=login,
            password_hash=passwords.hash_password(password, n=self.s.scrypt_n),
            customer_codes=[],
            created_at=now,
            password_changed_at=now,
            failed_logins=0,
            locked_until=0,
            full_name=full_name,
            branch=branch,
        )
        if not self.store.create_account(account):
            raise Conflict(
                "a staff member with this username exists",
                "Tên đăng nhập của nhân viên đã tồn tại.",
                code="ALREADY_EXISTS",
                field="username",
            )
        view = {"username": login, "full_name": full_name, "branch": branch}
        self.audit(f"staff#{login}", actor, "staff.create", None, view)
        return dict(view, device_imei=None, status="unbound")

    def rebind(self, actor: str, login: object) -> dict:
        """Free the account from its device; the next login binds a new one.
        Sessions of the old device end (the session epoch moves)."""
        login = username(login)
        before = self.store.unbind_device(f"staff:{login}")
        if before is None:
            raise _staff_not_found()
        self.audit(f"staff#{login}", actor, "staff.rebind", {"device_imei": before}, {"device_imei": None})
        return {"username": login, "device_imei": None, "previous_device_imei": before, "status": "unbound"}

    def devices(self) -> dict:
        now = self.clock.now()
        tz = self.clock.vn_now().tzinfo
        out = []
        for a in sorted(self.store.staff_accounts(), key=lambda a: (a.branch or "", a.login)):
            if not a.device_imei:
                status = "unbound"
            elif a.last_seen_at is not None and now - int(a.last_seen_at) <= ACTIVE_SECONDS:
                status = "active"
            else:
                status = "idle"
            out.append(
                {
                    "device_imei": a.device_imei,
                    "staff": a.login,
                    "full_name": a.full_name,
                    "branch": a.branch,
                    "app_version": a.app_version,
                    "last_lat": _num(a.last_lat),
                    "last_lng": _num(a.last_lng),
                    "last_seen_at": _iso(a.last_seen_at, tz),
                    "status": status,
                }
            )
        return {"devices": out, "generated_at": _iso(now, tz)}

    # -- managers: routes --------------------------------------------------

    def _staff(self, value: object) -> AccountModel:
        login = username(value, "staff")
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

    def create_route(self, actor: str, body: dict) -> dict:
        period = _period(body.get("period"))
        days = _days(body.get("days"))
        codes = _codes(body.get("customer_codes"))
        staff = self._staff(body.get("staff"))
        branch = _text(body, "branch", "chi nhánh", required=False) or staff.branch
        self._known_customers(codes)
        route = RouteModel(
            f"RT-{period.replace('-', '')}-{staff.login}-{secrets.token_hex(3)}",
            staff=staff.login,
            period=period,
            branch=branch,
            days=days,
            customer_codes=codes,
            updated_at=self.clock.now(),
            updated_by=actor,
        )
        self.store.create_route(route)
        view = _route_view(route)
        self.audit(f"route#{route.route_id}", actor, "route.create", None, view)
        return view

    def update_route(self, actor: str, route_id: str, body: dict) -> dict:
        """Reassign to another staff member, change the days, or replace the
        customer list; audited, and refused (409) if the route changed meanwhile."""
        if not any(k in body for k in ("staff", "customer_codes", "days")):
            raise ValidationError(
                "give staff, customer_codes or days", "Vui lòng nhập nội dung cần thay đổi.", field="staff"
            )
        route = self.store.route(route_id) if ROUTE_ID_RE.match(route_id or "") else None
        if route is None:
            raise NotFound("no route has this id", "Không tìm thấy tuyến.", code="ROUTE_NOT_FOUND")
        before = _route_view(route)
        changes = {}
        if "staff" in body:
            changes["staff"] = self._staff(body["staff"]).login
        if "days" in body:
            changes["days"] = _days(body["days"])
        if "customer_codes" in body:
            codes = _codes(body["customer_codes"])
            self._known_customers(codes)
            changes["customer_codes"] = codes
        try:
            route = self.store.update_route(route, changes, self.clock.now(), actor)
        except ConditionFailed:
            raise Conflict(
                "the route was changed meanwhile; read it again",
                "Tuyến vừa được người khác thay đổi. Vui lòng tải lại.",
                code="ROUTE_CHANGED",
            ) from None
        after = _route_view(route)
        action = "route.reassign" if before["staff"] != after["staff"] else "route.update"
        self.audit(f"route#{route_id}", actor, action, before, after)
        return after

    # -- staff: today's route ----------------------------------------------

    def routes_today(self, identity: Identity) -> dict:
        today = self.clock.vn_now()
        period = today.strftime("%Y-%m")
        login = identity.account_id.split(":", 1)[1]
        routes = [r for r in self.store.routes_of(login, period) if today.day in {int(d) for d in r.days}]
        codes = [c for r in routes for c in r.customer_codes]
        customers = self.store.customers(codes)
        history = self.store.invoices_of([c for c in dict.fromkeys(codes) if c in customers], HISTORY_MONTHS + 1)
        return {
            "staff": login,
            "reading_period": period,
            "day": today.date().isoformat(),
            "generated_at": today.isoformat(timespec="seconds"),
            "routes": [
                dict(
                    _route_view(r),
                    customers=[
                        _customer_card(i + 1, customers[c], *history.get(c, ([], [])))
                        for i, c in enumerate([c for c in r.customer_codes if c in customers])
                    ],
                )
                for r in routes
            ],
        }


def _staff_not_found() -> NotFound:
    return NotFound("no staff member has this username", "Không tìm thấy nhân viên.", code="STAFF_NOT_FOUND")


def _route_view(r: RouteModel) -> dict:
    return {
        "route_id": r.route_id,
        "staff": r.staff,
        "period": r.period,
        "branch": r.branch,
        "days": [int(d) for d in r.days],
        "customer_codes": list(r.customer_codes),
        "customer_count": len(r.customer_codes),
    }


def _customer_card(order: int, c: CustomerModel, recent: list, unpaid: list) -> dict:
    billed = [i for i in recent if i.status != "cancelled"]
    old_index = c.last_index if c.last_index is not None else (billed[0].new_index if billed else None)
    return {
        "order": order,
        "customer_code": c.code,
        "ledger_no": c.ledger_no,
        "name": c.name,
        "address": c.address,
        "house_no": c.house_no,
        "phone": c.phone,
        "customer_class": c.customer_class,
        "business_type": c.business_type,
        "payment_channel": c.payment_channel,
        "meter": {
            "serial": c.meter_serial,
            "size": c.meter_size,
            "digits": int(c.meter_digits or 5),
            "replaced_on": c.meter_replaced_on,
            "start_index": _num(c.meter_start_index),
        },
        "old_index": _num(old_index),
        "last_read_on": c.last_read_on,
        "recent_consumption": [
            {"period": i.period, "consumption_m3": _num(i.consumption_m3)} for i in billed[:HISTORY_MONTHS]
        ],
        "unpaid_amount": sum(int(i.total) for i in unpaid),
        "unpaid_invoices": [
            {"invoice_id": i.invoice_id, "period": i.period, "total": int(i.total), "due_date": i.due_date}
            for i in sorted(unpaid, key=lambda i: i.period_key)
        ],
    }


class StaffStore:
    """DynamoDB access for the staff service (PynamoDB models; errors mapped at this edge)."""

    @storage_errors
    def account(self, account_id: str) -> AccountModel | None:
        return get_or_none(AccountModel, account_id)

    @storage_errors
    def create_account(self, account: AccountModel) -> bool:
        return save_if(account, AccountModel.account_id.does_not_exist())

    @storage_errors
    def bind_device(self, account_id: str, imei: str, version: str, now: int) -> bool:
        """Bind if no device is bound (or this one already is); False if another device won."""
        return update_if(
            AccountModel(account_id),
            [
                AccountModel.device_imei.set(imei),
                AccountModel.app_version.set(version),
                AccountModel.last_seen_at.set(now),
            ],
            AccountModel.account_id.exists()
            & (AccountModel.device_imei.does_not_exist() | (AccountModel.device_imei == imei)),
        )

    @storage_errors
    def touch(
        self, account_id: str, imei: str, now: int, version: str | None, lat: float | None, lng: float | None
    ) -> AccountModel | None:
        """The account as it is after the update (UpdateItem returns ALL_NEW, so
        the branch comes with no extra read); None if not bound to this device."""
        actions = [AccountModel.last_seen_at.set(now)]
        if version:
            actions.append(AccountModel.app_version.set(version))
        if lat is not None and lng is not None:
            actions += [AccountModel.last_lat.set(lat), AccountModel.last_lng.set(lng)]
        account = AccountModel(account_id)
        return account if update_if(account, actions, AccountModel.device_imei == imei) else None

    @storage_errors
    def unbind_device(self, account_id: str) -> str | None:
        """Clear the device and end its sessions: the device it had ('' if
        none), None if there is no such staff member."""
        account = self.account(account_id)
        if account is None or account.role != "staff":
            return None
        bound = account.device_imei
        condition = AccountModel.device_imei.does_not_exist() if not bound else AccountModel.device_imei == bound
        if not update_if(account, [AccountModel.device_imei.remove(), AccountModel.session_epoch.add(1)], condition):
            return self.unbind_device(account_id)  # bound meanwhile by a first login: clear that one
        return bound or ""

    @storage_errors
    def staff_accounts(self) -> list[AccountModel]:
        return list(AccountModel.by_role.query("staff"))

    @storage_errors
    def customers(self, codes: Iterable[str]) -> dict[str, CustomerModel]:
        codes = list(dict.fromkeys(codes))
        return {c.code: c for c in CustomerModel.batch_get(codes)} if codes else {}

    @storage_errors
    def route(self, route_id: str) -> RouteModel | None:
        return get_or_none(RouteModel, route_id, consistent_read=True)

    @storage_errors
    def create_route(self, route: RouteModel) -> None:
        route.save(condition=RouteModel.route_id.does_not_exist())

    @storage_errors
    def update_route(self, route: RouteModel, changes: dict, now: int, actor: str) -> RouteModel:
        actions = [getattr(RouteModel, name).set(value) for name, value in changes.items()]
        actions += [RouteModel.updated_at.set(now), RouteModel.updated_by.set(actor)]
        if not update_if(route, actions, RouteModel.updated_at == route.updated_at):
            raise ConditionFailed()
        return route

    @storage_errors
    def routes_of(self, staff: str, period: str) -> list[RouteModel]:
        return list(RouteModel.by_staff.query(staff, RouteModel.period == period))

    def invoices_of(self, codes: list[str], recent: int) -> dict[str, tuple[list, list]]:
        """Per customer: its newest invoices, and every unpaid one. Two small
        Queries per customer, a few customers at a time."""
        if not codes:
            return {}
        with ThreadPoolExecutor(max_workers=min(LOOKUP_THREADS, len(codes))) as pool:
            return dict(zip(codes, pool.map(lambda c: self._invoices_of(c, recent), codes)))

    @storage_errors
    def _invoices_of(self, code: str, recent: int) -> tuple[list, list]:
        newest = list(InvoiceModel.by_customer.query(code, scan_index_forward=False, limit=recent))
        unpaid = list(InvoiceModel.by_customer_status.query(f"{code}#unpaid"))
        return newest, unpaid
