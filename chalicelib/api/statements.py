"""Managers: import bank statements (CK) and the State Treasury's authorised
collections (NT): a presigned S3 upload then the imports worker, or a small file
as the body; see the suspense list, resolve a line by hand."""

from __future__ import annotations

from urllib.parse import unquote

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import as_caller, handled, identity, json_body, json_response, query

bp = Blueprint(__name__)
api = handled(bp)


def statements():
    return deps.statements()


@bp.route(
    "/v1/admin/imports/bank-statements",
    methods=["POST"],
    authorizer=bearer,
    content_types=[
        "text/csv",
        "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)
@api
def import_bank_statement():
    request = bp.current_request
    result = statements().import_body(identity(request).account_id, query(request).get("bank"), request.raw_body or b"")
    return json_response(result, 201)


@bp.route("/v1/admin/imports/bank-statements/uploads", methods=["POST"], authorizer=bearer)
@api
def create_statement_upload():
    return as_caller(bp.current_request, deps.statement_imports().create, status=201)


@bp.route("/v1/admin/imports/bank-statements/{import_id}/start", methods=["POST"], authorizer=bearer)
@api
def start_statement_upload(import_id):
    return json_response(deps.statement_imports().start(import_id), 202)


@bp.route("/v1/admin/imports/bank-statements/{import_id}", methods=["GET"], authorizer=bearer)
@api
def get_statement_upload(import_id):
    return deps.statement_imports().view(import_id)


@bp.route("/v1/admin/suspense", methods=["GET"], authorizer=bearer)
@api
def suspense_list():
    params = query(bp.current_request)
    return statements().suspense(params.get("limit"), params.get("cursor"))


@bp.route("/v1/admin/suspense/{line_id}", methods=["POST"], authorizer=bearer)
@api
def resolve_suspense(line_id):
    request = bp.current_request
    # line_id is '<bank>#<reference>': clients send the '#' as %23.
    return statements().resolve(identity(request).account_id, unquote(line_id), json_body(request))
