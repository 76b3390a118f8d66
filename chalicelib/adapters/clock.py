"""Time, in one place so tests can move it. Vietnam has no DST: UTC+7 all year."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


class Clock:
    def now(self) -> int:
        return int(time.time())

    def vn_now(self) -> datetime:
        return datetime.fromtimestamp(self.now(), VN_TZ)


class FixedClock(Clock):
    def __init__(self, at: int) -> None:
        self.at = at

    def now(self) -> int:
        return self.at

    def advance(self, seconds: int) -> None:
        self.at += seconds
