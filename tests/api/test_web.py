"""The customer website's routes through the handlers: the page and its
allow-listed files, their types and headers, caching, and what is refused."""

from __future__ import annotations

import json
import os
import re

import pytest

from chalicelib.adapters import aws
from chalicelib.api import web
from chalicelib.config import get_settings

WEB_DIR = web.WEB_DIR
JS = "text/javascript; charset=utf-8"
TYPES = {"app.css": "text/css; charset=utf-8", "app.js": JS, "icon.svg": "image/svg+xml"}
# The views app.js imports on demand (its VIEWS), each an ES module (issue 18).
VIEWS = ("account.js", "notify.js", "usage.js", "notices.js", "statement.js", "transfer.js", "requests.js")
TYPES.update(dict.fromkeys(VIEWS, JS))
INITIAL = ("index.html", "app.js", "app.css")  # what a first visit loads (and icon.svg)


def _csp(resp) -> dict:
    policy = resp.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def _photo_sources() -> list[str]:
    """The photos' bucket (the documents bucket), as the tests' settings place it: path style under the
    local S3 engine's endpoint (the POST's URL exactly, the objects under it), or its own virtual host."""
    s = get_settings()
    if s.aws_endpoint:
        return [
            f"{s.aws_endpoint.rstrip('/')}/{s.documents_bucket}",
            f"{s.aws_endpoint.rstrip('/')}/{s.documents_bucket}/",
        ]
    return [f"https://{s.documents_bucket}.s3.{s.region}.amazonaws.com"]


def _assert_protected(resp):
    csp = _csp(resp)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]  # no inline, no eval
    # Nothing of another origin but the photos' bucket: a request's photo is posted to it and shown from it.
    assert csp["connect-src"] == ["'self'", *_photo_sources()]
    assert csp["img-src"] == ["'self'", "blob:", *_photo_sources()]
    assert csp["form-action"] == ["'none'"]
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


def _read(name: str) -> str:
    with open(os.path.join(WEB_DIR, name), encoding="utf-8") as f:
        return f.read()


def _keys(script: str) -> dict:
    blocks = dict(re.findall(r"\n    (vi|en): \{(.*?)\n    \}", script, re.S))
    return {lang: set(re.findall(r"(?:^\s*|[,{]\s*)(\w+):", body, re.M)) for lang, body in blocks.items()}


def test_every_text_of_the_page_exists_in_both_languages():
    """app.js's texts and each view module's (merged into app.js's when it loads): every key in both
    languages; every key the page or a module uses is some file's, the page's own in app.js."""
    script = _read("app.js")
    keys = _keys(script)
    assert keys["vi"] and keys["vi"] == keys["en"], keys["vi"] ^ keys["en"]
    used = set(re.findall(r'data-i18n="(\w+)"', _read("index.html")))
    used |= set(re.findall(r'\bt\("(\w+)"[,)]', script))
    used |= {f"s_{status}" for status in ("pending", "paid", "failed", "expired", "refunded")}  # t("s_" + status)
    used |= {"l_water", "l_vat", "l_env_fee", "paid", "unpaid", "cancelled"}  # by invoice line kind and status
    assert used - keys["vi"] == set()
    for name in VIEWS:
        module = _read(name)
        own = _keys(module)
        assert own["vi"] and own["vi"] == own["en"], (name, own["vi"] ^ own["en"])
        assert not own["vi"] & keys["vi"], (name, own["vi"] & keys["vi"])  # one meaning a key
        wanted = set(re.findall(r'\bt\("(\w+)"[,)]', module)) | set(re.findall(r'"data-i18n": "(\w+)"', module))
        assert wanted - own["vi"] - keys["vi"] == set(), name
    assert set(re.findall(r'"data-i18n": "(\w+)"', script)) - keys["vi"] == set()


