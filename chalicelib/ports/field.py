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
    @property
    def source(self) -> str | None:
        """'customer' for a customer's own reading; None: the field staff's."""

    @property
    def account_id(self) -> str | None: ...
    @property
    def photo_id(self) -> str | None: ...
    @property
    def photo_key(self) -> str | None: ...
    @property
    def photo_type(self) -> str | None: ...
    @property
    def old_index(self) -> float | None: ...
    @property
    def consumption_m3(self) -> float | None: ...
    @property
    def period_start(self) -> str | None: ...
    @property
    def review(self) -> str | None: ...
    @property
    def reviewed_by(self) -> str | None: ...
    @property
    def reviewed_at(self) -> float | None: ...
    @property
    def review_note(self) -> str | None: ...


class RouteStopRecord(Protocol):
    """A customer on a route for one period (store.models.RouteStopModel)."""

    @property
    def customer_code(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def route_id(self) -> str: ...
    @property
    def staff(self) -> str: ...
    @property
    def read_on(self) -> str | None: ...
    @property
    def self_reading_id(self) -> str | None: ...
    @property
    def self_status(self) -> str | None: ...
    @property
    def self_index(self) -> float | None: ...
    @property
    def reread_reading_id(self) -> str | None: ...
    @property
    def reread_note(self) -> str | None: ...


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
        source: str | None = None,
        account_id: str | None = None,
        photo_id: str | None = None,
        photo_key: str | None = None,
        photo_type: str | None = None,
    ) -> ReadingRecord | None:
        """Store a new reading, queued: None; if its id is taken, the stored one instead."""

    def get(self, reading_id: str, consistent: bool = False) -> ReadingRecord | None: ...

    def set_photo(self, reading_id: str, photo_key: str, photo_type: str) -> None:
        """The reading's photo, checked (its evidence)."""

    def hold(
        self, reading_id: str, reasons: list[Any], old_index: int, consumption: int, period_start: str, now: int
    ) -> bool:
        """Queued -> held for a manager's review; False if it had moved on."""

    def held(self, limit: int, cursor: str | None) -> tuple[Sequence[ReadingRecord], str | None]:
        """A page of held readings, oldest first, and the next page's cursor."""

    def decide(self, reading_id: str, status: str, actor: str, note: str | None, now: int, reasons: list[Any]) -> bool:
        """Held -> status ('queued' approved, 'rejected' to read again), once; False if not held any more."""

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


class RouteStops(Protocol):
    """Customers' stops on routes (store.readings.RouteStopStore)."""

    def stops(self, code: str, periods: list[str]) -> Mapping[str, RouteStopRecord]:
        """The customer's stops of these periods, by period."""

    def read_on(
        self, day: str, start: dict[str, Any] | None, limit: int
    ) -> tuple[Sequence[str], dict[str, Any] | None]:
        """A page of the customer codes whose route is first walked on `day`, and where the next starts."""

    def set_self(self, code: str, period: str, reading_id: str, status: str, index: int) -> None: ...

    def set_reread(self, code: str, period: str, reading_id: str | None, note: str | None) -> None:
        """A re-read asked for (reading_id), or answered (None)."""


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

    def stops(self, codes: list[str], period: str) -> Mapping[str, RouteStopRecord]:
        """The customers' stops of the period, by customer code."""

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
