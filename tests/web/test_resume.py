"""No orphan holds: back on the show page with seats still held, a visitor sees them as theirs
and is offered to continue to checkout or to change them, at a phone's size and a laptop's."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import LiveServer
from tests.web.conftest import NewPage, screenshot
from tests.web.shop import hold, open_show, pick, seat

pytestmark = pytest.mark.browser


def my_bookings(client: httpx.Client, page: Page) -> list[tuple[str, str]]:
    token = page.evaluate("localStorage.getItem('boxoffice.guest')")
    answer = client.get("/api/v1/me/bookings", headers={"Authorization": f"Bearer {token}"})
    return [(b["id"], b["status"]) for b in answer.json()["items"]]


def test_back_from_checkout_offers_to_continue_and_draws_the_seats_as_yours(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    show: dict[str, Any],
    viewport: dict[str, int],
) -> None:
    page = new_page(live_server.url, viewport=viewport)
    open_show(page, show["id"])
    picked = pick(page, 2)
    booking_id = hold(page)

    page.go_back()
    held = page.get_by_role("region", name="Your held seats")
    proceed = held.get_by_role("link", name=re.compile(r"^Continue checkout \(\d\d:\d\d left\)$"))
    expect(proceed).to_be_visible()
    for seat_id in picked:  # theirs, not "taken"
        expect(seat(page, seat_id)).to_have_attribute("data-mine", "")
        expect(seat(page, seat_id)).to_have_attribute("aria-label", re.compile("held by you$"))
    screenshot(page, f"resume-{viewport['width']}")
    proceed.click()
    page.wait_for_url(re.compile(f"/checkout/{booking_id}$"))
    expect(page.get_by_role("timer")).to_be_visible()


def test_changing_seats_lets_the_old_hold_go_and_leaves_one_booking(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, show: dict[str, Any]
) -> None:
    page = new_page(live_server.url)
    open_show(page, show["id"])
    picked = pick(page, 2)
    first = hold(page)
    page.go_back()
    page.get_by_role("button", name="Change seats").click()
    for seat_id in picked:  # released, and picked again to start from
        expect(seat(page, seat_id)).to_have_attribute("data-status", "SELECTED")
    expect(page.get_by_role("region", name="Your held seats")).to_have_count(0)
    seat(page, picked[0]).click()  # one seat fewer
    second = hold(page)
    assert dict(my_bookings(client, page)) == {first: "CANCELLED", second: "PENDING"}


def test_holding_new_seats_past_the_offer_still_leaves_one_hold(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, show: dict[str, Any]
) -> None:
    page = new_page(live_server.url)
    open_show(page, show["id"])
    pick(page, 1)
    first = hold(page)
    page.goto(f"/shows/{show['id']}")
    expect(page.get_by_role("region", name="Your held seats")).to_be_visible()
    pick(page, 1)
    second = hold(page)
    assert dict(my_bookings(client, page)) == {first: "CANCELLED", second: "PENDING"}