def test_the_views_loaded_on_demand_are_the_pages_named_modules():
    """app.js's VIEWS name a module each; the page names each (so with its hash); each has its texts
    and opens its view."""
    script, page = _read("app.js"), _read("index.html")
    registry = script.split("const VIEWS = {")[1].split("};")[0]
    code = "\n".join(line for line in registry.splitlines() if not line.strip().startswith("//"))
    assert {f"{m}.js" for m in re.findall(r'"[a-z-]+": \["(\w+)"', code)} == set(VIEWS)
    meta = re.search(r'<meta name="modules"[^>]*>', page).group(0)
    assert {f"{m}.js" for m in re.findall(r'data-(\w+)="web/\1\.js"', meta)} == set(VIEWS)
    for name in VIEWS:
        module = _read(name)
        assert "export const STRINGS = {" in module and re.search(r"export (async )?function open\(k", module), name


def test_the_website_stays_small():
    sizes = {name: os.path.getsize(os.path.join(WEB_DIR, name)) for name in os.listdir(WEB_DIR)}
    assert set(sizes) == {"index.html", *TYPES}  # nothing else is shipped (or servable)
    # 48 KB until the e-invoice box (issue 17) took it to 49.8 KB, all of it loaded on a first visit. Issue
    # 18 made the site do what the app does (register, look-up, forgot password, linked codes, reminder
    # settings, the consumption chart) and would have doubled that; instead the views a visit may never
    # open are ES modules app.js imports when opened (VIEWS). What a first visit loads, the page, app.js and
    # app.css (49,461 bytes before issue 18; 45.5 KB with it), is budgeted at what it was, so a phone on a
    # slow network waits no longer for the login; the whole site has its own cap. Budgets, raised on
    # purpose, not targets.
    assert sum(sizes[name] for name in INITIAL) <= 49_461, {name: sizes[name] for name in INITIAL}
    # The whole: 96 KiB until the service requests' view (issue 18: 19 KB, half of it its two languages' texts,
    # loaded only when opened) and the invoice's evidence took it to 105.6 KB.
    assert sum(sizes.values()) < 112 * 1024, sizes


def _allowed(sources: tuple[str, ...], url: str) -> bool:
    """CSP source matching as the browser does it for these sources: scheme and host (and port) exactly; a
    path ending in '/' a prefix of the URL's path, any other path the whole of it (CSP3, "path-part")."""
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    path = "/" + path.split("?")[0]
    for source in sources:
        s_scheme, s_rest = source.split("://", 1)
        s_host, slash, s_path = s_rest.partition("/")
        s_path = slash + s_path
        if (s_scheme, s_host) != (scheme, host):
            continue
        if not s_path or (s_path.endswith("/") and path.startswith(s_path)) or path == s_path:
            return True
    return False


@pytest.mark.parametrize(
    ("bucket", "region", "endpoint"),
    [
        ("cskh-prod-documents", "ap-southeast-1", None),  # deployed: the bucket's own host
        ("cskh-local-documents", "ap-southeast-1", "http://127.0.0.1:4566"),  # locally: moto, path style
        ("cskh.documents", "ap-southeast-1", None),  # dots: botocore signs path style
        ("cskh-documents", "cn-north-1", None),
    ],
)
def test_the_policys_photo_sources_are_exactly_where_boto3_signs(monkeypatch, bucket, region, endpoint):
    """The CSP names what the presigned POST (the photo's upload) and GET (its link) point at, as
    adapters/aws.py's S3 client signs them, and no other bucket or place of the same host."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sources = aws.s3_link_sources(bucket, region, endpoint)
    client = aws._s3_client(region, endpoint)
    post = client.generate_presigned_post(bucket, "photos/ticket/01031075/ph_x", ExpiresIn=60)["url"]
    get = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "photos/t/1/ph_x"}, ExpiresIn=60)
    assert _allowed(sources, post) and _allowed(sources, get), (sources, post, get)
    other = post.replace(bucket, "someone-else", 1)
    assert not _allowed(sources, other) and not _allowed(sources, get.replace(bucket, bucket + "x", 1))
    assert all(" " not in s and ";" not in s and "*" not in s for s in sources)


def test_the_website_routes_are_public_and_documented(app, api):
    doc = api.get("/v1/openapi.json", token="").json
    for path in ("/", "/web/{asset}"):
        assert app.routes[path]["GET"].authorizer is None
        assert "security" not in doc["paths"][path]["get"]
    assert set(doc["paths"]["/web/{asset}"]["get"]["parameters"][0]["schema"]["enum"]) == set(TYPES)
    json.dumps(doc)
