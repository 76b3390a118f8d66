"""Service routes: health and the OpenAPI document. No auth."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.common import handled, json_response
from chalicelib.config import get_settings

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/health", methods=["GET"])
@api
def health():
    from chalicelib.store.health import store_answers

    ok = store_answers()
    body = {"status": "ok" if ok else "degraded", "stage": get_settings().stage, "store": ok}
    return json_response(body, 200 if ok else 503)


@bp.route("/v1/openapi.json", methods=["GET"])
@api
def openapi():
    from chalicelib.api.openapi import document

    return json_response(document(), headers={"Cache-Control": "public, max-age=300"})
