"""Customer accounts (API.md, 'Customers') and the managers' login."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.common import client_ip, handled, json_body, json_response

bp = Blueprint(__name__)
api = handled(bp)


def _auth():
    return deps.auth()


def _code_sent(send) -> Response:
    """A one-time code to the phone on file of the body's customer code: `send(ip, code)`, 202."""
    body = json_body(bp.current_request)
    return json_response(send(client_ip(bp.current_request), body.get("customer_code")), 202)


@bp.route("/v1/auth/customer-code-lookup", methods=["POST"])
@api
def customer_code_lookup():
    body = json_body(bp.current_request)
    return _auth().lookup(
        client_ip(bp.current_request),
        phone=body.get("phone"),
        ledger_no=body.get("ledger_no"),
        house_no=body.get("house_no"),
    )


@bp.route("/v1/auth/register", methods=["POST"])
@api
def register():
    return _code_sent(_auth().start_registration)


@bp.route("/v1/auth/register/confirm", methods=["POST"])
@api
def register_confirm():
    body = json_body(bp.current_request)
    return json_response(
        _auth().confirm_registration(body.get("customer_code"), body.get("otp"), body.get("password")), 201
    )


@bp.route("/v1/auth/login", methods=["POST"])
@api
def login():
    body = json_body(bp.current_request)
    return _auth().login(client_ip(bp.current_request), body.get("customer_code"), body.get("password"))


@bp.route("/v1/auth/refresh", methods=["POST"])
@api
def refresh():
    return _auth().refresh(json_body(bp.current_request).get("refresh_token"))


@bp.route("/v1/auth/logout", methods=["POST"])
@api
def logout():
    _auth().logout(json_body(bp.current_request).get("refresh_token"))
    return Response(body="", status_code=204)


@bp.route("/v1/auth/password/forgot", methods=["POST"])
@api
def password_forgot():
    return _code_sent(_auth().forgot_password)


@bp.route("/v1/auth/password/reset", methods=["POST"])
@api
def password_reset():
    body = json_body(bp.current_request)
    return _auth().reset_password(body.get("customer_code"), body.get("otp"), body.get("new_password"))


@bp.route("/v1/admin/login", methods=["POST"])
@api
def admin_login():
    body = json_body(bp.current_request)
    return _auth().admin_login(client_ip(bp.current_request), body.get("username"), body.get("password"))
