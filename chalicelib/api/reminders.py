"""The customer's reminder preferences: channels, opt-out, e-mail, and the app's push token."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, json_body, json_response, query

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/me/notifications", methods=["GET"], authorizer=bearer)
@api
def get_notifications():
    request = bp.current_request
    return deps.reminders().preferences(identity(request), query(request).get("customer_code"))


@bp.route("/v1/me/notifications", methods=["PUT"], authorizer=bearer)
@api
def set_notifications():
    request = bp.current_request
    return deps.reminders().set_preferences(identity(request), json_body(request))


@bp.route("/v1/me/push-token", methods=["POST"], authorizer=bearer)
@api
def register_push_token():
    request = bp.current_request
    return json_response(deps.reminders().register_push(identity(request), json_body(request)), 201)
