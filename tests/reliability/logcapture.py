"""Captures what the app logs, rendered exactly as it goes to stderr (one JSON object a line).

`boxoffice.logs.configure_logging` replaces the root logger's handlers (pytest's caplog handler
included) every time an app is made, so this attaches its own handler after the app exists and
renders with the formatter the app installed.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _Collector(logging.Handler):
    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(level=logging.DEBUG)
        if formatter is not None:
            self.setFormatter(formatter)
        self.lines: list[str] = []
        self.origins: list[tuple[str, int]] = []  # (logger name, thread id) of each line

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record the formatter cannot render still counts as logged text
            line = f"{record.name} {record.levelname} {record.msg!r} {record.args!r}"
        self.lines.append(line)
        self.origins.append((record.name, record.thread or 0))


class CapturedLogs:
    def __init__(self, collector: _Collector) -> None:
        self._collector = collector

    @property
    def lines(self) -> list[str]:
        return list(self._collector.lines)

    def records(self) -> list[dict[str, Any]]:
        """The lines that are JSON objects, parsed (non-JSON lines come back as {"raw": line})."""
        parsed = []
        for line in self.lines:
            try:
                value = json.loads(line)
            except ValueError:
                value = {"raw": line}
            parsed.append(value if isinstance(value, dict) else {"raw": line})
        return parsed

    def text(self) -> str:
        return "\n".join(self.lines)

    def lines_from_other_threads(self) -> list[str]:
        """Lines not logged by the calling thread: with a live server in a thread, the server's."""
        me = threading.get_ident()
        return [
            line
            for line, (_name, thread) in zip(
                self._collector.lines, self._collector.origins, strict=True
            )
            if thread != me
        ]


@contextmanager
def capture_logs(level: int | None = None) -> Iterator[CapturedLogs]:
    """Everything logged inside the block at `level` or above (default: the configured level)."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter if root.handlers else None
    collector = _Collector(formatter)
    previous = root.level
    root.addHandler(collector)
    if level is not None:
        root.setLevel(level)
    try:
        yield CapturedLogs(collector)
    finally:
        root.removeHandler(collector)
        root.setLevel(previous)
