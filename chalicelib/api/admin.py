"""Managers: tariff versions (audited), issuing an invoice from a reading, refunds of account credit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import as_caller, handled, identity, json_body, query

bp = Blueprint(__name__)
api = handled(bp)


def _created(make: Callable[[str, dict], Any]) -> Response:
    """A manager creates something: `make(actor, body)`, answered 201 with what it made."""
    return as_caller(bp.current_request, make, status=201)


def _listed(read: Callable[..., Any], *names: str) -> Any:
    """A list read with the query parameters `names`, in this order (None where one is not given)."""
    params = query(bp.current_request)
    return read(*(params.get(name) for name in names))


@bp.route("/v1/admin/tariffs", methods=["POST"], authorizer=bearer)
@api
def add_tariff():
    return _created(deps.billing().add_tariff)


@bp.route("/v1/admin/tariffs", methods=["GET"], authorizer=bearer)
@api
def list_tariffs():
    return _listed(deps.billing().list_tariffs, "area", "customer_class")


@bp.route("/v1/admin/credits", methods=["GET"], authorizer=bearer)
@api
def list_credits():
    """Accounts holding credit (what may be refunded; otherwise it goes to the next bill)."""
    return _listed(deps.refunds().credits, "limit")


@bp.route("/v1/admin/refunds", methods=["POST"], authorizer=bearer)
@api
def request_refund():
    return _created(deps.refunds().request)


@bp.route("/v1/admin/refunds", methods=["GET"], authorizer=bearer)
@api
def list_refunds():
    return _listed(deps.refunds().list_refunds, "status", "limit")


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
    return as_caller(bp.current_request, deps.refunds().reject, refund_id)


@bp.route("/v1/admin/refunds/{refund_id}/check", methods=["POST"], authorizer=bearer)
@api
def check_refund(refund_id):
    request = bp.current_request
    return deps.refunds().check(identity(request).account_id, refund_id, _optional_body(request))


@bp.route("/v1/admin/invoices", methods=["POST"], authorizer=bearer)
@api
def issue_invoice():
    return _created(deps.billing().issue_invoice)
