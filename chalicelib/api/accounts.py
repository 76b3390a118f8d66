"""The customer account statement ("sổ theo dõi công nợ"): the customer's own
(a linked code) and the managers' (any code, with references and who posted),
as JSON or CSV for a spreadsheet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import csv_response, handled, identity, json_response, lang, query, wants_csv

bp = Blueprint(__name__)
api = handled(bp)

NO_STORE = {"Cache-Control": "private, no-store"}


def accounts():
    return deps.accounts()


def _answer(read: Callable[[dict, str], dict[str, Any]], internal: bool) -> Response:
    """The statement `read(query parameters, language)` gives: JSON, or CSV (format=csv, Accept: text/csv)."""
    request = bp.current_request
    params = query(request)
    as_csv = wants_csv(request, params)
    statement = read(params, lang(request))
    if not as_csv:
        return json_response(statement, headers=NO_STORE)
    return csv_response(accounts().csv(statement, internal), accounts().filename(statement), NO_STORE)


@bp.route("/v1/me/account", methods=["GET"], authorizer=bearer)
@api
def my_account():
    return _answer(
        lambda params, language: accounts().for_customer(
            identity(bp.current_request), params.get("customer_code"), language
        ),
        internal=False,
    )


@bp.route("/v1/admin/customers/{code}/account", methods=["GET"], authorizer=bearer)
@api
def customer_account(code):
    return _answer(lambda _params, language: accounts().for_admin(code, language), internal=True)
