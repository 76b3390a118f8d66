"""Water-cut notices (issue 18), pure rules: the life of a notice and which changes notify customers
(each such change is a new revision, notified once per customer), who an area affects, when a notice may
go out (quiet hours for planned cuts, none for emergencies), what the message says, and what the public
board shows. No AWS, no clock: instants are epoch seconds handed in, shown in Vietnam time.

    draft --publish--> published --update--> updated --update--> updated ...
      |  (edit: no notice)   |                  |
      '--cancel--> cancelled <--cancel----------'        (a published one: customers are told)
                         published / updated --restore--> restored ("water is back")
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chalicelib.domain.reminders import CHANNELS, Message, QuietHours, ascii_text
from chalicelib.domain.vntime import VN_TZ

Kind = Literal["planned", "emergency"]
Status = Literal["draft", "published", "updated", "cancelled", "restored"]
Action = Literal["edit", "publish", "update", "cancel", "restore"]
KINDS: tuple[Kind, ...] = ("planned", "emergency")
STATUSES: tuple[Status, ...] = ("draft", "published", "updated", "cancelled", "restored")
LIVE: frozenset[str] = frozenset({"published", "updated"})  # the water is (or will be) off
ON_BOARD: frozenset[str] = frozenset({"published", "updated", "restored"})
RESTORED_SHOWN_S = 12 * 3600  # "water is back" stays on the board this long after it is said
MAX_AHEAD_S = 366 * 86400  # a cut is announced at most a year ahead
MAX_LENGTH_S = 30 * 86400  # and lasts at most 30 days (a longer one is several notices)


class NotAllowed(ValueError):
    """The action does not apply to a notice in this status (the service answers 409)."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"a {status} notice cannot be {action}ed")
        self.status, self.action = status, action


# -- the life of a notice ----------------------------------------------------------------------------

_MOVES: dict[tuple[str, str], Status] = {
    ("draft", "edit"): "draft",
    ("draft", "publish"): "published",
    ("draft", "cancel"): "cancelled",
    ("published", "update"): "updated",
    ("updated", "update"): "updated",
    ("published", "cancel"): "cancelled",
    ("updated", "cancel"): "cancelled",
    ("published", "restore"): "restored",
    ("updated", "restore"): "restored",
}


@dataclass(frozen=True)
class Move:
    status: Status
    revision: int  # the notice's revision after the move: a notifying move adds one
    notifies: bool  # every affected customer with a channel is told, once for this revision


def move(status: str, revision: int, action: str) -> Move:
    """What `action` does to a notice in `status` at `revision`. A draft changes silently (nobody was told
    of it); every change customers were told of before is told again, as a new revision. NotAllowed
    otherwise (a cancelled or restored notice is final)."""
    after = _MOVES.get((status, action))
    if after is None:
        raise NotAllowed(status, action)
    notifies = status != "draft" or action == "publish"
    return Move(after, revision + 1 if notifies else revision, notifies)


def event_of(status: str, revision: int) -> str:
    """What the message of a revision announces: the cut (its first revision), a change, its
    cancellation, or the water back."""
    if status == "restored":
        return "restored"
    if status == "cancelled":
        return "cancelled"
    return "published" if revision <= 1 else "updated"


def check_times(starts_at: int, ends_at: int, now: int) -> str | None:
    """Why these times are not a notice's (None: they are). The start may be past (an emergency under
    way, a change to a cut already begun); the end must be ahead."""
    if ends_at <= starts_at:
        return "ends_at must be after starts_at"
    if ends_at - starts_at > MAX_LENGTH_S:
        return "a water cut lasts at most 30 days"
    if starts_at > now + MAX_AHEAD_S:
        return "a water cut is announced at most a year ahead"
    if ends_at <= now:
        return "ends_at is already past"
    return None


# -- the area --------------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def ward_key(name: str) -> str:
    """A ward's key: its name without diacritics, lower case, words joined by '-' ('Phường 7' ->
    'phuong-7', 'P. Tân Thành' -> 'p-tan-thanh'). The customer book's ward and a notice's are compared so."""
    return _NOT_WORD.sub("-", ascii_text(name).lower()).strip("-")


@dataclass(frozen=True)
class Area:
    """The area of a notice: wards (their keys), reading routes, and customer codes; any of them."""

    ward_keys: frozenset[str] = frozenset()
    route_ids: frozenset[str] = frozenset()
    customer_codes: frozenset[str] = frozenset()

    @staticmethod
    def of(ward_keys: Iterable[str], route_ids: Iterable[str], customer_codes: Iterable[str]) -> Area:
        return Area(frozenset(ward_keys), frozenset(route_ids), frozenset(customer_codes))

    @property
    def empty(self) -> bool:
        return not (self.ward_keys or self.route_ids or self.customer_codes)


