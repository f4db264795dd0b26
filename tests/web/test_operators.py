"""Operators in a real Chromium: check-in at the door, and the admin's occupancy and sales."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.api import ADMIN_PASSWORD, Headers, guest
from tests.conftest import LiveServer
from tests.tickets.helpers import booked, show_soon, tickets
from tests.web.conftest import NewPage, screenshot

pytestmark = pytest.mark.browser


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_the_check_in_page_admits_a_ticket_once_then_says_already_checked_in(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, admin: Headers
) -> None:
    show = show_soon(client, admin)
    customer, _ = guest(client)
    client.patch("/api/v1/me", json={"email": "door@example.com"}, headers=customer)
    qr = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])[0]["qr"]
    response = client.post(
        "/api/v1/admin/staff",
        json={
            "email": "gate@example.com",
            "password": "staff-password-1",
            "name": "Gate",
            "theatre_ids": [show["theatre_id"]],
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text

    page = new_page(live_server.url)
    page.goto("/checkin")
    sign_in(page, "gate@example.com", "staff-password-1")
    code = page.get_by_label("Ticket code")
    code.fill(qr)
    page.get_by_role("button", name="Check in").click()
    verdict = page.locator(".verdict")
    expect(verdict).to_have_attribute("data-result", "ok")
    expect(verdict).to_contain_text("Admitted")
    screenshot(page, "checkin-ok")

    code.fill(qr)
    page.get_by_role("button", name="Check in").click()
    expect(verdict).to_have_attribute("data-result", "no")
    expect(page.get_by_role("alert")).to_have_text("Already checked in")
    expect(verdict).to_contain_text("gate G1")
    screenshot(page, "checkin-already")

    code.fill("not a ticket")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("alert")).to_have_text("Not a valid ticket")


def test_admin_pages_show_occupancy_and_a_sales_chart(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    show: dict[str, Any],
) -> None:
    customer, _ = guest(client)
    client.patch("/api/v1/me", json={"email": "fan@example.com"}, headers=customer)
    booked(client, customer, show["id"], 2)
    page = new_page(live_server.url)
    page.goto("/admin")
    sign_in(page, "admin@example.com", ADMIN_PASSWORD)
    page.get_by_label("Date", exact=True).fill(show["starts_at"][:10])
    page.get_by_label("Date", exact=True).dispatch_event("change")
    row = page.locator(f'[data-show-id="{show["id"]}"]')
    expect(row).to_contain_text("12.5%")  # 2 of 16 seats
    screenshot(page, "admin-shows")

    page.get_by_role("link", name="Sales report").click()
    expect(page.get_by_role("img", name=re.compile("Net revenue"))).to_be_visible()
    expect(page.locator(".totals")).to_contain_text("2 tickets")
    screenshot(page, "admin-sales")
