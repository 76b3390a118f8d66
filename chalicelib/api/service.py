"""Service routes: health and the OpenAPI document. No auth."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.common import handled, json_response
from chalicelib.domain.shapes import to_json

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/health", methods=["GET"])
@api
def health():
    answer = deps.health().check()
    return json_response(to_json(answer), 200 if answer.store else 503)


@bp.route("/v1/openapi.json", methods=["GET"])
@api
def openapi():
    from chalicelib.api.openapi import document

    return json_response(document(), headers={"Cache-Control": "public, max-age=300"})
