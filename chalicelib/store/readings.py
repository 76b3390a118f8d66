"""Meter readings from the field in DynamoDB; the device's reading_id is the key."""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.update import Action

from chalicelib.store.models import ReadingModel, RouteStopModel
from chalicelib.store.repositories import b64, get_or_none, save_if, storage_errors, unb64, update_if


class ReadingStore:
    @storage_errors
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
    ) -> ReadingModel | None:
        """Store a new reading, queued; if its id is taken, return the stored one instead."""
        item = ReadingModel(
            reading_id,
            staff=staff,
            # A customer's own reading is nobody's field work: not in the staff's reading rate.
            staff_period=None if source == "customer" else f"{staff}#{period}",
            source=source,
            account_id=account_id,
            photo_id=photo_id,
            photo_key=photo_key,
            photo_type=photo_type,
            device_imei=device_imei,
            staff_branch=staff_branch,
            customer_code=customer_code,
            period=period,
            new_index=new_index,
            read_at=read_at,
            lat=lat,
            lng=lng,
            received_at=received_at,
            status="queued",
            reasons=[],
            collect_on_spot=0,
        )
        if save_if(item, ReadingModel.reading_id.does_not_exist()):
            return None
        return ReadingModel.get(reading_id, consistent_read=True)

    @storage_errors
    def get(self, reading_id: str, consistent: bool = False) -> ReadingModel | None:
        return get_or_none(ReadingModel, reading_id, consistent_read=consistent)

    @storage_errors
    def finish(
        self,
        reading_id: str,
        status: str,
        reasons: list[Any] | None,  # plain maps {code, message_vi, message_en} (PynamoDB types MapAttribute)
        invoice_id: str | None,
        collect: bool,
        now: int,
    ) -> None:
        actions: list[Action] = [
            ReadingModel.status.set(status),
            ReadingModel.collect_on_spot.set(1 if collect else 0),
            ReadingModel.processed_at.set(now),
        ]
        if reasons is not None:
            actions.append(ReadingModel.reasons.set(reasons))
        if invoice_id:
            actions.append(ReadingModel.invoice_id.set(invoice_id))
        ReadingModel(reading_id).update(actions=actions)

    # -- issue 18: evidence and a manager's review ------------------------------------------

    @storage_errors
    def set_photo(self, reading_id: str, photo_key: str, photo_type: str) -> None:
        ReadingModel(reading_id).update(
            actions=[ReadingModel.photo_key.set(photo_key), ReadingModel.photo_type.set(photo_type)]
        )

    @storage_errors
    def hold(
        self, reading_id: str, reasons: list[Any], old_index: int, consumption: int, period_start: str, now: int
    ) -> bool:
        """Queued -> held (the sparse `held` index lists it); False if it had moved on."""
        return update_if(
            ReadingModel(reading_id),
            [
                ReadingModel.status.set("held"),
                ReadingModel.review.set("held"),
                ReadingModel.reasons.set(reasons),
                ReadingModel.old_index.set(old_index),
                ReadingModel.consumption_m3.set(consumption),
                ReadingModel.period_start.set(period_start),
                ReadingModel.collect_on_spot.set(0),
                ReadingModel.processed_at.set(now),
            ],
            ReadingModel.status == "queued",
        )

    @storage_errors
    def held(self, limit: int, cursor: str | None) -> tuple[list[ReadingModel], str | None]:
        """Held readings, oldest first (one Query of the sparse index)."""
        start = unb64(cursor) if cursor else None
        page = ReadingModel.held.query("held", limit=limit, last_evaluated_key=start)
        items = list(page)
        lek = page.last_evaluated_key
        return items, (b64(lek) if lek and len(items) == limit else None)

    @storage_errors
    def decide(self, reading_id: str, status: str, actor: str, note: str | None, now: int, reasons: list[Any]) -> bool:
        """Held -> `status` ('queued' approved for billing, or 'rejected' to read again), once: False if
        another manager decided first (or it is not held)."""
        return update_if(
            ReadingModel(reading_id),
            [
                ReadingModel.status.set(status),
                ReadingModel.review.remove(),
                ReadingModel.reviewed_by.set(actor),
                ReadingModel.reviewed_at.set(now),
                ReadingModel.review_note.set(note) if note else ReadingModel.review_note.remove(),
                ReadingModel.reasons.set(reasons),
            ],
            (ReadingModel.status == "held") & (ReadingModel.review == "held"),
        )


class RouteStopStore:
    """A customer's place on a route per period (store/models.RouteStopModel)."""

    @storage_errors
    def stops(self, code: str, periods: list[str]) -> dict[str, RouteStopModel]:
        keys = [(code, p) for p in dict.fromkeys(periods)]
        return {s.period: s for s in RouteStopModel.batch_get(keys)} if keys else {}

    @storage_errors
    def read_on(self, day: str, start: dict[str, Any] | None, limit: int) -> tuple[list[str], dict[str, Any] | None]:
        """One page of the customers whose route is first walked on `day`."""
        page = RouteStopModel.by_read_on.query(day, limit=limit, last_evaluated_key=start)
        codes = [s.customer_code for s in page]
        return codes, page.last_evaluated_key

    @storage_errors
    def set_self(self, code: str, period: str, reading_id: str, status: str, index: int) -> None:
        """The customer's latest own reading of the period (only on a stop that exists)."""
        update_if(
            RouteStopModel(code, period),
            [
                RouteStopModel.self_reading_id.set(reading_id),
                RouteStopModel.self_status.set(status),
                RouteStopModel.self_index.set(index),
            ],
            RouteStopModel.customer_code.exists(),
        )

    @storage_errors
    def set_reread(self, code: str, period: str, reading_id: str | None, note: str | None) -> None:
        """A manager asked for a re-read (reading_id), or a new field reading answered it (None)."""
        actions = (
            [
                RouteStopModel.reread_reading_id.set(reading_id),
                RouteStopModel.reread_note.set(note) if note else RouteStopModel.reread_note.remove(),
            ]
            if reading_id
            else [RouteStopModel.reread_reading_id.remove(), RouteStopModel.reread_note.remove()]
        )
        condition = (
            RouteStopModel.customer_code.exists()
            if reading_id
            else RouteStopModel.reread_reading_id.exists()  # nothing to clear: no write
        )
        update_if(RouteStopModel(code, period), actions, condition)
