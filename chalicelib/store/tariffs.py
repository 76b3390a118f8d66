"""Tariff versions in DynamoDB: written once, never changed (a change is a new version)."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from chalicelib.store.models import AuditModel, TariffModel
from chalicelib.store.repositories import connection, storage_errors


class TariffStore:
    @storage_errors
    def versions_for(self, tariff_key: str, start: str, end: str) -> list[TariffModel]:
        """Every version in force on some day of (start, end]: those that begin
        inside it, and the last one that began on or before its first day.
        One Query, newest first, stopping at that last one."""
        out = []
        for item in TariffModel.query(tariff_key, TariffModel.valid_from <= end, scan_index_forward=False):
            out.append(item)
            if item.valid_from <= start:
                break
        return list(reversed(out))

    @storage_errors
    def list(self, tariff_key: str) -> list[TariffModel]:
        return list(TariffModel.query(tariff_key))

    @storage_errors
    def add(
        self,
        tariff_key: str,
        valid_from: str,
        *,
        tariff_id: str,
        version: str,
        created_at: int,
        created_by: str,
        audit: AuditModel,
    ) -> None:
        """A version is written once; a later change is a new version."""
        item = TariffModel(
            tariff_key,
            valid_from,
            tariff_id=tariff_id,
            version=version,
            created_at=created_at,
            created_by=created_by,
        )
        with TransactWrite(connection=connection()) as tx:
            tx.save(item, condition=TariffModel.tariff_key.does_not_exist())
            tx.save(audit, condition=AuditModel.entity.does_not_exist())
