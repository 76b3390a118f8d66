"""OpenAPI paths of the web blueprint (api/web.py): the customer website, the page and its static files.
They answer HTML, CSS, JS or SVG, not JSON."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import ERR, STR, json_content
from chalicelib.api.web import ASSETS

_HEADERS = {
    name: {"schema": STR, "description": what}
    for name, what in (
        ("Content-Security-Policy", "Strict: no inline or foreign script or style, no framing"),
        ("ETag", "Content hash; If-None-Match answers 304"),
        ("Cache-Control", "The page: no-cache. An asset named with its current ?v= hash: a year, immutable"),
    )
}
_NOT_MODIFIED = {"304": {"description": "Not modified (If-None-Match matched the ETag)"}}

PATHS: dict[str, Any] = {
    "/": {
        "get": {
            "summary": "The customer website: register, log in, invoices, PDF, pay with VNPAY-QR or VietQR, "
            "statement, consumption chart, linked codes, reminder settings (Vietnamese, English switch)",
            "tags": ["website"],
            "responses": {
                "200": {"description": "The page", "headers": _HEADERS, "content": {"text/html": {"schema": STR}}},
                "301": {"description": "Deployed, /<stage> without the slash: to /<stage>/ (relative URLs need it)"},
                **_NOT_MODIFIED,
            },
        }
    },
    "/web/{asset}": {
        "get": {
            "summary": "A static file of the website (a fixed list: app.css, app.js, icon.svg and the views "
            "app.js loads on demand)",
            "tags": ["website"],
            "parameters": [
                {
                    "name": "asset",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": list(ASSETS)},
                },
                {
                    "name": "v",
                    "in": "query",
                    "required": False,
                    "schema": STR,
                    "description": "The content hash the page names; when current, the answer may be cached a year",
                },
            ],
            "responses": {
                "200": {
                    "description": "The file",
                    "headers": _HEADERS,
                    "content": {
                        "text/css": {"schema": STR},
                        "text/javascript": {"schema": STR},
                        "image/svg+xml": {"schema": STR},
                    },
                },
                **_NOT_MODIFIED,
                "404": {"description": "Not one of the website's files", **json_content(ERR)},
            },
        }
    },
}
