"""Posters in the shop, at a phone's size and a laptop's: a movie's card shows the poster the
server re-encoded (a movie without one keeps its card's shape with its initials), and the show
page's header shows it too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, expect
from tests.api import Headers, create_movie, create_screen, create_show, future, upload_poster
from tests.conftest import LiveServer
from tests.web.conftest import NewPage, screenshot
from tests.web.shop import open_show

pytestmark = pytest.mark.browser


def drawn_size(image: Locator) -> tuple[int, int]:
    """The decoded picture's own size: 0 x 0 for an image that did not load."""
    expect(image).to_have_js_property("complete", True)
    size = image.evaluate("(img) => [img.naturalWidth, img.naturalHeight]")
    return size[0], size[1]


def test_movie_cards_and_the_show_header_show_the_poster(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    show: dict[str, Any],
    viewport: dict[str, int],
) -> None:
    movie = upload_poster(client, admin, show["movie_id"])
    plain = create_movie(client, admin, title="Monsoon Express")
    screen = create_screen(client, admin, show["theatre_id"], name="Audi 2")
    create_show(client, admin, plain["id"], screen["id"], future(datetime.now().astimezone()))

    page = new_page(live_server.url, viewport=viewport)
    page.goto(f"/?city=Mumbai&date={show['starts_at'][:10]}")
    card = page.get_by_role("region", name="The Long Night")
    image = card.locator("img.poster")
    expect(image).to_have_attribute("src", movie["poster_url"])
    assert drawn_size(image) == (480, 720)
    box = image.bounding_box()
    assert box is not None and box["width"] >= 70  # beside the title, at a readable size
    assert abs(box["height"] / box["width"] - 1.5) < 0.05  # as a poster is: 2:3
    without = page.get_by_role("region", name="Monsoon Express").locator(".poster")
    expect(without).to_have_text("ME")  # no poster: the card keeps its shape
    screenshot(page, f"home-posters-{viewport['width']}")

    open_show(page, show["id"])
    header = page.locator(".show-head img.poster")
    expect(header).to_have_attribute("src", movie["poster_url"])
    assert drawn_size(header) == (480, 720)
