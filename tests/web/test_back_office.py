"""The back office in a real Chromium: a theatre's manager draws a screen, prices it, schedules a
week of shows in two formats, takes a seat off sale; the shop then sells those shows. A refused
show is shown with its reason; another theatre's manager sees none of it, and the API refuses
them (403)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.api import Headers, create_screen, create_theatre, login
from tests.conftest import LiveServer
from tests.web.conftest import PHONE, NewPage, screenshot
from tests.web.shop import hold, pay_in_sandbox, pick, seat
from tests.web.test_operators import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "manager-password-1"
WIDE = {"width": 1400, "height": 900}


def make_manager(client: httpx.Client, admin: Headers, email: str, theatre_id: str) -> Headers:
    response = client.post(
        "/api/v1/admin/managers",
        json={"email": email, "password": PASSWORD, "name": "Manager", "theatre_ids": [theatre_id]},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return login(client, email, PASSWORD)


def tomorrow() -> str:
    return (
        (datetime.now(UTC) + timedelta(days=1))
        .astimezone(ZoneInfo("Asia/Kolkata"))
        .date()
        .isoformat()
    )


def cell(page: Page, label: str) -> Any:
    row, number = re.match(r"([A-Z]+)(\d+)", label).groups()  # type: ignore[union-attr]
    return page.locator(f'.layout-grid [data-row="{row}"][data-number="{number}"]')


def draw_screen(page: Page) -> str:
    """Audi 7: six rows of ten, an aisle after seat 5, row F VIP, wheelchair spaces A1 and A10
    with companions A2 and A9, the sweet spot E6, one seat fewer in row B. Its id."""
    page.get_by_role("link", name="Draw a new screen").click()
    page.get_by_label("Screen name").fill("Audi 7")
    page.get_by_label("Seat type of row F").select_option("VIP")
    cell(page, "A5").click()  # the default tool: an aisle after the seat
    for _ in "BCDEF":  # the keyboard: down a row, A for an aisle
        page.keyboard.press("ArrowDown")
        page.keyboard.press("a")
    expect(cell(page, "F5")).to_have_attribute("aria-label", "F5, VIP, aisle after")
    cell(page, "A5").focus()
    page.keyboard.press("Home")
    page.keyboard.press("w")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("c")
    page.keyboard.press("End")
    page.keyboard.press("w")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("c")
    expect(cell(page, "A1")).to_have_attribute("aria-label", "A1, SILVER, wheelchair space")
    expect(cell(page, "A9")).to_have_attribute("aria-label", "A9, SILVER, companion seat")
    page.get_by_text("Sweet spot (S)").click()
    cell(page, "E6").click()
    page.get_by_role("button", name="One seat fewer in row B").click()

    preview = page.locator(".layout-preview")
    expect(preview.locator("[data-seat-id]")).to_have_count(59)
    expect(preview.locator("[data-seat-id].seat-wheelchair")).to_have_count(
        2
    )  # marked as the shop marks them
    expect(preview.locator("[data-seat-id].seat-companion")).to_have_count(2)
    expect(
        preview.get_by_role("button", name=re.compile(r"^A1, SILVER, wheelchair space"))
    ).to_be_visible()
    screenshot(page, "back-office-layout")
    page.get_by_role("button", name="Create the screen").click()
    page.wait_for_url(re.compile(r"/manage/screens/[0-9a-f-]+\?created=1$"))
    expect(page.get_by_text("Screen Audi 7 created with 59 seats.")).to_be_visible()
    return page.url.split("/")[-1].split("?")[0]


def set_prices(page: Page) -> None:
    page.get_by_role("link", name="Rate cards").click()
    cards = {
        "": {"VIP": ("400", "450"), "GOLD": ("250", "300"), "SILVER": ("180", "220")},
        "3D": {"VIP": ("500", "550"), "GOLD": ("320", "350"), "SILVER": ("250", "280")},
    }
    for format_, prices in cards.items():
        if format_:  # (selecting the format already shown would draw the card afresh)
            page.get_by_label("Format").select_option(format_)
        expect(page.locator(".rate-card caption")).to_contain_text(f"· {format_ or 'any format'} (")
        for seat_type, (weekday, weekend) in prices.items():
            page.get_by_label(f"{seat_type}, weekday (₹)").fill(weekday)
            page.get_by_label(f"{seat_type}, weekend (₹)").fill(weekend)
        page.get_by_role("button", name="Save the rate card").click()
        expect(page.get_by_role("status")).to_contain_text("Saved.")


def add_show(page: Page, day: str, time: str, format_: str, language: str) -> None:
    form = page.get_by_role("form", name="Add a show")
    form.locator("select[name=movie_id]").select_option(label="Monsoon Road")
    form.locator("select[name=screen_id]").select_option(label="Audi 7")
    form.get_by_label("Day").fill(day)
    form.get_by_label("Starts at").fill(time)
    form.locator("select[name=format]").select_option(format_)
    form.locator("select[name=language]").select_option(language)
    form.get_by_role("button", name="Add the show").click()


def test_a_manager_sets_up_a_screen_and_a_week_and_the_shop_sells_it(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, admin: Headers
) -> None:
    ours = create_theatre(client, admin, name="Rex Cinema", city="Pune")
    theirs = create_theatre(client, admin, name="Other Plex", city="Pune")
    make_manager(client, admin, "manager@rex.example", ours["id"])
    rival = make_manager(client, admin, "manager@other.example", theirs["id"])
    page = new_page(live_server.url, viewport=WIDE)
    page.goto("/manage")
    sign_in(page, "manager@rex.example", PASSWORD)
    expect(page.locator("select[name=theatre]").locator("option")).to_have_count(1)  # theirs only
    expect(page.locator("select[name=theatre]")).to_have_value(ours["id"])

    page.get_by_role("link", name="Movies").click()
    page.get_by_role("button", name="Add a movie").click()
    page.get_by_label("Title").fill("Monsoon Road")
    page.get_by_label("Length (minutes)").fill("150")
    page.get_by_label("Original language").fill("Hindi")
    page.get_by_label("Released in (languages, comma separated)").fill("Hindi, Tamil")
    page.get_by_label("Certificate (U, UA, A…)").fill("UA")
    page.get_by_label("Genres (comma separated)").fill("Drama")
    page.get_by_label("Release date").fill("2026-11-20")
    page.get_by_role("button", name="Add the movie").click()
    expect(page.locator("tr", has_text="Monsoon Road")).to_contain_text("Hindi, Tamil")

    set_prices(page)  # the theatre's rate cards first: the preview then shows real prices
    page.get_by_role("link", name="Screens").click()
    screen_id = draw_screen(page)
    screen = client.get(f"/api/v1/screens/{screen_id}").json()
    by_label = {s["label"]: s for s in screen["seats"]}
    assert {by_label[x]["accessibility"] for x in ("A1", "A10")} == {"WHEELCHAIR"}
    assert {by_label[x]["accessibility"] for x in ("A2", "A9")} == {"COMPANION"}
    assert by_label["F1"]["seat_type"] == "VIP" and by_label["C6"]["x"] == 6  # after the aisle
    assert screen["sweet_spot"] == {"row": "E", "number": 6}

    day = tomorrow()
    # A second screen, drawn through the API, with an evening show: the schedule's screens side
    # by side, and a day whose repeat carries both screens' shows.
    audi1 = create_screen(client, admin, ours["id"], name="Audi 1")
    movie_id = next(m["id"] for m in client.get("/api/v1/movies").json()["items"])
    evening = {"screen_id": audi1["id"], "movie_id": movie_id, "starts_at": f"{day}T18:00:00+05:30"}
    response = client.post("/api/v1/shows", json=evening, headers=admin)
    assert response.status_code == 201, response.text
    page.get_by_role("link", name="Week schedule").click()
    expect(page.get_by_label("Week from")).to_be_visible()
    page.goto(f"/manage/schedule?from={day}")
    page.get_by_role("button", name="Add a show", exact=True).click()
    add_show(page, day, "10:00", "2D", "Hindi")
    expect(page.locator(".show-block:not(.refused)")).to_have_count(2)
    add_show(page, day, "14:00", "3D", "Tamil")
    expect(page.locator(".show-block:not(.refused)")).to_have_count(3)
    first = page.get_by_role("region", name=re.compile(r"^\w{3}, \d+ \w{3}$")).first
    first.get_by_role("button", name=re.compile(r"^Repeat .* on the days after it$")).click()
    expect(page.locator(".show-block:not(.refused)")).to_have_count(21)

    add_show(page, day, "11:00", "2D", "Hindi")  # in the 10:00 show, and its cleaning gap
    refusal = page.locator("li[data-refused='11:00']")
    expect(refusal).to_contain_text("Not scheduled: Monsoon Road · Hindi 2D at 11:00.")
    expect(refusal).to_contain_text("It overlaps Monsoon Road · Hindi 2D 10:00\u201312:30.")
    expect(page.locator(".show-block.refused")).to_have_count(1)
    page.get_by_role("form", name="Add a show").get_by_role("button", name="Close").click()
    expect(refusal).to_be_visible()  # the refusal stays on the board
    screenshot(page, "back-office-schedule")

    shows = client.get(f"/api/v1/shows?theatre_id={ours['id']}&limit=100").json()["items"]
    assert len(shows) == 21
    assert {(s["format"], s["language"]) for s in shows} == {("2D", "Hindi"), ("3D", "Tamil")}
    second_day = sorted({s["starts_at"][:10] for s in shows})[1]
    [on_sale] = [
        s
        for s in shows
        if s["starts_at"][:10] == second_day and s["format"] == "2D" and s["screen_id"] == screen_id
    ]
    weekend = on_sale["day_type"] != "WEEKDAY"
    assert on_sale["prices"]["VIP"] == (45000 if weekend else 40000)

    # A camera stands on C3 for that show: taken off sale from its dialog.
    page.locator(f'[data-show-id="{on_sale["id"]}"]').click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Seats not for sale").click()
    camera = next(
        s
        for s in client.get(f"/api/v1/shows/{on_sale['id']}/seats").json()["seats"]
        if s["label"] == "C3"
    )
    dialog.locator(f'[data-seat-id="{camera["id"]}"]').click()
    dialog.get_by_label("Why").fill("camera")
    dialog.get_by_role("button", name="Take C3 off sale").click()
    expect(dialog.get_by_role("list", name="Seats not for sale")).to_contain_text("C3")
    dialog.get_by_text("This show's own prices").click()  # a premiere: VIP dearer that night
    dialog.get_by_label("VIP (₹, this show only)").fill("600")
    dialog.get_by_role("button", name="Save this show's prices").click()
    expect(dialog.get_by_role("status")).to_have_text("Saved.")
    own = client.get(f"/api/v1/shows/{on_sale['id']}/prices").json()
    assert own == [{"seat_type": "VIP", "amount": 60000}]
    assert client.get(f"/api/v1/shows/{on_sale['id']}").json()["prices"]["VIP"] == 60000
    dialog.get_by_role("button", name="Close").click()

    # The last day's evening show is cancelled, after the question.
    last = sorted(shows, key=lambda s: s["starts_at"])[-1]
    page.locator(f'[data-show-id="{last["id"]}"]').click()
    page.get_by_role("button", name="Cancel this show").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("No seat is sold yet.")
    page.get_by_role("button", name="Yes, cancel and refund").click()
    expect(page.locator(f'[data-show-id="{last["id"]}"]')).to_have_attribute(
        "data-status", "CANCELLED"
    )

    # The shop: the day's shows, in both formats; a visitor buys one seat of the 2D show.
    visitor = new_page(live_server.url, viewport=PHONE)
    visitor.goto(f"/?city=Pune&date={second_day}")
    card = visitor.get_by_role("region", name="Monsoon Road")
    for kind, count in (("Hindi · 2D", 2), ("Tamil · 3D", 1)):  # by language and format
        expect(card.locator(".version", has_text=kind).get_by_role("link")).to_have_count(count)
    visitor.goto(f"/shows/{on_sale['id']}")
    expect(seat(visitor, camera["id"])).to_have_attribute("data-status", "BLOCKED")
    expect(visitor.locator("[data-seat-id].seat-wheelchair")).to_have_count(2)
    pick(visitor, 1)
    hold(visitor)
    pay_in_sandbox(visitor, "fan@example.com")

    # The other theatre's manager: none of it on the pages, 403 from the API.
    other = new_page(live_server.url, viewport=PHONE)
    other.goto("/manage")
    sign_in(other, "manager@other.example", PASSWORD)
    expect(other.locator("select[name=theatre]").locator("option")).to_have_count(1)
    expect(other.locator("select[name=theatre]")).to_have_value(theirs["id"])
    expect(other.get_by_text("No screens yet")).to_be_visible()
    refused = [
        client.put(
            f"/api/v1/screens/{screen_id}/layout",
            json={"rows": [{"label": "A", "seat_type": "GOLD", "seats": 4}]},
            headers=rival,
        ),
        client.post(
            "/api/v1/shows",
            json={
                "movie_id": on_sale["movie_id"],
                "screen_id": screen_id,
                "starts_at": f"{day}T22:00:00+05:30",
                "format": "2D",
                "language": "Hindi",
            },
            headers=rival,
        ),
        client.post(f"/api/v1/shows/{on_sale['id']}/cancel", headers=rival),
        client.post(
            f"/api/v1/shows/{on_sale['id']}/blocks",
            json={"seat_ids": [by_label["D4"]["id"]], "reason": "x"},
            headers=rival,
        ),
        client.put(f"/api/v1/theatres/{ours['id']}/prices", json=[], headers=rival),
        client.patch(f"/api/v1/theatres/{ours['id']}", json={"name": "Mine now"}, headers=rival),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]


def test_a_manager_edits_the_theatres_settings(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, admin: Headers
) -> None:
    ours = create_theatre(client, admin, name="Rex Cinema", city="Pune")
    make_manager(client, admin, "manager@rex.example", ours["id"])
    page = new_page(live_server.url, viewport=PHONE)
    page.goto("/manage/settings")
    sign_in(page, "manager@rex.example", PASSWORD)
    page.get_by_label("Legal name (on tax invoices)").fill("Rex Cinemas Pvt Ltd")
    page.get_by_label("GSTIN").fill("27AAPFU0939F1ZV")
    page.get_by_label("GST state code").fill("27")
    page.get_by_label("SAC (admission)").fill("999614")
    page.get_by_role("button", name="Add a holiday").click()
    page.get_by_label("Holiday", exact=True).fill("2026-12-25")
    page.get_by_role("button", name="Add a fee slab").click()
    page.get_by_label("For tickets up to (₹, empty: any price)").fill("")
    page.get_by_label("Fee", exact=True).fill("20")
    page.get_by_label("Minutes before the show").first.fill("180")
    page.get_by_label("Refund (%)").first.fill("80")
    page.get_by_label(
        "Ticket prices include GST (what the customer sees is what they pay)"
    ).uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    theatre = client.get(f"/api/v1/theatres/{ours['id']}").json()
    assert theatre["gstin"] == "27AAPFU0939F1ZV" and theatre["legal_name"] == "Rex Cinemas Pvt Ltd"
    assert theatre["holidays"] == ["2026-12-25"]
    assert theatre["convenience_fee"] == [{"up_to": None, "amount": 2000, "rate_bp": None}]
    assert theatre["cancellation_policy"][0] == {"until_minutes_before": 180, "refund_bp": 8000}
    assert theatre["prices_include_tax"] is False

    page.get_by_label("GSTIN").fill("27AAPFU0939F1ZW")  # a wrong check character
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("check")


def test_on_a_phone_a_layout_is_changed_from_the_keyboard_and_nothing_overflows(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, admin: Headers
) -> None:
    ours = create_theatre(client, admin, name="Rex Cinema", city="Pune")
    make_manager(client, admin, "manager@rex.example", ours["id"])
    screen = create_screen(client, admin, ours["id"], name="Audi 2")
    page = new_page(live_server.url, viewport=PHONE)
    page.goto(f"/manage/screens/{screen['id']}")
    sign_in(page, "manager@rex.example", PASSWORD)
    cell(page, "C1").focus()
    page.keyboard.press("w")  # a wheelchair space at the front of row C
    page.keyboard.press("ArrowRight")
    page.keyboard.press("c")
    page.keyboard.press("1")  # row C becomes VIP, the first type
    expect(cell(page, "C2")).to_have_attribute("aria-label", "C2, VIP, companion seat")
    page.get_by_role("button", name="Save the layout").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: 16 seats.")
    seats = {s["label"]: s for s in client.get(f"/api/v1/screens/{screen['id']}").json()["seats"]}
    assert (seats["C1"]["accessibility"], seats["C2"]["seat_type"]) == ("WHEELCHAIR", "VIP")
    screenshot(page, "manage-layout-phone")
    for path in ("/manage/screens/" + screen["id"], "/manage/schedule", "/manage/prices"):
        page.goto(path)
        expect(page.locator(".manage-nav")).to_be_visible()
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE["width"], (path, wide)  # wide parts scroll inside themselves
    screenshot(page, "manage-prices-phone")
