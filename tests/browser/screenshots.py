"""Regenerate docs/screenshots/*.png, the README's pictures of what issue 18 added to the website, on a
phone (390 x 844) from the real page on a fresh local stack: the register screen with the code look-up,
the consumption chart, the water-cut notices board, a service request with a staff reply. Each is
reduced to a 256-colour palette with Pillow (a flat UI loses nothing visible) to stay small.

    .venv/bin/python -m tests.browser.screenshots [out-dir]     (or: make screenshots)
"""

from __future__ import annotations

import io
import os
import pathlib
import sys
from datetime import datetime, timedelta

from PIL import Image
from playwright.sync_api import expect, sync_playwright

from chalicelib.domain.vntime import VN_TZ
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.screenshot import _Dirs
from tests.browser.test_requests_website import admin_token, as_admin, jpeg
from tests.e2e.conftest import DEMO_PASSWORD, running_stack

ROOT = pathlib.Path(__file__).resolve().parents[2]
CODE = "01031059"  # the demo customer: a year of bills


def small(png: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        out, "PNG", optimize=True
    )
    return out.getvalue()


def log_in(page, site: str) -> None:
    page.goto(site)
    page.locator("#code").fill(CODE)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#view-account")).to_be_visible()


def shoot(stack, browser) -> dict[str, bytes]:
    site, api = stack.api_url + "/", stack.api_url
    token = admin_token(api, DEMO_PASSWORD)
    start = (datetime.now(VN_TZ) + timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    as_admin(
        api,
        token,
        "/v1/admin/water-cuts",
        {
            "kind": "planned",
            "reason": "Súc xả, bảo dưỡng đường ống Lý Thường Kiệt",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=6)).isoformat(),
            "wards": ["Phường 7"],
            "publish": True,
        },
    )
    shots = {}
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=1,
        geolocation={"latitude": 9.176944, "longitude": 105.152417},
        permissions=["geolocation"],
    )
    page = context.new_page()

    page.goto(site)
    page.get_by_role("link", name="Đăng ký tài khoản").click()
    page.get_by_text("Tra cứu mã khách hàng").click()
    page.get_by_label("Số điện thoại").fill("0912 345 780")
    page.get_by_role("button", name="Tra cứu", exact=True).click()
    expect(page.locator("#lookup-results li")).to_have_count(1)
    page.locator("#lookup-results").scroll_into_view_if_needed()
    shots["register-lookup"] = page.screenshot()

    page.get_by_role("button", name="← Đăng nhập").click()
    page.get_by_role("link", name="Thông báo tạm ngưng cấp nước").click()
    expect(page.locator("#wc-board li.notice")).not_to_have_count(0)
    shots["notices"] = page.screenshot()

    log_in(page, site)
    page.get_by_role("button", name=f"Lượng nước tiêu thụ của mã {CODE}").click()
    expect(page.locator("#view-usage figure.chart svg rect")).not_to_have_count(0)
    shots["consumption"] = page.screenshot()

    page.get_by_role("button", name="← Danh sách hoá đơn").click()
    page.get_by_role("button", name=f"Yêu cầu, phản ánh của mã {CODE}").click()
    page.get_by_role("button", name="Gửi yêu cầu mới").click()
    page.get_by_label("Loại yêu cầu").select_option(label="Báo rò rỉ, vỡ ống")
    page.get_by_label("Nội dung").fill("Ống nước trước nhà bị vỡ, nước chảy ra đường.")
    page.locator("#rq-photo").set_input_files([{"name": "ong-vo.jpg", "mimeType": "image/jpeg", "buffer": leak()}])
    page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    expect(page.get_by_label("Vĩ độ")).not_to_have_value("")
    with page.expect_response(lambda r: r.request.method == "POST" and "/v1/me/tickets" in r.url) as made:
        page.get_by_role("button", name="Gửi yêu cầu", exact=True).click()
    ticket = made.value.json()["ticket_id"]
    as_admin(api, token, f"/v1/admin/tickets/{ticket}/replies", {"text": "Đội sửa chữa sẽ đến trong hôm nay."})
    as_admin(api, token, f"/v1/admin/tickets/{ticket}/assign", {"assignee": "ghithu01"})
    page.get_by_role("button", name="Cập nhật").click()
    expect(page.locator("#rq-body .history li[data-by=admin]")).not_to_have_count(0)
    shots["requests"] = page.screenshot(full_page=True)  # the request, its history and the reply
    context.close()
    return shots


def leak() -> bytes:
    """A photo-like JPEG: a gradient with a darker puddle (a flat colour would do, but shows nothing)."""
    from PIL import ImageDraw

    img = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    ImageDraw.Draw(img).ellipse((90, 120, 250, 200), fill=(60, 90, 130))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue() or jpeg()


def main(argv: list[str]) -> int:
    out = pathlib.Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    stack_gen = running_stack(_Dirs(), "screenshots", {})
    stack = next(stack_gen)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                shots = shoot(stack, browser)
            finally:
                browser.close()
    finally:
        stack_gen.close()
    for name, png in shots.items():
        path = out / f"{name}.png"
        path.write_bytes(small(png))
        print(f"wrote {os.path.relpath(path, ROOT)} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
