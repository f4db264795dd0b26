"""Playwright (sync API) driving Debian's Chromium against the live test server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.conftest import LiveServer
from tests.support.browser import chromium
from tests.support.servers import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

NewPage = Callable[..., Page]

# make test runs this suite beside the PostgreSQL and SQLite runs, six workers on two cores: a
# seat map that appears in 300 ms on a quiet machine took over 5 s (Playwright's default for
# expect) in a CI run. Waiting longer costs nothing when the page is right, and a page that is
# wrong still fails.
PATIENCE_MS = 20_000
expect.set_options(timeout=PATIENCE_MS)


@pytest.fixture(scope="session")
def browser(live_server: LiveServer) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread from here on: the
    # database and the server (which use asyncio.run) must be up first.
    path = chromium()
    assert path is not None  # tests.support.browser deselects these tests without one
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """Pages in separate contexts (each its own localStorage: another visitor); a script error
    on any of them fails the test."""
    contexts = []
    errors: list[str] = []

    def make(base_url: str, viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(base_url=base_url, viewport=viewport, locale="en-IN")
        context.set_default_timeout(PATIENCE_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == []


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """The two sizes the shop is tried at: a phone's (most buyers) and a laptop's."""
    size: dict[str, int] = request.param
    return size


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
