"""The customer website's routes through the handlers: the page and its
allow-listed files, their types and headers, caching, and what is refused."""

from __future__ import annotations

import json
import os
import re

import pytest

from chalicelib.api import web

WEB_DIR = web.WEB_DIR
TYPES = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8", "icon.svg": "image/svg+xml"}


def _csp(resp) -> dict:
    policy = resp.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def _assert_protected(resp):
    csp = _csp(resp)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]  # no inline, no eval
    assert csp["connect-src"] == ["'self'"] and csp["img-src"] == ["'self'", "blob:"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_the_page_is_html_with_a_strict_policy_and_versioned_relative_assets(api):
    resp = api.get("/", token="")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-cache"
    _assert_protected(resp)
    page = resp.body.decode("utf-8")
    assert '<html lang="vi">' in page and 'name="viewport"' in page
    for name in TYPES:
        version = re.search(rf'"web/{re.escape(name)}\?v=([0-9a-f]{{12}})"', page)
        assert version, name
        assert (
            api.get(f"/web/{name}?v={version.group(1)}", token="").headers["Cache-Control"]
            == "public, max-age=31536000, immutable"
        )
    # Relative URLs only (deployed, the page lives under /api/); nothing inline for the CSP to refuse.
    assert not re.search(r'(?:href|src)="/', page)
    assert all(tag.group(1) for tag in re.finditer(r"<script([^>]*src=[^>]*)?>", page))
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers


@pytest.mark.parametrize("name", sorted(TYPES))
def test_each_asset_has_its_type_and_revalidates_without_its_version(api, name):
    resp = api.get(f"/web/{name}", token="")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == TYPES[name]
    assert resp.headers["Cache-Control"] == "no-cache"  # no or an old ?v=: ask again next time
    assert api.get(f"/web/{name}?v=000000000000", token="").headers["Cache-Control"] == "no-cache"
    _assert_protected(resp)
    with open(os.path.join(WEB_DIR, name), "rb") as f:
        assert resp.body == f.read()
    again = api.get(f"/web/{name}", token="", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.body == b""
    assert again.headers["ETag"] == resp.headers["ETag"]


def test_an_unchanged_page_is_not_sent_again(api):
    first = api.get("/", token="")
    assert api.get("/", token="", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert api.get("/", token="", headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_an_unknown_file_is_a_404_in_the_apis_error_format(api):
    resp = api.get("/web/admin.js", token="")
    assert resp.status_code == 404
    assert resp.json == {"code": "ASSET_NOT_FOUND", "message": "Không có tệp này."}
    resp = api.get("/web/admin.js", token="", headers={"Accept-Language": "en"})
    assert resp.json == {"code": "ASSET_NOT_FOUND", "message": "no such file"}


@pytest.mark.parametrize(
    "path",
    [
        "/web/index.html",  # the page is served at / only
        "/web/..%2Fapi%2Fweb.py",
        "/web/%2e%2e%2fconfig.py",
        "/web/..%5Cconfig.py",
        "/web/.%2Fapp.js",
        "/web/app.js%00.png",
        "/web/APP.JS",
        "/web/app.js%20",
        "/web/%2Fetc%2Fpasswd",
        "/web/..",
    ],
)
def test_nothing_outside_the_allow_list_is_served(api, path):
    resp = api.get(path, token="")
    assert resp.status_code == 404, (path, resp.status_code)
    assert resp.json["code"] == "ASSET_NOT_FOUND"


def test_a_path_that_leaves_the_web_folder_matches_no_route(api):
    resp = api.get("/web/../app.py", token="")
    assert resp.status_code in (403, 404)  # chalice's "no such route": never a file
    assert b"Chalice" not in resp.body and b"import" not in resp.body


def test_deployed_the_stage_root_without_its_slash_redirects(app):
    """API Gateway serves the page at /api/; at /api the relative URLs would miss the stage."""

    def event(path):
        return {
            "requestContext": {
                "httpMethod": "GET",
                "resourcePath": "/",
                "stage": "api",
                "path": path,
                "requestId": "test-request-1",
                "identity": {"sourceIp": "203.0.113.9"},
            },
            "headers": {"host": "example.execute-api.ap-southeast-1.amazonaws.com"},
            "pathParameters": None,
            "multiValueQueryStringParameters": None,
            "stageVariables": None,
            "body": None,
            "isBase64Encoded": False,
            "path": "/",
            "httpMethod": "GET",
            "resource": "/",
        }

    class Context:
        function_name = "cskh-test"
        aws_request_id = "test-request-1"

    moved = app(event("/api"), Context())
    assert moved["statusCode"] == 301 and moved["headers"]["Location"] == "/api/"
    served = app(event("/api/"), Context())
    assert served["statusCode"] == 200 and served["headers"]["Content-Type"].startswith("text/html")


def test_every_text_of_the_page_exists_in_both_languages():
    with open(os.path.join(WEB_DIR, "app.js"), encoding="utf-8") as f:
        script = f.read()
    blocks = dict(re.findall(r"\n    (vi|en): \{(.*?)\n    \}", script, re.S))
    keys = {lang: set(re.findall(r"(?:^\s*|[,{]\s*)(\w+):", body, re.M)) for lang, body in blocks.items()}
    assert keys["vi"] and keys["vi"] == keys["en"], keys["vi"] ^ keys["en"]
    with open(os.path.join(WEB_DIR, "index.html"), encoding="utf-8") as f:
        used = set(re.findall(r'data-i18n="(\w+)"', f.read()))
    used |= set(re.findall(r'\bt\("(\w+)"[,)]', script))
    used |= {f"s_{status}" for status in ("pending", "paid", "failed", "expired", "refunded")}  # t("s_" + status)
    used |= {"l_water", "l_vat", "l_env_fee", "paid", "unpaid", "cancelled"}  # by invoice line kind and status
    assert used - keys["vi"] == set()


def test_the_website_stays_small():
    sizes = {name: os.path.getsize(os.path.join(WEB_DIR, name)) for name in os.listdir(WEB_DIR)}
    assert set(sizes) == {"index.html", *TYPES}  # nothing else is shipped (or servable)
    # 48 KB until the e-invoice box (issue 17) took it to 49.8 KB; a budget, raised on purpose, not a target.
    assert sum(sizes.values()) < 52 * 1024, sizes


def test_the_website_routes_are_public_and_documented(app, api):
    doc = api.get("/v1/openapi.json", token="").json
    for path in ("/", "/web/{asset}"):
        assert app.routes[path]["GET"].authorizer is None
        assert "security" not in doc["paths"][path]["get"]
    assert set(doc["paths"]["/web/{asset}"]["get"]["parameters"][0]["schema"]["enum"]) == set(TYPES)
    json.dumps(doc)
