"""Ports of the field work: meter readings, staff accounts bound to their device, the routes they
walk, and the KPI reads over them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from chalicelib.ports.customers import AccountRecord, CustomerRecord
from chalicelib.ports.invoices import InvoiceRecord

# -- records ---------------------------------------------------------------------------------


class ReadingRecord(Protocol):
    """A meter reading a device sent (store.models.ReadingModel)."""

    @property
    def reading_id(self) -> str: ...
    @property
    def staff(self) -> str: ...
    @property
    def device_imei(self) -> str | None: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def new_index(self) -> float: ...
    @property
    def read_at(self) -> str: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lng(self) -> float | None: ...
    @property
    def received_at(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def reasons(self) -> Sequence[Any] | None:
        """{code, message_vi, message_en} of each reason the rules gave."""

    @property
    def invoice_id(self) -> str | None: ...
    @property
    def collect_on_spot(self) -> float | None: ...
    @property
    def processed_at(self) -> float | None: ...
    @property
    def staff_branch(self) -> str | None: ...


class RouteRecord(Protocol):
    """Customers in visiting order, for one staff member, one period, on given days of the month."""

    @property
    def route_id(self) -> str: ...
    @property
    def staff(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def branch(self) -> str | None: ...
    @property
    def days(self) -> Sequence[float]: ...
    @property
    def customer_codes(self) -> Sequence[str]: ...
    @property
    def updated_at(self) -> float: ...
    @property
    def updated_by(self) -> str: ...


# -- stores ----------------------------------------------------------------------------------


class Readings(Protocol):
    """Readings by the device's id (store.readings.ReadingStore)."""

    def create(
        self,
        reading_id: str,
        *,
        staff: str,
        device_imei: str | None,
        staff_branch: str | None,
        customer_code: str,
        period: str,
        new_index: int,
        read_at: str,
        lat: float | None,
        lng: float | None,
        received_at: int,
    ) -> ReadingRecord | None:
        """Store a new reading, queued: None; if its id is taken, the stored one instead."""

    def get(self, reading_id: str, consistent: bool = False) -> ReadingRecord | None: ...

    def finish(
        self,
        reading_id: str,
        status: str,
        reasons: list[dict[str, str]] | None,
        invoice_id: str | None,
        collect: bool,
        now: int,
    ) -> None:
        """The worker's verdict: status, reasons (None: keep them), the invoice, cash on the spot or not."""


class StaffDirectory(Protocol):
    """Staff accounts, their devices and routes (store.staff.StaffStore). ConditionFailed: a route
    changed since it was read."""

    def account(self, account_id: str) -> AccountRecord | None: ...

    def create_account(
        self, account_id: str, *, login: str, password_hash: str, now: int, full_name: str | None, branch: str | None
    ) -> bool:
        """A staff account, unbound; False if the login is taken."""

    def bind_device(self, account_id: str, imei: str, version: str, now: int) -> bool:
        """Bind if no device is bound (or this one already is); False if another device won."""

    def touch(
        self, account_id: str, imei: str, now: int, version: str | None, lat: float | None, lng: float | None
    ) -> AccountRecord | None:
        """The account after recording the call; None if it is not bound to this device."""

    def unbind_device(self, account_id: str) -> str | None:
        """Clear the device and end its sessions: the device it had ('' if none), None if no such staff."""

    def staff_accounts(self) -> Sequence[AccountRecord]: ...

    def customers(self, codes: Iterable[str]) -> Mapping[str, CustomerRecord]: ...

    def route(self, route_id: str) -> RouteRecord | None: ...

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
    ) -> RouteRecord: ...

    def update_route(self, route: RouteRecord, changes: dict[str, object], now: int, actor: str) -> RouteRecord:
        """The route with `changes` (staff, days, customer_codes), if unchanged since read."""

    def routes_of(self, staff: str, period: str) -> Sequence[RouteRecord]: ...

    def invoices_of(
        self, codes: list[str], recent: int
    ) -> Mapping[str, tuple[Sequence[InvoiceRecord], Sequence[InvoiceRecord]]]:
        """Per customer: its newest invoices, and every unpaid one."""


class KpiReads(Protocol):
    """What a KPI report reads: Queries and BatchGetItem only (store.kpis.KpiStore)."""

    def staff_accounts(self) -> Sequence[AccountRecord]: ...

    def routes_and_readings(self, logins: list[str], period: str) -> tuple[Sequence[RouteRecord], set[str]]:
        """The period's routes of these staff, and the customers they read (any status)."""

    def invoices(self, ids: list[str]) -> Mapping[str, InvoiceRecord]: ...
