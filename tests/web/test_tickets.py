"""Tickets worth keeping, at a phone's size and a laptop's: a card per seat (movie, theatre,
screen, time, seat, QR code that decodes to the ticket), and sharing one seat's ticket through
the Web Share sheet or, without one, a link that opens the same card for whoever gets it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import LiveServer
from tests.web.conftest import NewPage, screenshot
from tests.web.shop import hold, open_show, pay_in_sandbox, pick

pytestmark = pytest.mark.browser

# The QR image read back with the vendored decoder (jsQR), as the door's camera would.
DECODE = """async (image) => {
  await import("/static/vendor/jsQR.js");
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  return self.jsQR(pixels.data, canvas.width, canvas.height)?.data ?? null;
}"""


def buy_two(page: Page, show_id: str) -> None:
    open_show(page, show_id)
    pick(page, 2)
    hold(page)
    pay_in_sandbox(page)


def test_a_card_per_seat_whose_qr_code_reads_back_as_the_ticket(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    show: dict[str, Any],
    viewport: dict[str, int],
) -> None:
    details = client.get(f"/api/v1/shows/{show['id']}").json()
    page = new_page(live_server.url, viewport=viewport)
    buy_two(page, show["id"])
    cards = page.get_by_role("article", name=re.compile(r"^Ticket for seat [A-Z]+\d+$"))
    expect(cards).to_have_count(2)
    for card in cards.all():
        for text in (details["movie"]["title"], "PVR Phoenix · Audi 1", "Valid"):
            expect(card).to_contain_text(text)
        expect(card).to_contain_text(re.compile(r"\d\d:\d\d [ap]m"))
        image = card.get_by_role("img", name=re.compile("^QR code of the ticket for seat"))
        assert image.evaluate(DECODE) == card.get_attribute("data-qr")
    screenshot(page, f"tickets-{viewport['width']}")


def test_a_ticket_is_shared_through_the_share_sheet_or_as_a_link(
    new_page: NewPage, live_server: LiveServer, show: dict[str, Any]
) -> None:
    page = new_page(live_server.url)
    buy_two(page, show["id"])
    card = page.get_by_role("article").first
    code = card.get_attribute("data-qr")
    seat = (card.get_attribute("aria-label") or "").removeprefix("Ticket for seat ")

    # No share sheet (Chromium on Linux has none): the link, to copy or send.
    card.get_by_role("button", name=f"Share Seat {seat}").click()
    link = card.get_by_role("link", name=f"Ticket for Seat {seat}")
    href = link.get_attribute("href") or ""
    assert unquote(href.split("#", 1)[1]) == code  # the code rides in the fragment only

    friend = new_page(live_server.url)  # someone else, signed out, on another device
    friend.goto(href)
    shared = friend.get_by_role("article", name=f"Ticket for seat {seat}")
    expect(shared).to_contain_text("The Long Night")
    assert shared.get_by_role("img").evaluate(DECODE) == code
    screenshot(friend, "shared-ticket")

    # With a share sheet: it gets the same link.
    page.evaluate("navigator.share = (data) => { window.shared = data; return Promise.resolve(); }")
    other = page.get_by_role("article").nth(1)
    other.get_by_role("button", name=re.compile("^Share Seat")).click()
    shared_data = page.evaluate("window.shared")
    assert unquote(shared_data["url"].split("#", 1)[1]) == other.get_attribute("data-qr")
    assert "The Long Night" in shared_data["text"]
