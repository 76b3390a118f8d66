"""Service requests (tickets, issue 18), pure rules: the kinds of request as data, the state machine, the
target time (SLA) and what counts as late, the household size a tariff uses from the next period, and the
managers' ticket figures. No I/O, no clock: instants are epoch seconds handed in.

    new --assign--> assigned --start--> in_progress --resolve(reason)--> resolved
     |                 |  ^ assign (another worker)  |
     '-----------------+-----------------------------+--reject(reason)--> rejected

Resolved and rejected are closed: nothing moves a closed ticket again, and only then may the customer
rate it (once)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chalicelib.domain.reminders import Message, ascii_text
from chalicelib.domain.vntime import VN_TZ

Status = Literal["new", "assigned", "in_progress", "resolved", "rejected"]
STATUSES: tuple[Status, ...] = ("new", "assigned", "in_progress", "resolved", "rejected")
OPEN: frozenset[str] = frozenset({"new", "assigned", "in_progress"})
CLOSED: frozenset[str] = frozenset({"resolved", "rejected"})
# What a status change may go to from each status (assigning is its own action: ASSIGNABLE).
MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"rejected"}),
    "assigned": frozenset({"in_progress", "rejected"}),
    "in_progress": frozenset({"resolved", "rejected"}),
    "resolved": frozenset(),
    "rejected": frozenset(),
}
ASSIGNABLE: frozenset[str] = frozenset({"new", "assigned", "in_progress"})
NEEDS_REASON: frozenset[str] = frozenset({"resolved", "rejected"})
# What a kind of request may require beside its description.
REQUIREMENTS = ("photo", "position", "residents", "invoice_id")
Requirement = Literal["photo", "position", "residents", "invoice_id"]
Effect = Literal["persons"]
RESIDENTS_MAX = 50
SLA_HOURS_MAX = 24 * 90
NO_BRANCH = "-"  # a customer of no branch: its tickets are queued here (an index key is never empty)


class TransitionRefused(ValueError):
    """The change is not one the state machine allows from the ticket's status."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a ticket {current} cannot become {target}")
        self.current, self.target = current, target


# -- kinds of request, as data --------------------------------------------------------------------


@dataclass(frozen=True)
class TicketType:
    key: str
    name_vi: str
    name_en: str
    sla_hours: int
    requires: tuple[Requirement, ...] = ()
    effect: Effect | None = None  # what resolving it changes: 'persons' (the household size from next period)


