"""The water-cut notices' shapes, declared once (chalicelib/domain/shapes.py): the managers' bodies (a new
notice, a change, publish / cancel / restore), their view, the customer's view (only their own codes) and
the public board's (no customer code, no route, nobody's data). WaterCutService parses and builds them;
api/openapi_water_cuts.py documents them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec

# domain/water_cuts.KINDS and STATUSES as types (tests/unit/test_water_cut_rules.py checks they are the same).
WaterCutKind = Literal["planned", "emergency"]
WaterCutStatus = Literal["draft", "published", "updated", "cancelled", "restored"]
REASON_MAX = 300
NOTE_MAX = 500
WARD_MAX = 60
MAX_WARDS = 50
MAX_ROUTES = 50
MAX_CODES = 1000  # a list of houses; a larger area is wards or routes


def _instant(value: str) -> str:
    """An ISO 8601 instant that says its offset (+07:00): a manager's Vietnam wall clock is never guessed."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("no offset")
    return moment.isoformat()


def _when(name: str) -> dict[str, Any]:
    return spec(
        format="date-time",
        check=_instant,
        example="2031-06-12T08:00:00+07:00",
        message=(f"{name}: an ISO 8601 instant with its offset", f"{name}: thời điểm ISO 8601 có múi giờ (+07:00)"),
    )


_REASON = spec(min=3, max=REASON_MAX, example="Sửa chữa đường ống D200 trên đường Lý Thường Kiệt")
_NOTE = spec(max=NOTE_MAX, description="the streets affected, in words (shown on the public board)")
_WARDS = spec(
    max=MAX_WARDS,
    unique=True,
    items=spec(min=1, max=WARD_MAX),
    example=["Phường 7"],
    description="wards (phường/xã) as named in the customer book; compared without diacritics or case",
)
_ROUTES = spec(pattern=ids.ROUTE_ID, max=MAX_ROUTES, unique=True, description="reading routes: their customers")
_CODES = spec(pattern=ids.CUSTOMER_CODE, max=MAX_CODES, unique=True, example=["01031059"])


@dataclass(frozen=True, kw_only=True)
class CreateWaterCut:
    """POST /v1/admin/water-cuts: a draft (or published at once with `publish`). The area is any of wards,
    routes and customer codes (at least one); the affected customers are their union."""

    kind: WaterCutKind
    reason: str = field(metadata=_REASON)
    starts_at: str = field(metadata=_when("starts_at"))
    ends_at: str = field(metadata=_when("ends_at"))
    wards: list[str] = field(default_factory=list, metadata=_WARDS)
    route_ids: list[str] = field(default_factory=list, metadata=_ROUTES)
    customer_codes: list[str] = field(default_factory=list, metadata=_CODES)
    area_note: str | None = field(default=None, metadata=_NOTE)
    publish: bool = field(default=False, metadata=spec(description="publish at once (customers are told)"))


@dataclass(frozen=True, kw_only=True)
class ChangeWaterCut:
    """PATCH /v1/admin/water-cuts/{notice_id}: what changes (absent or null: unchanged), from the version read.
    A draft changes silently; a published notice becomes `updated` and every affected customer is told again."""

    version: int = field(metadata=spec(min=1))
    kind: WaterCutKind | None = None
    reason: str | None = field(default=None, metadata=_REASON)
    starts_at: str | None = field(default=None, metadata=_when("starts_at"))
    ends_at: str | None = field(default=None, metadata=_when("ends_at"))
    wards: list[str] | None = field(default=None, metadata=_WARDS)
    route_ids: list[str] | None = field(default=None, metadata=_ROUTES)
    customer_codes: list[str] | None = field(default=None, metadata=_CODES)
    area_note: str | None = field(default=None, metadata=_NOTE)


@dataclass(frozen=True, kw_only=True)
class WaterCutAction:
    """POST .../publish, .../cancel, .../notify: from the version read."""

    version: int = field(metadata=spec(min=1))


@dataclass(frozen=True, kw_only=True)
class RestoreWaterCut:
    """POST .../restore: the water is back (at `restored_at`, or now)."""

    version: int = field(metadata=spec(min=1))
    restored_at: str | None = field(default=None, metadata=_when("restored_at"))


@dataclass(frozen=True, kw_only=True)
class WaterCutView:
    """A notice as managers see it."""

    notice_id: str = field(metadata=spec(pattern=ids.WATER_CUT_ID, example="WC310612A1B2C3D4"))
    kind: WaterCutKind
    status: WaterCutStatus
    revision: int = field(metadata=spec(min=0, description="changes customers were told of (0: a draft)"))
    version: int = field(metadata=spec(min=1))
    reason: str
    area_note: str | None
    starts_at: str = field(metadata=spec(format="date-time"))
    ends_at: str = field(metadata=spec(format="date-time"))
    wards: list[str]
    route_ids: list[str] = field(metadata=spec(pattern=ids.ROUTE_ID))
    customer_codes: list[str] = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    created_at: str = field(metadata=spec(format="date-time"))
    created_by: str
    updated_at: str = field(metadata=spec(format="date-time"))
    updated_by: str
    published_at: str | None = field(metadata=spec(format="date-time"))
    restored_at: str | None = field(metadata=spec(format="date-time"))
    cancelled_at: str | None = field(metadata=spec(format="date-time"))
    queued_revision: int | None = field(
        metadata=spec(description="the last revision handed to the notifier (below `revision`: use .../notify)")
    )


@dataclass(frozen=True, kw_only=True)
class WaterCutList:
    water_cuts: list[WaterCutView]


@dataclass(frozen=True, kw_only=True)
class PublicWaterCut:
    """A notice on the public board: where and when, never whom."""

    notice_id: str = field(metadata=spec(pattern=ids.WATER_CUT_ID))
    kind: WaterCutKind
    status: Literal["published", "updated", "restored"]
    reason: str
    area_note: str | None
    wards: list[str]
    starts_at: str = field(metadata=spec(format="date-time"))
    ends_at: str = field(metadata=spec(format="date-time"))
    restored_at: str | None = field(metadata=spec(format="date-time"))
    current: bool = field(metadata=spec(description="the water is off now"))
    updated_at: str = field(metadata=spec(format="date-time"))


@dataclass(frozen=True, kw_only=True)
class PublicWaterCuts:
    water_cuts: list[PublicWaterCut]


@dataclass(frozen=True, kw_only=True)
class MyWaterCut(PublicWaterCut):
    """A notice that affects some of the caller's codes (only those are named): the public notice and them."""

    customer_codes: list[str] = field(metadata=spec(pattern=ids.CUSTOMER_CODE, min=1))


@dataclass(frozen=True, kw_only=True)
class MyWaterCuts:
    water_cuts: list[MyWaterCut]
