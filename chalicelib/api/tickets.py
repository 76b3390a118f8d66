"""Service requests (tickets, issue 18): the customer's (/v1/me/...), the field staff's queue of their branch
(/v1/staff/...) and the managers' (/v1/admin/...). Thin: services/tickets.py decides."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, json_body, json_response, lang, query
from chalicelib.api.staff_common import staff_identity

bp = Blueprint(__name__)
api = handled(bp)


def _tickets():
    return deps.tickets()


# -- the customer -------------------------------------------------------------------------------


@bp.route("/v1/me/ticket-types", methods=["GET"], authorizer=bearer)
@api
def customer_ticket_types():
    identity(bp.current_request)
    return _tickets().types(lang(bp.current_request))


@bp.route("/v1/me/tickets", methods=["POST"], authorizer=bearer)
@api
def create_ticket():
    request = bp.current_request
    shown, made = _tickets().create(
        identity(request), json_body(request), request.headers.get("idempotency-key"), lang(request)
    )
    return json_response(shown, 201 if made else 200)


@bp.route("/v1/me/tickets", methods=["GET"], authorizer=bearer)
@api
def my_tickets():
    request = bp.current_request
    params = query(request)
    return _tickets().list_mine(
        identity(request), params.get("customer_code"), params.get("limit"), params.get("cursor"), lang(request)
    )


@bp.route("/v1/me/tickets/{ticket_id}", methods=["GET"], authorizer=bearer)
@api
def my_ticket(ticket_id):
    request = bp.current_request
    return _tickets().get(identity(request), ticket_id, lang(request))


@bp.route("/v1/me/tickets/{ticket_id}/messages", methods=["POST"], authorizer=bearer)
@api
def my_ticket_message(ticket_id):
    request = bp.current_request
    return json_response(_tickets().message(identity(request), ticket_id, json_body(request), lang(request)), 201)


@bp.route("/v1/me/tickets/{ticket_id}/rating", methods=["POST"], authorizer=bearer)
@api
def rate_ticket(ticket_id):
    request = bp.current_request
    return _tickets().rate(identity(request), ticket_id, json_body(request), lang(request))


# -- field staff: their branch's queue ------------------------------------------------------------


@bp.route("/v1/staff/tickets", methods=["GET"], authorizer=bearer)
@api
def staff_queue():
    request = bp.current_request
    return _tickets().queue(staff_identity(request), query(request), lang(request))


@bp.route("/v1/staff/tickets/{ticket_id}", methods=["GET"], authorizer=bearer)
@api
def staff_ticket(ticket_id):
    request = bp.current_request
    return _tickets().get(staff_identity(request), ticket_id, lang(request))


@bp.route("/v1/staff/tickets/{ticket_id}/assign", methods=["POST"], authorizer=bearer)
@api
def staff_assign(ticket_id):
    request = bp.current_request
    return _tickets().assign(staff_identity(request), ticket_id, json_body(request), lang(request))


@bp.route("/v1/staff/tickets/{ticket_id}/status", methods=["POST"], authorizer=bearer)
@api
def staff_status(ticket_id):
    request = bp.current_request
    return _tickets().change_status(staff_identity(request), ticket_id, json_body(request), lang(request))


@bp.route("/v1/staff/tickets/{ticket_id}/replies", methods=["POST"], authorizer=bearer)
@api
def staff_reply(ticket_id):
    request = bp.current_request
    ident = staff_identity(request)
    return json_response(_tickets().message(ident, ticket_id, json_body(request), lang(request)), 201)


# -- managers: every branch ---------------------------------------------------------------------


@bp.route("/v1/admin/ticket-types", methods=["GET"], authorizer=bearer)
@api
def admin_ticket_types():
    return _tickets().types(lang(bp.current_request))


@bp.route("/v1/admin/tickets", methods=["GET"], authorizer=bearer)
@api
def admin_queue():
    request = bp.current_request
    return _tickets().queue(identity(request), query(request), lang(request))


@bp.route("/v1/admin/tickets/{ticket_id}", methods=["GET"], authorizer=bearer)
@api
def admin_ticket(ticket_id):
    request = bp.current_request
    return _tickets().get(identity(request), ticket_id, lang(request))


@bp.route("/v1/admin/tickets/{ticket_id}/assign", methods=["POST"], authorizer=bearer)
@api
def admin_assign(ticket_id):
    request = bp.current_request
    return _tickets().assign(identity(request), ticket_id, json_body(request), lang(request))


@bp.route("/v1/admin/tickets/{ticket_id}/status", methods=["POST"], authorizer=bearer)
@api
def admin_status(ticket_id):
    request = bp.current_request
    return _tickets().change_status(identity(request), ticket_id, json_body(request), lang(request))


@bp.route("/v1/admin/tickets/{ticket_id}/replies", methods=["POST"], authorizer=bearer)
@api
def admin_reply(ticket_id):
    request = bp.current_request
    return json_response(_tickets().message(identity(request), ticket_id, json_body(request), lang(request)), 201)
