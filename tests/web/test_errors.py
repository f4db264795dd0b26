"""What a visitor meets when something is not there, at a phone's size and a laptop's: a page
that says what happened in words and offers the next step, never a raw problem."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from tests.conftest import LiveServer
from tests.web.conftest import NewPage

pytestmark = pytest.mark.browser


def next_steps(page: Page) -> list[str]:
    return page.locator("main .actions").get_by_role("link").all_inner_texts()


def test_a_date_outside_the_week_listed_shows_today_with_a_word_why(
    new_page: NewPage, live_server: LiveServer, viewport: dict[str, int], show: dict[str, Any]
) -> None:
    page = new_page(live_server.url, viewport=viewport)
    next_month = (date.today() + timedelta(days=31)).isoformat()
    page.goto(f"/?city=Mumbai&date={next_month}")
    expect(page.get_by_role("status")).to_contain_text("listed for the next 7 days")
    expect(page.get_by_text("The request is not valid")).to_have_count(0)
    expect(
        page.get_by_role("navigation", name="Date").locator("[aria-current=date]")
    ).to_contain_text("Today")
    expect(page.locator("main")).not_to_contain_text("Input should be")


def test_an_unknown_address_answers_the_apps_not_found_page(
    new_page: NewPage, live_server: LiveServer, viewport: dict[str, int]
) -> None:
    page = new_page(live_server.url, viewport=viewport)
    response = page.goto("/nope")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert next_steps(page) == ["See what's showing", "My bookings"]


def test_a_booking_link_opened_signed_out_asks_to_sign_in_and_comes_back(
    new_page: NewPage, live_server: LiveServer, viewport: dict[str, int]
) -> None:
    page = new_page(live_server.url, viewport=viewport)
    booking = f"/bookings/{uuid.uuid4()}"
    page.goto(booking)
    expect(page.get_by_role("heading", name="Sign in to see this booking")).to_be_visible()
    expect(page.get_by_text("bearer token")).to_have_count(0)
    sign_in = page.locator("main").get_by_role("link", name="Sign in")
    expect(sign_in).to_have_attribute("href", re.compile(r"next=%2Fbookings%2F"))


def test_a_show_that_is_not_there_offers_a_way_back(
    new_page: NewPage, live_server: LiveServer, viewport: dict[str, int]
) -> None:
    page = new_page(live_server.url, viewport=viewport)
    page.goto(f"/shows/{uuid.uuid4()}")
    expect(page.get_by_role("heading", name="Show not found")).to_be_visible()
    page.locator("main").get_by_role("link", name="See what's showing").click()
    page.wait_for_url(re.compile(r"/\?city="))
