"""Regenerate docs/website.png: the customer website on a phone (invoices,
the 05/2023 invoice, its VNPAY-QR, paid), from the real page on a fresh local stack.

    .venv/bin/python -m tests.browser.screenshot [docs/website.png]
"""

from __future__ import annotations

import base64
import os
import pathlib
import sys
import tempfile

import requests
from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.e2e.conftest import DEMO_PASSWORD, running_stack

ROOT = pathlib.Path(__file__).resolve().parents[2]
CAPTIONS = (
    "Hoá đơn của mã khách hàng",
    "Chi tiết hoá đơn kỳ 05/2023",
    "Quét mã VNPAY-QR để thanh toán",
    "Đã thanh toán (không cần tải lại trang)",
)


class _Dirs:  # what running_stack needs of pytest's tmp_path_factory
    def mktemp(self, name: str) -> pathlib.Path:
        return pathlib.Path(tempfile.mkdtemp(prefix=name + "-"))


def shoot(site: str, sandbox: str, browser) -> list[bytes]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    page.goto(site)
    page.get_by_label("Mã khách hàng").fill("01031059")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("li.invoice")).to_have_count(4)
    shots = [page.screenshot(full_page=True)]
    page.get_by_role("button", name="Xem chi tiết hoá đơn kỳ 05/2023").click()
    expect(page.locator("#invoice-total")).to_have_text("78.255 ₫")
    shots.append(page.screenshot(full_page=True))
    page.get_by_role("button", name="Thanh toán hoá đơn này").click()
    page.wait_for_function("() => document.getElementById('qr').naturalWidth >= 100")
    shots.append(page.screenshot(full_page=True))
    # Paid in the sandbox (as a bank app would): the page turns paid by itself.
    paid = requests.post(
        sandbox + "/sandbox/pay", json={"payment_url": page.locator("#pay-link").get_attribute("href")}, timeout=15
    )
    paid.raise_for_status()
    expect(page.locator("#pay-status")).to_have_attribute("data-status", "paid", timeout=20_000)
    shots.append(page.screenshot(full_page=True))
    context.close()
    return shots


def compose(browser, shots: list[bytes]) -> bytes:
    """The phone screens side by side, each with a caption (a page of our own, rendered by the browser)."""
    panels = "".join(
        f'<figure><img src="data:image/png;base64,{base64.b64encode(png).decode()}"><figcaption>{caption}'
        "</figcaption></figure>"
        for png, caption in zip(shots, CAPTIONS)
    )
    page = browser.new_page(viewport={"width": 4 * PHONE["width"] + 5 * 24, "height": 600})
    page.set_content(
        "<!doctype html><html lang='vi'><meta charset='utf-8'><style>body{margin:0;padding:24px;background:#dfe6ee;"
        "display:flex;gap:24px;align-items:flex-start;font:600 15px system-ui,sans-serif;color:#1b2430}"
        "figure{margin:0;width:390px}img{display:block;width:390px;border-radius:14px;"
        "box-shadow:0 4px 16px #0003}figcaption{text-align:center;margin-top:10px}</style>"
        f"<body>{panels}</body></html>"
    )
    png = page.screenshot(full_page=True)
    page.close()
    return png


def main(argv: list[str]) -> int:
    out = pathlib.Path(argv[0]) if argv else ROOT / "docs" / "website.png"
    stack_gen = running_stack(_Dirs(), "website-shot", {})
    stack = next(stack_gen)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                png = compose(browser, shoot(stack.api_url + "/", stack.config.vnpay_url, browser))
            finally:
                browser.close()
    finally:
        stack_gen.close()
    out.write_bytes(png)
    print(f"wrote {os.path.relpath(out, ROOT)} ({len(png):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
