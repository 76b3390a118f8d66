"""The service's health: whether the table store answers, and the stage. The probe is the store's
(store/health.py, wired in deps.health): this layer reads no table itself. No Chalice, no boto3."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.services.shapes_health import Health


class HealthService:
    def __init__(self, *, store_answers: Callable[[], bool], stage: str) -> None:
        self.store_answers = store_answers
        self.stage = stage

    def check(self) -> Health:
        ok = self.store_answers()
        return Health(status="ok" if ok else "degraded", stage=self.stage, store=ok)
