"""The legal e-invoice as any provider needs it: seller, buyer, items, VAT breakdown, totals.

Pure: built from our invoice's data (the tariff lines, the meter readings); no provider's names
here (the Viettel adapter maps these to its JSON, docs/einvoice.md). Money is whole VND and
the request is consistent by construction: the items add up to the totals, the VAT groups to
the VAT, and everything to our invoice's total, so the legal invoice and the bill never differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from chalicelib.domain.words import amount_in_words

# A line's VAT treatment. An int is a VAT rate in percent (0 is "0%", a taxed supply at
# zero); NOT_SUBJECT is "không chịu thuế" (KCT): outside VAT, like the environment fee.
NOT_SUBJECT = None
UNIT_M3 = "m3"


class EInvoiceError(ValueError):
    """Our invoice's data cannot make a legal invoice (a line we cannot classify, totals that differ)."""


@dataclass(frozen=True)
class Party:
    """Seller or buyer. A household buyer has no tax code; `code` is our customer code."""

    name: str
    address: str
    tax_code: str = ""
    code: str = ""
    email: str = ""
    phone: str = ""
    bank_account: str = ""
    bank_name: str = ""


@dataclass(frozen=True)
class Item:
    """One line of the legal invoice. `amount` is before VAT; `vat` is this line's share of
    its group's VAT. Signed: a negative amount decreases the original (an adjustment)."""

    line_no: int
    name: str
    amount: int
    vat_percent: int | None
    vat: int
    unit: str = ""
    quantity: Fraction | None = None
    unit_price: Fraction | None = None
    code: str = ""
    kind: str = "goods"  # goods | fee (a fee collected on the invoice, outside VAT)


@dataclass(frozen=True)
class VatGroup:
    """One row of the VAT breakdown: every item at the same treatment."""

    vat_percent: int | None
    taxable: int
    vat: int


@dataclass(frozen=True)
class MeterReading:
    """Water: the indices the consumption was read from. `factor` multiplies the difference
    (1 for a household meter; a meter behind a transformer or a scaled register has another)."""

    previous_index: int
    current_index: int
    consumption_m3: int
    factor: int = 1
    meter_no: str = ""


@dataclass(frozen=True)
class Reference:
    """The invoice a correction refers to (Decree 70/2025: an adjusting or replacing invoice
    names the original's template, series, number and date)."""

    number: str
    series: str
    template: str
    issued_at: datetime
    reason: str = ""
    agreement: str = ""  # the written agreement with the buyer, when there is one
    agreement_date: datetime | None = None


@dataclass(frozen=True)
class EInvoiceRequest:
    invoice_id: str  # ours; the provider's idempotency key
    issued_at: datetime
    seller: Party
    buyer: Party
    items: tuple[Item, ...]
    vat_groups: tuple[VatGroup, ...]
    total_without_vat: int
    total_vat: int
    total: int
    total_in_words: str
    currency: str = "VND"
    period: str = ""  # YYYY-MM
    meter: MeterReading | None = None
    paid: bool = False
    note: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=())  # printed fields the template may show


@dataclass(frozen=True)
class BillLine:
    """A line of our invoice (tariff.Line or the store's InvoiceLine), as the builder reads it."""

    kind: str  # water | charge | vat | env_fee
    description: str
    amount: int
    quantity: Fraction | None = None
    unit_price: Fraction | None = None
    rate_percent: int | None = None


def _fraction(value: Any) -> Fraction | None:
    if value is None:
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        # DynamoDB gives Decimals, tests floats: the decimal text, not the binary float.
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


def bill_lines(lines: Iterable[Any]) -> list[BillLine]:
    """Any objects with the tariff line's attributes (numbers may be Decimal or float)."""
    out = []
    for line in lines:
        rate = getattr(line, "rate_percent", None)
        out.append(
            BillLine(
                kind=str(line.kind),
                description=str(line.description),
                amount=int(line.amount),
                quantity=_fraction(getattr(line, "quantity", None)),
                unit_price=_fraction(getattr(line, "unit_price", None)),
                rate_percent=None if rate is None else int(rate),
            )
        )
    return out


