"""Invoices, read side: a customer reads only codes linked to its account."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.authorizer import bearer
from chalicelib.api.common import handled, identity, query

bp = Blueprint(__name__)
api = handled(bp)


@bp.route("/v1/customers/{code}/invoices", methods=["GET"], authorizer=bearer)
@api
def list_invoices(code):
    request = bp.current_request
    params = query(request)
    return deps.invoices().list_for_customer(
        identity(request), code, params.get("status"), params.get("limit"), params.get("cursor")
    )


@bp.route("/v1/customers/{code}/consumption", methods=["GET"], authorizer=bearer)
@api
def consumption(code):
    """The last 12 to 24 billed periods of a linked code (m³, amount) and their average: a chart's data."""
    request = bp.current_request
    return deps.invoices().consumption(identity(request), code, query(request).get("periods"))


@bp.route("/v1/invoices/{invoice_id}", methods=["GET"], authorizer=bearer)
@api
def get_invoice(invoice_id):
    return deps.invoices().get(identity(bp.current_request), invoice_id)


@bp.route("/v1/invoices/{invoice_id}/pdf", methods=["GET"], authorizer=bearer)
@api
def get_invoice_pdf(invoice_id):
    from chalicelib.services.invoices import StoredPdf  # (deps loads services on first use, and so here)

    document = deps.invoices().pdf(identity(bp.current_request), invoice_id)
    if isinstance(document, StoredPdf):
        # The legal e-invoice, kept once in S3: a redirect to a link that works for 5 minutes. Not cached:
        # the next request signs a new one. (Clients drop the Authorization header on the cross-host hop.)
        return Response(
            body="", status_code=302, headers={"Location": document.url, "Cache-Control": "private, no-store"}
        )
    # Our payment notice, rendered now. API Gateway returns binary only when the caller's Accept names
    # the type: the apps ask with `Accept: application/pdf`.
    return Response(
        body=document.body,
        status_code=200,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _image(payload: str, kind: str) -> Response:
    from chalicelib.domain.vnpay_qr import png, svg  # deferred: qrcode is a cold-start cost

    # The QR of what is open now: a payment changes it, so it is not kept long.
    headers = {"Cache-Control": "private, max-age=60"}
    if kind == "png":
        return Response(body=png(payload), status_code=200, headers={"Content-Type": "image/png", **headers})
    return Response(body=svg(payload), status_code=200, headers={"Content-Type": "image/svg+xml", **headers})


@bp.route("/v1/invoices/{invoice_id}/vietqr.png", methods=["GET"], authorizer=bearer)
@api
def get_invoice_vietqr_png(invoice_id):
    return _image(deps.invoices().vietqr_payload(identity(bp.current_request), invoice_id), "png")


@bp.route("/v1/invoices/{invoice_id}/vietqr.svg", methods=["GET"], authorizer=bearer)
@api
def get_invoice_vietqr_svg(invoice_id):
    return _image(deps.invoices().vietqr_payload(identity(bp.current_request), invoice_id), "svg")
