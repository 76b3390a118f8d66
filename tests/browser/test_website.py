"""The customer website, driven in Chromium through the whole flow against the
local stack and its VNPay sandbox: log in (also keyboard only, and a wrong
password showing the API's message), linked codes and invoices, the 05/2023
invoice (78,255 VND) and its PDF, English and back, pay with the on-screen
QR or VNPay's payment page, and the page turning paid without a reload."""

from __future__ import annotations

import os
import re
import shutil

import pytest
import requests

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest's fixtures skip (or fail under CI) with the reason
    if os.environ.get("CI"):
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

INVOICE = "INV-01031059-202305"
NEIGHBOUR_INVOICE = "INV-01031060-202305"
PAID_WITHIN_MS = 20_000  # the sandbox sends the IPN at once; the page polls every 3 s


def login(page, site: str, code: str, password: str) -> None:
    page.goto(site)
    page.get_by_label("Mã khách hàng").fill(code)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#view-account")).to_be_visible()
    expect(page.locator("li.invoice").first).to_be_visible()


def api_message(site: str, body: dict, language: str) -> str:
    resp = requests.post(site + "v1/auth/login", json=body, headers={"Accept-Language": language}, timeout=15)
    assert resp.status_code == 401, resp.text
    return resp.json()["message"]


# Runs in the page (a function, not a string: the page's CSP forbids eval).
AUDIT = """() => {
  const problems = [];
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  for (const el of document.querySelectorAll("body *")) {
    if (!visible(el)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own) {
      const style = getComputedStyle(el);
      const a = lum(rgb(style.color)), b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const large = parseFloat(style.fontSize) >= 24
        || (parseFloat(style.fontSize) >= 18.66 && +style.fontWeight >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        problems.push(`contrast ${ratio.toFixed(2)}: ${el.textContent.trim().slice(0, 40)}`);
      }
    }
    if (el.matches("input, select, textarea") && el.type !== "hidden") {
      const named = el.labels && el.labels.length || el.getAttribute("aria-label")
        || el.getAttribute("aria-labelledby");
      if (!named) problems.push(`no label: ${el.outerHTML.slice(0, 60)}`);
    }
    if (el.matches("button, a[href]") && !(el.textContent.trim() || el.getAttribute("aria-label"))) {
      problems.push(`no name: ${el.outerHTML.slice(0, 60)}`);
    }
    if (el.matches("img") && !el.hasAttribute("alt")) problems.push(`no alt: ${el.outerHTML.slice(0, 60)}`);
  }
  return problems;
}"""


def assert_accessible(page) -> None:
    """Every visible text meets WCAG AA contrast; every field, button, link and image has a name."""
    assert page.evaluate(AUDIT) == []