def _allocate(weights: Sequence[int], total: int) -> list[int]:
    """Split `total` over `weights` in proportion, whole VND, shares adding up exactly
    (largest remainder; ties to the earlier line)."""
    base = sum(weights)
    if not weights:
        return []
    if base == 0:
        return [total] + [0] * (len(weights) - 1)
    exact = [Fraction(w * total, base) for w in weights]
    shares = [int(x // 1) for x in exact]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def items_from_lines(lines: Sequence[BillLine]) -> list[Item]:
    """Our lines -> the legal invoice's items. Our bill states VAT as lines of its own; an
    e-invoice states it per item and per rate. tariff.price() writes a charge's VAT line right
    after the charge and the water's VAT line last of all VAT lines; the water's VAT is spread
    over the water lines in proportion (whole VND, adding up exactly). A charge without a VAT
    line and the environment fee are outside VAT."""
    items: list[Item] = []
    water = [ln for ln in lines if ln.kind == "water"]
    vat_at = [i for i, ln in enumerate(lines) if ln.kind == "vat"]
    # The water's VAT line is the last VAT line (tariff.price() writes it even at 0 VND and without
    # water lines); a charge's is the one right after the charge.
    water_vat_at = vat_at[-1] if vat_at else None
    if water and water_vat_at is None:
        raise EInvoiceError("water lines without their VAT line")
    if not water and water_vat_at is not None and lines[water_vat_at].amount:
        raise EInvoiceError("VAT on water without water lines")
    charge_vat: dict[int, BillLine] = {}
    for i, ln in enumerate(lines):
        if ln.kind == "charge" and i + 1 < len(lines) and lines[i + 1].kind == "vat" and i + 1 != water_vat_at:
            charge_vat[i] = lines[i + 1]
    claimed = {i + 1 for i in charge_vat} | ({water_vat_at} if water_vat_at is not None else set())
    if set(vat_at) - claimed:
        raise EInvoiceError("a VAT line that belongs to no line")
    water_rate = lines[water_vat_at].rate_percent if water_vat_at is not None else None
    if water and water_rate is None:
        raise EInvoiceError("the water VAT line has no rate")
    water_vat_amount = lines[water_vat_at].amount if water_vat_at is not None else 0
    water_vat = _allocate([ln.amount for ln in water], water_vat_amount) if water else []
    water_at = 0
    for i, ln in enumerate(lines):
        if ln.kind == "vat":
            continue
        no = len(items) + 1
        if ln.kind == "water":
            items.append(
                Item(
                    no,
                    ln.description,
                    ln.amount,
                    water_rate,
                    water_vat[water_at],
                    UNIT_M3,
                    ln.quantity,
                    ln.unit_price,
                )
            )
            water_at += 1
        elif ln.kind == "charge":
            vat_line = charge_vat.get(i)
            rate = vat_line.rate_percent if vat_line else NOT_SUBJECT
            items.append(
                Item(
                    no,
                    ln.description,
                    ln.amount,
                    rate,
                    vat_line.amount if vat_line else 0,
                    UNIT_M3,
                    ln.quantity,
                    ln.unit_price,
                )
            )
        elif ln.kind == "env_fee":
            items.append(Item(no, ln.description, ln.amount, NOT_SUBJECT, 0, kind="fee"))
        else:
            raise EInvoiceError(f"a line of kind {ln.kind!r} has no place on the legal invoice")
    return items


def vat_groups(items: Sequence[Item]) -> tuple[VatGroup, ...]:
    """The breakdown by VAT treatment, in the order the treatments first appear."""
    groups: dict[int | None, list[int]] = {}
    for item in items:
        group = groups.setdefault(item.vat_percent, [0, 0])
        group[0] += item.amount
        group[1] += item.vat
    return tuple(VatGroup(rate, taxable, vat) for rate, (taxable, vat) in groups.items())


def build_request(
    invoice_id: str,
    issued_at: datetime,
    seller: Party,
    buyer: Party,
    lines: Sequence[BillLine],
    *,
    expected_total: int | None = None,
    period: str = "",
    meter: MeterReading | None = None,
    paid: bool = False,
    note: str = "",
) -> EInvoiceRequest:
    """The request for our invoice. `expected_total` (our invoice's total) is checked: a legal
    invoice that says another amount than the bill is refused here, not at the provider."""
    if not invoice_id:
        raise EInvoiceError("invoice_id is required (it is the provider's idempotency key)")
    if not seller.tax_code:
        raise EInvoiceError("the seller's tax code is required")
    if meter is not None and meter.current_index < meter.previous_index:
        raise EInvoiceError("the current index is below the previous one")
    items = items_from_lines(lines)
    if not items:
        raise EInvoiceError("an invoice has at least one item")
    without_vat = sum(i.amount for i in items)
    vat = sum(i.vat for i in items)
    total = without_vat + vat
    if expected_total is not None and total != expected_total:
        raise EInvoiceError(f"the items add up to {total} VND, the invoice says {expected_total}")
    return EInvoiceRequest(
        invoice_id=invoice_id,
        issued_at=issued_at,
        seller=seller,
        buyer=buyer,
        items=tuple(items),
        vat_groups=vat_groups(items),
        total_without_vat=without_vat,
        total_vat=vat,
        total=total,
        total_in_words=amount_in_words(abs(total)),
        period=period,
        meter=meter,
        paid=paid,
        note=note,
    )


def adds_up(request: EInvoiceRequest) -> bool:
    """What every provider checks, checked before sending."""
    return (
        sum(i.amount for i in request.items) == request.total_without_vat
        and sum(i.vat for i in request.items) == request.total_vat
        and sum(g.taxable for g in request.vat_groups) == request.total_without_vat
        and sum(g.vat for g in request.vat_groups) == request.total_vat
        and request.total_without_vat + request.total_vat == request.total
    )


# -- what was sent, and corrections (Decree 70/2025) --------------------------------------------


@dataclass(frozen=True)
class Basis:
    """What a legal invoice says, as our bill said it when it was sent: the lines and the reading.
    Kept with the invoice once sent, so a resend says the same, and a correction of the bill
    afterwards is stated against it (an adjusting invoice), never issued over it."""

    lines: tuple[BillLine, ...]
    total: int
    issued_on: str  # YYYY-MM-DD
    period: str
    customer_name: str
    customer_address: str
    old_index: int
    new_index: int
    consumption_m3: int

    def money(self) -> tuple[tuple[str, str, int, Fraction | None, Fraction | None, int | None], ...]:
        """What a correction compares: the lines' money, not the names or the date."""
        return tuple(
            (ln.kind, ln.description, ln.amount, ln.quantity, ln.unit_price, ln.rate_percent) for ln in self.lines
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": [
                {
                    "kind": ln.kind,
                    "description": ln.description,
                    "amount": ln.amount,
                    "quantity": _text(ln.quantity),
                    "unit_price": _text(ln.unit_price),
                    "rate_percent": ln.rate_percent,
                }
                for ln in self.lines
            ],
            "total": self.total,
            "issued_on": self.issued_on,
            "period": self.period,
            "customer_name": self.customer_name,
            "customer_address": self.customer_address,
            "old_index": self.old_index,
            "new_index": self.new_index,
            "consumption_m3": self.consumption_m3,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Basis:
        return cls(
            lines=tuple(
                BillLine(
                    kind=ln["kind"],
                    description=ln["description"],
                    amount=int(ln["amount"]),
                    quantity=_fraction_of(ln.get("quantity")),
                    unit_price=_fraction_of(ln.get("unit_price")),
                    rate_percent=ln.get("rate_percent"),
                )
                for ln in data["lines"]
            ),
            total=int(data["total"]),
            issued_on=data["issued_on"],
            period=data["period"],
            customer_name=data["customer_name"],
            customer_address=data["customer_address"],
            old_index=int(data["old_index"]),
            new_index=int(data["new_index"]),
            consumption_m3=int(data["consumption_m3"]),
        )


def _text(value: Fraction | None) -> str | None:
    """A quantity or price kept exactly (JSON numbers would be floats)."""
    return None if value is None else str(value)


def _fraction_of(value: Any) -> Fraction | None:
    return None if value is None else Fraction(value)


def meter_of(basis: Basis) -> MeterReading | None:
    # A meter that rolled over or was replaced (consumption given, not new - old): the block is left out.
    if basis.new_index - basis.old_index != basis.consumption_m3 or basis.new_index < basis.old_index:
        return None
    return MeterReading(basis.old_index, basis.new_index, basis.consumption_m3)


def adjustment_items(before: Sequence[BillLine], after: Sequence[BillLine]) -> list[Item]:
    """The items of an adjusting invoice taking the legal invoice from `before` to `after`: per item
    (the same name, unit price and VAT treatment) the difference of quantity, amount and VAT, signed
    (negative decreases the original); unchanged items are left out. The items add up to the
    difference of the totals by construction (each side's items add up to its total)."""
    keyed: dict[tuple[str, int | None, Fraction | None, str, str], list[Any]] = {}
    for sign, side in ((-1, items_from_lines(before)), (1, items_from_lines(after))):
        for item in side:
            key = (item.name, item.vat_percent, item.unit_price, item.unit, item.kind)
            acc = keyed.setdefault(key, [0, 0, None, item])
            acc[0] += sign * item.amount
            acc[1] += sign * item.vat
            if item.quantity is not None:
                acc[2] = (acc[2] or Fraction(0)) + sign * item.quantity
    out: list[Item] = []
    for (name, rate, price, unit, kind), (amount, vat, quantity, first) in keyed.items():
        if amount == 0 and vat == 0 and not quantity:
            continue
        out.append(
            Item(
                len(out) + 1,
                name,
                amount,
                rate,
                vat,
                unit,
                quantity,
                price,
                code=first.code,
                kind=kind,
            )
        )
    return out


def build_adjustment(
    correction_id: str,
    issued_at: datetime,
    seller: Party,
    buyer: Party,
    before: Basis,
    after: Basis,
    *,
    note: str = "",
) -> EInvoiceRequest | None:
    """The adjusting invoice (Decree 70/2025, art. 19) from the legal invoice's content `before` to
    the corrected bill `after`, or None when no money changes (nothing to adjust)."""
    if not correction_id:
        raise EInvoiceError("a correction needs its own id (the provider's idempotency key)")
    if not seller.tax_code:
        raise EInvoiceError("the seller's tax code is required")
    items = adjustment_items(before.lines, after.lines)
    if not items:
        return None
    without_vat = sum(i.amount for i in items)
    vat = sum(i.vat for i in items)
    if without_vat + vat != after.total - before.total:
        raise EInvoiceError(
            f"the adjustment adds up to {without_vat + vat} VND, the bills differ by {after.total - before.total}"
        )
    return EInvoiceRequest(
        invoice_id=correction_id,
        issued_at=issued_at,
        seller=seller,
        buyer=buyer,
        items=tuple(items),
        vat_groups=vat_groups(items),
        total_without_vat=without_vat,
        total_vat=vat,
        total=without_vat + vat,
        total_in_words=amount_in_words(abs(without_vat + vat)),
        period=after.period,
        meter=meter_of(after),
        note=note,
    )
