"""Vietnam time, defined once: the utility, its customers and VNPay all count in
Asia/Ho_Chi_Minh (UTC+7, no daylight saving), while Lambda runs in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import overload

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


@overload
def iso(epoch: float) -> str: ...
@overload
def iso(epoch: float | None) -> str | None: ...
def iso(epoch: float | int | None) -> str | None:
    """An epoch-seconds instant as ISO 8601 in Vietnam time, to the second; None stays None."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), VN_TZ).isoformat(timespec="seconds")


def now_vn(epoch: float | int) -> datetime:
    return datetime.fromtimestamp(epoch, VN_TZ)


def vn_within(moment: datetime, epoch: float | int, before: timedelta, after: timedelta) -> datetime | None:
    """`moment` in Vietnam time (one without an offset is Vietnam time already), to the second, if it lies
    between `before` earlier and `after` later than the instant `epoch`; None outside that window (the
    caller says why in its own words)."""
    moment = moment.replace(tzinfo=VN_TZ) if moment.tzinfo is None else moment.astimezone(VN_TZ)
    current = now_vn(epoch)
    if not current - before <= moment <= current + after:
        return None
    return moment.replace(microsecond=0)


@overload
def utc_iso(epoch: float) -> str: ...
@overload
def utc_iso(epoch: float | None) -> str | None: ...
def utc_iso(epoch: float | None) -> str | None:
    """An epoch-seconds instant as ISO 8601 in UTC with a Z, to the second (the privacy export and the
    chat links show instants so); None stays None."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
