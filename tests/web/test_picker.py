"""The seat picker at a phone's size and a laptop's: the order bar and its messages stay in view,
seats are real touch targets that the row letters never cover, zoom, "more seats" where they
lie off-screen, and "How many seats?" picking a block at once."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.api import Headers, ready_show
from tests.conftest import LiveServer
from tests.web.conftest import NewPage, screenshot
from tests.web.shop import how_many, open_show, seat

pytestmark = pytest.mark.browser

# A hall wider than a phone and than the laptop's picker: it scrolls sideways.
WIDE = [
    {"label": row, "seat_type": "GOLD", "seats": 30, "aisles_after": [5, 25]} for row in "ABCDE"
]

SEAT_SIZES = """[...document.querySelectorAll("[data-seat-id]")].map((seat) => {
  const box = seat.getBoundingClientRect();
  return Math.min(box.width, box.height);
})"""

# Seats cut in two by the sticky row letters on the left: partly under them, partly in view.
COVERED = """(() => {
  const letters = document.querySelector(".row-label.left").getBoundingClientRect();
  return [...document.querySelectorAll("[data-seat-id]")]
    .filter((seat) => {
      const box = seat.getBoundingClientRect();
      return box.left < letters.right - 0.5 && box.right > letters.right + 0.5;
    })
    .map((seat) => seat.getAttribute("aria-label"));
})()"""


def seat_map(client: httpx.Client, show_id: str) -> dict[str, str]:
    """Seat label → id."""
    seats = client.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]
    return {s["label"]: s["id"] for s in seats}


def seat_width(page: Page) -> float:
    return float(page.evaluate(f"Math.min(...{SEAT_SIZES})"))


@pytest.fixture
def wide_show(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    return ready_show(client, admin, rows=WIDE)


def test_after_a_pick_the_hold_bar_and_its_messages_are_in_view(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    wide_show: dict[str, Any],
    viewport: dict[str, int],
) -> None:
    show = wide_show
    ids = seat_map(client, show["id"])
    page = new_page(live_server.url, viewport=viewport)
    open_show(page, show["id"])
    assert seat_width(page) >= 24  # WCAG 2.5.8: targets of at least 24 by 24 px
    assert page.evaluate(COVERED) == []  # opened with a whole seat beside the letters

    seat(page, ids["C2"]).click()  # leaves C1 alone at the row's end
    page.evaluate("window.scrollTo(0, 0)")  # however the page is scrolled
    bar = page.get_by_role("complementary", name="Your seats")
    expect(bar.get_by_role("button", name=re.compile(r"^Hold 1 seat · ₹"))).to_be_in_viewport()
    expect(bar.get_by_text("leave seat C1 on its own")).to_be_in_viewport()
    screenshot(page, f"picker-bar-{viewport['width']}")


def test_zoom_and_more_seats_keep_whole_seats_in_view(
    new_page: NewPage, live_server: LiveServer, wide_show: dict[str, Any], viewport: dict[str, int]
) -> None:
    page = new_page(live_server.url, viewport=viewport)
    open_show(page, wide_show["id"])
    before = seat_width(page)
    page.get_by_role("button", name="Zoom in").click()
    assert seat_width(page) > before
    assert page.evaluate(COVERED) == []
    page.get_by_role("button", name="Zoom out").click()
    page.get_by_role("button", name="Zoom out").click()
    assert 24 <= seat_width(page) < before
    expect(page.get_by_role("button", name="Zoom out")).to_be_disabled()

    more = page.get_by_role("button", name="More seats to the right")
    expect(more).to_be_visible()  # the hall is wider than the window onto it
    while more.is_visible():  # bounded: each press scrolls most of a window further
        more.click()
    assert page.evaluate(COVERED) == []
    expect(page.get_by_role("button", name="More seats to the left")).to_be_visible()


def test_how_many_seats_picks_that_many_side_by_side_with_one_tap(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    show: dict[str, Any],
    viewport: dict[str, int],
) -> None:
    ids = seat_map(client, show["id"])
    page = new_page(live_server.url, viewport=viewport)
    open_show(page, show["id"])
    how_many(page, 3)
    expect(page.get_by_role("button", name="Hold the best 3 seats")).to_be_enabled()
    seat(page, ids["B2"]).click()  # B4 lies across the aisle: B1 joins instead
    for label in ("B1", "B2", "B3"):
        expect(seat(page, ids[label])).to_have_attribute("data-status", "SELECTED")
    expect(page.locator('[data-status="SELECTED"]')).to_have_count(3)
    expect(page.get_by_role("button", name=re.compile(r"^Hold 3 seats · ₹"))).to_be_visible()


def test_the_show_page_draws_a_skeleton_and_asks_for_everything_at_once(
    new_page: NewPage, live_server: LiveServer, show: dict[str, Any]
) -> None:
    page = new_page(live_server.url)
    events: list[tuple[str, str]] = []
    api = re.compile(r"/api/v1/(?!.*/stream)")
    page.on("request", lambda r: events.append(("asked", r.url)) if api.search(r.url) else None)
    page.on(
        "requestfinished",
        lambda r: events.append(("answered", r.url)) if api.search(r.url) else None,
    )
    held: list[Any] = []
    page.route(re.compile(r"/seats$"), lambda route: held.append(route))  # waits till let go
    page.goto(f"/shows/{show['id']}", wait_until="commit")
    expect(page.locator(".bone-map")).to_be_visible()  # a map's shape, before any seat
    expect(page.locator("[data-seat-id]")).to_have_count(0)
    for _ in range(200):  # until the page's request for the map reaches the route
        if held:
            break
        page.wait_for_timeout(25)
    held[0].continue_()
    expect(page.locator("[data-seat-id]").first).to_be_visible()
    expect(page.locator(".bone-map")).to_have_count(0)
    kinds = [kind for kind, _ in events]
    first_answer = kinds.index("answered")
    assert "asked" not in kinds[first_answer:], events  # one wave: nothing waits on an answer
