"""Browser tests: a real Chromium (Debian's, never downloaded) driven by Playwright against
pytest-django's live server. A missing Chromium fails the run; it never skips.

    def test_x(browser_login, rep):
        page = browser_login(rep)          # signed in, at /
        page.goto(page.url_for("/queue/"))
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("LEADFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "browser-pass-1"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.exit(f"Chromium not found at {CHROMIUM} (apt-get install chromium)", returncode=3)
    # Playwright's sync API runs an event loop in this thread; the ORM calls tests make
    # between page actions are still synchronous. Subprocesses that check production settings
    # leave it out (leadflow/tests/test_settings.py).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def browser_login(chromium, live_server):
    """Open a page signed in as `user` (its password is set here), at the desktop size or
    `viewport=PHONE`; `locale="ru-RU"` makes the browser ask for Russian (Accept-Language)."""
    contexts = []

    def login(user, viewport=DESKTOP, locale="en-US"):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        context = chromium.new_context(viewport=viewport, base_url=live_server.url, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button")
        page.wait_for_load_state()
        return page

    yield login
    for context in contexts:
        context.close()
