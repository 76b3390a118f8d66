"""What every store shares. Infrastructure errors become domain errors here, at
the edge: a throttled table is a 503 to the client, a failed condition is the
answer the service expects (False, or ports.common.ConditionFailed), never a
stack trace. The stores themselves live in modules by area (store/customers.py,
store/auth.py, store/invoices.py, ...)."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable
from typing import TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import (
    DoesNotExist,
    PutError,
    PynamoDBException,
    TransactWriteError,
    UpdateError,
)

from chalicelib.errors import ServiceUnavailable, invalid_cursor
from chalicelib.ports.common import ConditionFailed
from chalicelib.store.models import CONNECTION

T = TypeVar("T")
THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}


def is_condition_failure(exc: PynamoDBException) -> bool:
    code = getattr(exc, "cause_response_code", None)
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = getattr(exc, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return False


def storage_errors(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (PutError, UpdateError, TransactWriteError) as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(str(exc)) from None
            if getattr(exc, "cause_response_code", None) in THROTTLED | {"TransactionCanceledException"}:
                raise ServiceUnavailable() from exc
            raise
        except DoesNotExist:
            raise
        except PynamoDBException as exc:
            if getattr(exc, "cause_response_code", None) in THROTTLED:
                raise ServiceUnavailable() from exc
            raise

    return wrapper


def save_if(item, condition) -> bool:
    """Write `item` if `condition` holds: False when it did not (someone else's
    write stands), the one answer every "create once" store method needs."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def update_if(item, actions: list, condition) -> bool:
    """Apply `actions` to `item` if `condition` holds: False when it did not
    (the item moved on); any other failure (throttling, a timeout) raises, so
    it is never mistaken for a lost race."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def get_or_none(model, *key, consistent_read: bool = False):
    """One item by its key, or None: the read every store needs."""
    try:
        return model.get(*key, consistent_read=consistent_read)
    except DoesNotExist:
        return None


def connection() -> Connection:
    """The one Connection every table and transaction shares (store/models.py)."""
    return CONNECTION


# -- page cursors: DynamoDB's LastEvaluatedKey as an opaque URL-safe string -------------------


def b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def unb64(token: str) -> dict:
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid_cursor() from None
    if not isinstance(value, dict):
        raise invalid_cursor()
    return value
