"""What a visitor does in the shop, step by step, through the documented hooks: seats are
`[data-seat-id]` with `data-status`, controls are found by their accessible names."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def seat(page: Page, seat_id: str) -> Locator:
    return page.locator(f'[data-seat-id="{seat_id}"]')


def available(page: Page) -> Locator:
    return page.locator('[data-seat-id][data-status="AVAILABLE"]')


def open_show(page: Page, show_id: str) -> None:
    page.goto(f"/shows/{show_id}")
    expect(available(page).first).to_be_visible()


def pick(page: Page, count: int) -> list[str]:
    """Picks `count` free seats with the mouse; their ids."""
    ids = []
    for _ in range(count):
        free = available(page).first
        seat_id = free.get_attribute("data-seat-id")
        assert seat_id is not None
        free.click()
        expect(seat(page, seat_id)).to_have_attribute("data-status", "SELECTED")
        ids.append(seat_id)
    return ids


def how_many(page: Page, count: int) -> None:
    """Answers "How many seats?" (a row of radio chips)."""
    page.get_by_role("group", name="How many seats?").get_by_text(str(count), exact=True).click()
    expect(page.get_by_role("radio", name=str(count), exact=True)).to_be_checked()


def hold(page: Page) -> str:
    """Holds the picked seats; the booking id from the checkout page's address."""
    page.get_by_role("button", name=re.compile(r"^Hold \d+ seats?")).click()
    page.wait_for_url(re.compile(r"/checkout/"))
    expect(page.get_by_role("timer")).to_be_visible()
    return page.url.rsplit("/", 1)[-1]


def pay_in_sandbox(page: Page, email: str | None = "guest@example.com") -> None:
    """From the checkout page, through our stand-in for Razorpay Checkout, to the confirmation."""
    if email is not None:
        page.get_by_label("Email for your tickets").fill(email)
    page.get_by_role("button", name=re.compile(r"^Pay ₹")).click()
    page.wait_for_url(re.compile(r"/sandbox/checkout"))
    page.get_by_role("button", name=re.compile(r"^Pay ₹")).click()
    page.wait_for_url(re.compile(r"/bookings/[0-9a-f-]+$"))
    expect(page.get_by_role("heading", name="You're going to the movies!")).to_be_visible()
