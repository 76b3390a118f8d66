"""Water-cut notices in DynamoDB: the notices (each change from the version read, with its audit entry in
the same transaction), the board (a sparse index: only notices shown now), the area's customers (the
customers' sparse by_ward index, the routes' lists: Queries and Gets, never a Scan) and the deliveries
that make each revision reach a customer once (a conditional write takes one; a lease lets a crashed
worker's go)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.ports.common import AuditEntry
from chalicelib.ports.water_cuts import NewWaterCut, WaterCutChanged, WaterCutExists
from chalicelib.store.audit import as_item
from chalicelib.store.ledger import item_of
from chalicelib.store.models import (
    CONNECTION,
    AuditModel,
    CustomerModel,
    RouteModel,
    WaterCutDeliveryModel,
    WaterCutModel,
)
from chalicelib.store.repositories import get_or_none, is_condition_failure, storage_errors, update_if

# What a change may set (services/water_cuts.py checks the values).
CHANGEABLE = frozenset(
    {
        "kind",
        "reason",
        "area_note",
        "starts_at",
        "ends_at",
        "wards",
        "ward_keys",
        "route_ids",
        "customer_codes",
        "status",
        "revision",
        "updated_at",
        "updated_by",
        "published_at",
        "restored_at",
        "cancelled_at",
        "board",
        "shown_until",
    }
)
BOARD_MAX = 200  # notices shown at once (a utility has a handful)


class WaterCutStore:
    @storage_errors
    def create(self, notice: NewWaterCut, audit: AuditEntry) -> None:
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(item_of(WaterCutModel, notice), condition=WaterCutModel.notice_id.does_not_exist())
                tx.save(as_item(audit), condition=AuditModel.entity.does_not_exist())
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise WaterCutExists(notice.notice_id) from None
            raise

    @storage_errors
    def get(self, notice_id: str, consistent: bool = False) -> WaterCutModel | None:
        return get_or_none(WaterCutModel, notice_id, consistent_read=consistent)

    @storage_errors
    def change(
        self, notice_id: str, changes: Mapping[str, object], version: int, status: str, audit: AuditEntry
    ) -> None:
        unknown = set(changes) - CHANGEABLE
        if unknown:
            raise ValueError(f"not a water-cut field a change may set: {sorted(unknown)}")
        actions = [
            getattr(WaterCutModel, name).remove() if value is None else getattr(WaterCutModel, name).set(value)
            for name, value in changes.items()
        ]
        actions.append(WaterCutModel.version.set(version + 1))
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.update(
                    WaterCutModel(notice_id),
                    actions=actions,
                    condition=(WaterCutModel.version == version) & (WaterCutModel.status == status),
                )
                tx.save(as_item(audit), condition=AuditModel.entity.does_not_exist())
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise WaterCutChanged(notice_id) from None
            raise

    @storage_errors
    def mark_queued(self, notice_id: str, revision: int) -> None:
        update_if(
            WaterCutModel(notice_id),
            [WaterCutModel.queued_revision.set(revision)],
            WaterCutModel.notice_id.exists()
            & (WaterCutModel.queued_revision.does_not_exist() | (WaterCutModel.queued_revision < revision)),
        )

    @storage_errors
    def listed(self, limit: int, status: str | None) -> list[WaterCutModel]:
        return list(
            WaterCutModel.by_created.query(
                "water_cut",
                filter_condition=(WaterCutModel.status == status) if status else None,
                scan_index_forward=False,
                limit=limit,
            )
        )

    @storage_errors
    def board(self, now: int) -> list[WaterCutModel]:
        return list(WaterCutModel.on_board.query("live", WaterCutModel.shown_until >= now, limit=BOARD_MAX))

    # -- the area ---------------------------------------------------------------------------------------

    @storage_errors
    def ward_page(self, ward_key: str, start_key: dict | None, limit: int) -> tuple[list[str], dict | None]:
        it = CustomerModel.by_ward.query(ward_key, last_evaluated_key=start_key, limit=limit, page_size=limit)
        codes = [c.code for c in it]
        return codes, it.last_evaluated_key

    @storage_errors
    def route_codes(self, route_id: str) -> list[str] | None:
        route = get_or_none(RouteModel, route_id)
        return None if route is None else list(route.customer_codes or ())

    @storage_errors
    def routes_with(self, route_ids: Iterable[str], codes: Iterable[str]) -> dict[str, set[str]]:
        wanted = set(codes)
        out: dict[str, set[str]] = {}
        for route in RouteModel.batch_get(sorted(set(route_ids)), attributes_to_get=["route_id", "customer_codes"]):
            for code in wanted.intersection(route.customer_codes or ()):
                out.setdefault(code, set()).add(route.route_id)
        return out

    @storage_errors
    def missing_routes(self, route_ids: Iterable[str]) -> list[str]:
        asked = sorted(set(route_ids))
        found = {r.route_id for r in RouteModel.batch_get(asked, attributes_to_get=["route_id"])}
        return [r for r in asked if r not in found]

    @storage_errors
    def wards_of(self, codes: Iterable[str]) -> dict[str, CustomerModel]:
        return {c.code: c for c in CustomerModel.batch_get(sorted(set(codes)), attributes_to_get=["code", "ward_key"])}

    @storage_errors
    def customer(self, code: str) -> CustomerModel | None:
        return get_or_none(CustomerModel, code)

    # -- deliveries -------------------------------------------------------------------------------------

    @storage_errors
    def delivery(self, key: str) -> WaterCutDeliveryModel | None:
        return get_or_none(WaterCutDeliveryModel, key, consistent_read=True)

    @storage_errors
    def take(self, key: str, code: str, now: int, lease_until: int, keep_until: int) -> bool:
        D = WaterCutDeliveryModel
        try:
            D(
                key,
                customer_code=code,
                status="sending",
                channels=[],
                lease_until=lease_until,
                created_at=now,
                expires_at=keep_until,
            ).save(condition=D.delivery_key.does_not_exist())
            return True
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
        # There already: take it over if nobody holds it and it is not done (channels recorded are kept).
        return update_if(
            D(key),
            [D.lease_until.set(lease_until), D.status.set("sending")],
            D.delivery_key.exists() & D.status.is_in("sending", "deferred") & (D.lease_until < now),
        )

    @storage_errors
    def let_go(self, key: str, status: str) -> None:
        D = WaterCutDeliveryModel
        update_if(D(key), [D.status.set(status), D.lease_until.set(0)], D.status.is_in("sending", "deferred"))

    @storage_errors
    def add_channel(self, key: str, channel: str) -> None:
        D = WaterCutDeliveryModel
        D(key).update(actions=[D.channels.set(D.channels.append([channel]))])

    @storage_errors
    def finish(self, key: str, status: str, now: int) -> None:
        D = WaterCutDeliveryModel
        D(key).update(actions=[D.status.set(status), D.sent_at.set(now), D.lease_until.set(0)])
