"""Photos sent with reports (issue 18, services/photos.py): a presigned POST straight to the local S3,
then the check a report makes when it names the photo: there, the caller's, and really an image."""

from __future__ import annotations

import io

import pytest
import requests

from chalicelib import deps
from chalicelib.domain import photos as rules
from chalicelib.errors import ValidationError
from tests.api.test_staff import PASSWORD, Staff

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 200


def _upload(form: dict, data: bytes, content_type: str | None = None) -> requests.Response:
    fields = dict(form["fields"])
    if content_type is not None:
        fields["Content-Type"] = content_type
    return requests.post(form["url"], data=fields, files={"file": ("photo", io.BytesIO(data))}, timeout=30)


def _start(api, token: str, code: str, content_type: str = "image/jpeg", purpose: str = "ticket"):
    return api.post(
        "/v1/me/photos", {"purpose": purpose, "customer_code": code, "content_type": content_type}, token=token
    )


def test_a_customer_uploads_a_photo_and_a_report_can_name_it(api, registered):
    customer, tokens = registered()
    r = _start(api, tokens["access_token"], customer.code)
    assert r.status_code == 201, r.json
    photo_id, form = r.json["photo_id"], r.json["upload"]
    assert rules.is_photo_id(photo_id) and form["method"] == "POST" and form["max_bytes"] == rules.MAX_BYTES
    assert form["fields"]["key"] == f"photos/ticket/{customer.code}/{photo_id}"  # composed by the server
    with pytest.raises(ValidationError) as before:
        deps.photos().confirm("ticket", customer.code, photo_id)
    assert before.value.code == "PHOTO_NOT_UPLOADED"
    assert _upload(form, JPEG).status_code in (200, 201, 204)
    photo = deps.photos().confirm("ticket", customer.code, photo_id)
    assert (photo.content_type, photo.size, photo.key) == ("image/jpeg", len(JPEG), form["fields"]["key"])
    shown = requests.get(deps.photos().url(photo.key, photo.content_type), timeout=10)
    assert shown.status_code == 200 and shown.content == JPEG


@pytest.mark.parametrize("data,declared", [(PNG, "image/png"), (WEBP, "image/webp")])
def test_png_and_webp_are_photos_too(api, registered, data, declared):
    customer, tokens = registered()
    r = _start(api, tokens["access_token"], customer.code, declared, purpose="self_reading")
    assert _upload(r.json["upload"], data).status_code in (200, 201, 204)
    assert deps.photos().confirm("self_reading", customer.code, r.json["photo_id"]).content_type == declared


def test_what_is_not_a_photo_or_not_yours_is_refused(api, registered):
    customer, tokens = registered()
    other, _ = registered()
    r = _start(api, tokens["access_token"], customer.code)
    photo_id, form = r.json["photo_id"], r.json["upload"]
    # S3 holds the form to its declared type (AWS enforces the policy; the local S3 does not): whatever the
    # object's stored type, the link serves it as the image its bytes are.
    if _upload(form, JPEG, content_type="text/html").ok:
        photo = deps.photos().confirm("ticket", customer.code, photo_id)
        shown = requests.get(deps.photos().url(photo.key, photo.content_type), timeout=10)
        assert shown.headers["Content-Type"] == "image/jpeg"
    # Bytes that are not an image, declared as one: refused when named.
    assert _upload(form, b"<html><script>alert(1)</script></html>").status_code in (200, 201, 204)
    with pytest.raises(ValidationError) as bad:
        deps.photos().confirm("ticket", customer.code, photo_id)
    assert bad.value.code == "PHOTO_INVALID"
    # Named by another customer code, for another purpose, or not an id at all: not found.
    for purpose, owner, pid in (
        ("ticket", other.code, photo_id),
        ("self_reading", customer.code, photo_id),
        ("ticket", customer.code, "../../einvoices/x"),
        ("ticket", customer.code, 7),
    ):
        with pytest.raises(ValidationError) as missing:
            deps.photos().confirm(purpose, owner, pid)
        assert missing.value.code == "PHOTO_NOT_UPLOADED", (purpose, owner, pid)


def test_a_photo_over_the_limit_is_refused_by_s3_or_when_named(api, registered, monkeypatch):
    customer, tokens = registered()
    service = deps.photos()
    monkeypatch.setattr(service, "max_bytes", 1024)
    r = _start(api, tokens["access_token"], customer.code)
    upload = _upload(r.json["upload"], JPEG + b"\x00" * 2048)
    if upload.ok:  # a local S3 that does not enforce the policy's content-length-range: the check does
        with pytest.raises(ValidationError) as big:
            service.confirm("ticket", customer.code, r.json["photo_id"])
        assert big.value.code == "PHOTO_INVALID"
    else:
        assert upload.status_code in (400, 403)


def test_bad_requests_and_codes_not_linked(api, registered, new_customer):
    customer, tokens = registered()
    token = tokens["access_token"]
    for body, field in (
        ({"purpose": "selfie", "customer_code": customer.code, "content_type": "image/jpeg"}, "purpose"),
        ({"purpose": "ticket", "customer_code": customer.code, "content_type": "image/gif"}, "content_type"),
        ({"purpose": "ticket", "customer_code": "x", "content_type": "image/jpeg"}, "customer_code"),
        ({"purpose": "reading", "customer_code": customer.code, "content_type": "image/jpeg"}, "purpose"),
    ):
        r = api.post("/v1/me/photos", body, token=token)
        assert r.status_code == 400 and r.json["field"] == field, (body, r.json)
    r = _start(api, token, new_customer().code)  # not linked to this account
    assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED"


def test_a_field_worker_uploads_under_its_own_name(api, admin):
    import secrets

    # Names of its own: test_staff's counter restarts when this module imports it (a second module object).
    username, imei = f"tst.photo{secrets.token_hex(3)}", f"86{secrets.randbelow(10**13):013d}"
    body = {"username": username, "full_name": "Nguyễn Thị Ảnh", "branch": "TP Ca Mau", "password": PASSWORD}
    assert api.post("/v1/admin/staff", body, token=admin).status_code == 201
    staff = Staff(api, username, imei).signed_in()
    r = api.post(
        "/v1/staff/photos",
        {"purpose": "reading", "content_type": "image/jpeg"},
        token=staff.tokens["access_token"],
        headers=staff.headers(),
    )
    assert r.status_code == 201, r.json
    assert r.json["upload"]["fields"]["key"] == f"photos/reading/{staff.username}/{r.json['photo_id']}"
    assert _upload(r.json["upload"], JPEG).status_code in (200, 201, 204)
    assert deps.photos().confirm("reading", staff.username, r.json["photo_id"]).size == len(JPEG)
    # Without the bound device's header: refused like every staff route.
    r = api.post(
        "/v1/staff/photos", {"purpose": "reading", "content_type": "image/jpeg"}, token=staff.tokens["access_token"]
    )
    assert r.status_code == 403
