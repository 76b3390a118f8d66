"""Managers: authorised debit (nhờ thu) at the banks. Start a bank's monthly run (the request file, through
a short-lived link), look at a run, and post the bank's result file back."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, json_body, json_response

bp = Blueprint(__name__)
api = handled(bp)


def _time_left():
    """The invocation's time left (ms), so a long run or file stops in time and says so (complete: false)."""
    remaining = getattr(bp.lambda_context, "get_remaining_time_in_millis", None)
    return remaining if callable(remaining) else None


@bp.route("/v1/admin/debits/runs", methods=["POST"], authorizer=bearer)
@api
def start_debit_run():
    request = bp.current_request
    view, created = deps.debits().start_run(identity(request).account_id, json_body(request), _time_left())
    return json_response(view, 201 if created else 200)


@bp.route("/v1/admin/debits/runs/{run_id}", methods=["GET"], authorizer=bearer)
@api
def get_debit_run(run_id):
    return deps.debits().view(run_id)


@bp.route(
    "/v1/admin/debits/results",
    methods=["POST"],
    authorizer=bearer,
    content_types=["text/csv", "application/octet-stream"],
)
@api
def post_debit_results():
    request = bp.current_request
    raw = request.raw_body or b""
    data = raw.encode() if isinstance(raw, str) else raw
    return deps.debits().post_results(identity(request).account_id, data, _time_left())
