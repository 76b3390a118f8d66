"""Managers: tariff versions (audited), issuing an invoice from a reading, refunds of account credit."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, json_body, json_response, query

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/admin/tariffs", methods=["POST"], authorizer=bearer)
@api
def add_tariff():
    request = bp.current_request
    return json_response(deps.billing().add_tariff(identity(request).account_id, json_body(request)), 201)


@bp.route("/v1/admin/tariffs", methods=["GET"], authorizer=bearer)
@api
def list_tariffs():
    params = query(bp.current_request)
    return deps.billing().list_tariffs(params.get("area"), params.get("customer_class"))


@bp.route("/v1/admin/credits", methods=["GET"], authorizer=bearer)
@api
def list_credits():
    """Accounts holding credit (what may be refunded; otherwise it goes to the next bill)."""
    return deps.refunds().credits(query(bp.current_request).get("limit"))


@bp.route("/v1/admin/refunds", methods=["POST"], authorizer=bearer)
@api
def request_refund():
    request = bp.current_request
    return json_response(deps.refunds().request(identity(request).account_id, json_body(request)), 201)


@bp.route("/v1/admin/refunds", methods=["GET"], authorizer=bearer)
@api
def list_refunds():
    params = query(bp.current_request)
    return deps.refunds().list_refunds(params.get("status"), params.get("limit"))


@bp.route("/v1/admin/refunds/{refund_id}", methods=["GET"], authorizer=bearer)
@api
def get_refund(refund_id):
    return deps.refunds().get(refund_id)


def _optional_body(request) -> dict:
    return json_body(request) if (request.raw_body or b"").strip() else {}


@bp.route("/v1/admin/refunds/{refund_id}/approve", methods=["POST"], authorizer=bearer)
@api
def approve_refund(refund_id):
    request = bp.current_request
    return deps.refunds().approve(identity(request).account_id, refund_id, _optional_body(request))


@bp.route("/v1/admin/refunds/{refund_id}/reject", methods=["POST"], authorizer=bearer)
@api
def reject_refund(refund_id):
    request = bp.current_request
    return deps.refunds().reject(identity(request).account_id, refund_id, json_body(request))


@bp.route("/v1/admin/refunds/{refund_id}/check", methods=["POST"], authorizer=bearer)
@api
def check_refund(refund_id):
    request = bp.current_request
    return deps.refunds().check(identity(request).account_id, refund_id, _optional_body(request))


@bp.route("/v1/admin/invoices", methods=["POST"], authorizer=bearer)
@api
def issue_invoice():
    request = bp.current_request
    return json_response(deps.billing().issue_invoice(identity(request).account_id, json_body(request)), 201)
