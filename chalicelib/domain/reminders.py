"""Payment reminders (dunning), pure rules: which levels exist, which due dates
each day looks at, when messages may go out (quiet hours, Vietnam time) and
what they say. No AWS here; times are aware datetimes, Vietnam has no DST."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from urllib.parse import quote

from chalicelib.domain.invoices import format_vnd
from chalicelib.domain.vntime import VN_TZ as VN_TZ  # re-exported: services/reminders.py reads rules.VN_TZ

CHANNELS = ("sms", "email", "push", "zalo")
DEFAULT_CHANNELS = ("sms",)
DEFAULT_OFFSETS = (-3, 0, 7, 14)
# Seed: field visits around lunchtime annoyed customers; and nobody wants a
# payment reminder at night.
DEFAULT_QUIET = "11:00-13:30,21:00-07:00"
MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds: a longer wait takes several hops
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


# -- levels --------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    name: str
    offset_days: int  # relative to the due date: -3 = three days before, 7 = a week after

    def due_date(self, today: date) -> date:
        """The due date an invoice has if this level is due today."""
        return today - timedelta(days=self.offset_days)


def level_name(offset: int, offsets: Iterable[int] = DEFAULT_OFFSETS) -> str:
    if offset == 0:
        return "due_today"
    if offset > 0:
        return f"overdue_{offset}"
    negatives = [o for o in offsets if o < 0]
    return "due_soon" if negatives == [offset] else f"due_in_{-offset}"


def levels(offsets: Iterable[int] = DEFAULT_OFFSETS) -> tuple[Level, ...]:
    offsets = tuple(offsets)
    return tuple(Level(level_name(o, offsets), o) for o in sorted(set(offsets)))


def parse_offsets(raw: str) -> tuple[int, ...]:
    """'-3,0,7,14' -> (-3, 0, 7, 14). Raises ValueError."""
    try:
        values = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError("reminder levels are whole days relative to the due date, e.g. -3,0,7,14") from None
    if not values or len(values) > 8 or len(set(values)) != len(values) or not all(-30 <= v <= 90 for v in values):
        raise ValueError("1-8 distinct days from -30 to 90")
    return tuple(sorted(values))


def find_level(name: str, offsets: Iterable[int] = DEFAULT_OFFSETS) -> Level | None:
    return next((lv for lv in levels(offsets) if lv.name == name), None)


def vn_today(now: datetime) -> date:
    return now.astimezone(VN_TZ).date()


def due_dates_for(today: date, offsets: Iterable[int] = DEFAULT_OFFSETS) -> list[tuple[Level, date]]:
    """What today's run looks at: for each level, the due date of the invoices it reminds."""
    return [(lv, lv.due_date(today)) for lv in levels(offsets)]


# -- quiet hours ---------------------------------------------------------------


def _minutes(hhmm: str) -> int:
    m = _HHMM.match(hhmm.strip())
    if not m:
        raise ValueError(f"{hhmm!r} is not HH:MM")
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_quiet(raw: str) -> tuple[tuple[int, int], ...]:
    """'11:00-13:30,21:00-07:00' -> ((660, 810), (1260, 420)): minutes of the day,
    [start, end), a window may run past midnight. '' = no quiet hours."""
    windows = []
    for part in (p for p in raw.split(",") if p.strip()):
        start, sep, end = part.partition("-")
        if not sep:
            raise ValueError(f"{part!r}: a quiet window is HH:MM-HH:MM")
        a, b = _minutes(start), _minutes(end)
        if a == b:
            raise ValueError(f"{part!r}: an empty (or 24-hour) window")
        windows.append((a, b))
    quiet = QuietHours(tuple(windows))
    if all(quiet.is_quiet_minute(m) for m in range(24 * 60)):
        raise ValueError("the quiet hours leave no time of day to send")
    return tuple(windows)


