"""Managers: tariff versions (audited) and issuing an invoice from a reading."""
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
    return json_response(deps.get("billing").add_tariff(identity(request).account_id, json_body(request)), 201)


@bp.route("/v1/admin/tariffs", methods=["GET"], authorizer=bearer)
@api
def list_tariffs():
    params = query(bp.current_request)
    return deps.get("billing").list_tariffs(params.get("area"), params.get("customer_class"))


@bp.route("/v1/admin/credits", methods=["GET"], authorizer=bearer)
@api
def list_credits():
    return deps.get("payments").credits(query(bp.current_request).get("status"))


@bp.route("/v1/admin/refunds", methods=["POST"], authorizer=bearer)
@api
def refund_credit():
    request = bp.current_request
    return deps.get("payments").refund_credit(identity(request).account_id, json_body(request).get("payment_id"))


@bp.route("/v1/admin/invoices", methods=["POST"], authorizer=bearer)
@api
def issue_invoice():
    request = bp.current_request
    return json_response(deps.get("billing").issue_invoice(identity(request).account_id, json_body(request)), 201)
