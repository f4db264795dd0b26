"""The shop's picker marks accessible seats (SPEC "Back office"): a wheelchair space shows the
wheelchair symbol, a companion seat its number double-underlined, both named in their label and
the legend; a seat blocked from sale is drawn as taken, named "not for sale", cannot be picked,
and a block made while the page is open reaches it live. WCAG AA contrast holds for all of
them, at a phone's size and a laptop's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.api import Headers
from tests.bookings.test_best_available import labels_to_ids, show_on
from tests.catalogue.test_accessible_seats import ACCESSIBLE_ROWS
from tests.conftest import LiveServer
from tests.web.conftest import NewPage
from tests.web.contrast import contrast_failures
from tests.web.shop import open_show, seat

pytestmark = pytest.mark.browser


def test_accessible_and_blocked_seats_are_marked_in_words_and_shapes_with_enough_contrast(
    new_page: NewPage,
    live_server: LiveServer,
    client: httpx.Client,
    admin: Headers,
    viewport: dict[str, int],
) -> None:
    show: dict[str, Any] = show_on(client, admin, ACCESSIBLE_ROWS)
    ids = labels_to_ids(client, show)
    blocks = f"/api/v1/shows/{show['id']}/blocks"
    answer = client.post(blocks, json={"seat_ids": [ids["A3"]], "reason": "camera"}, headers=admin)
    assert answer.status_code == 200, answer.text

    page = new_page(live_server.url, viewport=viewport)
    open_show(page, show["id"])
    wheelchair = seat(page, ids["C1"])
    expect(wheelchair).to_have_text("\u267f")
    expect(wheelchair).to_have_attribute(
        "aria-label", "C1, GOLD, wheelchair space, ₹350.00, available"
    )
    expect(seat(page, ids["C2"])).to_have_attribute(
        "aria-label", "C2, GOLD, companion seat, ₹350.00, available"
    )
    expect(seat(page, ids["C2"])).to_have_text("2")
    legend = page.get_by_role("list", name="Legend")
    expect(legend.get_by_text("Wheelchair space")).to_be_visible()
    expect(legend.get_by_text("Companion seat, next to a wheelchair space")).to_be_visible()
    blocked = seat(page, ids["A3"])
    expect(blocked).to_have_attribute("data-status", "BLOCKED")
    expect(blocked).to_have_attribute("aria-disabled", "true")
    expect(blocked).to_have_attribute("aria-label", "A3, GOLD, ₹350.00, not for sale")
    assert contrast_failures(page) == []

    blocked.click(force=True)
    expect(page.get_by_role("alert")).to_have_text(
        "Seat A3 is not for sale. Please pick another seat."
    )
    wheelchair.click()
    expect(wheelchair).to_have_attribute("data-status", "SELECTED")
    assert contrast_failures(page) == []

    # A block made now reaches the open page (the live stream), and takes the seat out of the pick.
    answer = client.post(blocks, json={"seat_ids": [ids["B4"]], "reason": "broken"}, headers=admin)
    assert answer.status_code == 200, answer.text
    expect(seat(page, ids["B4"])).to_have_attribute("data-status", "BLOCKED")
    lifted = client.request("DELETE", blocks, json={"seat_ids": [ids["A3"]]}, headers=admin)
    assert lifted.status_code == 200, lifted.text
    expect(seat(page, ids["A3"])).to_have_attribute("data-status", "AVAILABLE")
