"""The shop shows the money (SPEC "Money", issue 23 "The shop shows it"): checkout itemises the
tickets with their GST, the convenience fee and its GST, and says the cancellation rule before
paying; the booking page quotes what cancelling gives back now, lets the customer give back some
seats after a confirmation (with a way to keep the booking), and hands over the invoice PDF."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.api import Headers
from tests.bookings.money_helpers import policy_theatre, show_in
from tests.conftest import LiveServer
from tests.web.conftest import NewPage, screenshot
from tests.web.shop import hold, open_show, pay_in_sandbox, seat

pytestmark = pytest.mark.browser


def seat_ids(client: httpx.Client, show_id: str) -> dict[str, str]:
    seats = client.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]
    return {s["label"]: s["id"] for s in seats}


def hold_two(page: Page, client: httpx.Client, show_id: str) -> None:
    """A VIP seat (₹500) and a GOLD one (₹100), held from the picker."""
    ids = seat_ids(client, show_id)
    open_show(page, show_id)
    seat(page, ids["A1"]).click()
    seat(page, ids["B1"]).click()
    hold(page)


def test_checkout_itemises_the_charges_and_the_booking_quotes_cancels_and_invoices(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    tmp_path: Path,
) -> None:
    sale = show_in(client, admin, policy_theatre(client, admin), 180)
    page = new_page(live_server.url)
    hold_two(page, client, sale["id"])

    card = page.get_by_role("region", name="Your booking")
    lines = card.get_by_role("list", name="Charges").get_by_role("listitem")
    # Tickets ₹600 with their GST inside (₹500 at 18 %, ₹100 at 5 %), fees ₹50 + ₹10, GST 18 %.
    expect(lines).to_have_text(
        [
            "Tickets₹600.00",
            "incl. GST (CGST ₹40.52 + SGST ₹40.51)₹81.03",
            "Convenience fee₹60.00",
            "GST on the fee₹10.80",
        ]
    )
    expect(card.locator(".total")).to_have_text("Total₹670.80")
    expect(card.locator("[data-slot=cancellation]")).to_have_text(
        "Cancel for 75% of the tickets back until 2 h before the show, 50% until 20 min before "
        "the show; the convenience fee is not refunded."
    )
    expect(page.get_by_role("button", name="Pay ₹670.80")).to_be_visible()
    screenshot(page, "checkout-charges")

    pay_in_sandbox(page)
    quote = page.get_by_role("region", name="Your booking").locator("[data-slot=cancellation]")
    expect(quote).to_have_text(re.compile(r"^Cancellable until .+, ₹450\.00 back\.$"))

    with page.expect_download() as saving:
        page.get_by_role("button", name="Download the invoice (PDF)").click()
    saved = tmp_path / "invoice.pdf"
    saving.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")

    page.get_by_role("button", name="Cancel some seats").click()
    dialog = page.get_by_role("dialog", name="Cancel some seats")
    dialog.get_by_role("checkbox", name="B1, ₹75.00 back").check()
    expect(dialog).to_contain_text("₹75.00 back; the convenience fee is not refunded.")
    dialog.get_by_role("button", name="Keep booking").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("region", name="Seats cancelled")).to_have_count(0)

    page.get_by_role("button", name="Cancel some seats").click()
    dialog.get_by_role("checkbox", name="B1, ₹75.00 back").check()
    dialog.get_by_role("button", name="Cancel these seats").click()
    cancelled = page.get_by_role("region", name="Seats cancelled")
    expect(cancelled).to_contain_text("B1 · GOLD")
    expect(cancelled).to_contain_text("₹75.00 back")
    expect(page.locator("[data-booking-status]")).to_have_attribute("data-booking-status", "BOOKED")
    expect(
        page.get_by_role("region", name="Your booking").get_by_role("list", name="Seats")
    ).to_have_text("A1 · VIP₹500.00")
    expect(page.get_by_role("list", name="Refunds")).to_contain_text("Refund of ₹75.00")
    expect(quote).to_have_text(re.compile(r"₹375\.00 back\.$"))  # 75 % of the VIP's ₹500
    screenshot(page, "booking-partly-cancelled")


def test_after_the_last_tier_the_booking_says_cancellation_is_not_available(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    viewport: dict[str, int],
) -> None:
    """Past the policy's last tier the booking hides both cancels, on a phone and a desk."""
    soon = show_in(client, admin, policy_theatre(client, admin), 10)
    page = new_page(live_server.url, viewport)
    hold_two(page, client, soon["id"])
    pay_in_sandbox(page)

    card = page.get_by_role("region", name="Your booking")
    expect(card.locator("[data-slot=cancellation]")).to_have_text("Cancellation not available.")
    expect(page.get_by_role("button", name="Cancel booking")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel some seats")).to_have_count(0)
