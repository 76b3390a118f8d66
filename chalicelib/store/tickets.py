"""Service requests in DynamoDB (issue 18). A ticket item and its events (another table, one item per event,
in order). Every change is one transaction: the ticket, conditioned on its event count as read (two workers
acting at once: one wins, the other is told), its new event, and the audit entry (and, for an approved
household-size registration, the customer's residents from the next period). Lists are Queries on the
ticket's indexes (by_customer, by_queue, by_state, by_period), never a Scan."""

from __future__ import annotations

import time

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain import tickets as rules
from chalicelib.errors import invalid_cursor
from chalicelib.ports.common import ConditionFailed
from chalicelib.ports.tickets import Change, NewEvent, NewTicket, Rating, TicketRecord
from chalicelib.store.audit import as_item
from chalicelib.store.models import CONNECTION, AccountModel, CustomerModel, TicketEventModel, TicketModel
from chalicelib.store.repositories import b64, get_or_none, storage_errors, unb64


def _event(ticket_id: str, seq: int, e: NewEvent) -> TicketEventModel:
    return TicketEventModel(
        ticket_id,
        seq,
        kind=e.kind,
        by_role=e.by_role,
        actor=e.actor,
        at=e.at,
        text=e.text,
        status_from=e.status_from,
        status_to=e.status_to,
        assignee=e.assignee,
        photos=list(e.photos),
    )


def _as_seen(ticket: TicketRecord) -> Condition:
    return TicketModel.events == int(ticket.events)


