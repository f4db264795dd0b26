"""Operators in a real Chromium: check-in at the door, and the admin's occupancy and sales."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import segno
from playwright.sync_api import Browser, Page, expect
from tests.api import ADMIN_PASSWORD, Headers, create_theatre, guest
from tests.conftest import LiveServer
from tests.support.browser import chromium
from tests.tickets.helpers import booked, show_soon, tickets
from tests.web.conftest import PHONE, NewPage, screenshot

pytestmark = pytest.mark.browser


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def staff_at_the_door(client: httpx.Client, admin: Headers, show: dict[str, Any]) -> None:
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


def test_a_typed_code_is_admitted_once_with_the_show_the_count_and_theatre_times(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    viewport: dict[str, int],
) -> None:
    """No camera needed: a code typed or pasted (or typed by a USB scanner) is checked in."""
    show = show_soon(client, admin)
    customer, _ = guest(client)
    client.patch("/api/v1/me", json={"email": "door@example.com"}, headers=customer)
    first, second = tickets(client, customer, booked(client, customer, show["id"], 2)["id"])
    staff_at_the_door(client, admin, show)

    page = new_page(live_server.url, viewport=viewport)
    page.goto("/checkin")
    sign_in(page, "gate@example.com", "staff-password-1")
    code = page.get_by_label("Ticket code")
    code.fill(first["qr"])
    page.get_by_role("button", name="Check in").click()
    verdict = page.locator(".verdict")
    expect(verdict).to_have_attribute("data-result", "ok")
    expect(verdict).to_contain_text("Admitted")
    starts = datetime.fromisoformat(show["starts_at"])  # in the theatre's offset
    at = starts.strftime("%I:%M %p").lower()
    expect(verdict).to_contain_text(f"The Long Night · {at} · ")  # the show: movie, time, screen
    expect(page.locator(".admitted")).to_contain_text("1 admitted to The Long Night")
    screenshot(page, f"checkin-ok-{viewport['width']}")

    code.fill(second["qr"])
    page.keyboard.press("Enter")
    expect(page.locator(".admitted")).to_contain_text("2 admitted")

    code.fill(first["qr"])
    page.get_by_role("button", name="Check in").click()
    expect(verdict).to_have_attribute("data-result", "no")
    expect(page.get_by_role("alert")).to_have_text("Already checked in")
    [checked_in] = [
        t["checked_in_at"]
        for t in tickets(client, customer, first["booking_id"])
        if t["id"] == first["id"]
    ]
    local = datetime.fromisoformat(checked_in).astimezone(ZoneInfo(show["timezone"]))
    expect(verdict).to_contain_text(
        f"First checked in at {local.strftime('%I:%M %p').lower()}, gate G1."
    )  # the theatre's clock, whatever the device's
    screenshot(page, f"checkin-already-{viewport['width']}")

    code.fill("not a ticket")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("alert")).to_have_text("Not a valid ticket")


def test_admin_pages_show_occupancy_and_a_sales_chart(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    show: dict[str, Any],
    viewport: dict[str, int],
) -> None:
    create_theatre(client, admin, name="AAA Cinemas")  # listed first: not the one wanted
    customer, _ = guest(client)
    client.patch("/api/v1/me", json={"email": "fan@example.com"}, headers=customer)
    booked(client, customer, show["id"], 2)
    page = new_page(live_server.url, viewport=viewport)
    page.goto("/admin")
    sign_in(page, "admin@example.com", ADMIN_PASSWORD)
    page.locator("select[name=theatre]").select_option(show["theatre_id"])
    page.get_by_label("Date", exact=True).fill(show["starts_at"][:10])
    page.get_by_label("Date", exact=True).dispatch_event("change")
    row = page.locator(f'[data-show-id="{show["id"]}"]')
    expect(row).to_contain_text("12.5%")  # 2 of 16 seats
    expect(row.locator("[data-label=Status]")).to_have_text("Scheduled")  # not "SCHEDULED"
    expect(row).to_be_visible()
    box = row.bounding_box()
    assert box is not None and box["width"] <= viewport["width"]  # a card on a phone, no clip
    screenshot(page, f"admin-shows-{viewport['width']}")

    page.reload()  # the theatre chosen is remembered
    expect(page.locator("select[name=theatre]")).to_have_value(show["theatre_id"])
    page.get_by_role("link", name="Sales report").click()
    expect(page.locator("select[name=theatre]")).to_have_value(show["theatre_id"])
    expect(page.get_by_role("img", name=re.compile("Net revenue"))).to_be_visible()
    expect(page.locator(".totals")).to_contain_text("2 tickets")
    screenshot(page, f"admin-sales-{viewport['width']}")


def test_a_code_shown_to_the_camera_is_admitted(
    browser: Browser,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    tmp_path: Path,
) -> None:
    """Chromium's fake camera plays a video of the ticket's QR code; the page reads it (with the
    vendored jsQR: Chromium on Linux has no BarcodeDetector for QR) and checks it in."""
    show = show_soon(client, admin)
    customer, _ = guest(client)
    client.patch("/api/v1/me", json={"email": "cam@example.com"}, headers=customer)
    [ticket] = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])
    staff_at_the_door(client, admin, show)
    video = tmp_path / "ticket.y4m"
    video.write_bytes(qr_video(ticket["qr"]))
    camera = browser.browser_type.launch(
        executable_path=chromium(),
        args=[
            "--no-sandbox",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera.new_context(base_url=live_server.url, viewport=PHONE)
        context.grant_permissions(["camera"])
        page = context.new_page()
        page.goto("/checkin")
        sign_in(page, "gate@example.com", "staff-password-1")
        page.get_by_role("button", name="Scan with camera").click()
        verdict = page.locator(".verdict")
        expect(verdict).to_have_attribute("data-result", "ok")
        expect(verdict).to_contain_text(f"Seat {ticket['seat_label']}")
        page.get_by_role("button", name="Stop the camera").click()
    finally:
        camera.close()
    statuses = [t["status"] for t in tickets(client, customer, ticket["booking_id"])]
    assert statuses == ["CHECKED_IN"]


def qr_video(text: str, width: int = 640, height: int = 480, scale: int = 6) -> bytes:
    """Two frames of a Y4M video (4:2:0) showing the QR code of `text`, black on white."""
    matrix = segno.make(text, error="m").matrix
    size = len(matrix) * scale
    top, left = (height - size) // 2, (width - size) // 2
    luma = bytearray([235]) * (width * height)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + y * scale + dy) * width + left + x * scale
                    luma[start : start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (width * height // 2)
    frame = b"FRAME\n" + bytes(luma) + chroma
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    return header + frame * 2
