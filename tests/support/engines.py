"""Which engine's run runs a test. `make test` runs the suite once per engine
(BOXOFFICE_TEST_DB); a test reaches the engine only through the `database` fixture (and what is
built on it: the live server, `client`, `db`...) or its own `empty_database`. A test that uses
neither does the same thing in both runs, so the SQLite run leaves it to the PostgreSQL run: the
pure properties (best available, tax, pricing...), the app's own checks on a throwaway file.
"""

from __future__ import annotations

import os

import pytest
from tests.support.notes import add_note

ENGINE_FIXTURES = {"database", "empty_database"}


def reaches_the_engine(item: pytest.Item) -> bool:
    return bool(ENGINE_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("BOXOFFICE_TEST_DB", "postgres") != "sqlite":
        return
    elsewhere = [item for item in items if not reaches_the_engine(item)]
    if not elsewhere:
        return
    config.hook.pytest_deselected(items=elsewhere)
    items[:] = [item for item in items if reaches_the_engine(item)]
    add_note(config, f"{len(elsewhere)} tests that reach no database: run on the PostgreSQL pass")
