"""Paying with VNPay: orders (customers), and VNPay's IPN and return URL."""

from __future__ import annotations

import html
import json
import re

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import client_ip, handled, identity, json_body, json_response, lang
from chalicelib.config import get_settings
from chalicelib.domain import vnpay
from chalicelib.observability import logger

bp = Blueprint(__name__)
api = handled(bp)


def _return_url(request) -> str:
    configured = get_settings().vnpay_return_url
    if configured:
        return configured
    ctx = request.context or {}
    if ctx.get("domainName") and ctx.get("stage"):  # behind API Gateway
        return f"https://{ctx['domainName']}/{ctx['stage']}/v1/vnpay/return"
    # Locally (no gateway): the Host header, but only a loopback one. A client-chosen Host must
    # never become the address VNPay sends the browser back to (an open redirect).
    host = request.headers.get("host") or ""
    if not re.fullmatch(r"(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?", host):
        host = "127.0.0.1"
    return f"http://{host}/v1/vnpay/return"


@bp.route("/v1/payments", methods=["POST"], authorizer=bearer)
@api
def create_payment():
    request = bp.current_request
    view, created = deps.payments().create_order(
        identity(request),
        json_body(request),
        client_ip=client_ip(request),
        locale="en" if lang(request) == "en" else "vn",
        return_url=_return_url(request),
        idempotency_key=request.headers.get("idempotency-key"),
    )
    return json_response(view, 201 if created else 200)


@bp.route("/v1/payments/{order_id}", methods=["GET"], authorizer=bearer)
@api
def get_payment(order_id):
    service = deps.payments()
    return service.view(service.get(identity(bp.current_request), order_id))


@bp.route("/v1/payments/{order_id}/qr.png", methods=["GET"], authorizer=bearer)
@api
def get_payment_qr(order_id):
    from chalicelib.domain.vnpay_qr import png  # deferred: qrcode is a cold-start cost

    order = deps.payments().get(identity(bp.current_request), order_id)
    return Response(
        body=png(order.qr_payload),
        status_code=200,
        headers={"Content-Type": "image/png", "Cache-Control": "private, max-age=900"},
    )


@bp.route("/v1/vnpay/ipn", methods=["GET"])
def vnpay_ipn():
    """VNPay's server-to-server call. Always HTTP 200 with {RspCode, Message}:
    whatever goes wrong here answers 99, so VNPay calls again."""
    request = bp.current_request
    params = {k: v for k, v in (request.query_params or {}).items() if k.startswith("vnp_")}
    try:
        code, message = deps.payments().handle_ipn(params, client_ip(request))
    except Exception:
        logger.exception("IPN failed; VNPay will retry")
        code, message = vnpay.RSP_UNKNOWN_ERROR
    logger.info("ipn answered", extra={"rsp_code": code, "txn_ref": str(params.get("vnp_TxnRef", ""))[:40]})
    return Response(
        body=json.dumps({"RspCode": code, "Message": message}),
        status_code=200,
        headers={"Content-Type": "application/json"},
    )


@bp.route("/v1/vnpay/return", methods=["GET"])
@api
def vnpay_return():
    params = {k: v for k, v in (bp.current_request.query_params or {}).items() if k.startswith("vnp_")}
    result = deps.payments().return_result(params)
    return Response(
        body=_result_page(result),
        status_code=200 if result["valid"] else 400,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
    )


def _result_page(r: dict) -> str:
    if not r["valid"]:
        title, body = (
            "Kết quả không hợp lệ / Invalid result",
            (
                "<p>Chữ ký của kết quả thanh toán không hợp lệ. Không có thay đổi nào được ghi nhận.</p>"
                "<p lang='en'>The payment result's signature is not valid. Nothing was recorded.</p>"
            ),
        )
    elif r["succeeded"]:
        amount = f"{r['amount']:,}".replace(",", ".") if r["amount"] is not None else "?"
        confirmed = r["order_status"] == "paid"
        title = "Thanh toán thành công / Payment successful"
        body = (
            f"<p>Đơn <b>{html.escape(r['order_id'])}</b>: <b>{amount} đ</b>, mã giao dịch VNPay "
            f"{html.escape(str(r['transaction_no'] or ''))}.</p>"
            + (
                "<p>Hoá đơn đã được ghi nhận thanh toán.</p><p lang='en'>Your invoices are marked paid.</p>"
                if confirmed
                else "<p>Hệ thống đang chờ xác nhận từ VNPay; hoá đơn sẽ được cập nhật trong giây lát.</p>"
                "<p lang='en'>Waiting for VNPay's confirmation; your invoices update in a moment.</p>"
            )
        )
    elif r["response_code"] == "07":
        # Debited at the bank, held by VNPay as suspicious: the money exists, the outcome is not known yet.
        title = "Giao dịch đang được xác minh / Payment under review"
        body = (
            f"<p>Đơn <b>{html.escape(r['order_id'])}</b>: {html.escape(r['response_text'])}.</p>"
            "<p>Tài khoản của quý khách có thể đã bị trừ tiền. Khi VNPay xác nhận, số tiền được ghi vào "
            "hoá đơn hoặc tài khoản khách hàng; nếu không, VNPay hoàn lại. Vui lòng không thanh toán lại "
            "ngay.</p><p lang='en'>Your account may have been debited. Once VNPay confirms, the money is "
            "applied to your invoices or kept on your account; otherwise VNPay returns it. Please do not pay "
            "again right away.</p>"
        )
    else:
        title = "Thanh toán chưa thành công / Payment not completed"
        body = (
            f"<p>Đơn <b>{html.escape(r['order_id'])}</b>: {html.escape(r['response_text'])} "
            f"(mã {html.escape(str(r['response_code']))}).</p>"
            "<p>Đơn này chưa được thanh toán; có thể thử lại từ ứng dụng. Nếu tài khoản đã bị trừ tiền, "
            "số tiền sẽ được ghi vào tài khoản khách hàng hoặc hoàn lại.</p>"
            "<p lang='en'>This order was not paid; you can try again from the app. If your account was "
            "debited, the money is kept on your customer account or returned.</p>"
        )
    return (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;"
        "padding:0 1rem;color:#1a1a1a}h1{font-size:1.4rem}[lang=en]{color:#555}</style></head>"
        f"<body><main><h1>{title}</h1>{body}</main></body></html>"
    )
