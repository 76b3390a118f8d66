"""Meter readings from the field in DynamoDB; the device's reading_id is the key."""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.update import Action

from chalicelib.store.models import ReadingModel
from chalicelib.store.repositories import get_or_none, save_if, storage_errors


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
    ) -> ReadingModel | None:
        """Store a new reading, queued; if its id is taken, return the stored one instead."""
        item = ReadingModel(
            reading_id,
            staff=staff,
            staff_period=f"{staff}#{period}",
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
