"""What the server decides about a meter reading taken in the field (seed 003,
"ghi thu chung"): bill it, flag it, or reject it, and whether the worker may
take cash on the spot. Plain functions; no AWS.

Collecting on the spot is refused when the customer pays by bank transfer or
authorised debit, when consumption dropped against the previous month (a
suspicious read), and when the new index is below the old one. Other
plausibility checks (zero consumption, an abnormal spike) flag the reading too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from chalicelib.domain.reminders import CHANNELS, Message, ascii_text

NON_CASH_CHANNELS = {
    "bank_transfer": (
        "PAYS_BY_BANK_TRANSFER",
        "Khách hàng thanh toán chuyển khoản: không thu tiền, in giấy báo.",
        "Pays by bank transfer: do not collect, print a notice.",
    ),
    "authorised_debit": (
        "PAYS_BY_AUTHORISED_DEBIT",
        "Khách hàng thanh toán nhờ thu: không thu tiền, in giấy báo.",
        "Pays by authorised debit: do not collect, print a notice.",
    ),
}


@dataclass(frozen=True)
class Reason:
    code: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message_vi": self.message_vi, "message_en": self.message_en}


@dataclass(frozen=True)
class Thresholds:
    drop_ratio: float = 0.30  # flagged when consumption fell by more than this against last month / average
    spike_factor: float = 3.0  # flagged when above this many times the recent average...
    spike_min_m3: int = 10  # ...and by at least this many m³
    cycle_min_days: int = 25  # flagged when the reading closes a cycle shorter than this...
    cycle_max_days: int = 35  # ...or longer than this (issue 18: a long cycle is a bill shock)


# Flags that hold the bill of a field reading for a manager's review, with the meter photo as evidence
# (issue 18). Zero consumption is not one: it bills nothing to dispute.
REVIEW_CODES = frozenset({"CONSUMPTION_SPIKE", "CONSUMPTION_DROP", "CYCLE_TOO_LONG", "CYCLE_TOO_SHORT"})


@dataclass(frozen=True)
class Meter:
    old_index: int
    digits: int = 5
    last_read_on: date | None = None
    replaced_on: date | None = None
    start_index: int | None = None


@dataclass
class Decision:
    status: str  # billed | flagged | rejected
    consumption: int | None
    old_index: int
    collect_on_spot: bool
    print_kind: str  # receipt | notice | none
    reasons: list[Reason] = field(default_factory=list)


def evaluate(
    new_index: int,
    meter: Meter,
    history: Sequence[int],
    payment_channel: str,
    thresholds: Thresholds = Thresholds(),
    read_on: date | None = None,
    cycle_days: int | None = None,
) -> Decision:
    """`history`: the last months' consumption in m³, newest first; `cycle_days`: the days since the
    reading this one follows (None: not known, not checked)."""
    if not isinstance(new_index, int) or isinstance(new_index, bool) or new_index < 0:
        raise ValueError("new_index must be a whole, non-negative number")
    reasons: list[Reason] = []
    old_index = meter.old_index
    replaced_on = meter.replaced_on
    if (
        replaced_on is not None
        and (meter.last_read_on is None or replaced_on > meter.last_read_on)
        and meter.start_index is not None
        and (read_on is None or replaced_on <= read_on)
    ):
        # A new meter since the last reading: count from its first index.
        old_index = meter.start_index
        reasons.append(
            Reason(
                "METER_REPLACED",
                "Đồng hồ đã thay: tính từ chỉ số đầu của đồng hồ mới.",
                "Meter replaced: counted from the new meter's first index.",
            )
        )
    consumption: int | None
    if new_index >= old_index:
        consumption = new_index - old_index
    else:
        consumption = _rollover(old_index, new_index, meter.digits, history)
        if consumption is None:
            reasons.append(
                Reason(
                    "NEW_INDEX_BELOW_OLD",
                    "Chỉ số mới nhỏ hơn chỉ số cũ: kiểm tra lại đồng hồ.",
                    "The new index is below the old one: check the meter.",
                )
            )
            return Decision("rejected", None, old_index, False, "none", reasons)
        reasons.append(
            Reason(
                "METER_ROLLOVER",
                "Đồng hồ quay vòng qua 0: đã tính tiêu thụ qua mốc.",
                "The meter rolled over past zero: consumption counted across it.",
            )
        )

    flagged = []
    previous = history[0] if history else None
    recent = [h for h in history[:3] if h is not None]
    average = sum(recent) / len(recent) if recent else None
    if consumption == 0:
        flagged.append(
            Reason(
                "ZERO_CONSUMPTION",
                "Tiêu thụ bằng 0: kiểm tra đồng hồ, nhà có người ở không.",
                "Zero consumption: check the meter and whether the house is occupied.",
            )
        )
    elif (previous and consumption < previous * (1 - thresholds.drop_ratio)) or (
        average and consumption < average * (1 - thresholds.drop_ratio)
    ):
        flagged.append(
            Reason(
                "CONSUMPTION_DROP",
                f"Sản lượng giảm bất thường so với tháng trước ({previous} m³): không thu tiền, in giấy báo.",
                f"Consumption fell against last month ({previous} m³): do not collect, print a notice.",
            )
        )
    if average and consumption > average * thresholds.spike_factor and consumption - average >= thresholds.spike_min_m3:
        flagged.append(
            Reason(
                "CONSUMPTION_SPIKE",
                f"Sản lượng tăng đột biến (trung bình {average:.0f} m³): kiểm tra rò rỉ hoặc đọc sai.",
                f"Consumption spiked (average {average:.0f} m³): check for a leak or a misread.",
            )
        )
    cycle = cycle_reason(cycle_days, thresholds)
    if cycle is not None:
        flagged.append(cycle)
    reasons += flagged
    channel = NON_CASH_CHANNELS.get(payment_channel)
    if channel:
        reasons.append(Reason(*channel))
    collect = not flagged and channel is None
    return Decision(
        "flagged" if flagged else "billed", consumption, old_index, collect, "receipt" if collect else "notice", reasons
    )


def cycle_reason(cycle_days: int | None, thresholds: Thresholds = Thresholds()) -> Reason | None:
    """A cycle outside [cycle_min_days, cycle_max_days]: the bill covers an unusual stretch of time."""
    if cycle_days is None:
        return None
    if cycle_days > thresholds.cycle_max_days:
        return Reason(
            "CYCLE_TOO_LONG",
            f"Kỳ đọc dài bất thường ({cycle_days} ngày, quá {thresholds.cycle_max_days} ngày).",
            f"An unusually long reading cycle ({cycle_days} days, over {thresholds.cycle_max_days}).",
        )
    if cycle_days < thresholds.cycle_min_days:
        return Reason(
            "CYCLE_TOO_SHORT",
            f"Kỳ đọc ngắn bất thường ({cycle_days} ngày, dưới {thresholds.cycle_min_days} ngày).",
            f"An unusually short reading cycle ({cycle_days} days, under {thresholds.cycle_min_days}).",
        )
    return None


def needs_review(decision: Decision) -> bool:
    """A spike, a drop or an unusual cycle: the bill waits for a manager, who sees the meter photo."""
    return decision.status == "flagged" and any(r.code in REVIEW_CODES for r in decision.reasons)


def reading_day(period: str, days: Sequence[int]) -> date | None:
    """The first day of the period a route is walked on (a day past the month's end: its last day)."""
    if not days:
        return None
    year, month = (int(p) for p in period.split("-"))
    for day in (min(days), 31, 30, 29, 28):
        if day <= min(days):
            try:
                return date(year, month, day)
            except ValueError:
                continue
    return None


def self_reading_window(read_on: date, window_days: int) -> tuple[date, date] | None:
    """The days a customer may send its own reading: the `window_days` before the route's reading day
    (the day itself is the staff's). None when self-reading is off (0 days)."""
    if window_days <= 0:
        return None
    return read_on - timedelta(days=window_days), read_on - timedelta(days=1)


def _rollover(old_index: int, new_index: int, digits: int, history: Sequence[int]) -> int | None:
    """A meter with `digits` digits goes from 99999 back to 0. Accept that only
    when the old index was near the top and the result is a plausible month."""
    top = 10**digits
    if not 3 <= digits <= 9 or old_index >= top or old_index < top * 0.9:
        return None
    consumption = top - old_index + new_index
    recent = [h for h in history[:3] if h]
    ceiling = max(3 * (sum(recent) / len(recent)), 50) if recent else 100
    return consumption if consumption <= ceiling else None


# -- issue 18: the invitation to read one's own meter ---------------------------------------------------


def invite_message(
    channel: str, *, customer_code: str, read_on: date, closes_on: date, link: str, sender: str = "CAWACO"
) -> Message:
    """'Send your meter reading before the staff comes': no name, no amount; SMS in plain ASCII."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    until, day = closes_on.strftime("%d/%m/%Y"), read_on.strftime("%d/%m/%Y")
    title = "Mời quý khách tự ghi chỉ số nước"
    body = (
        f"{sender}: Quý khách có thể tự gửi chỉ số đồng hồ nước (kèm ảnh) của mã khách hàng {customer_code} "
        f"đến hết ngày {until} trên ứng dụng Chăm sóc khách hàng; nhân viên ghi chỉ số ngày {day}. {link}"
    )
    data = {"customer_code": customer_code, "until": until, "read_on": day, "link": link, "level": "self_reading"}
    if channel == "sms":
        return Message(channel, ascii_text(title), ascii_text(body), data)
    if channel == "email":
        text = f"Kính gửi quý khách,\n\n{body[len(sender) + 2 :]}\n\nTrân trọng,\n{sender}"
        return Message(channel, f"{sender}: {title}", text, data)
    return Message(channel, title, body, data)
