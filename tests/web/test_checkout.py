"""Checkout a customer can trust, at a phone's size and a laptop's: what is being bought in one
card, one email field and one red button (Pay), letting the seats go as a quiet link."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.api import Headers, ready_show
from tests.conftest import LiveServer
from tests.web.conftest import NewPage, screenshot
from tests.web.shop import hold, open_show, seat

pytestmark = pytest.mark.browser

ONE_ROW = [{"label": "H", "seat_type": "GOLD", "seats": 12, "aisles_after": []}]


def test_checkout_shows_what_is_bought_and_one_way_to_pay(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    viewport: dict[str, int],
) -> None:
    show: dict[str, Any] = ready_show(client, admin, rows=ONE_ROW)
    details = client.get(f"/api/v1/shows/{show['id']}").json()
    ids = {
        s["label"]: s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    }
    page = new_page(live_server.url, viewport=viewport)
    open_show(page, show["id"])
    seat(page, ids["H10"]).click()
    seat(page, ids["H8"]).click()
    hold(page)

    card = page.get_by_role("region", name="Your booking")
    for text in (
        details["movie"]["title"],
        f"{details['theatre']['name']} · Audi 1",
        details["theatre"]["address"],
        "Total",
    ):
        expect(card).to_contain_text(text)
    expect(card.get_by_role("list", name="Seats").get_by_role("listitem")).to_have_text(
        ["H8 · GOLD₹350.00", "H10 · GOLD₹350.00"]  # natural order: H8 before H10
    )
    expect(card.locator("[data-slot=charges]")).to_have_count(1)  # for the itemised charges
    expect(card.locator("[data-slot=cancellation]")).to_have_count(1)  # and the rule
    expect(page.locator("button.primary:visible")).to_have_count(1)
    release = page.get_by_role("button", name="Release these seats")
    expect(release).to_have_class("link quiet")
    screenshot(page, f"checkout-{viewport['width']}")

    page.get_by_role("button", name="Have an account? Sign in instead").click()
    expect(page.locator("input[type=email]:visible")).to_have_count(1)  # in place of the other
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    expect(page.locator("button.primary:visible")).to_have_count(1)  # still only Pay is red
    page.get_by_role("button", name="Continue as a guest with an email instead").click()
    expect(page.get_by_label("Email for your tickets")).to_be_visible()
