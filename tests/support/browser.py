"""Browser tests (marker `browser`): they drive Debian's Chromium through Playwright, and run on
the PostgreSQL pass whenever a Chromium is installed. Otherwise they are deselected (not
skipped), and the run says so in one plain line."""

from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("BOXOFFICE_CHROMIUM", "/usr/bin/chromium")
_NOTE = pytest.StashKey[str]()


def chromium() -> str | None:
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    browser = [item for item in items if item.get_closest_marker("browser")]
    if not browser:
        return
    if chromium() is None:
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set BOXOFFICE_CHROMIUM)"
    elif os.environ.get("BOXOFFICE_TEST_DB", "postgres") == "sqlite":
        reason = "they run on the PostgreSQL pass"
    else:
        config.stash[_NOTE] = f"browser tests: {len(browser)} in Chromium at {CHROMIUM}"
        return
    config.hook.pytest_deselected(items=browser)
    items[:] = [item for item in items if not item.get_closest_marker("browser")]
    config.stash[_NOTE] = f"browser tests NOT run ({len(browser)} deselected): {reason}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    note = terminalreporter.config.stash.get(_NOTE, None)
    if note:
        terminalreporter.write_line(note, bold=True)
