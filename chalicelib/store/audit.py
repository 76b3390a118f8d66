"""The audit trail: one item per manager change (who, when, before/after)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

from chalicelib.store.models import AuditModel
from chalicelib.store.repositories import storage_errors


def entry(entity: str, actor: str, action: str, before=None, after=None, now: int | None = None) -> AuditModel:
    moment = datetime.fromtimestamp(now, UTC) if now is not None else datetime.now(UTC)
    # Milliseconds, so changes within one second keep their order.
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return AuditModel(
        entity,
        f"{stamp}#{secrets.token_hex(4)}",
        actor=actor,
        action=action,
        before=None if before is None else json.dumps(before, ensure_ascii=False),
        after=None if after is None else json.dumps(after, ensure_ascii=False),
    )


@storage_errors
def record(entity: str, actor: str, action: str, before=None, after=None) -> None:
    entry(entity, actor, action, before, after).save(condition=AuditModel.entity.does_not_exist())
