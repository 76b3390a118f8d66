"""Managers: the bill-pay partners (docs/partners.md, onboarding): list, create, change, disable; every
change audited. A partner's secret is never sent here nor shown: only the SSM parameter that holds it."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import as_caller, handled, identity

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/admin/partners", methods=["GET"], authorizer=bearer)
@api
def list_partners():
    return deps.partners_admin().list_partners()


@bp.route("/v1/admin/partners", methods=["POST"], authorizer=bearer)
@api
def create_partner():
    return as_caller(bp.current_request, deps.partners_admin().create, status=201)


@bp.route("/v1/admin/partners/{partner_id}", methods=["PATCH"], authorizer=bearer)
@api
def update_partner(partner_id):
    return as_caller(bp.current_request, deps.partners_admin().update, partner_id)


@bp.route("/v1/admin/partners/{partner_id}/disable", methods=["POST"], authorizer=bearer)
@api
def disable_partner(partner_id):
    return deps.partners_admin().disable(identity(bp.current_request).account_id, partner_id)
