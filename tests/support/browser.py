"""Where Debian's Chromium is, for the browser tests (marker `browser`, tests/support/programs.py
deselects them without one)."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("BOXOFFICE_CHROMIUM", "/usr/bin/chromium")


def chromium() -> str | None:
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else None