class TicketStore:
    def create(self, ticket: NewTicket, event: NewEvent) -> bool:
        """The ticket and its first event; False when the id exists already (the same request again)."""
        try:
            self._create(ticket, event)
        except ConditionFailed:
            return False
        return True

    @storage_errors
    def _create(self, ticket: NewTicket, event: NewEvent) -> None:
        item = TicketModel(
            ticket.ticket_id,
            customer_code=ticket.customer_code,
            account_id=ticket.account_id,
            branch=ticket.branch or rules.NO_BRANCH,
            type=ticket.type,
            status="new",
            description=ticket.description,
            lat=ticket.lat,
            lng=ticket.lng,
            residents=ticket.residents,
            invoice_id=ticket.invoice_id,
            photos=list(ticket.photos),
            created_at=ticket.created_at,
            created_order=time.time_ns() // 1000,  # the order of writing, finer than created_at's second
            updated_at=ticket.created_at,
            due_at=ticket.due_at,
            events=1,
            period=rules.period_of(ticket.created_at),
            state="open",
            queue_key=f"{ticket.branch or rules.NO_BRANCH}#open",
            queue_at=ticket.due_at,
        )
        with TransactWrite(connection=CONNECTION) as tx:
            tx.save(item, condition=TicketModel.ticket_id.does_not_exist())
            tx.save(_event(ticket.ticket_id, 0, event), condition=TicketEventModel.ticket_id.does_not_exist())

    @storage_errors
    def get(self, ticket_id: str) -> TicketModel | None:
        return get_or_none(TicketModel, ticket_id, consistent_read=True)

    @storage_errors
    def events(self, ticket_id: str) -> list[TicketEventModel]:
        return list(TicketEventModel.query(ticket_id, consistent_read=True))

    @storage_errors
    def change(self, ticket: TicketRecord, change: Change) -> None:
        seq = int(ticket.events)
        state = rules.state(change.status)
        branch = ticket.branch or rules.NO_BRANCH
        actions: list[Action] = [
            TicketModel.status.set(change.status),
            TicketModel.updated_at.set(change.event.at),
            TicketModel.events.set(seq + 1),
            TicketModel.state.set(state),
            TicketModel.queue_key.set(f"{branch}#{state}"),
            TicketModel.queue_at.set(rules.queue_at(change.status, int(ticket.due_at), change.closed_at)),
        ]
        if change.assignee is not None:
            actions.append(TicketModel.assignee.set(change.assignee))
        if change.reason is not None:
            actions.append(TicketModel.reason.set(change.reason))
        if change.closed_at is not None:
            actions.append(TicketModel.closed_at.set(change.closed_at))
        with TransactWrite(connection=CONNECTION) as tx:
            tx.update(TicketModel(ticket.ticket_id), actions=actions, condition=_as_seen(ticket))
            tx.save(_event(ticket.ticket_id, seq, change.event), condition=TicketEventModel.seq.does_not_exist())
            if change.audit is not None:
                tx.save(as_item(change.audit))
            if change.persons_next is not None and change.persons_from is not None:
                tx.update(
                    CustomerModel(ticket.customer_code),
                    actions=[
                        CustomerModel.persons_next.set(change.persons_next),
                        CustomerModel.persons_from.set(change.persons_from),
                    ],
                    condition=CustomerModel.code.exists(),
                )
                if change.persons_audit is not None:
                    tx.save(as_item(change.persons_audit))

    @storage_errors
    def add_event(self, ticket: TicketRecord, event: NewEvent) -> None:
        seq = int(ticket.events)
        with TransactWrite(connection=CONNECTION) as tx:
            tx.update(
                TicketModel(ticket.ticket_id),
                actions=[TicketModel.events.set(seq + 1), TicketModel.updated_at.set(event.at)],
                condition=_as_seen(ticket) & (TicketModel.state == "open"),
            )
            tx.save(_event(ticket.ticket_id, seq, event), condition=TicketEventModel.seq.does_not_exist())

    @storage_errors
    def rate(self, ticket: TicketRecord, rating: Rating) -> None:
        seq = int(ticket.events)
        actions: list[Action] = [
            TicketModel.rating.set(rating.rating),
            TicketModel.rated_at.set(rating.event.at),
            TicketModel.events.set(seq + 1),
        ]
        if rating.comment:
            actions.append(TicketModel.rating_comment.set(rating.comment))
        with TransactWrite(connection=CONNECTION) as tx:
            tx.update(
                TicketModel(ticket.ticket_id),
                actions=actions,
                condition=_as_seen(ticket) & (TicketModel.state == "closed") & TicketModel.rating.does_not_exist(),
            )
            tx.save(_event(ticket.ticket_id, seq, rating.event), condition=TicketEventModel.seq.does_not_exist())

    # -- lists ---------------------------------------------------------------------------------

    @storage_errors
    def for_customer(self, code: str, limit: int, cursor: str | None) -> tuple[list[TicketModel], str | None]:
        start = _start(cursor, "customer_code", code)
        results = TicketModel.by_customer.query(code, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = list(results)
        lek = results.last_evaluated_key
        return items, (b64(lek) if lek and len(items) == limit else None)

    @storage_errors
    def queue(
        self,
        branch: str | None,
        state: str,
        *,
        before: int | None,
        status: str | None,
        type: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[TicketModel], str | None]:
        index, key, hash_attr = (
            (TicketModel.by_state, state, "state")
            if branch is None
            else (TicketModel.by_queue, f"{branch or rules.NO_BRANCH}#{state}", "queue_key")
        )
        start = _start(cursor, hash_attr, key)
        filters: Condition | None = None
        if status is not None:
            filters = TicketModel.status == status
        if type is not None:
            filters = (TicketModel.type == type) if filters is None else filters & (TicketModel.type == type)
        results = index.query(
            key,
            TicketModel.queue_at < before if before is not None else None,
            filter_condition=filters,
            scan_index_forward=state == "open",  # open: the most urgent first; closed: the latest first
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
        )
        items = list(results)
        lek = results.last_evaluated_key
        return items, (b64(lek) if lek else None)

    @storage_errors
    def count_overdue(self, now: int) -> int:
        return int(TicketModel.by_state.count("open", TicketModel.queue_at < now))

    @storage_errors
    def of_period(self, period: str) -> list[TicketModel]:
        return list(TicketModel.by_period.query(period))

    @storage_errors
    def staff_branch(self, username: str) -> str | None:
        account = get_or_none(AccountModel, f"staff:{username}")
        if account is None or account.role != "staff":
            return None
        return account.branch or ""

    @storage_errors
    def customer_branch(self, code: str) -> str | None:
        customer = get_or_none(CustomerModel, code)
        return None if customer is None else (customer.branch or "")


def _start(cursor: str | None, hash_attr: str, expected: str) -> dict | None:
    if not cursor:
        return None
    start = unb64(cursor)
    if start.get(hash_attr, {}).get("S") != expected:
        raise invalid_cursor("cursor does not belong to this query")
    return start
