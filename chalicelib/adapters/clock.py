"""Time, in one place so tests can move it. Vietnam has no DST: UTC+7 all year."""

from __future__ import annotations

import time
from datetime import datetime

from chalicelib.domain.vntime import VN_TZ, now_vn

__all__ = ["VN_TZ", "Clock", "FixedClock"]  # VN_TZ: services and tests still import it from here


class Clock:
    def now(self) -> int:
        return int(time.time())

    def vn_now(self) -> datetime:
        return now_vn(self.now())


class FixedClock(Clock):
    def __init__(self, at: int) -> None:
        self.at = at

    def now(self) -> int:
        return self.at

    def advance(self, seconds: int) -> None:
        self.at += seconds
