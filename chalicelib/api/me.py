"""The signed-in customer's account and the customer codes it holds."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import client_ip, handled, identity, json_body, json_response

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/me", methods=["GET"], authorizer=bearer)
@api
def me():
    return deps.auth().me(identity(bp.current_request))


@bp.route("/v1/me/customers", methods=["POST"], authorizer=bearer)
@api
def link_customer():
    request = bp.current_request
    body = json_body(request)
    return json_response(deps.auth().start_link(client_ip(request), identity(request), body.get("customer_code")), 202)


@bp.route("/v1/me/customers/confirm", methods=["POST"], authorizer=bearer)
@api
def link_customer_confirm():
    request = bp.current_request
    body = json_body(request)
    return deps.auth().confirm_link(identity(request), body.get("customer_code"), body.get("otp"))


@bp.route("/v1/me/customers/{code}/vietqr", methods=["GET"], authorizer=bearer)
@api
def customer_vietqr(code):
    """One bank transfer (VietQR) for every open invoice of a linked code."""
    return deps.vietqr().for_account(identity(bp.current_request), code)


def _image(code: str, kind: str) -> Response:
    from chalicelib.domain.vnpay_qr import png, svg  # deferred: qrcode is a cold-start cost

    payload = deps.vietqr().account_payload(identity(bp.current_request), code)
    headers = {"Cache-Control": "private, max-age=60"}  # what is open changes with each payment
    if kind == "png":
        return Response(body=png(payload), status_code=200, headers={"Content-Type": "image/png", **headers})
    return Response(body=svg(payload), status_code=200, headers={"Content-Type": "image/svg+xml", **headers})


@bp.route("/v1/me/customers/{code}/vietqr.png", methods=["GET"], authorizer=bearer)
@api
def customer_vietqr_png(code):
    return _image(code, "png")


@bp.route("/v1/me/customers/{code}/vietqr.svg", methods=["GET"], authorizer=bearer)
@api
def customer_vietqr_svg(code):
    return _image(code, "svg")
