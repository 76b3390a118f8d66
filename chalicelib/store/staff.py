"""Field staff in DynamoDB: accounts bound to one device, their routes, and
what the staff's day needs of customers and invoices (errors mapped at this edge)."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from pynamodb.exceptions import DeleteError

from chalicelib.domain.readings import reading_day
from chalicelib.ports.common import ConditionFailed
from chalicelib.store.models import AccountModel, CustomerModel, InvoiceModel, RouteModel, RouteStopModel
from chalicelib.store.repositories import get_or_none, is_condition_failure, save_if, storage_errors, update_if

LOOKUP_THREADS = 8


class StaffStore:
    """DynamoDB access for the staff service."""

    @storage_errors
    def account(self, account_id: str) -> AccountModel | None:
        return get_or_none(AccountModel, account_id)

    @storage_errors
    def create_account(
        self, account_id: str, *, login: str, password_hash: str, now: int, full_name: str | None, branch: str | None
    ) -> bool:
        """A staff account, bound to no device yet; False if the login is taken."""
        account = AccountModel(
            account_id,
            role="staff",
            login=login,
            password_hash=password_hash,
            customer_codes=[],
            created_at=now,
            password_changed_at=now,
            failed_logins=0,
            locked_until=0,
            full_name=full_name,
            branch=branch,
        )
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
    def create_route(
        self,
        route_id: str,
        *,
        staff: str,
        period: str,
        branch: str | None,
        days: list[int],
        customer_codes: list[str],
        updated_at: int,
        updated_by: str,
    ) -> RouteModel:
        route = RouteModel(
            route_id,
            staff=staff,
            period=period,
            branch=branch,
            days=days,
            customer_codes=customer_codes,
            updated_at=updated_at,
            updated_by=updated_by,
        )
        route.save(condition=RouteModel.route_id.does_not_exist())
        self.write_stops(route, [])
        return route

    @storage_errors
    def update_route(self, route: RouteModel, changes: dict, now: int, actor: str) -> RouteModel:
        actions = [getattr(RouteModel, name).set(value) for name, value in changes.items()]
        actions += [RouteModel.updated_at.set(now), RouteModel.updated_by.set(actor)]
        before = list(route.customer_codes)
        if not update_if(route, actions, RouteModel.updated_at == route.updated_at):
            raise ConditionFailed()
        self.write_stops(route, [c for c in before if c not in set(route.customer_codes)])
        return route

    @storage_errors
    def write_stops(self, route: RouteModel, dropped: list[str]) -> None:
        """Each customer's stop on the route for its period (issue 18: self-reading's window and the
        invitations' index), kept with the route: an UpdateItem each (what the customer sent stays),
        and dropped customers' stops removed unless another route has taken them since."""
        read_on = reading_day(route.period, [int(d) for d in route.days])
        day = read_on.isoformat() if read_on else None

        def put(code: str) -> None:
            RouteStopModel(code, route.period).update(
                actions=[
                    RouteStopModel.route_id.set(route.route_id),
                    RouteStopModel.staff.set(route.staff),
                    RouteStopModel.read_on.set(day) if day else RouteStopModel.read_on.remove(),
                ]
            )

        def drop(code: str) -> None:
            try:
                RouteStopModel(code, route.period).delete(condition=RouteStopModel.route_id == route.route_id)
            except DeleteError as exc:
                if not is_condition_failure(exc):  # else another route took the customer meanwhile
                    raise

        codes = list(dict.fromkeys(route.customer_codes))
        if not codes and not dropped:
            return
        with ThreadPoolExecutor(max_workers=LOOKUP_THREADS) as pool:
            list(pool.map(put, codes))
            list(pool.map(drop, dropped))

    @storage_errors
    def stops(self, codes: list[str], period: str) -> dict[str, RouteStopModel]:
        """The customers' stops of the period (self-read, re-read asked): BatchGetItem."""
        keys = [(c, period) for c in dict.fromkeys(codes)]
        return {s.customer_code: s for s in RouteStopModel.batch_get(keys)} if keys else {}

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
