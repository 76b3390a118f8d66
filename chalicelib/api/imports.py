"""Managers import the customer book: get an upload link, upload, start, watch progress."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, json_response

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/admin/imports/customers", methods=["POST"], authorizer=bearer)
@api
def create_customer_import():
    return json_response(deps.imports().create(identity(bp.current_request).account_id), 201)


@bp.route("/v1/admin/imports/{import_id}/start", methods=["POST"], authorizer=bearer)
@api
def start_import(import_id):
    return json_response(deps.imports().start(import_id), 202)


@bp.route("/v1/admin/imports/{import_id}", methods=["GET"], authorizer=bearer)
@api
def get_import(import_id):
    return deps.imports().view(import_id)
