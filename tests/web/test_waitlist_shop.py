"""The waiting list in the shop (issue 29): a visitor joins it on a sold-out show, another
customer gives seats back, the worker holds them for the visitor and emails the offer (to the
test's own SMTP server), and the visitor follows the email's link and pays."""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect
from tests.api import Headers
from tests.conftest import LiveServer
from tests.notifications.test_emails import MailServer, worker_passes
from tests.waitlist.helpers import give_back, sold_out_show
from tests.web.conftest import NewPage, screenshot
from tests.web.shop import pay_in_sandbox

from boxoffice.clock import Clock

pytestmark = pytest.mark.browser

EMAIL = "waiting-fan@example.com"


def test_join_the_list_on_a_sold_out_show_get_the_offer_by_email_and_pay(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, admin: Headers, db: Any
) -> None:
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    page = new_page(live_server.url)
    page.goto(f"/shows/{show['id']}")
    panel = page.get_by_role("region", name="Waiting list")
    expect(panel).to_be_visible()
    panel.get_by_label("How many seats").fill("2")
    panel.get_by_label("Email for the offer").fill(EMAIL)
    panel.get_by_role("button", name="Join the waiting list").click()
    expect(panel.get_by_role("status")).to_contain_text("You're number 1 on the waiting list")
    screenshot(page, "waitlist-joined")

    give_back(client, buyer, booking_of, seats, "B5", "B6")  # another customer frees two
    mail = MailServer()
    mail.start()
    try:
        # A thread of its own: Playwright's sync API runs an event loop in this one.
        worker = threading.Thread(
            target=worker_passes, args=(live_server, Clock()), kwargs={"smtp_url": mail.url}
        )
        worker.start()
        worker.join(timeout=120)
        offers = [m for m in mail.inbox.messages if str(m["To"]) == EMAIL]
    finally:
        mail.stop()
    assert len(offers) == 1, [str(m["Subject"]) for m in mail.inbox.messages]
    body = offers[0].get_body(preferencelist=("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "B5, B6" in text
    link = re.search(r"https?://\S+/checkout/[0-9a-f-]+", text)
    assert link, text

    page.goto(urlsplit(link.group(0)).path)
    expect(page.get_by_role("timer")).to_be_visible()
    pay_in_sandbox(page, EMAIL)
    booking_id = link.group(0).rsplit("/", 1)[-1]
    paid = client.get(f"/api/v1/bookings/{booking_id}", headers=admin).json()
    assert paid["status"] == "BOOKED"
    assert sorted(s["label"] for s in paid["seats"]) == ["B5", "B6"]