def affects(area: Area, code: str, ward: str | None, routes_of_code: Collection[str]) -> bool:
    """Whether the area takes in the customer `code` living in `ward` (a key, or None when the customer
    book does not say) and read on the routes `routes_of_code`: the union of the area's parts."""
    return (
        code in area.customer_codes
        or (ward is not None and ward in area.ward_keys)
        or any(r in area.route_ids for r in routes_of_code)
    )


# -- when a notice may go out ------------------------------------------------------------------------


def delay_seconds(kind: str, event: str, now: datetime, starts_at: int, quiet: QuietHours) -> int:
    """How long to hold a customer's notice now: never for an emergency; for a planned cut, until the
    quiet hours end, except when that would tell of a cut (or its change) only once the water is off:
    a planned cut starting before the quiet hours end goes out now."""
    if kind == "emergency":
        return 0
    wait = quiet.delay_seconds(now)
    if wait and event in ("published", "updated") and quiet.next_allowed(now).timestamp() >= starts_at:
        return 0
    return wait


# -- what the notice says -----------------------------------------------------------------------------


def vn_clock(epoch: int) -> str:
    """'08:00 12/06/2031', Vietnam time."""
    return datetime.fromtimestamp(epoch, VN_TZ).strftime("%H:%M %d/%m/%Y")


def compose(
    channel: str,
    *,
    event: str,
    kind: str,
    notice_id: str,
    revision: int,
    customer_code: str,
    reason: str,
    starts_at: int,
    ends_at: int,
    restored_at: int | None = None,
    sender: str = "CAWACO",
) -> Message:
    """The notice in Vietnamese for one customer code. SMS is plain ASCII (diacritics triple the
    segments); e-mail, push and Zalo keep them."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    start, end = vn_clock(starts_at), vn_clock(ends_at)
    if event == "restored":
        back = vn_clock(restored_at if restored_at is not None else ends_at)
        title = "Đã cấp nước trở lại"
        body = f"{sender}: Nước đã được cấp trở lại từ {back} (mã khách hàng {customer_code}). Cảm ơn quý khách."
    elif event == "cancelled":
        title = "Hủy lịch ngưng cấp nước"
        body = (
            f"{sender}: Lịch ngưng cấp nước từ {start} đến {end} (mã khách hàng {customer_code}) đã được hủy; "
            "nước vẫn được cấp bình thường."
        )
    else:
        urgent = kind == "emergency"
        title = "Ngưng cấp nước khẩn cấp" if urgent else "Thông báo tạm ngưng cấp nước"
        if event == "updated":
            title = f"Cập nhật: {title[0].lower()}{title[1:]}"
        what = "do sự cố" if urgent else "theo kế hoạch"
        body = (
            f"{sender}: {'Cập nhật: ' if event == 'updated' else ''}Tạm ngưng cấp nước {what} "
            f"từ {start} đến {end} (mã khách hàng {customer_code}). Lý do: {reason}. "
            "Quý khách vui lòng dự trữ nước."
        )
    data = {
        "notice_id": notice_id,
        "revision": str(revision),
        "event": event,
        "kind": kind,
        "customer_code": customer_code,
        "starts_at": start,
        "ends_at": end,
    }
    if channel == "sms":
        return Message(channel, ascii_text(title), ascii_text(body), data)
    if channel == "email":
        text = f"Kính gửi quý khách,\n\n{body[len(sender) + 2 :]}\n\nTrân trọng,\n{sender}"
        return Message(channel, f"{sender}: {title}", text, data)
    return Message(channel, title, body, data)


# -- the board: what customers and the public see ------------------------------------------------------


def shown_until(status: str, ends_at: int, restored_at: int | None) -> int | None:
    """Until when a notice is on the board (current or upcoming): a live one until its end, "water is
    back" for RESTORED_SHOWN_S after it was said; None: not on the board (a draft, a cancelled one)."""
    if status in LIVE:
        return ends_at
    if status == "restored":
        return (restored_at if restored_at is not None else ends_at) + RESTORED_SHOWN_S
    return None


def public_ward_match(ward_keys: Collection[str], asked: str | None) -> bool:
    """Whether a notice answers the public board's `?ward=` (a name or a key; none: every notice)."""
    return asked is None or ward_key(asked) in ward_keys
