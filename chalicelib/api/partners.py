"""Bill payment through partners (banks, wallets, collection agents; docs/partners.md): signed requests,
no bearer token. Every handler calls `_partner()` first: Chalice's authorizers never see a request's
body, which the signature covers, so the check runs here (services/partners.py: authenticate)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.common import client_ip, csv_response, handled, json_body, json_response, query

if TYPE_CHECKING:  # the service loads on the first partner call, not on every cold start
    from chalicelib.ports.partners import PartnerRecord

bp = Blueprint(__name__)
api = handled(bp)


def _body(request: Any) -> bytes:
    """The body as sent and signed (Chalice types it str | bytes; it is bytes, encoded here if ever not)."""
    raw = request.raw_body or b""
    return raw.encode("utf-8") if isinstance(raw, str) else raw


def _query_pairs(request: Any) -> list[tuple[str, str]]:
    """Every query parameter, a repeated one once per value."""
    params = request.query_params or {}
    if hasattr(params, "getlist"):
        return [(name, value) for name in params for value in params.getlist(name)]
    return list(params.items())


def _partner() -> PartnerRecord:
    """The partner that signed the current request (401/403 otherwise)."""
    from chalicelib.services.partners import SignedRequest

    request = bp.current_request
    # requestContext.path is the path as the caller sent it (with the stage prefix on an execute-api URL,
    # which the signature's rules leave out); request.path would be the route's template.
    path = (request.context or {}).get("path") or request.path
    signed = SignedRequest(
        method=request.method,
        path=path,
        params=_query_pairs(request),
        headers=request.headers,
        body=_body(request),
        source_ip=client_ip(request),
    )
    return deps.partners().authenticate(signed)


@bp.route("/v1/partners/bills", methods=["GET"])
@api
def partner_bills():
    partner = _partner()
    return deps.partners().bills(partner, query(bp.current_request).get("customer_code"))


@bp.route("/v1/partners/payments", methods=["POST"])
@api
def partner_payment():
    partner = _partner()
    answer, created = deps.partners().pay(partner, json_body(bp.current_request))
    return json_response(answer, 201 if created else 200)


@bp.route("/v1/partners/payments/{partner_txn_id}/reversal", methods=["POST"])
@api
def partner_reversal(partner_txn_id):
    partner = _partner()
    answer, created = deps.partners().reverse(partner, partner_txn_id)
    return json_response(answer, 201 if created else 200)


@bp.route("/v1/partners/reconciliation/{day}", methods=["GET"])
@api
def partner_daily_file(day):
    partner = _partner()
    data = deps.partner_files().our_file(partner, day)
    return csv_response(data.decode("utf-8"), f"{partner.partner_id}-{day}.csv", {"Cache-Control": "no-store"})


@bp.route("/v1/partners/reconciliation/{day}", methods=["PUT"], content_types=["text/csv"])
@api
def partner_file_upload(day):
    partner = _partner()
    answer = deps.partner_files().upload(partner, day, _body(bp.current_request))
    return json_response(answer, 202)
