"""The shop's seat picker keeps up through the server's stream limits (issue 22, item 2): a
stream the server ends after its lifetime is resumed with `Last-Event-ID`, and a stream refused
(too many open) falls back to polling the map."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.api import Headers, ready_show, register
from tests.catalogue.test_seat_stream import hold
from tests.conftest import TestDatabase, running_app
from tests.support.http import loopback_client
from tests.web.conftest import NewPage
from tests.web.shop import open_show, seat

pytestmark = pytest.mark.browser

RECONNECT_MS = 20_000  # EventSource waits a few seconds before it reconnects


def _seat_ids(client: httpx.Client, show_id: str) -> list[str]:
    return [s["id"] for s in client.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]]


def test_a_stream_that_ends_is_resumed_with_its_last_event_id(
    new_page: NewPage, client: httpx.Client, admin: Headers, db: TestDatabase
) -> None:
    show: dict[str, Any] = ready_show(client, admin)
    seats = _seat_ids(client, show["id"])
    with running_app(db.url, seat_stream_max_seconds=1) as server:
        page = new_page(server.url)
        stream = re.compile(r"/seats/stream$")
        with page.expect_request(stream) as first:
            open_show(page, show["id"])
        assert "last-event-id" not in first.value.all_headers()
        with page.expect_request(stream, timeout=RECONNECT_MS) as again:
            pass  # the server ends the first stream after a second
        assert re.fullmatch(r"\d+\.\d+", again.value.all_headers()["last-event-id"])

        hold(client, register(client), show["id"], seats[:1])
        expect(seat(page, seats[0])).to_have_attribute("data-status", "HELD")


def test_a_refused_stream_falls_back_to_polling_the_map(
    new_page: NewPage, client: httpx.Client, admin: Headers, db: TestDatabase
) -> None:
    show: dict[str, Any] = ready_show(client, admin)
    seats = _seat_ids(client, show["id"])
    with running_app(db.url, rate_limit_enabled=True, seat_streams_per_address=1) as server:
        with loopback_client(base_url=server.url, timeout=30) as http:
            path = f"/api/v1/shows/{show['id']}/seats/stream"
            with http.stream("GET", path) as taken:  # this address's one stream
                assert taken.status_code == 200
                page = new_page(server.url)
                with page.expect_response(re.compile(r"/seats/stream$")) as refused:
                    open_show(page, show["id"])
                assert refused.value.status == 429
                hold(client, register(client), show["id"], seats[:1])
                expect(seat(page, seats[0])).to_have_attribute("data-status", "HELD")
