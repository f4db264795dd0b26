"""The shop's waiting page for a show sold through its on-sale queue (issue 29, part 2): a visitor
who opens the show is sent to the queue, sees a position, who is ahead and an estimate, keeps the
place across a reload, and when the turn comes is let into the seat picker and holds seats."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from tests.api import Headers
from tests.conftest import LiveServer, TestDatabase, running_app
from tests.queue.test_onsales import made_onsale, three_shows
from tests.queue.test_queue import HOUR, join, queued_show
from tests.support.http import loopback_client
from tests.web.conftest import NewPage, screenshot
from tests.web.contrast import contrast_failures
from tests.web.shop import available, hold, pick

pytestmark = pytest.mark.browser


def test_a_visitor_waits_in_the_queue_and_is_admitted_to_the_seats(
    new_page: NewPage, admin: Headers, db: TestDatabase, live_server: LiveServer
) -> None:
    clock = live_server.clock
    # One admission every 1,000 s: what the page shows does not move while the test looks.
    with running_app(db.url, clock, queue_admit_per_second=0.001) as server:
        with loopback_client(base_url=server.url, timeout=30) as http:
            show, _ = queued_show(http, admin, clock)
            for _ in range(2):
                join(http, show["id"])  # two arrive before the opening: they are drawn
            clock.offset = HOUR + timedelta(seconds=1)  # the first is admitted, the second next

            page = new_page(server.url)
            page.goto(f"/shows/{show['id']}")
            page.wait_for_url(re.compile(rf"/shows/{show['id']}/queue$"))
            state = page.locator("[data-queue-state]")
            expect(state).to_have_attribute("data-queue-state", "WAITING")
            expect(page.locator("[data-queue-position]")).to_have_text("3")
            expect(page.locator("[data-queue-ahead]")).to_have_text("1")
            expect(page.locator("[data-queue-estimate]")).to_have_text("about 34 minutes")
            screenshot(page, "queue-waiting")
            assert contrast_failures(page) == []

            page.reload()  # the place is kept: not a fourth one
            expect(page.locator("[data-queue-position]")).to_have_text("3")

            clock.offset += timedelta(seconds=2500)  # its turn: the stream says so
            page.wait_for_url(re.compile(rf"/shows/{show['id']}$"), timeout=20_000)
            expect(available(page).first).to_be_visible()
            pick(page, 1)
            hold(page)
            places = http.get(f"/api/v1/shows/{show['id']}/queue/draw").json()
            assert places["drawn"] == 2


def test_the_shows_of_an_onsale_share_one_queue_and_one_admission(
    new_page: NewPage, admin: Headers, db: TestDatabase, live_server: LiveServer
) -> None:
    clock = live_server.clock
    with running_app(db.url, clock, queue_admit_per_second=0.001) as server:
        with loopback_client(base_url=server.url, timeout=30) as http:
            first, second, _ = three_shows(http, admin)
            made_onsale(http, admin, [first["id"], second["id"]], clock.now() + HOUR)
            join(http, first["id"])  # someone else, drawn before the visitor
            clock.offset = HOUR + timedelta(seconds=1)

            page = new_page(server.url)
            page.goto(f"/shows/{first['id']}")
            page.wait_for_url(re.compile(rf"/shows/{first['id']}/queue$"))
            expect(page.locator("[data-queue-state]")).to_have_attribute(
                "data-queue-state", "WAITING"
            )
            expect(page.locator("[data-queue-position]")).to_have_text("2")
            page.reload()  # the place is kept
            expect(page.locator("[data-queue-position]")).to_have_text("2")
            page.goto(f"/shows/{second['id']}")  # the other show: the same queue, the same place
            page.wait_for_url(re.compile(rf"/shows/{second['id']}/queue$"))
            expect(page.locator("[data-queue-position]")).to_have_text("2")

            clock.offset += timedelta(seconds=1000)  # its turn
            page.wait_for_url(re.compile(rf"/shows/{second['id']}$"), timeout=20_000)
            pick(page, 1)
            hold(page)
            page.goto(f"/shows/{first['id']}")  # one admission, both shows
            expect(available(page).first).to_be_visible()
            assert page.url.endswith(f"/shows/{first['id']}")