@dataclass(frozen=True)
class QuietHours:
    windows: tuple[tuple[int, int], ...] = ((660, 810), (1260, 420))

    @staticmethod
    def _inside(minute_of_day: float, window: tuple[int, int]) -> bool:
        a, b = window
        return a <= minute_of_day < b if a < b else (minute_of_day >= a or minute_of_day < b)

    def is_quiet_minute(self, minute_of_day: float) -> bool:
        return any(self._inside(minute_of_day, w) for w in self.windows)

    def is_quiet(self, now: datetime) -> bool:
        local = now.astimezone(VN_TZ)
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        return self.is_quiet_minute(minute)

    def next_allowed(self, now: datetime) -> datetime:
        """The first instant at or after `now` outside every quiet window (in
        Vietnam time): `now` itself when it is not quiet."""
        t = now.astimezone(VN_TZ)
        for _ in range(2 * len(self.windows) + 2):  # each jump ends a window; chained windows take several
            for window in self.windows:
                minute = t.hour * 60 + t.minute + (t.second + t.microsecond / 1e6) / 60
                if self._inside(minute, window):
                    end = datetime.combine(t.date(), time(window[1] // 60, window[1] % 60), VN_TZ)
                    if end <= t:  # the window runs past midnight: it ends tomorrow
                        end += timedelta(days=1)
                    t = end
                    break
            else:
                return t
        raise ValueError("quiet hours cover the whole day")  # parse_quiet refuses such a setting

    def delay_seconds(self, now: datetime, cap: int = MAX_DELAY_SECONDS) -> int:
        """How long to hold a message now: 0 outside quiet hours, else the wait
        until next_allowed, at most `cap` (one SQS hop; the rest takes more)."""
        wait = (self.next_allowed(now) - now).total_seconds()
        if wait <= 0:
            return 0
        return max(1, min(cap, int(-(-wait // 1))))


def vn_time_to_utc_cron(hhmm: str) -> tuple[int, int]:
    """'08:00' (Vietnam) -> (minute 0, hour 1) for EventBridge's UTC cron.
    Every day: the UTC day may be the day before, which a daily cron ignores."""
    minutes = (_minutes(hhmm) - 7 * 60) % (24 * 60)
    return minutes % 60, minutes // 60


# -- messages ------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    channel: str
    subject: str  # e-mail subject / push title / Zalo template title
    text: str
    data: dict[str, str]  # the facts, for templates (Zalo ZNS) and push payloads


@dataclass(frozen=True)
class TransferNote:
    """How to pay the bill by bank transfer (VietQR, docs/vietqr.md): what a text reminder adds."""

    bank: str  # the short name, e.g. Vietcombank
    account_no: str
    account_name: str
    reference: str  # what the transfer's description must contain


def payment_link(base: str, invoice_id: str) -> str:
    if "{invoice_id}" in base:
        return base.replace("{invoice_id}", quote(invoice_id, safe=""))
    return base + quote(invoice_id, safe="")


def ascii_text(text: str) -> str:
    """Vietnamese without diacritics (SMS: diacritics are billed as Unicode, 3x the segments)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").encode("ascii", "ignore").decode()


def _vn_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def _vn_period(period: str) -> str:
    y, m = period.split("-")
    return f"{m}/{y}"


def compose(
    level: Level,
    channel: str,
    *,
    invoice_id: str,
    customer_code: str,
    period: str,
    amount: int,
    due_date: str,
    link_base: str,
    sender: str = "CAWACO",
    transfer: TransferNote | None = None,
) -> Message:
    """The reminder in Vietnamese: period, amount, due date, payment link.
    SMS is plain ASCII; e-mail, push and Zalo keep the diacritics. With `transfer`,
    SMS, e-mail and Zalo also say where to transfer it and the reference to write
    (SMS in as few characters as it can: 'CK VCB 1012345678 ND TH...'); push stays short."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    money, due, month = format_vnd(amount), _vn_date(due_date), _vn_period(period)
    link = payment_link(link_base, invoice_id)
    if level.offset_days < 0:
        when = f"sẽ đến hạn thanh toán vào ngày {due} (còn {-level.offset_days} ngày)"
        title = "Hóa đơn tiền nước sắp đến hạn"
    elif level.offset_days == 0:
        when = f"đến hạn thanh toán hôm nay, ngày {due}"
        title = "Hóa đơn tiền nước đến hạn hôm nay"
    else:
        when = f"đã quá hạn thanh toán {level.offset_days} ngày (hạn ngày {due})"
        title = "Hóa đơn tiền nước đã quá hạn"
    body = (
        f"{sender}: Hóa đơn tiền nước kỳ {month} của mã khách hàng {customer_code}, số tiền {money}, "
        f"{when}. Thanh toán trực tuyến: {link}"
    )
    data = {
        "invoice_id": invoice_id,
        "customer_code": customer_code,
        "period": month,
        "amount": money,
        "due_date": due,
        "payment_link": link,
        "level": level.name,
    }
    if transfer is not None:
        data.update(bank=transfer.bank, account_no=transfer.account_no, transfer_reference=transfer.reference)
    if channel == "sms":
        # 'CK' (chuyển khoản) and 'ND' (nội dung) are how banks' own SMS abbreviate a transfer and its text.
        extra = f" CK {transfer.bank} {transfer.account_no} ND {transfer.reference}" if transfer else ""
        return Message(channel, ascii_text(title), ascii_text(body) + ascii_text(extra), data)
    if channel == "email":
        how = (
            (
                f"\n\nHoặc chuyển khoản miễn phí (NAPAS 247): ngân hàng {transfer.bank}, số tài khoản "
                f"{transfer.account_no}, chủ tài khoản {transfer.account_name}, số tiền {money}, nội dung chuyển "
                f"khoản: {transfer.reference} (ghi đúng mã này để hóa đơn được ghi nhận tự động)."
            )
            if transfer
            else ""
        )
        text = (
            f"Kính gửi quý khách,\n\n{body[len(sender) + 2 :]}{how}\n\n"
            "Nếu quý khách đã thanh toán, xin vui lòng bỏ qua thông báo này.\n\n"
            f"Trân trọng,\n{sender}"
        )
        return Message(channel, f"{sender}: {title} (kỳ {month})", text, data)
    if channel == "zalo" and transfer:
        body += f" Chuyển khoản: {transfer.bank} {transfer.account_no}, nội dung {transfer.reference}."
    return Message(channel, title, body, data)


# -- addresses -------------------------------------------------------------------


class Addresses(Protocol):
    """Where a customer can be reached (the customer book's fields)."""

    @property
    def phone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def push_endpoint(self) -> str | None: ...


def reachable(channel: str, customer: Addresses) -> bool:
    """Whether the customer has an address for the channel (Zalo ZNS addresses a phone number)."""
    return bool(
        {"sms": customer.phone, "email": customer.email, "push": customer.push_endpoint, "zalo": customer.phone}.get(
            channel
        )
    )
