"""Water tariffs as dated data, and pricing a consumption with them.

Arithmetic is exact (fractions) until money is rounded, once per amount, half
up to the whole đồng. Tier lines are then allocated so that they add up to the
rounded water amount exactly (largest remainder), so every invoice's lines are
its total.

Proration: a billing period is split at every tariff change; each part gets
its share of the consumption (by days) and tiers scaled by its share of a
month. A period of 27 to 33 days counts as one month (so a normal month is
never re-scaled); a longer or shorter one is measured in 30-day months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from chalicelib.domain.identifiers import CHARGE_CODE_RE, TARIFF_AREA_RE, TARIFF_ID_RE

CUSTOMER_CLASSES = ("household", "poor_household", "public_service", "production", "business")
PRICINGS = ("tiers", "per_person", "flat")
NORMAL_MONTH_DAYS = range(27, 34)
STANDARD_MONTH = 30


class TariffError(ValueError):
    """A tariff version or a pricing request that cannot be right."""


@dataclass(frozen=True)
class Tier:
    up_to: int | None  # m³ per household (per person for 'per_person'); None: no upper bound
    price: int  # VND per m³, as published (before VAT, or VAT included: see the version)


@dataclass(frozen=True)
class Charge:
    """A per-m³ charge billed on its own line (drainage, forest environment service)."""

    code: str
    description: str
    unit_price: int  # VND per m³
    vat_percent: int = 0


@dataclass(frozen=True)
class TariffVersion:
    tariff_id: str
    area: str  # e.g. 'camau-city'
    customer_class: str
    valid_from: date
    pricing: str
    tiers: tuple[Tier, ...]
    legal_ref: str
    prices_include_vat: bool = False
    vat_percent: int = 5
    env_fee_percent: int = 10  # of the pre-VAT water amount, outside VAT
    charges: tuple[Charge, ...] = ()
    utility: str = ""
    description: str = ""

    @property
    def key(self) -> str:
        return f"{self.area}#{self.customer_class}"


def validate(v: TariffVersion) -> TariffVersion:
    """Raises TariffError naming what is wrong; returns the version when sound."""
    if not TARIFF_ID_RE.fullmatch(v.tariff_id or ""):
        raise TariffError("tariff_id: 3-80 of a-z, 0-9, '-'")
    if not TARIFF_AREA_RE.fullmatch(v.area or ""):
        raise TariffError("area: 2-40 of a-z, 0-9, '-'")
    if v.customer_class not in CUSTOMER_CLASSES:
        raise TariffError(f"customer_class must be one of {', '.join(CUSTOMER_CLASSES)}")
    if v.pricing not in PRICINGS:
        raise TariffError(f"pricing must be one of {', '.join(PRICINGS)}")
    if not v.legal_ref or len(v.legal_ref) > 300:
        raise TariffError("legal_ref is required (the decision that publishes the prices)")
    tiers = list(v.tiers)
    if not tiers:
        raise TariffError("tiers: at least one")
    if v.pricing == "flat" and len(tiers) != 1:
        raise TariffError("tiers: a flat price has exactly one tier")
    previous = 0
    for i, t in enumerate(tiers):
        if not isinstance(t.price, int) or isinstance(t.price, bool) or not 0 < t.price <= 1_000_000:
            raise TariffError(f"tiers[{i}].price must be a whole number of VND per m³, 1 to 1,000,000")
        last = i == len(tiers) - 1
        if last:
            if t.up_to is not None:
                raise TariffError("tiers: the last tier has no upper bound (up_to: null)")
        elif not isinstance(t.up_to, int) or t.up_to <= previous:
            # Tiers are contiguous by construction (each starts where the last ended);
            # what must hold is that the bounds strictly increase.
            raise TariffError(f"tiers[{i}].up_to must be a whole number of m³ above {previous}")
        else:
            previous = t.up_to
    for name in ("vat_percent", "env_fee_percent"):
        value = getattr(v, name)
        if not isinstance(value, int) or not 0 <= value <= 30:
            raise TariffError(f"{name} must be a whole percentage 0-30")
    for c in v.charges:
        if not CHARGE_CODE_RE.fullmatch(c.code) or not 0 < c.unit_price <= 100_000 or not 0 <= c.vat_percent <= 30:
            raise TariffError(f"charge {c.code!r} is not valid")
    return v


def round_half_up(x: Fraction) -> int:
    """Whole đồng, halves up (x >= 0)."""
    return int((x * 2 + 1) // 2)


@dataclass
class Line:
    kind: str  # water | charge | vat | env_fee
    description: str
    amount: int
    quantity: Fraction | None = None
    unit_price: Fraction | None = None
    rate_percent: int | None = None
    exact: Fraction = field(default=Fraction(0), repr=False)


@dataclass
class Bill:
    consumption_m3: int
    days: int
    lines: list[Line]
    subtotal: int  # water, before VAT
    vat: int
    env_fee: int
    charges: int  # per-m³ charges with their own VAT
    total: int
    tariff_ids: tuple[str, ...]
    proration: list[str]  # human-readable notes; empty for a plain month


def _segments(start: date, end: date, versions: Sequence[TariffVersion]) -> list[tuple[TariffVersion, date, date, int]]:
    """Split the days (start, end] — reading to reading — by the version in force."""
    ordered = sorted(versions, key=lambda v: v.valid_from)
    parts = []
    day = start + timedelta(days=1)
    while day <= end:
        current = [v for v in ordered if v.valid_from <= day]
        if not current:
            raise TariffError(f"no tariff in force on {day.isoformat()}")
        version = current[-1]
        later = [v.valid_from for v in ordered if v.valid_from > day]
        stop = min([end + timedelta(days=1)] + later)
        parts.append((version, day, stop - timedelta(days=1), (stop - day).days))
        day = stop
    return parts


def _fill(
    volume: Fraction, tiers: Sequence[Tier], scale: Fraction
) -> list[tuple[Tier, Fraction, Fraction | None, Fraction]]:
    """How much of `volume` falls in each (scaled) tier."""
    out, floor = [], Fraction(0)
    for t in tiers:
        ceiling = None if t.up_to is None else t.up_to * scale
        take = volume - floor if ceiling is None else max(Fraction(0), min(volume, ceiling) - floor)
        if take > 0:
            out.append((t, floor, ceiling, take))
        if ceiling is None or volume <= ceiling:
            break
        floor = ceiling
    return out


def _allocate(exacts: Sequence[Fraction], total: int) -> list[int]:
    """Whole đồng per line, each within 1 of its exact value, adding up to total."""
    floors = [int(x) for x in exacts]
    short = total - sum(floors)
    if short >= 0:
        order = sorted(range(len(exacts)), key=lambda i: (exacts[i] - floors[i], -i), reverse=True)
        for i in order[:short]:
            floors[i] += 1
    else:
        # Rounding a VAT-included total can leave the lines a đồng over: take
        # it back from the lines that gave up the least when floored.
        order = sorted((i for i in range(len(exacts)) if floors[i] > 0), key=lambda i: (exacts[i] - floors[i], i))
        for i in order[:-short]:
            floors[i] -= 1
    return floors


def _m3(x: Fraction) -> str:
    return f"{float(x):.2f}".rstrip("0").rstrip(".")


def price(consumption_m3: int, start: date, end: date, versions: Sequence[TariffVersion], persons: int = 1) -> Bill:
    """Price `consumption_m3` used between the readings of `start` and `end`."""
    if not isinstance(consumption_m3, int) or consumption_m3 < 0:
        raise TariffError("consumption must be a whole, non-negative number of m³")
    if end <= start:
        raise TariffError("the period must end after it starts")
    if not isinstance(persons, int) or persons < 1:
        raise TariffError("persons must be at least 1")
    days = (end - start).days
    parts = _segments(start, end, versions)
    month = days if days in NORMAL_MONTH_DAYS else STANDARD_MONTH
    vat_rates = {v.vat_percent for v, *_ in parts}
    fee_rates = {v.env_fee_percent for v, *_ in parts}
    if len(vat_rates) > 1 or len(fee_rates) > 1:
        raise TariffError("tariff versions in one period must share VAT and fee rates")
    vat_rate, fee_rate = vat_rates.pop(), fee_rates.pop()

    water_lines, gross_exact, incl_flags = [], Fraction(0), set()
    notes = []
    for version, first, last, part_days in parts:
        share = Fraction(part_days, days)
        scale = Fraction(part_days, month) * (persons if version.pricing == "per_person" else 1)
        volume = consumption_m3 * share
        incl_flags.add(version.prices_include_vat)
        if len(parts) > 1 or month != days:
            notes.append(
                f"{first.isoformat()}..{last.isoformat()}: {part_days} days, {version.tariff_id}, "
                f"{_m3(volume)} m³, tiers x{_m3(scale)}"
            )
        for tier, lo, hi, qty in _fill(volume, version.tiers, scale):
            pre_vat_price = (
                Fraction(tier.price * 100, 100 + vat_rate) if version.prices_include_vat else Fraction(tier.price)
            )
            band = (
                ""
                if version.pricing == "flat"
                else (f" {_m3(lo)}–{_m3(hi)} m³" if hi is not None else f" > {_m3(lo)} m³")
            )
            water_lines.append(
                Line(
                    "water",
                    f"Tiền nước{band} ({version.tariff_id})",
                    0,
                    quantity=qty,
                    unit_price=pre_vat_price,
                    exact=qty * pre_vat_price,
                )
            )
            gross_exact += qty * tier.price
    if len(incl_flags) > 1:
        raise TariffError("tariff versions in one period must all be before-VAT or all VAT-included")

    if incl_flags.pop():
        # The published price is what the customer pays for water with VAT:
        # round that, then split the VAT out of it, so the total matches it.
        gross = round_half_up(gross_exact)
        subtotal = round_half_up(Fraction(gross * 100, 100 + vat_rate))
        vat = gross - subtotal
    else:
        subtotal = round_half_up(sum((ln.exact for ln in water_lines), Fraction(0)))
        vat = round_half_up(Fraction(subtotal * vat_rate, 100))
    for ln, amount in zip(water_lines, _allocate([ln.exact for ln in water_lines], subtotal)):
        ln.amount = amount
    env_fee = round_half_up(Fraction(subtotal * fee_rate, 100))

    lines = list(water_lines)
    charges_total = 0
    charge_defs = {c.code: c for v, *_ in parts for c in v.charges}
    for c in charge_defs.values():
        amount = round_half_up(Fraction(consumption_m3 * c.unit_price))
        charge_vat = round_half_up(Fraction(amount * c.vat_percent, 100))
        lines.append(
            Line("charge", c.description, amount, quantity=Fraction(consumption_m3), unit_price=Fraction(c.unit_price))
        )
        if charge_vat:
            lines.append(
                Line("vat", f"Thuế GTGT {c.vat_percent}% ({c.description})", charge_vat, rate_percent=c.vat_percent)
            )
        charges_total += amount + charge_vat
    lines.append(Line("vat", f"Thuế GTGT {vat_rate}% / VAT {vat_rate}%", vat, rate_percent=vat_rate))
    if fee_rate:
        lines.append(
            Line(
                "env_fee",
                f"Phí BVMT nước thải {fee_rate}% / Waste-water fee {fee_rate}%",
                env_fee,
                rate_percent=fee_rate,
            )
        )
    return Bill(
        consumption_m3=consumption_m3,
        days=days,
        lines=lines,
        subtotal=subtotal,
        vat=vat,
        env_fee=env_fee,
        charges=charges_total,
        total=subtotal + vat + env_fee + charges_total,
        tariff_ids=tuple(dict.fromkeys(v.tariff_id for v, *_ in parts)),
        proration=notes,
    )


def version_from_dict(d: Mapping[str, Any]) -> TariffVersion:
    """Build (and validate) a version from its JSON form; TariffError on anything off."""
    try:
        tiers = tuple(Tier(up_to=t.get("up_to"), price=t["price"]) for t in d["tiers"])
        charges = tuple(
            Charge(
                code=c["code"],
                description=c["description"],
                unit_price=c["unit_price"],
                vat_percent=c.get("vat_percent", 0),
            )
            for c in d.get("charges", ())
        )
        version = TariffVersion(
            tariff_id=d["tariff_id"],
            area=d["area"],
            customer_class=d["customer_class"],
            valid_from=date.fromisoformat(d["valid_from"]),
            pricing=d["pricing"],
            tiers=tiers,
            legal_ref=d["legal_ref"],
            prices_include_vat=bool(d.get("prices_include_vat", False)),
            vat_percent=d.get("vat_percent", 5),
            env_fee_percent=d.get("env_fee_percent", 10),
            charges=charges,
            utility=d.get("utility", ""),
            description=d.get("description", ""),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise TariffError(f"tariff version is missing or has a malformed field: {exc}") from None
    except ValueError as exc:
        raise TariffError(f"tariff version has a malformed value: {exc}") from None
    if isinstance(version.prices_include_vat, bool) is False:
        raise TariffError("prices_include_vat must be true or false")
    try:
        return validate(version)
    except (TypeError, AttributeError) as exc:  # a field of the wrong JSON type (a list for a string, ...)
        raise TariffError(f"tariff version has a field of the wrong type: {exc}") from None


def version_to_dict(v: TariffVersion) -> dict[str, Any]:
    return {
        "tariff_id": v.tariff_id,
        "area": v.area,
        "customer_class": v.customer_class,
        "valid_from": v.valid_from.isoformat(),
        "pricing": v.pricing,
        "tiers": [{"up_to": t.up_to, "price": t.price} for t in v.tiers],
        "legal_ref": v.legal_ref,
        "prices_include_vat": v.prices_include_vat,
        "vat_percent": v.vat_percent,
        "env_fee_percent": v.env_fee_percent,
        "charges": [
            {"code": c.code, "description": c.description, "unit_price": c.unit_price, "vat_percent": c.vat_percent}
            for c in v.charges
        ],
        "utility": v.utility,
        "description": v.description,
    }
