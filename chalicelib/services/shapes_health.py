"""The health answer's shape, declared once (chalicelib/domain/shapes.py): HealthService builds it,
api/openapi_service.py documents it from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, kw_only=True)
class Health:
    """GET /v1/health: 200 with status ok, 503 with status degraded (the same shape)."""

    status: Literal["ok", "degraded"]
    stage: str
    store: bool
