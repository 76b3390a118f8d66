"""Chat assistants: the platforms' webhooks (public, signed) and the
customer's own links (bearer). Thin: the service does the work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, json_response

if TYPE_CHECKING:
    from chalice.app import Request

bp = Blueprint(__name__)
api = handled(bp)


def _raw_body(request: Request) -> bytes:
    """The body as signed (Chalice types it str | bytes; it is bytes, encoded here if ever not)."""
    raw = request.raw_body or b""
    return raw.encode() if isinstance(raw, str) else raw


@bp.route("/v1/chat/facebook", methods=["GET"])
@api
def facebook_verify():
    challenge = deps.chat().facebook_verify(dict(bp.current_request.query_params or {}))
    return Response(body=challenge, status_code=200, headers={"Content-Type": "text/plain; charset=utf-8"})


@bp.route("/v1/chat/facebook", methods=["POST"])
@api
def facebook_webhook():
    request = bp.current_request
    return deps.chat().facebook_webhook(_raw_body(request), request.headers.get("x-hub-signature-256"))


@bp.route("/v1/chat/zalo", methods=["POST"])
@api
def zalo_webhook():
    request = bp.current_request
    return deps.chat().zalo_webhook(_raw_body(request), request.headers.get("x-zevent-signature"))


@bp.route("/v1/me/chat-link-codes", methods=["POST"], authorizer=bearer)
@api
def create_link_code():
    return json_response(deps.chat().create_link_code(identity(bp.current_request)), 201)


@bp.route("/v1/me/chat-links", methods=["GET"], authorizer=bearer)
@api
def list_links():
    return deps.chat().list_links(identity(bp.current_request))


@bp.route("/v1/me/chat-links/{link_id}", methods=["DELETE"], authorizer=bearer)
@api
def delete_link(link_id):
    deps.chat().delete_link(identity(bp.current_request), link_id)
    return Response(body="", status_code=204)
