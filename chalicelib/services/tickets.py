"""Service requests (tickets, issue 18): a customer asks about one of its linked codes (a leak with a photo and
its position, a meter check, a household-size registration, a complaint about a bill...), follows it and
rates the result; field staff of the customer's branch and the managers work the queue. No Chalice, no boto3.

- Who sees a ticket: the customer while the code is linked to its account; staff of the ticket's branch;
  any manager. Anyone else gets exactly the answer a missing ticket gets (404 TICKET_NOT_FOUND).
- The state machine is domain/tickets.py's; every change is a conditional write on the ticket as read (two
  workers at once: one wins, the other gets 409 TICKET_CHANGED), with its event and its audit entry.
- The target time (due_at) is the kind's SLA after the request; open tickets past it are overdue: the queue
  filters them (`overdue=true`, a key range of the index), and a job counts them for an alarm.
- Each change the customer should hear of (assigned, a status, a reply) is queued as a TicketNotice on the
  reminders queue; the reminders worker sends it on the customer's channels (services/delivery.py), once per
  channel, outside quiet hours.
- An approved (resolved) household-size registration sets the residents the tariff uses from the next
  period (domain/tickets.billed_persons; services/billing.py reads it), in the same transaction, audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any, cast

from chalicelib.config import Settings
from chalicelib.domain import reminders as reminder_rules
from chalicelib.domain import tickets as rules
from chalicelib.domain.identifiers import IDEMPOTENCY_KEY_RE, TICKET_ID_RE
from chalicelib.domain.messages import TicketNotice
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import iso, now_vn
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError, invalid_cursor
from chalicelib.observability import logger
from chalicelib.ports.common import AuditEntries, Clock, ConditionFailed
from chalicelib.ports.notices import Notifier, ReminderQueue, Reminders
from chalicelib.ports.tickets import (
    Change,
    NewEvent,
    NewTicket,
    Rating,
    TicketEventRecord,
    TicketRecord,
    Tickets,
    TicketTypeSource,
)
from chalicelib.services.auth import linked_code
from chalicelib.services.delivery import channels_for, send_on
from chalicelib.services.photos import PhotoService, staff_owner
from chalicelib.services.shapes_tickets import (
    AssignTicket,
    ChangeStatus,
    CreateTicket,
    EventKind,
    OverdueSweep,
    PhotoLink,
    RateTicket,
    Role,
    Status,
    TicketEvent,
    TicketMessage,
    TicketPage,
    TicketSummary,
    TicketTypes,
    TicketTypeView,
    TicketView,
)

PAGE_DEFAULT, PAGE_MAX = 20, 100
NOTICE_LEVEL = "ticket"  # the reminders store's `level` of a ticket notice (its key: 'ticket#<id>#<seq>')
TOLD = frozenset({"assigned", "status"})  # events the customer hears of, beside staff and managers' messages


def ticket_not_found() -> NotFound:
    return NotFound("no such ticket", "Không tìm thấy yêu cầu.", code="TICKET_NOT_FOUND")


def _changed() -> Conflict:
    return Conflict(
        "the ticket changed meanwhile: read it again",
        "Yêu cầu vừa được cập nhật, vui lòng tải lại.",
        code="TICKET_CHANGED",
    )


def _closed() -> Conflict:
    return Conflict("the ticket is closed", "Yêu cầu đã đóng.", code="TICKET_CLOSED")


def notice_key(ticket_id: str, seq: int) -> str:
    return f"ticket#{ticket_id}#{seq}"


class TicketService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Tickets,
        types: TicketTypeSource,
        photos: PhotoService,
        clock: Clock,
        audit_entry: AuditEntries,
        queue: ReminderQueue,
        notices: Reminders,
        notifier: Notifier,
    ) -> None:
        self.s = settings
        self.store = store
        self._types = types
        self.photos = photos
        self.clock = clock
        self.audit_entry = audit_entry
        self.notice_queue = queue
        self.notices = notices
        self.notifier = notifier
        self.quiet = reminder_rules.QuietHours(tuple(settings.reminder_quiet_hours))

    # -- kinds of request ----------------------------------------------------------------------

    def kinds(self) -> dict[str, rules.TicketType]:
        return {t.key: t for t in self._types.types()}

    def types(self, lang: str) -> dict[str, Any]:
        shown = TicketTypes(
            types=[
                TicketTypeView(
                    key=t.key,
                    name=t.name_en if lang == "en" else t.name_vi,
                    name_vi=t.name_vi,
                    name_en=t.name_en,
                    sla_hours=t.sla_hours,
                    requires=list(t.requires),
                )
                for t in self._types.types()
            ]
        )
        return _json(shown)

    # -- the customer ---------------------------------------------------------------------------

    def create(
        self, identity: Identity, body: dict[str, Any], idempotency_key: str | None, lang: str
    ) -> tuple[dict[str, Any], bool]:
        """The new ticket and True; or, for a request id (or Idempotency-Key) sent before, the first ticket
        and False (nothing changes)."""
        code = linked_code(identity, body.get("customer_code"))  # 403 before any other fault, as ever
        asked = parse(CreateTicket, body)
        key = asked.request_id or idempotency_key
        if key is not None and not IDEMPOTENCY_KEY_RE.fullmatch(key):
            raise ValidationError(
                "Idempotency-Key: 8-128 of letters, digits, '_.:-'",
                "Idempotency-Key không hợp lệ.",
                field="Idempotency-Key",
            )
        ticket_id = _ticket_id(identity.account_id, key)
        if key is not None:
            earlier = self.store.get(ticket_id)
            if earlier is not None:
                return self._view(earlier, identity, lang), False
        kind = self.kinds().get(asked.type)
        if kind is None:
            raise ValidationError(
                "type must be a kind of request the utility takes (GET /v1/me/ticket-types)",
                "Loại yêu cầu không hợp lệ.",
                field="type",
                code="TICKET_TYPE_UNKNOWN",
            )
        if (asked.lat is None) != (asked.lng is None):
            raise ValidationError(
                "lat and lng go together", "Thiếu toạ độ (lat, lng).", field="lng" if asked.lng is None else "lat"
            )
        lacking = rules.missing(
            kind,
            photos=len(asked.photo_ids),
            position=asked.lat is not None,
            residents=asked.residents is not None,
            invoice_id=asked.invoice_id is not None,
        )
        if lacking:
            raise ValidationError(
                f"this kind of request needs {', '.join(lacking)}",
                f"Loại yêu cầu này cần thêm: {', '.join(lacking)}.",
                field=lacking[0],
                code="TICKET_FIELD_REQUIRED",
            )
        if asked.invoice_id is not None and not asked.invoice_id.startswith(f"INV-{code}-"):
            raise ValidationError(
                "invoice_id is not an invoice of this customer code",
                "Hóa đơn không thuộc mã khách hàng này.",
                field="invoice_id",
                code="INVOICE_NOT_FOUND",
            )
        keys = self._confirmed("ticket", code, asked.photo_ids)
        branch = self.store.customer_branch(code)
        if branch is None:
            raise ticket_not_found()  # the code was linked but the customer is gone from the book
        now = self.clock.now()
        ticket = NewTicket(
            ticket_id=ticket_id,
            customer_code=code,
            account_id=identity.account_id,
            branch=branch,
            type=kind.key,
            description=asked.description,
            created_at=now,
            due_at=rules.due_at(now, kind.sla_hours),
            lat=asked.lat,
            lng=asked.lng,
            residents=asked.residents,
            invoice_id=asked.invoice_id,
            photos=keys,
        )
        event = NewEvent(
            kind="created",
            by_role="customer",
            actor=identity.account_id,
            at=now,
            text=asked.description,
            status_to="new",
            photos=keys,
        )
        made = self.store.create(ticket, event)
        stored = self.store.get(ticket_id)
        if stored is None:  # pragma: no cover - written just now, read consistently
            raise ticket_not_found()
        if made:
            logger.info("ticket created", extra={"ticket_id": ticket_id, "type": kind.key, "branch": branch})
        elif stored.account_id != identity.account_id:  # a random id taken: vanishingly rare, never shown
            raise Conflict("try again", "Vui lòng thử lại.", code="TICKET_CHANGED")
        return self._view(stored, identity, lang), made

    def list_mine(self, identity: Identity, code: object, limit: object, cursor: object, lang: str) -> dict[str, Any]:
        owned = linked_code(identity, code)
        size = _limit(limit)
        items, next_cursor = self.store.for_customer(owned, size, _cursor(cursor))
        return _json(TicketPage(tickets=[self._summary(t, identity, lang) for t in items], next_cursor=next_cursor))

    def get(self, identity: Identity, ticket_id: str, lang: str) -> dict[str, Any]:
        return self._view(self._visible(identity, ticket_id), identity, lang, history=True)

    def message(self, identity: Identity, ticket_id: str, body: dict[str, Any], lang: str) -> dict[str, Any]:
        """A message of the customer, or a reply of staff or a manager (the customer is told of a reply)."""
        ticket = self._visible(identity, ticket_id)
        asked = parse(TicketMessage, body)
        if not rules.is_open(ticket.status):
            raise _closed()
        role = _role(identity)
        purpose, owner = {
            "customer": ("ticket", ticket.customer_code),
            "staff": ("ticket_reply", staff_owner(identity)),
            "admin": ("manager_reply", staff_owner(identity)),  # a manager's photos kept apart from staff's
        }[role]
        keys = self._confirmed(purpose, owner, asked.photo_ids)
        event = NewEvent(
            kind="message", by_role=role, actor=identity.account_id, at=self.clock.now(), text=asked.text, photos=keys
        )
        try:
            self.store.add_event(ticket, event)
        except ConditionFailed:
            raise _changed() from None
        if role != "customer":
            self._tell(ticket.ticket_id, int(ticket.events))
        return self.get(identity, ticket_id, lang)

    def rate(self, identity: Identity, ticket_id: str, body: dict[str, Any], lang: str) -> dict[str, Any]:
        ticket = self._visible(identity, ticket_id)
        if _role(identity) != "customer":
            raise Forbidden()
        asked = parse(RateTicket, body)
        if not rules.may_rate(ticket.status):
            raise Conflict(
                "a ticket is rated once it is resolved or rejected",
                "Chỉ đánh giá được khi yêu cầu đã xử lý xong hoặc bị từ chối.",
                code="TICKET_NOT_CLOSED",
            )
        if ticket.rating is not None:
            raise Conflict(
                "this ticket was rated already", "Yêu cầu này đã được đánh giá.", code="TICKET_ALREADY_RATED"
            )
        comment = (asked.comment or "").strip() or None
        now = self.clock.now()
        event = NewEvent(kind="rated", by_role="customer", actor=identity.account_id, at=now, text=comment)
        try:
            self.store.rate(ticket, Rating(rating=asked.rating, comment=comment, event=event))
        except ConditionFailed:
            raise _changed() from None
        return self.get(identity, ticket_id, lang)

    # -- staff and managers ---------------------------------------------------------------------

    def queue(self, identity: Identity, params: dict[str, Any], lang: str) -> dict[str, Any]:
        """Staff: their branch's queue; managers: every branch's, or one (`branch`). Open tickets (the most
        urgent first) unless `status` names a closed one; `overdue=true`: open ones past their target."""
        role = _role(identity)
        if role == "customer":
            raise Forbidden()
        status, kind, overdue = params.get("status"), params.get("type"), params.get("overdue")
        if status is not None and status not in rules.STATUSES:
            raise ValidationError(
                f"status must be one of {', '.join(rules.STATUSES)}", "Trạng thái không hợp lệ.", field="status"
            )
        if kind is not None and kind not in self.kinds():
            raise ValidationError("type must be a kind of request", "Loại yêu cầu không hợp lệ.", field="type")
        if overdue not in (None, "true", "false"):
            raise ValidationError("overdue must be true or false", "overdue phải là true hoặc false.", field="overdue")
        branch: str | None
        if role == "staff":
            branch = identity.branch or ""
        else:
            raw = params.get("branch")
            if raw is not None and (not isinstance(raw, str) or not 0 < len(raw) <= 100):
                raise ValidationError("branch must be a branch name", "Tên chi nhánh không hợp lệ.", field="branch")
            branch = raw
        closed = status in rules.CLOSED
        if overdue == "true" and closed:
            raise ValidationError(
                "overdue lists open tickets: leave status out or name an open one",
                "Danh sách quá hạn chỉ gồm yêu cầu đang mở.",
                field="overdue",
            )
        items, next_cursor = self.store.queue(
            branch,
            "closed" if closed else "open",
            before=self.clock.now() if overdue == "true" else None,
            status=status,
            type=kind,
            limit=_limit(params.get("limit")),
            cursor=_cursor(params.get("cursor")),
        )
        return _json(TicketPage(tickets=[self._summary(t, identity, lang) for t in items], next_cursor=next_cursor))

    def assign(self, identity: Identity, ticket_id: str, body: dict[str, Any], lang: str) -> dict[str, Any]:
        ticket = self._managed(identity, ticket_id)
        asked = parse(AssignTicket, body)
        try:
            status = rules.assign(ticket.status)
        except rules.TransitionRefused as refused:
            raise _refused(refused) from None
        their_branch = self.store.staff_branch(asked.assignee)
        if their_branch is None or (their_branch or rules.NO_BRANCH) != ticket.branch:
            raise ValidationError(
                "assignee must be a staff member of the ticket's branch",
                "Nhân viên được giao phải thuộc chi nhánh của khách hàng.",
                field="assignee",
                code="ASSIGNEE_NOT_IN_BRANCH",
            )
        now = self.clock.now()
        event = NewEvent(
            kind="assigned",
            by_role=_role(identity),
            actor=identity.account_id,
            at=now,
            text=(asked.note or "").strip() or None,
            status_from=ticket.status,
            status_to=status,
            assignee=asked.assignee,
        )
        audit = self.audit_entry(
            f"ticket#{ticket.ticket_id}",
            identity.account_id,
            "ticket.assign",
            {"status": ticket.status, "assignee": ticket.assignee},
            {"status": status, "assignee": asked.assignee},
            now,
        )
        self._change(ticket, Change(status=status, event=event, assignee=asked.assignee, audit=audit))
        return self.get(identity, ticket_id, lang)

    def change_status(self, identity: Identity, ticket_id: str, body: dict[str, Any], lang: str) -> dict[str, Any]:
        ticket = self._managed(identity, ticket_id)
        asked = parse(ChangeStatus, body)
        try:
            status = rules.move(ticket.status, asked.status)
        except rules.TransitionRefused as refused:
            raise _refused(refused) from None
        reason = (asked.reason or "").strip() or None
        if rules.needs_reason(status) and reason is None:
            raise ValidationError(
                f"a reason is required to mark a ticket {status}",
                "Cần ghi lý do khi kết thúc hoặc từ chối yêu cầu.",
                field="reason",
                code="REASON_REQUIRED",
            )
        now = self.clock.now()
        closed_at = now if status in rules.CLOSED else None
        actor = identity.account_id
        event = NewEvent(
            kind="status",
            by_role=_role(identity),
            actor=actor,
            at=now,
            text=reason,
            status_from=ticket.status,
            status_to=status,
        )
        audit = self.audit_entry(
            f"ticket#{ticket.ticket_id}",
            actor,
            f"ticket.{status}",
            {"status": ticket.status},
            {"status": status, "reason": reason},
            now,
        )
        change = Change(status=status, event=event, reason=reason, closed_at=closed_at, audit=audit)
        kind = self.kinds().get(ticket.type)
        if status == "resolved" and kind is not None and kind.effect == "persons" and ticket.residents is not None:
            period_from = rules.next_period(rules.period_of(now))
            residents = int(ticket.residents)
            persons_audit = self.audit_entry(
                f"customer#{ticket.customer_code}",
                actor,
                "customer.persons_next",
                None,
                {"persons_next": residents, "persons_from": period_from, "ticket_id": ticket.ticket_id},
                now,
            )
            change = Change(
                status=status,
                event=event,
                reason=reason,
                closed_at=closed_at,
                audit=audit,
                persons_next=residents,
                persons_from=period_from,
                persons_audit=persons_audit,
            )
        self._change(ticket, change)
        return self.get(identity, ticket_id, lang)

    # -- what the managers' KPIs read (ports/tickets.TicketKpiReads) ---------------------------------

    def of_period(self, period: str) -> Sequence[TicketRecord]:
        return self.store.of_period(period)

    def now(self) -> int:
        return self.clock.now()

    def type_order(self) -> Sequence[str]:
        return [t.key for t in self._types.types()]

    # -- the overdue sweep ------------------------------------------------------------------------

    def sweep(self) -> dict[str, Any]:
        """Open tickets past their target time, every branch (one counting Query of the by_state index)."""
        now = self.clock.now()
        count = self.store.count_overdue(now)
        logger.info("tickets overdue", extra={"overdue": count})
        return _json(OverdueSweep(overdue=count, at=iso(now)))

    # -- the customer's notice (the reminders worker) -----------------------------------------------

    def send_notice(self, ticket_id: str, seq: int) -> str:
        """Tell the customer of event `seq`: 'sent', 'skipped', 'deferred' (quiet hours) or what it was
        already. Raises when a channel fails (SQS retries; a channel that went out is not repeated)."""
        ticket = self.store.get(ticket_id) if TICKET_ID_RE.match(ticket_id) else None
        if ticket is None:
            return "unknown"
        key = notice_key(ticket_id, seq)
        now = self.clock.now()
        self.notices.claim(key, ticket.customer_code, NOTICE_LEVEL, now)  # the first delivery records it
        reminder = self.notices.reminder(key)
        if reminder is not None and reminder.status in ("sent", "skipped"):
            return reminder.status
        event = next((e for e in self.store.events(ticket_id) if int(e.seq) == seq), None)
        customer = self.notices.customer(ticket.customer_code)
        chosen = channels_for(customer) if customer is not None else []
        if event is None or customer is None or not chosen:
            self.notices.set_status(key, "skipped")
            return "skipped"
        delay = self.quiet.delay_seconds(now_vn(now))
        if delay:
            self.notice_queue.enqueue(to_json(TicketNotice(ticket_id=ticket_id, seq=seq)), delay)
            self.notices.set_status(key, "deferred")
            return "deferred"
        kind = self.kinds().get(ticket.type)
        type_name = kind.name_vi if kind is not None else ticket.type
        delivered = send_on(
            self.notifier,
            customer,
            chosen,
            reminder.channels or [] if reminder is not None else [],
            lambda channel: rules.notice(
                channel,
                ticket_id=ticket_id,
                customer_code=ticket.customer_code,
                type_name=type_name,
                kind=event.kind,
                status_to=event.status_to,
                text=event.text,
                sender=self.s.sms_sender_id,
            ),
            lambda channel: self.notices.add_channel(key, channel),
            "ticket notice channel unavailable",
        )
        self.notices.set_status(key, "sent" if delivered else "skipped", now)
        return "sent" if delivered else "skipped"

    # -- helpers --------------------------------------------------------------------------------

    def _visible(self, identity: Identity, ticket_id: str) -> TicketRecord:
        """The ticket if the caller may see it; a missing one and someone else's answer the same (404)."""
        ticket = self.store.get(ticket_id) if isinstance(ticket_id, str) and TICKET_ID_RE.match(ticket_id) else None
        if ticket is None:
            raise ticket_not_found()
        role = _role(identity)
        if role == "customer" and not identity.owns(ticket.customer_code):
            raise ticket_not_found()
        if role == "staff" and (identity.branch or rules.NO_BRANCH) != ticket.branch:
            raise ticket_not_found()
        return ticket

    def _managed(self, identity: Identity, ticket_id: str) -> TicketRecord:
        if _role(identity) == "customer":
            raise Forbidden()
        return self._visible(identity, ticket_id)

    def _change(self, ticket: TicketRecord, change: Change) -> None:
        try:
            self.store.change(ticket, change)
        except ConditionFailed:
            raise _changed() from None
        logger.info(
            "ticket changed",
            extra={"ticket_id": ticket.ticket_id, "status": change.status, "kind": change.event.kind},
        )
        if change.event.kind in TOLD:
            self._tell(ticket.ticket_id, int(ticket.events))

    def _tell(self, ticket_id: str, seq: int) -> None:
        """Queue the customer's notice of event `seq` (the reminders worker sends it). A queue that fails
        loses only the notice, never the change: logged for the team, the customer sees it in the app."""
        try:
            self.notice_queue.enqueue(to_json(TicketNotice(ticket_id=ticket_id, seq=seq)))
        except Exception:
            logger.warning("ticket notice not queued", extra={"ticket_id": ticket_id, "seq": seq})

    def _confirmed(self, purpose: str, owner: str, photo_ids: Sequence[str]) -> list[str]:
        """The photos named, each checked (there, the owner's, really an image), kept as '<key>|<image type>'."""
        out = []
        for n, photo_id in enumerate(photo_ids):
            photo = self.photos.confirm(purpose, owner, photo_id, f"photo_ids[{n}]")
            out.append(f"{photo.key}|{photo.content_type}")
        return out

    def _photo_links(self, kept: Sequence[str] | None) -> list[PhotoLink]:
        links = []
        for entry in kept or []:
            key, _, content_type = entry.partition("|")
            links.append(PhotoLink(url=self.photos.url(key, content_type or "image/jpeg")))
        return links

    def _summary(self, t: TicketRecord, identity: Identity, lang: str) -> TicketSummary:
        return TicketSummary(**self._summary_fields(t, identity, lang))

    def _summary_fields(self, t: TicketRecord, identity: Identity, lang: str) -> dict[str, Any]:
        kind = self.kinds().get(t.type)
        inside = _role(identity) != "customer"
        due, closed_at = int(t.due_at), None if t.closed_at is None else int(t.closed_at)
        return {
            "ticket_id": t.ticket_id,
            "customer_code": t.customer_code,
            "type": t.type,
            "type_name": (kind.name_en if lang == "en" else kind.name_vi) if kind is not None else t.type,
            "status": cast(Status, t.status),
            "description": t.description,
            "created_at": iso(t.created_at),
            "updated_at": iso(t.updated_at),
            "due_at": iso(due),
            "overdue": rules.is_overdue(t.status, due, self.clock.now()),
            "closed_at": iso(closed_at),
            "on_time": None if closed_at is None else rules.on_time(closed_at, due),
            "rating": None if t.rating is None else int(t.rating),
            "branch": (None if t.branch == rules.NO_BRANCH else t.branch) if inside else None,
            "assignee": t.assignee if inside else None,
        }

    def _view(self, t: TicketRecord, identity: Identity, lang: str, history: bool = False) -> dict[str, Any]:
        events = self.store.events(t.ticket_id) if history else []
        shown = TicketView(
            **self._summary_fields(t, identity, lang),
            lat=None if t.lat is None else float(t.lat),
            lng=None if t.lng is None else float(t.lng),
            residents=None if t.residents is None else int(t.residents),
            invoice_id=t.invoice_id,
            reason=t.reason,
            rating_comment=t.rating_comment,
            photos=self._photo_links(t.photos),
            history=[self._event(e, identity) for e in events],
        )
        return _json(shown)

    def _event(self, e: TicketEventRecord, identity: Identity) -> TicketEvent:
        inside = _role(identity) != "customer"
        return TicketEvent(
            seq=int(e.seq),
            kind=cast(EventKind, e.kind),
            by=cast(Role, e.by_role),
            actor=e.actor if inside else None,
            at=iso(e.at),
            text=e.text,
            status_from=cast(Status | None, e.status_from),
            status_to=cast(Status | None, e.status_to),
            assignee=e.assignee if inside else None,
            photos=self._photo_links(e.photos),
        )


