"""The signed-in customer's account and the customer codes it holds."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import client_ip, handled, identity, json_body, json_response

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/me", methods=["GET"], authorizer=bearer)
@api
def me():
    return deps.auth().me(identity(bp.current_request))


@bp.route("/v1/me/customers", methods=["POST"], authorizer=bearer)
@api
def link_customer():
    request = bp.current_request
    body = json_body(request)
    return json_response(deps.auth().start_link(client_ip(request), identity(request), body.get("customer_code")), 202)


@bp.route("/v1/me/customers/confirm", methods=["POST"], authorizer=bearer)
@api
def link_customer_confirm():
    request = bp.current_request
    body = json_body(request)
    return deps.auth().confirm_link(identity(request), body.get("customer_code"), body.get("otp"))
