"""Field staff: cash collected on the spot, printed notices and receipts, the
day's reconciliation; managers: the cash handed over and the same view."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import as_caller, handled, json_body, json_response, query
from chalicelib.api.staff_common import staff_identity

bp = Blueprint(__name__)
api = handled(bp)


def collections():
    return deps.collections()


@bp.route("/v1/staff/collections", methods=["POST"], authorizer=bearer)
@api
def collect():
    request = bp.current_request
    receipt, created = collections().collect(staff_identity(request), json_body(request))
    return json_response(receipt, 201 if created else 200)


@bp.route("/v1/staff/prints", methods=["POST"], authorizer=bearer)
@api
def record_print():
    request = bp.current_request
    return collections().record_print(staff_identity(request), json_body(request))


@bp.route("/v1/staff/invoices/{invoice_id}/print", methods=["GET"], authorizer=bearer)
@api
def print_preview(invoice_id):
    request = bp.current_request
    params = query(request)
    return collections().print_preview(
        staff_identity(request), invoice_id, params.get("kind"), params.get("collection_id")
    )


@bp.route("/v1/staff/reconciliation", methods=["GET"], authorizer=bearer)
@api
def staff_reconciliation():
    request = bp.current_request
    return collections().staff_reconciliation(
        staff_identity(request), query(request, allow_empty=("date",)).get("date")
    )


@bp.route("/v1/admin/reconciliation/handover", methods=["POST"], authorizer=bearer)
@api
def record_handover():
    return as_caller(bp.current_request, collections().record_handover)


@bp.route("/v1/admin/reconciliation", methods=["GET"], authorizer=bearer)
@api
def admin_reconciliation():
    params = query(bp.current_request, allow_empty=("date",))
    return collections().admin_reconciliation(params.get("staff"), params.get("date"))
