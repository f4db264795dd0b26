"""Accessibility beyond names: WCAG AA contrast on the picker (every seat state, the disabled
Hold, the messages), checkout and the tickets, at a phone's size and a laptop's; and the hold's
countdown said aloud at 2:00 and 0:30, not every second, the hold never extended."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.api import guest
from tests.conftest import LiveServer
from tests.web.conftest import NewPage
from tests.web.contrast import contrast_failures
from tests.web.shop import hold, open_show, pay_in_sandbox, pick, seat

pytestmark = pytest.mark.browser


def test_the_picker_checkout_and_tickets_meet_wcag_aa_contrast(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    show: dict[str, Any],
    viewport: dict[str, int],
) -> None:
    seats = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    labels = {s["label"]: s["id"] for s in seats}
    other, _ = guest(client)  # someone else's hold: "taken"
    taken = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": [labels["C6"]]}, headers=other
    )
    assert taken.status_code == 201, taken.text

    page = new_page(live_server.url, viewport=viewport)
    open_show(page, show["id"])
    expect(page.get_by_role("button", name="Hold seats")).to_be_disabled()
    assert contrast_failures(page) == []  # free seats of each type, taken, the disabled Hold

    seat(page, labels["C2"]).click()  # picked, and C1 stranded: the warning
    expect(page.get_by_text("on its own")).to_be_visible()
    seat(page, labels["C6"]).click(force=True)  # the refusal, in red
    expect(page.get_by_role("alert")).to_be_visible()
    assert contrast_failures(page) == []
    hold(page)
    assert contrast_failures(page) == []  # checkout

    page.go_back()  # the seats held by this visitor, drawn as theirs
    expect(seat(page, labels["C2"])).to_have_attribute("data-mine", "")
    assert contrast_failures(page) == []
    page.get_by_role("link", name=re.compile("^Continue checkout")).click()
    pay_in_sandbox(page)
    expect(page.locator(".ticket img.qr[src^='data:']")).to_have_count(1)
    assert contrast_failures(page) == []  # the tickets


def test_the_countdown_is_said_at_two_minutes_and_thirty_seconds_and_the_hold_stays_put(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, show: dict[str, Any]
) -> None:
    page = new_page(live_server.url)
    page.clock.install()
    open_show(page, show["id"])
    pick(page, 1)
    booking_id = hold(page)
    token = page.evaluate("localStorage.getItem('boxoffice.guest')")
    auth = {"Authorization": f"Bearer {token}"}
    expires = client.get(f"/api/v1/bookings/{booking_id}", headers=auth).json()["expires_at"]

    expect(page.get_by_role("timer")).to_have_attribute("aria-live", "off")  # not every second
    spoken = page.locator("[data-role=countdown-warning]")
    expect(spoken).to_have_attribute("aria-live", "assertive")
    expect(spoken).to_have_text("")
    page.clock.run_for("08:10")  # about 1:50 left
    expect(spoken).to_have_text(re.compile(r"^2 minutes left to pay\."))
    page.clock.run_for("01:25")  # about 0:25 left
    expect(spoken).to_have_text("30 seconds left to pay.")
    assert (
        client.get(f"/api/v1/bookings/{booking_id}", headers=auth).json()["expires_at"] == expires
    )
