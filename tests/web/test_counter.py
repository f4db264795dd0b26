"""The box office in a real Chromium: a cashier opens a shift, sells two seats for cash from the
keyboard (the change shown), prints them on an 80 mm page, refunds one seat and closes the shift
with the cash the drawer should hold; and pays back a sale of a show the theatre cancelled."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect
from tests.api import Headers, login
from tests.bookings.money_helpers import policy_theatre, show_in
from tests.conftest import LiveServer
from tests.counter.helpers import PASSWORD, open_shift, sell
from tests.invoicing.helpers import seats_of_type
from tests.web.conftest import DESKTOP, NewPage, screenshot
from tests.web.test_operators import sign_in

pytestmark = pytest.mark.browser

# 80 mm at CSS's 96 px to the inch, and in PDF points (72 to the inch).
EIGHTY_MM_PX = 80 / 25.4 * 96
EIGHTY_MM_PT = 80 / 25.4 * 72


def cashier(client: httpx.Client, admin: Headers, theatre_id: str) -> str:
    email = "window@example.com"
    response = client.post(
        "/api/v1/admin/staff",
        json={
            "email": email,
            "password": PASSWORD,
            "name": "Window",
            "theatre_ids": [theatre_id],
            "permissions": ["counter"],
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return email


def test_a_cashier_sells_prints_refunds_and_closes_the_shift(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, admin: Headers
) -> None:
    theatre_id = policy_theatre(client, admin)
    show_in(client, admin, theatre_id, 24 * 60)
    email = cashier(client, admin, theatre_id)
    page = new_page(live_server.url, viewport=DESKTOP)
    page.add_init_script(
        "window.print = () => { window.__printed = (window.__printed || 0) + 1; };"
    )
    page.goto("/counter")
    sign_in(page, email, PASSWORD)

    page.get_by_label("Cash float in the drawer (₹)").fill("1000")
    page.get_by_role("button", name="Open shift").click()
    expect(page.locator("[data-expected-cash]").first).to_have_attribute(
        "data-expected-cash", "100000"
    )

    # Two VIP seats (₹500 each, GST included, no fee at the counter), from the keyboard alone.
    first = page.locator('[data-seat-id][tabindex="0"]')
    first.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator('[data-status="SELECTED"]')).to_have_count(2)
    # After the seats: three actions (Tab to the cash, type it, Enter).
    page.keyboard.press("Tab")
    expect(page.locator("input[name=amount]")).to_be_focused()
    page.keyboard.type("1200")
    expect(page.locator(".change-preview")).to_have_text("Change: ₹200.00")
    screenshot(page, "counter-before-sale")
    with page.expect_request("**/api/v1/counter/sales") as selling:
        page.keyboard.press("Enter")
    assert selling.value.headers.get("idempotency-key")  # a second click cannot sell twice
    change = page.locator(".sale-result .change")
    expect(change).to_have_attribute("data-change", "20000")
    expect(change).to_have_text("Change to give: ₹200.00")
    expect(page.locator("[data-expected-cash]").first).to_have_attribute(
        "data-expected-cash", "200000"
    )
    code = page.locator(".sale-result").inner_text().split("Booking ")[1].split()[0]
    screenshot(page, "counter")

    # Print: Enter on the focused link; the page is the roll's width and asks to print.
    expect(page.locator(".print-link")).to_be_focused()
    page.keyboard.press("Enter")
    slips = page.locator(".receipt .slip")
    expect(slips).to_have_count(2)
    expect(slips.first).to_contain_text("Seat A1")
    expect(slips.first).to_contain_text("₹500")
    expect(slips.first).to_contain_text(re.compile(r"Tax invoice \S+/\d{6}"))
    expect(slips.first.locator("img.qr")).to_be_visible()
    assert page.evaluate("window.__printed") == 1
    width = page.locator(".receipt").evaluate("e => e.getBoundingClientRect().width")
    assert abs(width - EIGHTY_MM_PX) < 1, width
    qr = slips.first.locator("img.qr").evaluate("e => e.getBoundingClientRect().width")
    assert qr > 0.6 * width, qr  # a large QR, most of the roll's width
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - EIGHTY_MM_PT) < 1 for w, _ in boxes), boxes[:3]
    page.emulate_media(media="screen")
    screenshot(page, "counter-print")

    # Refund one seat: found by its booking code, 75 % back a day ahead, cash from the drawer.
    page.get_by_role("link", name="Back to the counter").click()
    page.get_by_label("Reprint or refund").fill(code)
    page.get_by_role("button", name="Find sale").click()
    page.get_by_label("Refund seat A1").check()
    page.get_by_role("button", name="Refund selected").click()
    expect(page.get_by_role("status").filter(has_text="give back")).to_contain_text(
        "₹375.00 (CASH)"
    )
    expect(page.locator("[data-expected-cash]").first).to_have_attribute(
        "data-expected-cash", "162500"
    )

    page.get_by_role("button", name="Close shift…").click()
    page.get_by_role("button", name="Confirm: close shift").click()
    summary = page.locator(".shift-summary")
    expect(summary.locator(".expected-cash")).to_have_attribute("data-expected-cash", "162500")
    expect(summary).to_contain_text("₹1,625.00")
    expect(summary.locator('[data-method="CASH"] [data-total]')).to_have_attribute(
        "data-total", "62500"
    )
    screenshot(page, "counter-closed")


def test_a_cashier_pays_back_a_sale_of_a_cancelled_show(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, admin: Headers
) -> None:
    theatre_id = policy_theatre(client, admin)
    show = show_in(client, admin, theatre_id, 24 * 60)
    email = cashier(client, admin, theatre_id)
    window = login(client, email, PASSWORD)
    open_shift(client, window, theatre_id, 100000)
    sold = sell(client, window, show["id"], seats_of_type(client, show["id"], "VIP", 1))
    assert client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin).status_code == 200

    page = new_page(live_server.url, viewport=DESKTOP)
    page.goto("/counter")
    sign_in(page, email, PASSWORD)
    owed = page.get_by_role("list", name="Owed back")
    expect(owed.locator("li")).to_have_count(1)
    expect(owed).to_contain_text(f"{sold['code']}")
    expect(owed).to_contain_text("₹500.00 (CASH)")
    screenshot(page, "counter-owed")
    page.get_by_role("button", name=f"Pay back {sold['code']}").click()
    expect(page.get_by_role("status").filter(has_text="Paid back")).to_contain_text(
        "give back ₹500.00 (CASH)"
    )
    expect(page.locator("[data-expected-cash]").first).to_have_attribute(
        "data-expected-cash", "100000"
    )
    expect(page.locator(".owed")).to_be_hidden()
