"""Ports of the water-cut notices (services/water_cuts.py): the notices and their audit, the board customers
and the public read, the area's customers (by ward, by route, by code) and the per-customer delivery records
that make each revision go out once. Implemented by store/water_cuts.py (WaterCutStore); the queue and the
notifier are the reminders' (ports/notices.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.ports.common import AuditEntry
from chalicelib.ports.customers import CustomerRecord

StartKey = dict[str, Any]  # DynamoDB's LastEvaluatedKey: where the next page of a Query starts


class WaterCutExists(Exception):
    """A notice with this id is there already."""


class WaterCutChanged(Exception):
    """The notice changed (or went) since it was read: read it again."""


class WaterCutRecord(Protocol):
    """A notice (store.models.WaterCutModel); instants are epoch seconds."""

    @property
    def notice_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def revision(self) -> float: ...
    @property
    def version(self) -> float: ...
    @property
    def reason(self) -> str: ...
    @property
    def area_note(self) -> str | None: ...
    @property
    def starts_at(self) -> float: ...
    @property
    def ends_at(self) -> float: ...
    @property
    def wards(self) -> Sequence[str] | None: ...
    @property
    def ward_keys(self) -> Sequence[str] | None: ...
    @property
    def route_ids(self) -> Sequence[str] | None: ...
    @property
    def customer_codes(self) -> Sequence[str] | None: ...
    @property
    def created_at(self) -> float: ...
    @property
    def created_by(self) -> str: ...
    @property
    def updated_at(self) -> float: ...
    @property
    def updated_by(self) -> str: ...
    @property
    def published_at(self) -> float | None: ...
    @property
    def restored_at(self) -> float | None: ...
    @property
    def cancelled_at(self) -> float | None: ...
    @property
    def queued_revision(self) -> float | None: ...


class DeliveryRecord(Protocol):
    """One customer told of one revision (store.models.WaterCutDeliveryModel)."""

    @property
    def delivery_key(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def status(self) -> str:
        """sending | deferred | sent | skipped"""

    @property
    def channels(self) -> Sequence[str] | None: ...
    @property
    def lease_until(self) -> float: ...


class WardOf(Protocol):
    """What the customer view needs of a customer: its ward's key (None if the book does not say)."""

    @property
    def code(self) -> str: ...
    @property
    def ward_key(self) -> str | None: ...


@dataclass(frozen=True)
class NewWaterCut:
    """A draft as the service makes it (the store writes these fields as they are named)."""

    notice_id: str
    kind: str
    status: str
    reason: str
    starts_at: int
    ends_at: int
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    area_note: str | None = None
    wards: list[str] = field(default_factory=list)
    ward_keys: list[str] = field(default_factory=list)
    route_ids: list[str] = field(default_factory=list)
    customer_codes: list[str] = field(default_factory=list)
    revision: int = 0
    version: int = 1


class WaterCuts(Protocol):
    """The notices' reads and writes (store.water_cuts.WaterCutStore)."""

    def create(self, notice: NewWaterCut, audit: AuditEntry) -> None:
        """WaterCutExists if the id is taken."""

    def get(self, notice_id: str, consistent: bool = False) -> WaterCutRecord | None: ...

    def change(
        self, notice_id: str, changes: Mapping[str, object], version: int, status: str, audit: AuditEntry
    ) -> None:
        """Set `changes` (and version + 1) if the notice is still at `version` and `status`, with its audit
        entry, in one transaction. WaterCutChanged otherwise."""

    def mark_queued(self, notice_id: str, revision: int) -> None:
        """The fan-out of `revision` is on the queue (only ever forward)."""

    def listed(self, limit: int, status: str | None) -> Sequence[WaterCutRecord]:
        """The newest notices first (of one status, if given)."""

    def board(self, now: int) -> Sequence[WaterCutRecord]:
        """The notices shown now: on the board, shown until `now` or later."""

    def ward_page(self, ward_key: str, start_key: StartKey | None, limit: int) -> tuple[list[str], StartKey | None]:
        """One page of the customer codes of a ward, and where the next starts (None: the last)."""

    def route_codes(self, route_id: str) -> list[str] | None:
        """A reading route's customer codes, None if there is no such route."""

    def routes_with(self, route_ids: Iterable[str], codes: Iterable[str]) -> dict[str, set[str]]:
        """For each of `codes`, the routes of `route_ids` it is on."""

    def missing_routes(self, route_ids: Iterable[str]) -> list[str]:
        """Of these routes, those that do not exist."""

    def wards_of(self, codes: Iterable[str]) -> Mapping[str, WardOf]: ...

    def customer(self, code: str) -> CustomerRecord | None: ...

    def delivery(self, key: str) -> DeliveryRecord | None: ...

    def take(self, key: str, code: str, now: int, lease_until: int, keep_until: int) -> bool:
        """Hold the delivery `key` for this worker until `lease_until`: creates it, or takes one not yet
        sent or skipped whose lease has run out. False: another worker holds it, or it is done."""

    def let_go(self, key: str, status: str) -> None:
        """Leave the delivery in `status` (sending after a failure, deferred) for the next worker at once."""

    def add_channel(self, key: str, channel: str) -> None: ...

    def finish(self, key: str, status: str, now: int) -> None:
        """sent or skipped, for good."""
