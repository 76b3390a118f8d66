"""Issue 18: a customer's own meter reading of a linked code (sent with a photo, in the days before its
route's reading day), and managers' review of the field readings whose bill is held (a spike, a drop, an
unusual cycle): approve (bill) or ask the staff to read again. Both through services/readings.py's rules."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import as_caller, handled, identity, json_body, json_response, query

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/me/customers/{code}/readings", methods=["GET"], authorizer=bearer)
@api
def self_reading_state(code):
    return deps.self_readings().state(identity(bp.current_request), code)


@bp.route("/v1/me/customers/{code}/readings", methods=["POST"], authorizer=bearer)
@api
def send_self_reading(code):
    request = bp.current_request
    return json_response(deps.self_readings().submit(identity(request), code, json_body(request)), 202)


@bp.route("/v1/me/customers/{code}/readings/{reading_id}", methods=["GET"], authorizer=bearer)
@api
def get_self_reading(code, reading_id):
    return deps.self_readings().get(identity(bp.current_request), code, reading_id)


@bp.route("/v1/admin/readings/held", methods=["GET"], authorizer=bearer)
@api
def held_readings():
    params = query(bp.current_request)
    return deps.readings().held(params.get("limit"), params.get("cursor"))


@bp.route("/v1/admin/readings/{reading_id}/approve", methods=["POST"], authorizer=bearer)
@api
def approve_reading(reading_id):
    return as_caller(bp.current_request, deps.readings().approve, reading_id)


@bp.route("/v1/admin/readings/{reading_id}/reread", methods=["POST"], authorizer=bearer)
@api
def reread_reading(reading_id):
    return as_caller(bp.current_request, deps.readings().reread, reading_id)
