"""Water-cut notices (issue 18): managers publish, change, cancel and restore them (audited); a customer reads
those affecting their own codes; anyone reads the public board (no login, nobody's data)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import as_caller, handled, identity, json_response, query

bp = Blueprint(__name__)
api = handled(bp)
PUBLIC_MAX_AGE_S = 60  # the public board may be cached that long (a CDN, the browser)


@bp.route("/v1/admin/water-cuts", methods=["POST"], authorizer=bearer)
@api
def create_water_cut():
    return as_caller(bp.current_request, deps.water_cuts().create, status=201)


@bp.route("/v1/admin/water-cuts", methods=["GET"], authorizer=bearer)
@api
def list_water_cuts():
    params = query(bp.current_request)
    return deps.water_cuts().list_notices(params.get("status"), params.get("limit"))


@bp.route("/v1/admin/water-cuts/{notice_id}", methods=["GET"], authorizer=bearer)
@api
def get_water_cut(notice_id):
    return deps.water_cuts().get(notice_id)


@bp.route("/v1/admin/water-cuts/{notice_id}", methods=["PATCH"], authorizer=bearer)
@api
def change_water_cut(notice_id):
    return as_caller(bp.current_request, deps.water_cuts().change, notice_id)


@bp.route("/v1/admin/water-cuts/{notice_id}/publish", methods=["POST"], authorizer=bearer)
@api
def publish_water_cut(notice_id):
    return as_caller(bp.current_request, deps.water_cuts().publish, notice_id)


@bp.route("/v1/admin/water-cuts/{notice_id}/cancel", methods=["POST"], authorizer=bearer)
@api
def cancel_water_cut(notice_id):
    return as_caller(bp.current_request, deps.water_cuts().cancel, notice_id)


@bp.route("/v1/admin/water-cuts/{notice_id}/restore", methods=["POST"], authorizer=bearer)
@api
def restore_water_cut(notice_id):
    return as_caller(bp.current_request, deps.water_cuts().restore, notice_id)


@bp.route("/v1/admin/water-cuts/{notice_id}/notify", methods=["POST"], authorizer=bearer)
@api
def notify_water_cut(notice_id):
    return as_caller(bp.current_request, deps.water_cuts().notify, notice_id)


@bp.route("/v1/me/water-cuts", methods=["GET"], authorizer=bearer)
@api
def my_water_cuts():
    request = bp.current_request
    return deps.water_cuts().mine(identity(request), query(request).get("customer_code"))


@bp.route("/v1/public/water-cuts", methods=["GET"])
@api
def public_water_cuts() -> Response:
    board = deps.water_cuts().public(query(bp.current_request).get("ward"))
    return json_response(board, headers={"Cache-Control": f"public, max-age={PUBLIC_MAX_AGE_S}"})
