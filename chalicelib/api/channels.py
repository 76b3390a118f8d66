"""Registering online for bank transfer / authorised debit, and the utility's decision."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import as_caller, handled, identity, json_body, json_response

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/me/payment-channel", methods=["POST"], authorizer=bearer)
@api
def request_channel():
    request = bp.current_request
    return json_response(deps.channels().request(identity(request), json_body(request)), 202)


@bp.route("/v1/admin/payment-channel-requests", methods=["GET"], authorizer=bearer)
@api
def pending_requests():
    return deps.channels().pending()


@bp.route("/v1/admin/payment-channel-requests/{request_id}", methods=["POST"], authorizer=bearer)
@api
def decide_request(request_id):
    return as_caller(bp.current_request, deps.channels().decide, request_id)
