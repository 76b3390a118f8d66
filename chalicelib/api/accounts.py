"""The customer account statement ("sổ theo dõi công nợ"): the customer's own
(a linked code) and the managers' (any code, with references and who posted),
as JSON or CSV for a spreadsheet."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, json_response, lang, query, wants_csv

bp = Blueprint(__name__)
api = handled(bp)

NO_STORE = {"Cache-Control": "private, no-store"}


def accounts():
    return deps.accounts()


def _answer(statement: dict, as_csv: bool, internal: bool) -> Response:
    if not as_csv:
        return json_response(statement, headers=NO_STORE)
    return Response(
        body=accounts().csv(statement, internal),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="{accounts().filename(statement)}"',
        },
    )


@bp.route("/v1/me/account", methods=["GET"], authorizer=bearer)
@api
def my_account():
    request = bp.current_request
    params = query(request)
    as_csv = wants_csv(request, params)
    statement = accounts().for_customer(identity(request), params.get("customer_code"), lang(request))
    return _answer(statement, as_csv, internal=False)


@bp.route("/v1/admin/customers/{code}/account", methods=["GET"], authorizer=bearer)
@api
def customer_account(code):
    request = bp.current_request
    params = query(request)
    as_csv = wants_csv(request, params)
    return _answer(accounts().for_admin(code, lang(request)), as_csv, internal=True)
