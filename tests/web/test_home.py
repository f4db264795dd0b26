"""Finding a show, at a phone's size and a laptop's: a strip of the week's 7 days, a search by
title, showtimes coloured (and named) by how full they are, prices in whole rupees."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_show,
    future,
    guest,
)
from tests.conftest import LiveServer
from tests.tickets.helpers import booked
from tests.web.conftest import NewPage, screenshot

pytestmark = pytest.mark.browser


def test_a_week_strip_a_search_and_showtimes_coloured_by_how_full(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    show: dict[str, Any],
    viewport: dict[str, int],
) -> None:
    other = create_movie(client, admin, title="Monsoon Express")
    screen = create_screen(client, admin, show["theatre_id"], name="Audi 2")
    create_show(client, admin, other["id"], screen["id"], future(datetime.now().astimezone()))
    customer, _ = guest(client)
    client.patch("/api/v1/me", json={"email": "fan@example.com"}, headers=customer)
    for count in (10, 4):  # 14 of 16 seats sold
        booked(client, customer, show["id"], count)

    page = new_page(live_server.url, viewport=viewport)
    page.goto("/?city=Mumbai")
    strip = page.get_by_role("navigation", name="Date")
    expect(strip.get_by_role("button")).to_have_count(7)
    expect(strip.get_by_role("button").first).to_contain_text("Today")
    chosen = strip.locator("[aria-current=date]")  # today and tomorrow have nothing: the day after
    expect(chosen).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/?city=Mumbai&date={show['starts_at'][:10]}")

    full = page.get_by_role("region", name="The Long Night").get_by_role("link")
    expect(full).to_have_attribute("data-fill", "Almost full")
    expect(full).to_have_accessible_name(
        "The Long Night at 06:00 pm, PVR Phoenix, from ₹200, almost full"
    )
    expect(full).to_contain_text("from ₹200")  # no ".00" where there are no paise
    quiet = page.get_by_role("region", name="Monsoon Express").get_by_role("link")
    expect(quiet).to_have_attribute("data-fill", "Available")
    screenshot(page, f"home-{viewport['width']}")

    page.get_by_label("Search by title").fill("monsoon")
    expect(page.locator("section.movie")).to_have_count(1)
    expect(page.get_by_role("region", name="Monsoon Express")).to_be_visible()
    page.get_by_label("Search by title").fill("nothing like it")
    page.get_by_role("button", name="Show all movies").click()
    expect(page.locator("section.movie")).to_have_count(2)

    chosen.locator("xpath=following-sibling::button[1]").click()  # the next day: none of these
    expect(page.locator("section.movie")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("No more shows in Mumbai that day")


def test_language_and_time_of_day_chips_narrow_the_days_shows(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    show: dict[str, Any],
    viewport: dict[str, int],
) -> None:
    tamil = create_movie(client, admin, title="Vettai Raja", language="Tamil")
    screen = create_screen(client, admin, show["theatre_id"], name="Audi 2")
    morning = future(datetime.now().astimezone(), hour=10)  # the theatre's 10 am
    create_show(client, admin, tamil["id"], screen["id"], morning)

    page = new_page(live_server.url, viewport=viewport)
    page.goto(f"/?city=Mumbai&date={show['starts_at'][:10]}")
    languages = page.get_by_role("group", name="Language")
    times = page.get_by_role("group", name="Time")
    expect(languages.get_by_role("button")).to_have_text(["Hindi", "Tamil"])
    expect(times.get_by_role("button")).to_have_text(["Morning", "Evening"])
    expect(page.locator("section.movie")).to_have_count(2)

    languages.get_by_role("button", name="Tamil").click()
    expect(languages.get_by_role("button", name="Tamil")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("section.movie")).to_have_count(1)
    expect(page.get_by_role("region", name="Vettai Raja")).to_be_visible()
    expect(page).to_have_url(re.compile(r"language=Tamil"))
    screenshot(page, f"home-chips-{viewport['width']}")

    times.get_by_role("button", name="Evening").click()  # Tamil and in the evening: none
    expect(page.locator("section.movie")).to_have_count(0)
    page.get_by_role("button", name="Show all movies").click()
    expect(page.locator("section.movie")).to_have_count(2)
    expect(page.locator("[aria-pressed=true]")).to_have_count(0)

    times.get_by_role("button", name="Evening").click()
    expect(page.get_by_role("region", name="The Long Night")).to_be_visible()
    expect(page.locator("section.movie")).to_have_count(1)
    page.reload()  # the choice is in the address
    expect(
        page.get_by_role("group", name="Time").get_by_role("button", name="Evening")
    ).to_have_attribute("aria-pressed", "true")
    expect(page.locator("section.movie")).to_have_count(1)
