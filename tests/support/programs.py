"""Tests that need a program the machine may lack, by marker: `browser` (Debian's Chromium,
driven through Playwright) and `pgbouncer` (Debian's pgbouncer). They run on the PostgreSQL
pass whenever the program is installed (`.ci/run` installs both). Otherwise they are
deselected (not skipped), and the run says so in one plain line per marker."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from tests.support.browser import CHROMIUM, chromium
from tests.support.notes import add_note
from tests.support.pgbouncer import pgbouncer_program


@dataclass(frozen=True)
class Needs:
    marker: str
    find: Callable[[], str | None]  # where the program is, or None
    missing: str  # the plain reason, when it is not there


NEEDS = [
    Needs(
        "browser",
        chromium,
        f"no Chromium at {CHROMIUM} (apt-get install chromium, or set BOXOFFICE_CHROMIUM)",
    ),
    Needs("pgbouncer", pgbouncer_program, "no pgbouncer on PATH (apt-get install pgbouncer)"),
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for needs in NEEDS:
        marked = [item for item in items if item.get_closest_marker(needs.marker)]
        if not marked:
            continue
        found = needs.find()
        if found is None:
            reason = needs.missing
        elif os.environ.get("BOXOFFICE_TEST_DB", "postgres") == "sqlite":
            reason = "they run on the PostgreSQL pass"
        else:
            add_note(config, f"{needs.marker} tests: {len(marked)} with {found}")
            continue
        config.hook.pytest_deselected(items=marked)
        items[:] = [item for item in items if not item.get_closest_marker(needs.marker)]
        add_note(config, f"{needs.marker} tests NOT run ({len(marked)} deselected): {reason}")
