from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.conftest import LiveServer
from tests.web.conftest import NewPage, screenshot
from tests.web.shop import how_many, open_show

pytestmark = pytest.mark.browser


def test_best_two_seats_are_held_side_by_side(
    new_page: NewPage, live_server: LiveServer, show: dict[str, Any]
) -> None:
    page = new_page(live_server.url)
    open_show(page, show["id"])
    how_many(page, 2)
    page.get_by_label("Seat type").select_option("GOLD")
    page.get_by_role("button", name="Hold the best 2 seats").click()
    page.wait_for_url(re.compile(r"/checkout/"))
    expect(page.get_by_role("timer")).to_be_visible()
    expect(page.locator(".booked-seats li")).to_have_count(2)
    expect(page.locator(".booked-seats")).to_contain_text("GOLD")
    screenshot(page, "best-seats")
    page.goto(f"/shows/{show['id']}")
    how_many(page, 10)
    page.get_by_label("Seat type").select_option("GOLD")
    page.get_by_role("button", name="Hold the best 10 seats").click()
    # The 409 not-enough-seats problem, told as a sentence with what is left.
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Only \d+ free seats"))
