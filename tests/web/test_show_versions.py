"""The shop groups a movie's shows by language and format, as BookMyShow does ("Tamil · 3D"),
and a format chip beside the language chip narrows the day's shows, kept in the address like
the others; at a phone's size and a laptop's."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
import pytest
from playwright.sync_api import expect
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_theatre,
    future,
    set_theatre_prices,
)
from tests.conftest import LiveServer
from tests.web.conftest import NewPage, screenshot

pytestmark = pytest.mark.browser


def test_a_movies_shows_come_by_language_and_format_with_a_format_chip(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    viewport: dict[str, int],
) -> None:
    theatre = create_theatre(client, admin, name="Sathyam", city="Chennai")
    set_theatre_prices(client, admin, theatre["id"])
    screens = [create_screen(client, admin, theatre["id"], name=f"Audi {n}") for n in (1, 2)]
    movie = create_movie(client, admin, title="Vikram Vedha", language="Tamil", languages=["Hindi"])
    now = datetime.now().astimezone()
    shows = [  # (screen, hour, format, language)
        (0, 10, "3D", "Tamil"),
        (0, 14, "2D", "Hindi"),
        (1, 18, "2D", "Tamil"),
        (1, 21, "3D", "Tamil"),
    ]
    items = [
        {
            "movie_id": movie["id"],
            "screen_id": screens[screen]["id"],
            "starts_at": future(now, hour=hour).isoformat(),
            "format": fmt,
            "language": language,
        }
        for screen, hour, fmt, language in shows
    ]
    made = client.post("/api/v1/shows/batch", json={"shows": items}, headers=admin)
    assert made.status_code == 201, made.text
    day = made.json()["shows"][0]["starts_at"][:10]

    page = new_page(live_server.url, viewport=viewport)
    page.goto(f"/?city=Chennai&date={day}")
    card = page.get_by_role("region", name="Vikram Vedha")
    expect(card.locator(".version-name")).to_have_text(["Hindi · 2D", "Tamil · 2D", "Tamil · 3D"])
    expect(card.locator(".version").nth(2).get_by_role("link")).to_have_count(2)
    expect(card.locator(".version").nth(2)).to_contain_text("Sathyam")
    languages = page.get_by_role("group", name="Language")
    formats = page.get_by_role("group", name="Format")
    expect(languages.get_by_role("button")).to_have_text(["Hindi", "Tamil"])
    expect(formats.get_by_role("button")).to_have_text(["2D", "3D"])
    screenshot(page, f"home-versions-{viewport['width']}")

    formats.get_by_role("button", name="3D").click()
    expect(formats.get_by_role("button", name="3D")).to_have_attribute("aria-pressed", "true")
    expect(card.locator(".version-name")).to_have_text(["Tamil · 3D"])
    expect(card.get_by_role("link")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"format=3D"))
    languages.get_by_role("button", name="Hindi").click()  # Hindi and 3D: none that day
    expect(page.locator("section.movie")).to_have_count(0)
    languages.get_by_role("button", name="Hindi").click()
    page.reload()  # the choice is in the address
    expect(
        page.get_by_role("group", name="Format").get_by_role("button", name="3D")
    ).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("region", name="Vikram Vedha").get_by_role("link")).to_have_count(2)
