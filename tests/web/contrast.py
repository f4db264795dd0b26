"""WCAG AA contrast, computed in the page from what the browser actually paints: every piece of
visible text against what lies behind it (4.5:1, or 3:1 for large text), disabled controls
included (no exemption taken), and every seat's shape against the map around it (3:1, WCAG
1.4.11). A striped background counts by its worst stripe; translucency and opacity are
composited."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

_CHECK = (Path(__file__).parent / "contrast.js").read_text()


def contrast_failures(page: Page) -> list[str]:
    """What on the page falls short of WCAG AA contrast, in words; empty when nothing does."""
    failures: list[str] = page.evaluate(_CHECK)
    return failures
