"""The audit trail: one item per manager change (who, when, before/after)."""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime

from chalicelib.ports.common import AuditEntry
from chalicelib.store.models import AuditModel
from chalicelib.store.repositories import storage_errors


def entry(entity: str, actor: str, action: str, before=None, after=None, now: int | None = None) -> AuditModel:
    moment = datetime.fromtimestamp(now, UTC) if now is not None else datetime.now(UTC)
    # Milliseconds, so changes within one second keep their order.
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return AuditModel(
        entity,
        # Then the moment of writing in ns: entries stamped with one given second (a service's clock) keep the
        # order they were written in; the random part keeps two writers at one nanosecond apart.
        f"{stamp}#{time.time_ns():020d}{secrets.token_hex(4)}",
        actor=actor,
        action=action,
        before=None if before is None else json.dumps(before, ensure_ascii=False),
        after=None if after is None else json.dumps(after, ensure_ascii=False),
    )


def as_item(audit: AuditEntry) -> AuditModel:
    """An audit entry `entry` built (a service holds it as a ports.common.AuditEntry), as the item it is."""
    if not isinstance(audit, AuditModel):
        raise TypeError(f"not an audit item: {type(audit).__name__}")
    return audit


@storage_errors
def record(entity: str, actor: str, action: str, before=None, after=None) -> None:
    entry(entity, actor, action, before, after).save(condition=AuditModel.entity.does_not_exist())


class AuditStore:
    """Reads of the trail: one entity's changes, or one person's, newest first (one Query)."""

    @storage_errors
    def for_entity(self, entity: str, limit: int = 50) -> list[AuditModel]:
        return list(AuditModel.query(entity, scan_index_forward=False, limit=limit))

    @storage_errors
    def by_actor(self, actor: str, limit: int = 50) -> list[AuditModel]:
        return list(AuditModel.by_actor.query(actor, scan_index_forward=False, limit=limit))
