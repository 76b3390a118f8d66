"""OpenAPI paths of the service requests' blueprint (api/tickets.py); shapes in services/shapes_tickets.py."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    CODE,
    STR,
    answers_again,
    op,
    path_param,
    pattern,
    query,
    staff_op,
)
from chalicelib.domain import identifiers as ids
from chalicelib.domain import tickets as rules
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_tickets import (
    PAGE_LIMIT_SCHEMA,
    AssignTicket,
    ChangeStatus,
    CreateTicket,
    RateTicket,
    TicketMessage,
    TicketPage,
    TicketTypes,
    TicketView,
)

TICKET_ID = path_param("ticket_id", pattern(ids.TICKET_ID))
_VIEW = json_schema(TicketView)
_PAGE = json_schema(TicketPage)
_TYPES = json_schema(TicketTypes)
_PAGING = [query("limit", PAGE_LIMIT_SCHEMA), query("cursor", STR)]
_FILTERS = [
    query("status", {"type": "string", "enum": list(rules.STATUSES)}),
    query("type", pattern(r"^[a-z0-9_]{2,32}$")),
    query("overdue", {"type": "string", "enum": ["true", "false"]}),
    *_PAGING,
]
_QUEUE = (
    ": open tickets by target time, the most urgent first (a closed `status`: those, the latest first); "
    "`overdue=true`: open ones past their target time"
)


def _admin(summary: str, ok: tuple[int, str, dict[str, Any] | None], **kw: Any) -> dict[str, Any]:
    return op(summary, ok, secured=True, tag="managers", **kw)


def _staff_and_admin(action: str, staff_summary: str, body: dict[str, Any] | None, ok_status: int = 200):
    staff = staff_op(
        staff_summary, (ok_status, "The ticket", _VIEW), params=[TICKET_ID], body=body, errors=(400, 404, 409)
    )
    admin = _admin(
        staff_summary.replace("of your branch", "of any branch"),
        (ok_status, "The ticket", _VIEW),
        params=[TICKET_ID],
        body=body,
        errors=(400, 404, 409),
    )
    return {
        f"/v1/staff/tickets/{{ticket_id}}/{action}": {"post": staff},
        f"/v1/admin/tickets/{{ticket_id}}/{action}": {"post": admin},
    }


PATHS: dict[str, Any] = {
    "/v1/me/ticket-types": {
        "get": op(
            "The kinds of request the utility takes, with their target times and what each needs",
            (200, "Kinds", _TYPES),
            secured=True,
            errors=(),
        )
    },
    "/v1/me/tickets": {
        "post": answers_again(
            op(
                "Raise a service request about a linked customer code (photos uploaded first with POST /v1/me/photos, "
                "purpose ticket); the kind says what it needs (a leak: a photo and the position)",
                (201, "The ticket", _VIEW),
                body=json_schema(CreateTicket, closed=False),
                secured=True,
                errors=(400, 404),
                params=[
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": pattern(ids.IDEMPOTENCY_KEY),
                    }
                ],
            ),
            "The same request_id (or Idempotency-Key) again: the first ticket, nothing changed",
            _VIEW,
        ),
        "get": op(
            "Your requests for a linked customer code, newest first",
            (200, "A page of tickets", _PAGE),
            secured=True,
            params=[query("customer_code", CODE, required=True), *_PAGING],
        ),
    },
    "/v1/me/tickets/{ticket_id}": {
        "get": op(
            "One of your requests with its photos and history (status changes and messages)",
            (200, "The ticket", _VIEW),
            secured=True,
            params=[TICKET_ID],
            errors=(404,),
        )
    },
    "/v1/me/tickets/{ticket_id}/messages": {
        "post": op(
            "Add a message (and photos) to your open request",
            (201, "The ticket", _VIEW),
            body=json_schema(TicketMessage, closed=False),
            secured=True,
            params=[TICKET_ID],
            errors=(400, 404, 409),
        )
    },
    "/v1/me/tickets/{ticket_id}/rating": {
        "post": op(
            "Rate the result (1-5, once), when the request is resolved or rejected",
            (200, "The ticket", _VIEW),
            body=json_schema(RateTicket, closed=False),
            secured=True,
            params=[TICKET_ID],
            errors=(400, 404, 409),
        )
    },
    "/v1/staff/tickets": {
        "get": staff_op("Your branch's requests" + _QUEUE, (200, "A page of tickets", _PAGE), params=_FILTERS)
    },
    "/v1/staff/tickets/{ticket_id}": {
        "get": staff_op(
            "A request of your branch, in full", (200, "The ticket", _VIEW), params=[TICKET_ID], errors=(400, 404)
        )
    },
    "/v1/admin/ticket-types": {
        "get": _admin("The kinds of request the utility takes (TICKET_TYPES)", (200, "Kinds", _TYPES), errors=())
    },
    "/v1/admin/tickets": {
        "get": _admin(
            "Every branch's requests (or one: `branch`)" + _QUEUE,
            (200, "A page of tickets", _PAGE),
            params=[query("branch", STR), *_FILTERS],
        )
    },
    "/v1/admin/tickets/{ticket_id}": {
        "get": _admin("A request in full", (200, "The ticket", _VIEW), params=[TICKET_ID], errors=(404,))
    },
    **_staff_and_admin(
        "assign",
        "Give a request of your branch to a field worker of its branch (audited)",
        json_schema(AssignTicket, closed=False),
    ),
    **_staff_and_admin(
        "status",
        "Move a request of your branch on: in_progress, resolved or rejected with a reason (audited; the customer is "
        "told). A household-size registration resolved sets the residents billed from the next period",
        json_schema(ChangeStatus, closed=False),
    ),
    **_staff_and_admin(
        "replies",
        "Reply to the customer on a request of your branch (photos: purpose ticket_reply); the customer is told",
        json_schema(TicketMessage, closed=False),
        201,
    ),
}
