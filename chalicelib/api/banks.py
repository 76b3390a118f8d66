"""Bank-notification services' webhooks (public, each authenticated by the service's key or signature):
money reaching the utility's account, matched in seconds (services/bank_transfers.py). Thin."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.common import handled, json_response

bp = Blueprint(__name__)
api = handled(bp)


def _receive(service: str):
    request = bp.current_request
    raw = request.raw_body or b""
    raw = raw.encode() if isinstance(raw, str) else raw  # as sent: Casso's signature covers it
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    return json_response(deps.bank_transfers().receive(service, headers, raw))


@bp.route("/v1/banks/sepay/webhook", methods=["POST"])
@api
def sepay_webhook():
    return _receive("sepay")


@bp.route("/v1/banks/casso/webhook", methods=["POST"])
@api
def casso_webhook():
    return _receive("casso")
