"""The customer website: one page and its few static files, served by this
API itself (the same deployment, so the page and the API share one origin and
need no CORS). Plain HTML/CSS/JS in chalicelib/web, no build step.

Only the files named in ASSETS are served: an asset name is a dictionary key,
never a path, so nothing outside chalicelib/web can be read. Every answer
carries a strict Content-Security-Policy (no inline script or style, no
framing, nothing from another origin but the photos' bucket: a service
request's photo goes straight to S3 by a presigned POST and is shown by a
presigned link, so connect-src and img-src name that bucket exactly,
from the settings: deps.photo_link_sources()). index.html names its assets with a content
hash (`web/app.js?v=<hash>`), so the assets can be cached for a year and a new
deployment is picked up at once; the page itself is revalidated every time. The
views app.js loads on demand (ES modules) are named so too, in the page's
<meta name="modules">, and are fetched with their hash when first opened.
Every URL in the page is relative: deployed, API Gateway serves it under the
stage path (/api/)."""

from __future__ import annotations

import functools
import hashlib
import os

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.common import handled
from chalicelib.config import get_settings
from chalicelib.errors import NotFound

bp = Blueprint(__name__)
api = handled(bp)

WEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")
INDEX = "index.html"
ASSETS = {
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
    # The views app.js imports when they are opened (its VIEWS; index.html names them with their hash).
    "account.js": "text/javascript; charset=utf-8",
    "notify.js": "text/javascript; charset=utf-8",
    "usage.js": "text/javascript; charset=utf-8",
    "notices.js": "text/javascript; charset=utf-8",
    "statement.js": "text/javascript; charset=utf-8",
    "transfer.js": "text/javascript; charset=utf-8",
    "requests.js": "text/javascript; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:{photos}; "
    "connect-src 'self'{photos}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # The page's own geolocation: a leak request's position, asked when the customer presses the button.
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self), payment=()",
}


def security_headers() -> dict[str, str]:
    """The headers of every answer; the CSP lets the page send photos to, and show them from, the photos'
    bucket (the presigned POST's URL and the objects under it), and no other origin."""
    photos = "".join(" " + source for source in deps.photo_link_sources())
    return {"Content-Security-Policy": CSP.format(photos=photos), **HEADERS}


YEAR = 365 * 24 * 3600


def _asset_not_found() -> NotFound:
    return NotFound("no such file", "Không có tệp này.", code="ASSET_NOT_FOUND")


def _read(name: str) -> bytes:
    with open(os.path.join(WEB_DIR, name), "rb") as f:
        return f.read()


@functools.cache
def _cached(name: str) -> bytes:
    return _read(name)


def _content(name: str) -> bytes:
    # Locally the files are read afresh, so an edit shows on reload; deployed they never change.
    return _read(name) if get_settings().is_local else _cached(name)


def _version(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:12]


def _page() -> bytes:
    return _build_page() if get_settings().is_local else _cached_page()


@functools.cache
def _cached_page() -> bytes:
    # Deployed, the files never change: hash the assets once per container, not per page view.
    return _build_page()


def _build_page() -> bytes:
    page = _content(INDEX).decode("utf-8")
    for name in ASSETS:
        page = page.replace(f'"web/{name}"', f'"web/{name}?v={_version(_content(name))}"')
    return page.encode("utf-8")


def _answer(body: bytes, content_type: str, cache_control: str) -> Response:
    etag = f'"{_version(body)}"'
    headers: dict[str, str | list[str]] = {
        "Content-Type": content_type,
        "Cache-Control": cache_control,
        "ETag": etag,
        **security_headers(),
    }
    if etag in (bp.current_request.headers.get("if-none-match") or ""):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body.decode("utf-8"), status_code=200, headers=headers)


@bp.route("/", methods=["GET"])
@api
def index():
    ctx = bp.current_request.context or {}
    path = ctx.get("path") or ""
    if ctx.get("stage") and path and not path.endswith("/"):
        # https://host/api without the slash: relative URLs would miss the stage.
        return Response(body="", status_code=301, headers={"Location": path + "/", **security_headers()})
    return _answer(_page(), "text/html; charset=utf-8", "no-cache")


@bp.route("/web/{asset}", methods=["GET"])
@api
def asset(asset):
    content_type = ASSETS.get(asset)
    if content_type is None:
        raise _asset_not_found()
    body = _content(asset)
    params = bp.current_request.query_params
    version = params.get("v") if params else None
    cache = f"public, max-age={YEAR}, immutable" if version == _version(body) else "no-cache"
    return _answer(body, content_type, cache)