# The utility's list when none is configured (TICKET_TYPES): the requests SAWACO's, Thủ Đức's and Trung An's
# portals take. Targets are the utility's service commitments in hours.
DEFAULT_TYPES: tuple[TicketType, ...] = (
    TicketType("new_connection", "Lắp đặt đồng hồ nước mới", "New connection", 168),
    TicketType("meter_check", "Kiểm tra, kiểm định đồng hồ nước", "Meter check or calibration", 72),
    TicketType("leak", "Báo rò rỉ, vỡ ống", "Leak or broken pipe", 24, ("photo", "position")),
    TicketType("broken_seal", "Đứt chì niêm phong đồng hồ", "Broken meter seal", 72),
    TicketType("lost_meter", "Mất hoặc hư hỏng đồng hồ nước", "Lost or damaged meter", 48),
    TicketType("move_meter", "Di dời hoặc thay đổi cỡ đồng hồ", "Move or resize a meter", 168),
    TicketType("change_owner", "Thay đổi chủ hộ, tên khách hàng", "Change of owner or name", 120),
    TicketType(
        "household_size",
        "Đăng ký định mức (số nhân khẩu)",
        "Household-size (per-person quota) registration",
        120,
        ("residents",),
        "persons",
    ),
    TicketType("bill_complaint", "Khiếu nại hóa đơn", "Complaint about a bill", 72, ("invoice_id",)),
    TicketType("other", "Yêu cầu khác", "Other", 120),
)
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def parse_types(raw: str) -> tuple[TicketType, ...]:
    """The utility's kinds of request from JSON (the TICKET_TYPES setting): a list of
    {key, name_vi, name_en, sla_hours, requires?, effect?}. Raises ValueError naming what is wrong."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(data, list) or not 1 <= len(data) <= 50:
        raise ValueError("a JSON list of 1 to 50 kinds of request")
    out: list[TicketType] = []
    for n, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"[{n}]: an object")
        key, vi, en, sla = item.get("key"), item.get("name_vi"), item.get("name_en"), item.get("sla_hours")
        requires, effect = item.get("requires", []), item.get("effect")
        if not isinstance(key, str) or not 2 <= len(key) <= 32 or not set(key) <= _KEY_CHARS:
            raise ValueError(f"[{n}].key: 2-32 of a-z, 0-9, _")
        if not all(isinstance(v, str) and 0 < len(v) <= 100 for v in (vi, en)):
            raise ValueError(f"[{n}]: name_vi and name_en, 1-100 characters")
        if not isinstance(sla, int) or isinstance(sla, bool) or not 1 <= sla <= SLA_HOURS_MAX:
            raise ValueError(f"[{n}].sla_hours: whole hours, 1 to {SLA_HOURS_MAX}")
        if not isinstance(requires, list) or not all(r in REQUIREMENTS for r in requires):
            raise ValueError(f"[{n}].requires: a list of {', '.join(REQUIREMENTS)}")
        if effect not in (None, "persons") or (effect == "persons" and "residents" not in requires):
            raise ValueError(f"[{n}].effect: 'persons' (with 'residents' required) or none")
        assert isinstance(vi, str) and isinstance(en, str)
        out.append(TicketType(key, vi, en, sla, tuple(dict.fromkeys(requires)), effect))
    if len({t.key for t in out}) != len(out):
        raise ValueError("each key once")
    return tuple(out)


def missing(kind: TicketType, *, photos: int, position: bool, residents: bool, invoice_id: bool) -> list[str]:
    """The requirements of `kind` the request does not meet, by the request's field names."""
    given = {"photo": photos > 0, "position": position, "residents": residents, "invoice_id": invoice_id}
    names = {"photo": "photo_ids", "position": "lat", "residents": "residents", "invoice_id": "invoice_id"}
    return [names[r] for r in kind.requires if not given[r]]


# -- the state machine -------------------------------------------------------------------------------


def is_open(status: str) -> bool:
    return status in OPEN


def move(current: str, target: str) -> str:
    """The status after a change to `target`; TransitionRefused when the machine does not allow it."""
    if target not in MOVES.get(current, frozenset()):
        raise TransitionRefused(current, target)
    return target


def assign(current: str) -> str:
    """The status after assigning a worker: a new ticket becomes assigned; an assigned or started one keeps
    its status (another worker takes it over); a closed one is refused."""
    if current not in ASSIGNABLE:
        raise TransitionRefused(current, "assigned")
    return "assigned" if current == "new" else current


def needs_reason(target: str) -> bool:
    return target in NEEDS_REASON


def may_rate(status: str) -> bool:
    return status in CLOSED


# -- target time -------------------------------------------------------------------------------------


def due_at(created_at: int, sla_hours: int) -> int:
    """When the ticket should be closed: its kind's target in hours after it was made (calendar hours)."""
    if sla_hours < 1:
        raise ValueError("a target of at least one hour")
    return created_at + sla_hours * 3600


def is_overdue(status: str, due: int, now: int) -> bool:
    """Still open past its target time."""
    return is_open(status) and now > due


def on_time(closed_at: int, due: int) -> bool:
    return closed_at <= due


def queue_at(status: str, due: int, closed_at: int | None) -> int:
    """Where a ticket sorts in its queue: open ones by their target time (the most urgent first, and an
    overdue list is a key range), closed ones by when they closed."""
    if is_open(status):
        return due
    if closed_at is None:
        raise ValueError("a closed ticket has its closing time")
    return closed_at


def state(status: str) -> str:
    return "open" if is_open(status) else "closed"


def period_of(at: int) -> str:
    """The month (YYYY-MM, Vietnam time) of an instant: the period a ticket counts in."""
    return datetime.fromtimestamp(at, VN_TZ).strftime("%Y-%m")


# -- the household size (định mức) -------------------------------------------------------------------


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"


