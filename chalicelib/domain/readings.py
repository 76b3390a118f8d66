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
from datetime import date

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
) -> Decision:
    """`history`: the last months' consumption in m³, newest first."""
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
    reasons += flagged
    channel = NON_CASH_CHANNELS.get(payment_channel)
    if channel:
        reasons.append(Reason(*channel))
    collect = not flagged and channel is None
    return Decision(
        "flagged" if flagged else "billed", consumption, old_index, collect, "receipt" if collect else "notice", reasons
    )


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