def _json(shown: object) -> dict[str, Any]:
    out: dict[str, Any] = to_json(shown)
    return out


def _role(identity: Identity) -> Role:
    if identity.role not in ("customer", "staff", "admin"):
        raise Forbidden()
    return cast(Role, identity.role)


def _refused(refused: rules.TransitionRefused) -> Conflict:
    return Conflict(
        f"a ticket {refused.current} cannot become {refused.target}",
        f"Không thể chuyển yêu cầu từ trạng thái {rules.STATUS_VI.get(refused.current, refused.current)} "
        f"sang {rules.STATUS_VI.get(refused.target, refused.target)}.",
        code="TICKET_TRANSITION_REFUSED",
    )


def _ticket_id(account_id: str, key: str | None) -> str:
    """From the caller's idempotency key (the same key, the same ticket; another account's key, another
    ticket), or random."""
    if key is None:
        return "TK" + secrets.token_hex(8).upper()
    return "TK" + hashlib.sha256(f"{account_id}|{key}".encode()).hexdigest()[:16].upper()


def _limit(value: object) -> int:
    if value is None:
        return PAGE_DEFAULT
    if not isinstance(value, str) or not value.isdigit() or not 1 <= int(value) <= PAGE_MAX:
        raise ValidationError(f"limit must be 1-{PAGE_MAX}", f"limit phải từ 1 đến {PAGE_MAX}.", field="limit")
    return int(value)


def _cursor(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 1024:
        raise invalid_cursor()
    return value