def billed_persons(persons: float, persons_next: float | None, persons_from: str | None, period: str) -> int:
    """The residents a period's bill is priced for: the registered count from `persons_from` on (an approved
    registration applies from the period after it), the customer book's before. Never below one."""
    if persons_next is not None and persons_from is not None and period >= persons_from:
        return max(1, int(persons_next))
    return max(1, int(persons))


# -- the managers' figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFact:
    type: str
    status: str
    due_at: int
    closed_at: int | None
    rating: int | None


@dataclass(frozen=True)
class TypeFigures:
    type: str
    tickets: int
    open: int
    resolved: int
    rejected: int
    on_time: int  # closed by the target time
    late: int  # closed after it, or still open past it
    open_overdue: int
    ratings: int
    average_rating: float | None  # one decimal


def _row(key: str, group: Sequence[TicketFact], now: int) -> TypeFigures:
    closed = [f for f in group if f.closed_at is not None and f.status in CLOSED]
    overdue = [f for f in group if is_overdue(f.status, f.due_at, now)]
    punctual = sum(1 for f in closed if on_time(f.closed_at or 0, f.due_at))
    rated = [f.rating for f in group if f.rating is not None]
    return TypeFigures(
        type=key,
        tickets=len(group),
        open=sum(1 for f in group if is_open(f.status)),
        resolved=sum(1 for f in group if f.status == "resolved"),
        rejected=sum(1 for f in group if f.status == "rejected"),
        on_time=punctual,
        late=len(closed) - punctual + len(overdue),
        open_overdue=len(overdue),
        ratings=len(rated),
        average_rating=round(sum(rated) / len(rated) + 1e-9, 1) if rated else None,
    )


def figures(facts: Iterable[TicketFact], now: int, order: Sequence[str] = ()) -> tuple[list[TypeFigures], TypeFigures]:
    """Per kind of request (the configured order first, then any other kind seen), and every kind together
    (`type` 'all'): counts, on time vs late, and the average satisfaction (1-5) of the rated ones."""
    every = list(facts)
    rows: dict[str, list[TicketFact]] = defaultdict(list)
    for fact in every:
        rows[fact.type].append(fact)
    keys = [k for k in order if k in rows] + sorted(k for k in rows if k not in order)
    return [_row(key, rows[key], now) for key in keys], _row("all", every, now)


# -- what the customer is told -----------------------------------------------------------------------

STATUS_VI = {
    "new": "đã tiếp nhận",
    "assigned": "đã giao nhân viên xử lý",
    "in_progress": "đang được xử lý",
    "resolved": "đã xử lý xong",
    "rejected": "không được chấp nhận",
}
NOTICE_TEXT_MAX = 160


def notice(
    channel: str,
    *,
    ticket_id: str,
    customer_code: str,
    type_name: str,
    kind: str,
    status_to: str | None,
    text: str | None,
    sender: str = "CAWACO",
) -> Message:
    """A change of the customer's request, in Vietnamese: a new status (with the reason), a worker assigned,
    or a reply (its first words). SMS is plain ASCII; push, e-mail and Zalo keep the diacritics."""
    head = f"{sender}: Yêu cầu {ticket_id} ({type_name}) của mã khách hàng {customer_code}"
    said = (text or "").strip()
    if len(said) > NOTICE_TEXT_MAX:
        said = said[: NOTICE_TEXT_MAX - 1].rstrip() + "…"
    if kind == "message":
        title, body = "Phản hồi yêu cầu của quý khách", f"{head} có phản hồi mới: {said}"
    else:
        status = status_to or "assigned"
        title = f"Yêu cầu {STATUS_VI.get(status, status)}"
        body = f"{head} {STATUS_VI.get(status, status)}." + (f" Lý do: {said}" if said else "")
    data = {"ticket_id": ticket_id, "customer_code": customer_code, "kind": kind, "status": status_to or ""}
    if channel == "sms":
        return Message(channel, ascii_text(title), ascii_text(body), data)
    if channel == "email":
        return Message(channel, f"{sender}: {title}", f"Kính gửi quý khách,\n\n{body}\n\nTrân trọng,\n{sender}", data)
    return Message(channel, title, body, data)
