"""Field staff: login bound to a device, today's route; managers: staff
accounts, devices and routes (every change audited)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.authorizer import bearer
from chalicelib.api.common import LARGE_BODY_BYTES, as_caller, client_ip, handled, identity, json_body, json_response
from chalicelib.api.staff_common import staff_identity, staff_service

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/staff/login", methods=["POST"])
@api
def staff_login():
    request = bp.current_request
    return staff_service().login(client_ip(request), json_body(request))


@bp.route("/v1/staff/routes/today", methods=["GET"], authorizer=bearer)
@api
def routes_today():
    return staff_service().routes_today(staff_identity(bp.current_request))


@bp.route("/v1/admin/devices", methods=["GET"], authorizer=bearer)
@api
def list_devices():
    return staff_service().devices()


@bp.route("/v1/admin/staff", methods=["POST"], authorizer=bearer)
@api
def create_staff():
    return as_caller(bp.current_request, staff_service().create_staff, status=201)


@bp.route("/v1/admin/staff/{username}/rebind", methods=["POST"], authorizer=bearer)
@api
def rebind_device(username):
    return staff_service().rebind(identity(bp.current_request).account_id, username)


@bp.route("/v1/admin/routes", methods=["POST"], authorizer=bearer)
@api
def create_route():
    request = bp.current_request
    return json_response(
        staff_service().create_route(identity(request).account_id, json_body(request, LARGE_BODY_BYTES)), 201
    )


@bp.route("/v1/admin/routes/{route_id}", methods=["PUT"], authorizer=bearer)
@api
def update_route(route_id):
    request = bp.current_request
    return staff_service().update_route(identity(request).account_id, route_id, json_body(request, LARGE_BODY_BYTES))
