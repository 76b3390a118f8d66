"""The website's choice between VNPay and a bank transfer (VietQR), in Chromium against the local
stack: keyboard only, the VietQR image (read back with zbarimg when it is there), the bank, account,
account name, amount and reference, each copied with its button, in Vietnamese and English.
It only reads: it runs before test_website.py (which pays the demo bills) in a session, and skips
if they are paid already."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest's fixtures skip (or fail under CI) with the reason
    if os.environ.get("CI"):
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

from chalicelib.domain import payment_reference
from chalicelib.domain.vietqr import parse
from tests.browser.test_website import INVOICE, assert_accessible, login

REFERENCE = payment_reference.for_invoice("01031059", "2023-05")  # TH230501031059G


def test_choosing_a_bank_transfer_shows_the_vietqr_and_copies_the_reference(new_page, site, password, tmp_path):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    login(page, site, "01031059", password)
    may = page.locator(f"li.invoice[data-invoice='{INVOICE}']")
    if may.get_attribute("data-status") != "unpaid":
        pytest.skip("the demo bill of 05/2023 is paid already (test_website.py ran first in this session)")
    may.get_by_role("button", name="Xem chi tiết hoá đơn kỳ 05/2023").click()
    expect(page.locator("#invoice-title")).to_have_text("Hoá đơn kỳ 05/2023")

    # The choice: a radio group under its legend, VNPay first (as before), then the transfer.
    choice = page.get_by_role("group", name="Cách thanh toán")
    expect(choice).to_be_visible()
    vnpay = choice.get_by_role("radio", name="VNPay (thẻ, ví, VNPAY-QR)")
    transfer = choice.get_by_role("radio", name="Chuyển khoản ngân hàng (VietQR, miễn phí)")
    expect(vnpay).to_be_checked()
    assert_accessible(page)

    # Keyboard only: the arrow moves the choice, Tab reaches the button, Enter pays.
    vnpay.focus()
    page.keyboard.press("ArrowDown")
    expect(transfer).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Thanh toán hoá đơn này")).to_be_focused()
    page.keyboard.press("Enter")

    title = page.locator("#transfer-title")
    expect(title).to_have_text("Chuyển khoản ngân hàng (VietQR)")
    expect(title).to_be_focused()  # a screen reader hears where it is
    assert page.url.endswith("#/chuyen-khoan/" + INVOICE)
    expect(page.locator("#transfer-amount")).to_have_text("78.255 ₫")
    expect(page.locator("#transfer-scope")).to_have_text("Hoá đơn kỳ 05/2023 của mã 01031059.")
    qr = page.locator("#vietqr")
    expect(qr).to_have_attribute("src", re.compile(r"^blob:"))
    expect(qr).to_have_attribute(
        "alt", f"Mã VietQR để chuyển 78.255 ₫ đến Vietcombank, tài khoản 1012345678, nội dung {REFERENCE}"
    )
    page.wait_for_function("() => document.getElementById('vietqr').naturalWidth >= 100")
    facts = page.locator("#transfer-facts")
    expect(facts.locator("[data-fact=t_bank]")).to_contain_text("Vietcombank (Ngân hàng TMCP Ngoại thương Việt Nam)")
    expect(facts.locator("[data-fact=t_account]")).to_contain_text("1012345678")
    expect(facts.locator("[data-fact=t_name]")).to_have_text("CTY CP CAP NUOC CA MAU")
    expect(facts.locator("[data-fact=t_amount]")).to_contain_text("78.255 ₫")
    expect(facts.locator("[data-fact=t_ref]")).to_contain_text(REFERENCE)
    assert_accessible(page)

    # Each copy button says what it copies, and the live region says it was copied.
    copy = page.get_by_role("button", name="Sao chép nội dung chuyển khoản")
    copy.focus()
    page.keyboard.press("Enter")
    status = page.locator("#copy-status")
    expect(status).to_have_text(f"Đã sao chép nội dung chuyển khoản: {REFERENCE}")
    expect(status).to_have_attribute("role", "status")
    assert page.evaluate("() => navigator.clipboard.readText()") == REFERENCE
    page.get_by_role("button", name="Sao chép số tài khoản").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == "1012345678"
    page.get_by_role("button", name="Sao chép số tiền").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == "78255"

    if shutil.which("zbarimg"):  # a bank app scanning the screen reads the transfer
        (tmp_path / "qr.png").write_bytes(qr.screenshot())
        out = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "qr.png")], capture_output=True, text=True)
        scanned = parse(out.stdout.strip())
        assert (scanned.bank_bin, scanned.account_no, scanned.amount) == ("970436", "1012345678", 78255)
        assert scanned.purpose.startswith(REFERENCE)

    page.get_by_role("button", name="English").click()
    expect(title).to_have_text("Bank transfer (VietQR)")
    expect(page.get_by_role("button", name="Copy the transfer reference")).to_be_visible()
    expect(page.locator("#transfer-scope")).to_have_text("The bill for 05/2023 of code 01031059.")
    page.get_by_role("button", name="Tiếng Việt").click()

    # From the list: the same choice beside the selected bills; the code's transfer covers its open bills.
    page.get_by_role("button", name="← Danh sách hoá đơn").click()
    may.get_by_role("checkbox").check()
    group = page.locator("#method-list")
    expect(group).to_be_visible()
    expect(group.get_by_role("radio", name="VNPay (thẻ, ví, VNPAY-QR)")).to_be_checked()
    page.goto(site + "#/chuyen-khoan-ma/01031059")
    expect(title).to_be_visible()
    expect(page.locator("#transfer-scope")).to_have_text(
        "Trả 1 hoá đơn còn nợ của mã 01031059 (hoá đơn cũ trước); tiền thừa được trừ vào kỳ sau."
    )
    expect(page.locator("#transfer-facts [data-fact=t_ref]")).to_contain_text(payment_reference.for_account("01031059"))
    assert_accessible(page)
