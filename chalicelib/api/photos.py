"""Photo uploads (issue 18): a customer's about one of its codes, a field worker's, a manager's reply's. The answer is a
presigned POST straight to S3; the report that follows names the photo (services/photos.py)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, json_body, json_response
from chalicelib.api.staff_common import staff_identity

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/me/photos", methods=["POST"], authorizer=bearer)
@api
def customer_photo():
    request = bp.current_request
    return json_response(deps.photos().start_for_customer(identity(request), json_body(request)), 201)


@bp.route("/v1/staff/photos", methods=["POST"], authorizer=bearer)
@api
def staff_photo():
    request = bp.current_request
    return json_response(deps.photos().start_for_staff(staff_identity(request), json_body(request)), 201)


@bp.route("/v1/admin/photos", methods=["POST"], authorizer=bearer)
@api
def manager_photo():
    request = bp.current_request
    return json_response(deps.photos().start_for_manager(identity(request), json_body(request)), 201)
