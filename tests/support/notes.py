"""Plain lines at the end of a run about what it did not run (tests/support/programs.py,
tests/support/engines.py). Under pytest-xdist the workers collect and the controller reports,
so each worker hands its lines to the controller as it ends; both workers collect alike, so a
line is printed once."""

from __future__ import annotations

import pytest

_NOTES = pytest.StashKey[list[str]]()
_WORKER_OUTPUT = "boxoffice_notes"


def add_note(config: pytest.Config, line: str) -> None:
    notes = config.stash.setdefault(_NOTES, [])
    if line not in notes:
        notes.append(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)  # set on an xdist worker only
    if output is not None:
        output[_WORKER_OUTPUT] = session.config.stash.get(_NOTES, [])


@pytest.hookimpl(optionalhook=True)  # an xdist hook: called on the controller
def pytest_testnodedown(node: object, error: object) -> None:
    config: pytest.Config = node.config  # type: ignore[attr-defined]
    for line in getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT, []):
        add_note(config, line)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in terminalreporter.config.stash.get(_NOTES, []):
        terminalreporter.write_line(line, bold=True)
