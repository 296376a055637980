"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against
the app served on a free localhost port. Playwright never downloads a browser
here. Without Chromium these tests are skipped, unless COOP_REQUIRE_BROWSER=1
(as in CI), which makes a missing browser a failure."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from coop.extensions import db

CHROMIUM = os.environ.get("COOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("COOP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; set COOP_REQUIRE_BROWSER=1 to fail")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a free port, for as long as the block runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture()
def live_server(app_ctx: Flask) -> Iterator[str]:
    """The app on a free port, with the demo loaded."""
    from coop.demo import load_demo

    load_demo(db.session)
    db.session.commit()
    with serving(app_ctx) as url:
        yield url


@pytest.fixture()
def bare_server(app_ctx: Flask) -> Iterator[str]:
    """The app on a free port, without the demo (the test makes its world)."""
    with serving(app_ctx) as url:
        yield url


@pytest.fixture()
def page(browser, live_server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Saved when COOP_SCREENSHOTS names a folder, to look at the pages."""
    folder = os.environ.get("COOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def go_back(page) -> None:  # type: ignore[no-untyped-def]
    """The browser's Back button. Just after a form's POST and its redirect,
    Chromium may still be moving the page to a new renderer, and DevTools then
    answers 'Not attached to an active page' (seen in CI on Debian's Chromium
    156): let the page settle and press Back again. Nothing has moved when
    that error comes, so asking again cannot go back twice."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(5):
        page.wait_for_load_state("load")
        try:
            page.go_back()
            return
        except PlaywrightError as error:
            if "Not attached to an active page" not in str(error) or attempt == 4:
                raise
            page.wait_for_timeout(300)
