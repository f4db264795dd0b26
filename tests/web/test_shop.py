"""A visitor buys tickets in a real Chromium, and two visitors contend for the same seats."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.api import Headers, guest, ready_show, register
from tests.conftest import LiveServer
from tests.web.conftest import PHONE, NewPage, screenshot
from tests.web.shop import available, hold, open_show, pay_in_sandbox, pick, seat

from boxoffice.clock import Clock

pytestmark = pytest.mark.browser


def test_a_guest_finds_a_show_picks_two_seats_pays_and_sees_the_tickets(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, show: dict[str, Any]
) -> None:
    page = new_page(live_server.url)
    page.goto("/?city=Mumbai")
    screenshot(page, "home")
    page.get_by_role("link", name=re.compile(r"^The Long Night at")).first.click()
    expect(available(page).first).to_be_visible()

    # One seat with the keyboard (arrow keys move, Enter picks), one with the mouse.
    first = available(page).first
    first.focus()
    page.keyboard.press("ArrowRight")
    focused = page.evaluate("document.activeElement.dataset.seatId")
    page.keyboard.press("Enter")
    expect(seat(page, focused)).to_have_attribute("data-status", "SELECTED")
    label = seat(page, focused).get_attribute("aria-label") or ""
    assert re.match(r"^[A-Z]\d+, (VIP|GOLD|SILVER), ₹[\d,]+\.\d\d, selected$", label), label
    grouped = page.evaluate("import('/static/format.js').then((m) => m.money(12345600))")
    assert grouped == "₹1,23,456.00"  # Indian digit grouping, from paise
    picked = [focused, *pick(page, 1)]
    expect(page.get_by_role("button", name=re.compile(r"^Hold 2 seats · ₹"))).to_be_visible()
    screenshot(page, "seat-picker")

    booking_id = hold(page)
    screenshot(page, "checkout")
    pay_in_sandbox(page, "buyer@example.com")
    expect(page.locator("[data-ticket-id]")).to_have_count(2)
    expect(page.locator(".ticket img.qr[src^='data:']")).to_have_count(2)
    screenshot(page, "confirmation")

    # The page's story is the API's: the booking is BOOKED with exactly those seats.
    token = page.evaluate("localStorage.getItem('boxoffice.guest')")
    booking = client.get(
        f"/api/v1/bookings/{booking_id}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert booking["status"] == "BOOKED"
    assert sorted(s["seat_id"] for s in booking["seats"]) == sorted(picked)


def test_a_hold_in_one_browser_greys_the_seat_in_the_other_and_its_attempt_is_refused_clearly(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, show: dict[str, Any]
) -> None:
    first, second = new_page(live_server.url), new_page(live_server.url)
    open_show(first, show["id"])
    open_show(second, show["id"])
    [wanted] = pick(second, 1)

    seat(first, wanted).click()
    hold(first)
    expect(seat(second, wanted)).to_have_attribute("data-status", "HELD")  # live, no reload
    expect(second.get_by_role("alert")).to_contain_text("just taken by someone else")
    seat(second, wanted).click(force=True)  # greyed and aria-disabled, but a person may try
    expect(second.get_by_role("alert")).to_contain_text("is already taken")
    expect(seat(second, wanted)).to_have_attribute("data-status", "HELD")

    # A visitor whose page missed the news (no live updates reach it) tries anyway: the
    # server refuses, and the page says which seat went, and greys it.
    stale = new_page(live_server.url)
    maps = {"served": 0}

    def first_map_only(route: Any) -> None:
        maps["served"] += 1
        if maps["served"] == 1:
            route.continue_()
        else:
            route.abort()

    stale.route(re.compile(r"/seats(/stream)?(\?.*)?$"), first_map_only)
    open_show(stale, show["id"])
    [late] = pick(stale, 1)
    other, _ = guest(client)
    taken = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": [late]}, headers=other
    )
    assert taken.status_code == 201, taken.text
    stale.get_by_role("button", name=re.compile(r"^Hold 1 seat")).click()
    expect(stale.get_by_role("alert")).to_contain_text("just taken by someone else")
    expect(seat(stale, late)).to_have_attribute("data-status", "HELD")
    assert "/shows/" in stale.url
    screenshot(second, "seat-taken")


def test_when_the_countdown_runs_out_the_seats_come_back(
    new_page: NewPage, live_server: LiveServer, show: dict[str, Any], clock: Clock
) -> None:
    """The hold runs out by the clocks, the server's and the page's (Playwright's), moved
    together past its end: no real minute passes, and none can run it out too early."""
    page, watcher = new_page(live_server.url), new_page(live_server.url)
    page.clock.install()  # the page's own time, flowing until the test moves it on
    open_show(page, show["id"])
    open_show(watcher, show["id"])
    picked = pick(page, 2)
    hold(page)
    for seat_id in picked:
        expect(seat(watcher, seat_id)).to_have_attribute("data-status", "HELD")
    expect(page.get_by_role("heading", name="Your hold ran out")).not_to_be_visible()

    past_the_end = timedelta(seconds=live_server.settings.hold_ttl_seconds + 1)
    clock.advance(past_the_end)
    page.clock.fast_forward(int(past_the_end.total_seconds() * 1000))

    expect(page.get_by_role("heading", name="Your hold ran out")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("gone back on sale")
    screenshot(page, "hold-ran-out")
    page.reload()  # the booking now reads EXPIRED: the same story
    expect(page.get_by_role("heading", name="Your hold ran out")).to_be_visible()
    for seat_id in picked:  # live, in the other visitor's picker
        expect(seat(watcher, seat_id)).to_have_attribute("data-status", "AVAILABLE")
    page.get_by_role("link", name="Choose seats again").click()
    for seat_id in picked:
        expect(seat(page, seat_id)).to_have_attribute("data-status", "AVAILABLE")


def test_signing_in_mid_checkout_keeps_the_held_booking(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, show: dict[str, Any]
) -> None:
    email = "returning@example.com"
    account = register(client, email=email, password="correct-horse-9")
    page = new_page(live_server.url)
    open_show(page, show["id"])
    picked = pick(page, 2)
    booking_id = hold(page)

    page.get_by_text("Have an account? Sign in").click()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill("correct-horse-9")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text(f"Signed in as Test User ({email})")).to_be_visible()
    assert page.url.endswith(f"/checkout/{booking_id}")
    expect(page.get_by_role("timer")).to_be_visible()
    pay_in_sandbox(page, email=None)

    mine = client.get("/api/v1/me/bookings", headers=account).json()["items"]
    assert [(b["id"], b["status"]) for b in mine] == [(booking_id, "BOOKED")]
    assert sorted(s["seat_id"] for s in mine[0]["seats"]) == sorted(picked)
    page.get_by_role("link", name="My bookings", exact=True).click()
    expect(page.locator(f'[data-booking-id="{booking_id}"]')).to_contain_text("Confirmed")


def test_a_paid_booking_is_cancelled_and_refunded_from_the_page(
    new_page: NewPage, live_server: LiveServer, show: dict[str, Any]
) -> None:
    page = new_page(live_server.url)
    open_show(page, show["id"])
    pick(page, 2)
    booking_id = hold(page)
    # A payment that fails first: the page says so in words and the seats stay held.
    page.get_by_label("Email for your tickets").fill("twice@example.com")
    page.get_by_role("button", name=re.compile(r"^Pay ₹")).click()
    page.get_by_role("button", name="Make the payment fail").click()
    page.wait_for_url(re.compile(r"/checkout/"))
    expect(page.get_by_role("alert")).to_contain_text(
        "The payment did not go through: Payment failed. Your seats are still held"
    )
    expect(page.get_by_role("timer")).to_be_visible()
    pay_in_sandbox(page)

    page.get_by_role("button", name="Cancel booking").click()
    page.get_by_role("button", name=re.compile(r"^Yes, cancel and refund ₹")).click()
    expect(page.locator("[data-booking-status]")).to_have_text("Cancelled")
    expect(page.locator("[data-refund-status]")).to_contain_text(
        re.compile(r"Refund of ₹[\d,]+\.\d\d: ")
    )
    revoked = page.get_by_role("article", name=re.compile("^Ticket for seat"))
    expect(revoked).to_have_count(2)
    for card in revoked.all():  # said in words, and no QR code left to scan
        expect(card).to_contain_text("This ticket was cancelled: it will not be admitted.")
        expect(card.locator("img")).to_have_count(0)
    # The page follows the refund until the provider has processed it.
    expect(page.locator("[data-refund-status]")).to_have_attribute(
        "data-refund-status", "PROCESSED"
    )
    expect(page.locator("[data-refund-status]")).to_contain_text(": refunded")
    screenshot(page, "cancelled")
    page.goto("/bookings")
    row = page.locator(f'[data-booking-id="{booking_id}"]')
    expect(row).to_contain_text("Cancelled")
    expect(row).to_contain_text("refund")
    screenshot(page, "my-bookings")


def test_the_shop_fits_a_phone_and_names_every_control(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, admin: Headers
) -> None:
    # A screen far wider than a phone: it scrolls inside the picker, never the page.
    wide = [
        {"label": row, "seat_type": "GOLD", "seats": 30, "aisles_after": [5, 25]} for row in "ABC"
    ]
    show = ready_show(client, admin, rows=wide)
    page = new_page(live_server.url, viewport=PHONE)
    open_show(page, show["id"])
    pick(page, 1)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    screenshot(page, "seat-picker-phone")
    assert page.evaluate(UNNAMED_CONTROLS) == []

    pick(page, 9)  # ten in all: the most one booking may hold
    available(page).first.click()
    expect(page.get_by_role("alert")).to_have_text("You can pick up to 10 seats in one booking.")
    expect(page.locator('[data-status="SELECTED"]')).to_have_count(10)


# Controls a screen reader would announce without a name (aria-label, a <label>, or text).
UNNAMED_CONTROLS = """
[...document.querySelectorAll("button, a[href], select, input, textarea")]
  .filter((el) => !(el.getAttribute("aria-label") || el.labels?.length || el.textContent.trim()))
  .map((el) => el.outerHTML)
"""