def no_reload_marker(page) -> None:
    page.evaluate("window.__sameDocument = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_keyboard_only_login_and_the_apis_message_for_a_wrong_password(page, site, password):
    page.goto(site)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#view-login")).to_be_visible()
    assert_accessible(page)
    for _ in range(8):  # skip link, language switch, then the form: Tab until the code field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "code":
            break
    assert page.evaluate("document.activeElement.id") == "code"
    page.keyboard.type("01031060")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type("not-the-password")
    page.keyboard.press("Enter")

    wrong = {"customer_code": "01031060", "password": "not-the-password-either"}
    error = page.locator("#login-error")
    expect(error).to_have_text(api_message(site, wrong, "vi"))  # "Mã khách hàng hoặc mật khẩu không đúng."
    expect(error).to_have_attribute("role", "alert")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.activeElement.id") == "password"  # focus back where the fix is
    assert_accessible(page)  # the error message too

    # The same in English: the page asks the API in the chosen language.
    page.locator("#lang").focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Customer code")).to_have_value("01031060")
    page.get_by_label("Password").focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("still-not-it")
    page.keyboard.press("Enter")
    expect(error).to_have_text(api_message(site, wrong, "en"))  # "Wrong customer code or password."

    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page.locator("#view-account")).to_be_visible()
    expect(page.locator("#account-title")).to_be_focused()  # a screen reader hears where it is
    expect(page.locator("li.invoice")).to_have_count(1)
    expect(page.locator("li.invoice").first).to_contain_text("Unpaid")
    page.locator("#lang").click()  # back to Vietnamese for the next login on this machine
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_invoices_detail_pdf_language_and_paying_on_vnpays_payment_page(page, new_page, site, password, web_stack):
    login(page, site, "01031059", password)
    expect(page.locator("#codes button")).to_have_count(1)
    expect(page.locator("#codes button")).to_contain_text("01031059 · Dương Tấn Hiền")
    invoices = page.locator("li.invoice")
    expect(invoices).to_have_count(4)  # newest first: 05, 04, 03, 02/2023
    expect(invoices.nth(0)).to_contain_text("Kỳ 05/2023")
    may = page.locator(f"li.invoice[data-invoice='{INVOICE}']")
    expect(may).to_contain_text("78.255 ₫")
    expect(may).to_contain_text("Chưa thanh toán")
    expect(may).to_contain_text("11 m³ · chỉ số 264 → 275")
    expect(page.locator("li.invoice[data-status=paid]")).to_have_count(3)
    assert_accessible(page)

    may.get_by_role("button", name="Xem chi tiết hoá đơn kỳ 05/2023").click()
    expect(page.locator("#invoice-title")).to_have_text("Hoá đơn kỳ 05/2023")
    expect(page.locator("#invoice-title")).to_be_focused()
    expect(page.locator("#invoice-total")).to_have_text("78.255 ₫")
    expect(page.locator("#invoice-body")).to_contain_text("Bảy mươi tám nghìn hai trăm năm mươi lăm đồng")
    expect(page.locator("#invoice-body table")).to_contain_text("Thuế GTGT 5%")
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("button", name="Tải hoá đơn PDF").click()
    pdf = download.value
    assert pdf.suggested_filename == "hoa-don-01031059-2023-05.pdf"
    with open(pdf.path(), "rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#invoice-title")).to_have_text("Bill for 05/2023")
    expect(page.locator("#invoice-total")).to_have_text("78,255 ₫")
    expect(page.get_by_role("button", name="Pay this bill")).to_be_visible()
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#invoice-title")).to_have_text("Hoá đơn kỳ 05/2023")

    page.get_by_role("button", name="Thanh toán hoá đơn này").click()
    expect(page.locator("#pay-title")).to_be_visible()
    expect(page.locator("#pay-amount")).to_have_text("78.255 ₫")
    qr = page.locator("#qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("src", re.compile(r"^blob:"))
    expect(qr).to_have_attribute("alt", "Mã VNPAY-QR để thanh toán 78.255 ₫")
    page.wait_for_function("() => document.getElementById('qr').naturalWidth >= 100")
    status = page.locator("#pay-status")
    expect(status).to_have_text("Đang chờ thanh toán…")
    expect(status).to_have_attribute("aria-live", "polite")
    assert_accessible(page)

    link = page.get_by_role("link", name="Mở cổng thanh toán VNPay")
    payment_url = link.get_attribute("href")
    sandbox = web_stack.config.vnpay_url
    assert payment_url.startswith(f"{sandbox}/paymentv2/vpcpay.html?"), payment_url
    assert "vnp_Amount=7825500" in payment_url and "vnp_SecureHash=" in payment_url
    assert page.url.endswith("#/thanh-toan/" + re.search(r"vnp_TxnRef=(\d+)", payment_url).group(1))

    # The customer follows the link (a new tab) and pays on VNPay's page; the
    # sandbox redirects to our return page and sends the IPN.
    no_reload_marker(page)
    with page.context.expect_page() as opened:
        link.click()
    vnpay = opened.value
    expect(vnpay.locator("td.amount")).to_have_text("78.255 VND")
    vnpay.get_by_role("button", name=re.compile("Thanh toán thành công")).click()
    expect(vnpay.locator("h1")).to_have_text("Thanh toán thành công / Payment successful")
    vnpay.close()

    page.bring_to_front()
    expect(status).to_have_text("Đã thanh toán. Cảm ơn quý khách!", timeout=PAID_WITHIN_MS)
    expect(status).to_have_attribute("data-status", "paid")
    expect(qr).to_be_hidden()
    assert_accessible(page)
    assert_not_reloaded(page)

    page.get_by_role("button", name="← Danh sách hoá đơn").click()
    expect(may).to_have_attribute("data-status", "paid")
    expect(may).to_contain_text("Đã thanh toán")
    expect(page.locator("li.invoice[data-status=paid]")).to_have_count(4)
    assert_not_reloaded(page)


@pytest.mark.skipif(
    shutil.which("zbarimg") is None,
    reason="the sandbox's bank app reads QR images with zbarimg (apt-get install zbar-tools)",
)
def test_paying_by_scanning_the_qr_on_the_screen(page, new_page, site, password, web_stack):
    login(page, site, "01031060", password)
    invoice = page.locator(f"li.invoice[data-invoice='{NEIGHBOUR_INVOICE}']")
    expect(invoice).to_contain_text("Chưa thanh toán")
    total = invoice.locator(".total").inner_text()
    invoice.get_by_role("checkbox").check()
    expect(page.locator("#selected-total")).to_have_text(f"Đã chọn 1 hoá đơn: {total}")
    page.get_by_role("button", name=f"Thanh toán {total}").click()
    qr = page.locator("#qr")
    expect(qr).to_be_visible()
    page.wait_for_function("() => document.getElementById('qr').naturalWidth >= 100")
    no_reload_marker(page)

    # A bank app scans the screen: the sandbox's bank app reads a photo of the QR.
    photo = qr.screenshot()
    bank = new_page()
    bank.goto(web_stack.config.vnpay_url + "/bank-app")
    bank.locator("input[name=image]").set_input_files(
        files=[{"name": "qr.png", "mimeType": "image/png", "buffer": photo}]
    )
    bank.get_by_role("button", name=re.compile("Đọc mã")).click()
    expect(bank.locator("td.amount")).to_have_text(total.replace(" ₫", " VND"))
    bank.get_by_role("button", name="Thanh toán / Pay").click()
    expect(bank.locator("body")).to_contain_text("Thanh toán thành công")

    expect(page.locator("#pay-status")).to_have_text("Đã thanh toán. Cảm ơn quý khách!", timeout=PAID_WITHIN_MS)
    assert_not_reloaded(page)


def test_the_session_survives_a_reload_refreshes_an_expired_token_and_logs_out(page, site, password):
    login(page, site, "01031059", password)
    stored = page.evaluate("({session: Object.keys(sessionStorage), local: Object.keys(localStorage)})")
    assert stored["session"] == ["cskh.refresh"]  # the refresh token: this tab only
    assert "cskh.refresh" not in stored["local"]  # never kept across tabs or restarts
    assert page.evaluate("document.cookie") == ""

    refreshes = []
    page.on("request", lambda r: refreshes.append(r.url) if r.url.endswith("/v1/auth/refresh") else None)
    page.reload()
    expect(page.locator("#view-account")).to_be_visible()  # back in with the refresh token, no password
    expect(page.locator("li.invoice")).to_have_count(4)
    assert len(refreshes) == 1

    # The access token expires: the API answers 401 once, the page rotates the
    # refresh token and repeats the call.
    answered = []

    def expired_once(route):
        if answered:
            route.fallback()
            return
        answered.append(route.request.url)
        route.fulfill(
            status=401,
            content_type="application/json",
            body='{"code": "UNAUTHORIZED", "message": "Chưa đăng nhập hoặc phiên đã hết hạn."}',
        )

    page.route("**/v1/customers/*/invoices*", expired_once)
    with (
        page.expect_response(lambda r: "/invoices?" in r.url and r.status == 200) as retried,
        page.expect_response("**/v1/auth/refresh") as refreshed,
    ):
        page.evaluate("location.hash = '#/'")  # the invoice list again
    assert refreshed.value.status == 200 and retried.value.ok
    assert len(answered) == 1 and len(refreshes) == 2
    expect(page.locator("li.invoice")).to_have_count(4)

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.locator("#view-login")).to_be_visible()
    assert page.evaluate("Object.keys(sessionStorage)") == []
    page.reload()
    expect(page.locator("#view-login")).to_be_visible()


def test_a_bills_payment_link_opens_that_invoice_after_login(page, site, password):
    """PAYMENT_LINK_BASE = https://<host>/api/?invoice= (the printed bill's QR, the reminders)."""
    page.goto(f"{site}?invoice={NEIGHBOUR_INVOICE}")
    page.get_by_label("Mã khách hàng").fill("01031060")
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_label("Mật khẩu").press("Enter")
    expect(page.locator("#invoice-title")).to_have_text("Hoá đơn kỳ 05/2023")
    assert page.url == f"{site}#/hoa-don/{NEIGHBOUR_INVOICE}"  # the query is gone, the place is kept

    page.goto(f"{site}?invoice=INV-01031059-202305")  # someone else's invoice: as if it did not exist
    expect(page.locator("#invoice-error")).to_have_text("Không tìm thấy hoá đơn.")
