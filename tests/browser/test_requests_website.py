"""Service requests on the website (issue 18), in Chromium against the whole local stack: a customer
registers, logs in, raises a leak request with a photo (a real JPEG, posted straight to the local S3 with
the presigned form POST /v1/me/photos answers; the page's CSP allows that bucket and nothing else) and
its position (the browser's geolocation), a manager replies and closes it through the API, and the
customer sees the reply and rates it. Then the invoice page shows a bill's evidence (the flag reasons and
the meter photo). Route customer 01031075, which no other browser test uses."""

from __future__ import annotations

import io
import json
import os

import pytest
import requests

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest's fixtures skip (or fail under CI) with the reason
    if os.environ.get("CI"):
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

from tests.browser.test_account_website import NEW_PASSWORD, _log_in, _outbox_lines, _registered
from tests.browser.test_website import assert_accessible
from tests.e2e.conftest import wait_for_sms

CODE = "01031075"
WHERE = {"latitude": 9.176944, "longitude": 105.152417}  # Phường 7, TP Cà Mau


def jpeg(width: int = 96, height: int = 64) -> bytes:
    """A small real JPEG (the server reads its first bytes: a fake would be refused)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 110, 190)).save(out, "JPEG", quality=80)
    return out.getvalue()


def admin_token(api: str, password: str) -> str:
    r = requests.post(f"{api}/v1/admin/login", json={"username": "admin", "password": password}, timeout=15)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def as_admin(api: str, token: str, path: str, body: dict) -> dict:
    r = requests.post(f"{api}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert r.status_code in (200, 201), r.text
    return r.json()


def register(page, stack, code: str) -> None:
    """Register `code` on the page (code, one-time code to its phone, password): logged in at the end."""
    page.get_by_role("link", name="Đăng ký tài khoản").click()
    page.locator("#register-code").fill(code)
    before = _outbox_lines(stack)
    page.get_by_role("button", name="Gửi mã xác thực").click()
    otp = wait_for_sms(stack.config.outbox_path, code, before, 15)
    page.locator("#register-otp").fill(otp)
    page.locator("#register-password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    expect(page.locator("#view-account")).to_be_visible()


def test_a_leak_request_with_a_photo_gets_a_staff_reply_and_a_rating(new_page, site, password, web_stack):
    page = new_page(geolocation=WHERE, permissions=["geolocation"])
    loaded, refused = [], []
    page.on("request", lambda r: loaded.append(r.url.split("/web/")[1].split("?")[0]) if "/web/" in r.url else None)
    page.on("requestfailed", lambda r: refused.append(r.url))
    page.goto(site)
    register(page, web_stack, CODE)
    page.get_by_role("button", name="Đăng xuất").click()
    _log_in(page, CODE, NEW_PASSWORD)
    assert "requests.js" not in loaded  # loaded when the view is first opened

    page.get_by_role("button", name=f"Yêu cầu, phản ánh của mã {CODE}").click()
    expect(page.locator("#requests-title")).to_have_text(f"Yêu cầu của mã {CODE}")
    expect(page.locator("#requests-title")).to_be_focused()
    expect(page.locator("#rq-list")).to_have_text("Mã này chưa có yêu cầu nào.")
    assert "requests.js" in loaded
    page.get_by_role("button", name="Gửi yêu cầu mới").click()
    expect(page.locator("#request-new-title")).to_be_focused()

    # The kind says what else it needs: a leak, a photo and the position; a household size, the residents.
    kind = page.get_by_label("Loại yêu cầu")
    kind.select_option(label="Đăng ký định mức (số nhân khẩu)")
    expect(page.get_by_label("Số nhân khẩu trong hộ")).to_be_visible()
    expect(page.locator("#rq-photo")).to_be_hidden()
    kind.select_option(label="Báo rò rỉ, vỡ ống")
    expect(page.get_by_label("Số nhân khẩu trong hộ")).to_be_hidden()
    expect(page.locator("#rq-type-hint")).to_have_text("Thời hạn xử lý: 24 giờ.")
    page.get_by_label("Nội dung").fill("Ống nước trước nhà số 13 bị vỡ, nước chảy ra đường.")
    page.get_by_role("button", name="Gửi yêu cầu", exact=True).click()  # no photo yet: said, and focused
    expect(page.locator("#request-new-error")).to_contain_text("Vui lòng điền: ảnh, vị trí.")
    expect(page.locator("#rq-photo")).to_be_focused()
    expect(page.locator("#rq-photo")).to_have_attribute("aria-invalid", "true")
    page.locator("#rq-photo").set_input_files([{"name": "ong-vo.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    expect(page.locator("#rq-geo")).to_contain_text("Đã lấy vị trí")
    expect(page.get_by_label("Vĩ độ")).to_have_value("9.176944")
    expect(page.get_by_label("Kinh độ")).to_have_value("105.152417")
    assert_accessible(page)
    with page.expect_response(lambda r: r.request.method == "POST" and "/v1/me/tickets" in r.url) as made:
        page.get_by_role("button", name="Gửi yêu cầu", exact=True).click()
    assert made.value.status == 201, made.value.text()
    ticket_id = made.value.json()["ticket_id"]

    expect(page.locator("#request-title")).to_have_text("Báo rò rỉ, vỡ ống")
    expect(page.locator("#request-title")).to_be_focused()
    body = page.locator("#rq-body")
    expect(body.locator("[data-fact=rqStatus]")).to_have_text("Mới tiếp nhận")
    expect(body.locator("[data-fact=rqPos]")).to_have_text("9.176944, 105.152417")
    photo = body.locator(".photos img").first
    expect(photo).to_have_attribute("alt", "Ảnh 1 của yêu cầu")
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 96", arg=photo.element_handle())
    assert not refused, refused
    assert_accessible(page)

    # A manager replies, then has it handled and closed (through the API, as the back office would).
    api, token = web_stack.api_url, admin_token(web_stack.api_url, password)
    reply = "Đội sửa chữa sẽ đến trong hôm nay. Xin cảm ơn quý khách."
    as_admin(api, token, f"/v1/admin/tickets/{ticket_id}/replies", {"text": reply})
    page.get_by_role("button", name="Cập nhật").click()
    staff = body.locator(".history li[data-by=admin]")
    expect(staff).to_contain_text(reply)
    expect(staff).to_contain_text("Cán bộ quản lý đã nhắn")
    expect(staff.locator("p")).to_have_count(2)  # who and when, what was said: nothing else
    page.get_by_label("Nhắn thêm").fill("Cảm ơn, tôi ở nhà cả ngày.")
    page.get_by_role("button", name="Gửi tin nhắn").click()
    expect(body.locator(".history li[data-by=customer]").last).to_contain_text("Cảm ơn, tôi ở nhà cả ngày.")

    as_admin(api, token, f"/v1/admin/tickets/{ticket_id}/assign", {"assignee": "ghithu01"})
    as_admin(api, token, f"/v1/admin/tickets/{ticket_id}/status", {"status": "in_progress"})
    as_admin(api, token, f"/v1/admin/tickets/{ticket_id}/status", {"status": "resolved", "reason": "Đã thay ống"})
    page.get_by_role("button", name="Cập nhật").click()
    expect(body.locator("[data-fact=rqStatus]")).to_have_text("Đã xử lý xong")
    expect(body.locator("[data-fact=rqReason]")).to_have_text("Đã thay ống")
    rate = page.get_by_role("group", name="Đánh giá kết quả xử lý")
    rate.get_by_label("4 trên 5").check()
    page.get_by_label("Góp ý (không bắt buộc)").fill("Nhanh chóng.")
    assert_accessible(page)
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(body.locator(".note")).to_have_text("Bạn đã đánh giá 4/5.")

    # The list shows it; in English too (the kinds' names and statuses asked again in that language).
    page.get_by_role("button", name="← Danh sách hoá đơn").click()
    page.get_by_role("button", name=f"Yêu cầu, phản ánh của mã {CODE}").click()
    expect(page.locator(f"#rq-list li[data-ticket={ticket_id}]")).to_contain_text("Đã xử lý xong")
    page.get_by_role("button", name="English").click()
    expect(page.locator("#requests-title")).to_have_text(f"Requests of code {CODE}")
    expect(page.locator(f"#rq-list li[data-ticket={ticket_id}]")).to_contain_text("Leak or broken pipe")
    expect(page.locator(f"#rq-list li[data-ticket={ticket_id}]")).to_contain_text("Resolved")
    page.get_by_role("button", name="Tiếng Việt").click()


def test_the_invoice_shows_its_evidence_the_flags_and_the_meter_photo(new_page, site, web_stack):
    """An invoice's `evidence` (a flagged reading's reasons and its photo, a presigned link to the bucket)
    drawn on the invoice page. The answer is the API's with an evidence put in (the seeded bills have none),
    its photo a real presigned link to the local S3 (a request's photo, uploaded as the page does it)."""
    page = new_page()
    page.goto(site)
    _registered(web_stack, CODE)
    r = requests.post(
        f"{web_stack.api_url}/v1/auth/login", json={"customer_code": CODE, "password": NEW_PASSWORD}, timeout=15
    )
    token = r.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    start = requests.post(
        f"{web_stack.api_url}/v1/me/photos",
        json={"purpose": "ticket", "customer_code": CODE, "content_type": "image/jpeg"},
        headers=auth,
        timeout=15,
    ).json()
    form = start["upload"]
    up = requests.post(form["url"], data=form["fields"], files={"file": ("m.jpg", jpeg(120, 80))}, timeout=15)
    assert up.status_code in (200, 201, 204), up.text
    # A real presigned link to it: the one a request naming the photo answers.
    made = requests.post(
        f"{web_stack.api_url}/v1/me/tickets",
        json={"customer_code": CODE, "type": "other", "description": "Ảnh đồng hồ", "photo_ids": [start["photo_id"]]},
        headers=auth,
        timeout=15,
    )
    assert made.status_code == 201, made.text
    link = made.json()["photos"][0]["url"]
    evidence = {
        "reading_id": "RD0000000000000001",
        "source": "staff",
        "read_at": "2024-05-28T09:12:00+07:00",
        "photo_url": link,
        "reasons": [
            {"code": "SPIKE", "message_vi": "Tiêu thụ tăng đột biến so với trung bình.", "message_en": "A spike."}
        ],
        "reviewed": True,
    }

    def with_evidence(route):
        resp = route.fetch()
        body = resp.json()
        body["evidence"] = evidence
        route.fulfill(response=resp, body=json.dumps(body))

    page.route("**/v1/invoices/*", with_evidence)
    _log_in(page, CODE, NEW_PASSWORD)
    page.locator("li.invoice").first.get_by_role("button", name="Xem chi tiết").click()
    box = page.locator("#invoice-body section.evidence")
    expect(box.locator("h2")).to_have_text("Căn cứ của hoá đơn")
    expect(box.locator("li")).to_have_text(["Tiêu thụ tăng đột biến so với trung bình."])
    expect(box).to_contain_text("Cán bộ quản lý đã xem ảnh trước khi lập hoá đơn.")
    img = box.locator("img")
    expect(img).to_have_attribute("alt", "Ảnh đồng hồ nước khi ghi chỉ số ngày 28/05/2024")
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 120", arg=img.element_handle())
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    expect(box.locator("li")).to_have_text(["A spike."])
    page.get_by_role("button", name="Tiếng Việt").click()
