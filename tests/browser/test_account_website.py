"""What the app does, on the website too (issue 18), in Chromium against the whole local stack:
register with a customer code found with "Tra cứu mã khách hàng" on the register screen, then log
in; forgot password; link another code; the reminder settings; the consumption chart, with the
same figures for a screen reader (a visually hidden table) and the average. The views load on demand
(web/account.js, notify.js, usage.js): the first visit fetches none of them. Route customers of the
demo no other browser test uses: 01031080 registers here, 01031076-78 through the API. And the water-cut
notices (#/thong-bao): the public board without login, then the caller's own once logged in."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
import requests

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest's fixtures skip (or fail under CI) with the reason
    if os.environ.get("CI"):
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

from chalicelib.domain.vntime import VN_TZ
from tests.browser.test_website import assert_accessible
from tests.e2e.conftest import wait_for_sms

NEW_PASSWORD = "Nuoc-sach-Ca-Mau-18"


def _outbox_lines(stack) -> int:
    path = stack.config.outbox_path
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as f:
        return len(f.read().splitlines())


def _registered(stack, code: str) -> None:
    """`code` registered through the API with NEW_PASSWORD (a test of the page starts from there)."""
    api, before = stack.api_url, _outbox_lines(stack)
    r = requests.post(f"{api}/v1/auth/register", json={"customer_code": code}, timeout=15)
    if r.status_code == 409:  # this session's stack has it already
        return
    assert r.status_code == 202, r.text
    otp = wait_for_sms(stack.config.outbox_path, code, before, 15)
    body = {"customer_code": code, "otp": otp, "password": NEW_PASSWORD}
    assert requests.post(f"{api}/v1/auth/register/confirm", json=body, timeout=15).status_code == 201


def _log_in(page, code: str, password: str) -> None:
    """The login form by its ids: the register and forgot views have fields named alike."""
    page.locator("#code").fill(code)
    page.locator("#password").fill(password)
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#view-account")).to_be_visible()


def test_register_with_a_code_found_by_the_look_up_then_log_in(page, site, web_stack):
    loaded = []
    page.on("request", lambda r: loaded.append(r.url.split("/web/")[1].split("?")[0]) if "/web/" in r.url else None)
    page.goto(site)
    expect(page.locator("#view-login")).to_be_visible()
    assert {"account.js", "notify.js", "usage.js", "statement.js", "transfer.js"}.isdisjoint(loaded)

    page.get_by_role("link", name="Đăng ký tài khoản").click()
    expect(page.locator("#register-title")).to_have_text("Đăng ký tài khoản")
    expect(page.locator("#register-title")).to_be_focused()  # a screen reader hears where it is
    assert "account.js" in loaded and page.url.endswith("#/dang-ky")

    # "Tra cứu mã khách hàng" on the register screen: by the phone on file, then by ledger and house numbers.
    page.get_by_text("Tra cứu mã khách hàng").click()
    page.get_by_label("Số điện thoại").fill("0912 345 780")
    page.get_by_role("button", name="Tra cứu", exact=True).click()
    expect(page.locator("#lookup-status")).to_have_text("Tìm thấy 1 mã khách hàng.")
    expect(page.locator("#lookup-status")).to_have_attribute("role", "status")
    found = page.locator("#lookup-results li")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("01031080")
    expect(found).not_to_contain_text("Lý Văn Long")  # the name is masked
    page.get_by_label("Số điện thoại").fill("")
    page.get_by_label("Số danh bộ").fill("CM0310800")
    page.get_by_label("Số nhà").fill("10")
    page.get_by_role("button", name="Tra cứu", exact=True).click()
    expect(found).to_have_count(1)
    page.get_by_label("Số nhà").fill("99")
    page.get_by_role("button", name="Tra cứu", exact=True).click()
    expect(page.locator("#lookup-status")).to_contain_text("Không tìm thấy mã khách hàng nào")
    page.get_by_label("Số nhà").fill("10")
    page.get_by_role("button", name="Tra cứu", exact=True).click()
    page.get_by_role("button", name="Dùng mã 01031080 để đăng ký").click()
    expect(page.locator("#register-code")).to_have_value("01031080")
    expect(page.locator("#register-code")).to_be_focused()
    assert_accessible(page)

    before = _outbox_lines(web_stack)
    page.get_by_role("button", name="Gửi mã xác thực").click()
    expect(page.locator("#register-sent")).to_contain_text("Đã gửi mã xác thực đến số")
    expect(page.locator("#register-otp")).to_be_focused()
    otp = wait_for_sms(web_stack.config.outbox_path, "01031080", before, 15)
    page.locator("#register-otp").fill("000000" if otp != "000000" else "111111")  # a wrong code first
    page.locator("#register-password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    expect(page.locator("#register-error")).to_be_visible()  # the API's message, in Vietnamese
    expect(page.locator("#register-otp")).to_have_attribute("aria-invalid", "true")
    page.locator("#register-otp").fill(otp)
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    expect(page.locator("#view-account")).to_be_visible()
    expect(page.locator("#codes button")).to_contain_text("01031080 · Lý Văn Long")
    expect(page.locator("li.invoice")).to_have_count(3)
    assert_accessible(page)

    page.get_by_role("button", name="Đăng xuất").click()
    _log_in(page, "01031080", NEW_PASSWORD)
    expect(page.locator("#codes button")).to_contain_text("01031080")


def test_forgot_password_sets_a_new_one_to_log_in_with(page, site, web_stack):
    _registered(web_stack, "01031077")
    page.goto(site)
    page.get_by_role("link", name="Quên mật khẩu?").click()
    expect(page.locator("#forgot-title")).to_have_text("Quên mật khẩu")
    page.locator("#forgot-code").fill("01031077")
    before = _outbox_lines(web_stack)
    page.locator("#forgot-start button[type=submit]").click()
    otp = wait_for_sms(web_stack.config.outbox_path, "01031077", before, 15)
    page.locator("#forgot-otp").fill(otp)
    page.locator("#forgot-password").fill("01031077-abc")  # contains the code: the API's policy says no
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator("#forgot-error")).to_be_visible()
    expect(page.locator("#forgot-password")).to_have_attribute("aria-invalid", "true")
    page.locator("#forgot-password").fill("Mat-khau-moi-2024")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator("#view-login")).to_be_visible()
    expect(page.locator("#login-note")).to_have_text("Đã đổi mật khẩu. Vui lòng đăng nhập bằng mật khẩu mới.")
    expect(page.locator("#code")).to_have_value("01031077")
    assert_accessible(page)
    page.locator("#password").fill(NEW_PASSWORD)  # the old one no longer works
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#login-error")).to_be_visible()
    _log_in(page, "01031077", "Mat-khau-moi-2024")


def test_link_a_code_the_reminder_settings_and_the_consumption_chart(page, site, web_stack):
    _registered(web_stack, "01031078")
    page.goto(site)
    _log_in(page, "01031078", NEW_PASSWORD)

    # The consumption chart of the code: 3 billed months (9, 10, 11 m³), their average 10.
    page.get_by_role("button", name="Lượng nước tiêu thụ của mã 01031078").click()
    expect(page.locator("#usage-title")).to_be_focused()
    chart = page.locator("#view-usage figure.chart")
    expect(chart.locator("svg rect")).to_have_count(3)
    expect(chart.locator("svg")).to_have_attribute("aria-hidden", "true")  # read as the table instead
    table = chart.locator(".sr-only table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr td:nth-child(2)")).to_have_text(["9", "10", "11"])
    expect(table.locator("tfoot")).to_contain_text("Trung bình")
    expect(chart.locator("figcaption")).to_have_text(
        f"Trung bình 10 m³ và {chart.locator('tfoot td').nth(2).inner_text()} mỗi kỳ, trong 3 kỳ."
    )
    assert chart.locator(".sr-only").bounding_box()["width"] <= 1  # visually hidden, for screen readers
    expect(page.get_by_role("button", name="12 kỳ")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="24 kỳ").click()
    expect(page.get_by_role("button", name="24 kỳ")).to_have_attribute("aria-pressed", "true")
    expect(chart.locator("svg rect")).to_have_count(3)
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator("#view-usage figcaption")).to_contain_text("On average 10 m³")
    expect(page.locator("#view-usage .sr-only caption")).to_have_text("Water used and billed by period")
    page.get_by_role("button", name="Tiếng Việt").click()

    # The invoice's detail draws the history up to its period, the newest bar marked.
    page.get_by_role("button", name="← Danh sách hoá đơn").click()
    page.locator("li.invoice").first.get_by_role("button", name="Xem chi tiết").click()
    usage = page.locator("#invoice-usage section.usage")
    expect(usage.locator("svg rect")).to_have_count(3)
    expect(usage.locator("svg rect.now")).to_have_count(1)
    expect(usage.locator(".sr-only tbody tr")).to_have_count(3)
    assert_accessible(page)

    # The reminder settings as they are, changed and saved.
    page.get_by_role("button", name="← Danh sách hoá đơn").click()
    page.get_by_role("button", name="Cài đặt nhắc thanh toán").click()
    expect(page.locator("#notify-title")).to_have_text("Cài đặt nhắc thanh toán")
    group = page.get_by_role("group", name="Mã 01031078")
    expect(group.get_by_label("Tin nhắn SMS")).to_be_checked()
    group.get_by_label("Zalo").check()
    group.get_by_role("checkbox", name="Email").check()
    group.get_by_role("button", name="Lưu cài đặt của mã 01031078").click()
    expect(page.locator("#notify-error")).to_have_text("Vui lòng nhập địa chỉ email.")  # the API's check
    group.get_by_label("Địa chỉ email").fill("khach@example.vn")
    group.get_by_role("button", name="Lưu cài đặt của mã 01031078").click()
    expect(page.locator("#notify-status")).to_have_text("Đã lưu cài đặt của mã 01031078.")
    assert_accessible(page)
    page.reload()
    group = page.get_by_role("group", name="Mã 01031078")
    expect(group.get_by_label("Zalo")).to_be_checked()
    expect(group.get_by_label("Địa chỉ email")).to_have_value("khach@example.vn")

    # Link another code: its one-time code goes to its own phone on file.
    page.get_by_role("button", name="← Danh sách hoá đơn").click()
    page.get_by_role("button", name="Liên kết thêm mã khách hàng").click()
    expect(page.locator("#link-title")).to_be_focused()
    page.locator("#link-code").fill("01031081")
    before = _outbox_lines(web_stack)
    page.locator("#link-start button[type=submit]").click()
    otp = wait_for_sms(web_stack.config.outbox_path, "01031081", before, 15)
    page.locator("#link-otp").fill(otp)
    page.get_by_role("button", name="Liên kết", exact=True).click()
    expect(page.locator("#view-account")).to_be_visible()
    expect(page.locator("#codes button")).to_have_count(2)
    expect(page.locator("#codes button[aria-pressed=true]")).to_contain_text("01031081")
    expect(page.locator("#invoices-title")).to_have_text("Hoá đơn của mã 01031081")
    assert_accessible(page)


def test_a_water_cut_notice_is_read_without_logging_in_and_among_mine_once_logged_in(page, site, password, web_stack):
    api = web_stack.api_url
    token = requests.post(f"{api}/v1/admin/login", json={"username": "admin", "password": password}, timeout=15).json()[
        "access_token"
    ]
    start = (datetime.now(VN_TZ) + timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    notice = {
        "kind": "planned",
        "reason": "Súc xả đường ống Lý Thường Kiệt",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=6)).isoformat(),
        "wards": ["Phường 7"],
        "customer_codes": ["01031076"],
        "publish": True,
    }
    r = requests.post(
        f"{api}/v1/admin/water-cuts", json=notice, headers={"Authorization": f"Bearer {token}"}, timeout=15
    )
    assert r.status_code == 201, r.text

    page.goto(site)
    page.get_by_role("link", name="Thông báo tạm ngưng cấp nước").click()
    expect(page.locator("#notices-title")).to_be_focused()
    board = page.locator("#wc-board")
    expect(board).to_contain_text("Súc xả đường ống Lý Thường Kiệt")
    expect(board).to_contain_text("Khu vực: Phường 7")
    expect(board).to_contain_text(f"Từ 08:00 {start:%d/%m/%Y}")
    expect(board).not_to_contain_text("01031076")  # the public board never names whom
    expect(page.locator("#wc-mine")).to_be_empty()
    assert_accessible(page)

    _registered(web_stack, "01031076")
    page.get_by_role("button", name="← Đăng nhập").click()
    _log_in(page, "01031076", NEW_PASSWORD)
    page.get_by_role("button", name="Thông báo tạm ngưng cấp nước").click()
    mine = page.locator("#wc-mine")
    expect(mine).to_contain_text("Ảnh hưởng đến mã của bạn")
    expect(mine).to_contain_text("Mã khách hàng: 01031076")
    assert_accessible(page)
