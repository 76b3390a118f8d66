"""The customer website in a real browser: Playwright (the pip package, which
carries its own driver) driving Debian's Chromium headless (Playwright's own
browser download does not work here) against the whole local stack, which
these tests start themselves with tests/e2e's `running_stack` (their own
stack: they pay the demo invoices, which the end-to-end tests expect unpaid).

Without Chromium the tests skip and say why; with $CI set they fail instead,
so CI cannot pass by skipping them."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, running_stack

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing: `apt-get install -y chromium` (Debian's; .ci/run does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -r requirements-dev.txt")
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def web_stack(chromium, tmp_path_factory):
    # `chromium` first: no stack is started when the browser is missing.
    yield from running_stack(tmp_path_factory, "web-stack", {"LOCAL_QUEUE_VISIBILITY_SECONDS": "2"})


@pytest.fixture(scope="session")
def site(web_stack) -> str:
    return web_stack.api_url + "/"


@pytest.fixture(scope="session")
def password() -> str:
    return DEMO_PASSWORD


@pytest.fixture
def new_page(chromium):
    """new_page(**context_options) -> a page in a fresh browser context (its own
    storage), phone-sized by default. Script errors and Content-Security-Policy
    violations fail the test."""
    contexts, problems = [], []

    def make(**options):
        options = {"viewport": PHONE, "accept_downloads": True, **options}
        context = chromium.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
        page.on(
            "console",
            lambda msg: problems.append(f"console: {msg.text}") if "Content Security Policy" in msg.text else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture
def page(new_page):
    return new_page()
