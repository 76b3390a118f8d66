"""Field staff send meter readings (queued, 202) and read back what became of them."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import LARGE_BODY_BYTES, handled, json_body, json_response

bp = Blueprint(__name__)
api = handled(bp)


def _staff(request):
    from chalicelib.api.staff_common import staff_identity

    return staff_identity(request)


@bp.route("/v1/staff/readings", methods=["POST"], authorizer=bearer)
@api
def submit_readings():
    request = bp.current_request
    return json_response(deps.readings().submit(_staff(request), json_body(request, LARGE_BODY_BYTES)), 202)


@bp.route("/v1/staff/readings/{reading_id}", methods=["GET"], authorizer=bearer)
@api
def get_reading(reading_id):
    return deps.readings().get(_staff(bp.current_request), reading_id)
