"""The live seat stream (SPEC "Live seat map"): server-sent events read through real HTTP
streams, on both engines; another process's holds on PostgreSQL (LISTEN/NOTIFY)."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests.api import Headers, problem, ready_show, register, set_theatre_prices
from tests.conftest import LiveServer, running_app
from tests.support.http import loopback_client
from tests.support.servers import Servers

READ_TIMEOUT = 10.0  # seconds a test waits for an event before it fails (no timing asserted)


@dataclass
class Event:
    kind: str
    id: str
    data: Any


class EventReader:
    """Events (and comment lines) of one open text/event-stream response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.comments: list[str] = []
        self._lines = response.iter_lines()

    def next(self) -> Event | None:
        """The next event; None when the stream ended."""
        fields: dict[str, str] = {}
        for line in self._lines:
            if line.startswith(":"):
                self.comments.append(line)
            elif line:
                name, _, value = line.partition(": ")
                fields[name] = value
            elif "event" in fields:
                return Event(fields["event"], fields["id"], json.loads(fields["data"]))
        return None

    def next_comment(self) -> str:
        for line in self._lines:
            if line.startswith(":"):
                return line
        raise AssertionError("the stream ended without a comment line")


@contextmanager
def subscribe(url: str, show_id: str, last_event_id: str | None = None) -> Iterator[EventReader]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    timeout = httpx.Timeout(30, read=READ_TIMEOUT)
    with (
        loopback_client(base_url=url, timeout=timeout) as http,
        http.stream("GET", f"/api/v1/shows/{show_id}/seats/stream", headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


def hold(client: httpx.Client, customer: Headers, show_id: str, seat_ids: list[str]) -> str:
    held = client.post(
        "/api/v1/bookings", json={"show_id": show_id, "seat_ids": seat_ids}, headers=customer
    )
    assert held.status_code == 201, held.text
    return str(held.json()["id"])


def statuses(event: Event) -> dict[str, str]:
    assert event.kind == "seats", event
    return {seat["id"]: seat["status"] for seat in event.data["seats"]}


def test_snapshot_then_the_seats_a_hold_and_a_cancel_changed(
    client: httpx.Client, live_server: LiveServer, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    with subscribe(live_server.url, show["id"]) as stream:
        snapshot = stream.next()
        assert snapshot is not None and snapshot.kind == "snapshot"
        assert snapshot.data == client.get(f"/api/v1/shows/{show['id']}/seats").json()
        assert {s["status"] for s in snapshot.data["seats"]} == {"AVAILABLE"}

        booking = hold(client, customer, show["id"], seats[:2])
        held = stream.next()
        assert held is not None
        assert statuses(held) == {seats[0]: "HELD", seats[1]: "HELD"}  # only what changed
        assert held.data["version"] > snapshot.data["version"]
        assert held.id != snapshot.id

        cancelled = client.post(f"/api/v1/bookings/{booking}/cancel", headers=customer)
        assert cancelled.status_code == 200, cancelled.text
        freed = stream.next()
        assert freed is not None
        assert statuses(freed) == {seats[0]: "AVAILABLE", seats[1]: "AVAILABLE"}
        assert freed.data["version"] > held.data["version"]
        assert len({snapshot.id, held.id, freed.id}) == 3


def test_unknown_show_is_404(client: httpx.Client) -> None:
    problem(client.get(f"/api/v1/shows/{uuid.uuid4()}/seats/stream"), 404)


def test_a_hold_running_out_is_sent_though_nothing_was_written(
    client: httpx.Client,
    live_server: LiveServer,
    show: dict[str, Any],
    seats: list[str],
    clock: Any,
) -> None:
    """The app's clock moves past the hold's end: no real second has to pass while the test
    looks, and none can make the hold run out before the test saw it held."""
    from datetime import timedelta

    with subscribe(live_server.url, show["id"]) as stream:
        assert stream.next() is not None
        hold(client, register(client), show["id"], [seats[3]])
        held = stream.next()
        assert held is not None and statuses(held) == {seats[3]: "HELD"}
        clock.advance(timedelta(seconds=live_server.settings.hold_ttl_seconds + 1))
        ran_out = stream.next()
        assert ran_out is not None and statuses(ran_out) == {seats[3]: "AVAILABLE"}
        assert ran_out.data["version"] == held.data["version"]  # nothing was written
        assert ran_out.id != held.id


def test_last_event_id_resumes_with_the_missed_changes_or_a_new_snapshot(
    client: httpx.Client, live_server: LiveServer, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    with subscribe(live_server.url, show["id"]) as stream:
        snapshot = stream.next()
        assert snapshot is not None
    # Away for a while: three changes, one of them undone.
    first = hold(client, customer, show["id"], [seats[0]])
    hold(client, customer, show["id"], [seats[1]])
    assert client.post(f"/api/v1/bookings/{first}/cancel", headers=customer).status_code == 200
    hold(client, customer, show["id"], [seats[2]])
    current = client.get(f"/api/v1/shows/{show['id']}/seats").json()

    with subscribe(live_server.url, show["id"], last_event_id=snapshot.id) as stream:
        changed: dict[str, str] = {}
        version = snapshot.data["version"]
        while version < current["version"]:
            missed = stream.next()  # one event, unless the feed was still reading the last ones
            assert missed is not None and missed.kind == "seats", missed
            changed |= statuses(missed)
            version = missed.data["version"]
        assert changed[seats[1]] == "HELD" and changed[seats[2]] == "HELD"
        assert changed.get(seats[0], "AVAILABLE") == "AVAILABLE"
        assert set(changed) <= set(seats[:3])
        resumed_at = missed.id

    # Nothing since: nothing to send, and no snapshot either; the next change comes as usual.
    with subscribe(live_server.url, show["id"], last_event_id=resumed_at) as stream:
        hold(client, customer, show["id"], [seats[4]])
        following = stream.next()
        assert following is not None and statuses(following) == {seats[4]: "HELD"}

    for unknown in ("1.0", "not-an-id"):  # too old, or never seen here: a new snapshot
        with subscribe(live_server.url, show["id"], last_event_id=unknown) as stream:
            fresh = stream.next()
            assert fresh is not None and fresh.kind == "snapshot"
            states = {s["id"]: s["status"] for s in fresh.data["seats"]}
            assert [states[s] for s in seats[:5]] == [
                "AVAILABLE",
                "HELD",
                "HELD",
                "AVAILABLE",
                "HELD",
            ]


def test_a_quiet_stream_sends_keep_alive_comments(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    show = ready_show(client, admin)
    with running_app(db.url, seat_stream_heartbeat_seconds=0.2) as server:
        with subscribe(server.url, show["id"]) as stream:
            assert stream.next() is not None
            assert stream.next_comment() == ": keep-alive"
            assert stream.next_comment() == ": keep-alive"


def test_a_cancelled_show_ends_the_stream(
    client: httpx.Client,
    admin: Headers,
    live_server: LiveServer,
    show: dict[str, Any],
    seats: list[str],
) -> None:
    hold(client, register(client), show["id"], [seats[0]])
    with subscribe(live_server.url, show["id"]) as stream:
        assert (first := stream.next()) is not None and first.kind == "snapshot"
        response = client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin)
        assert response.status_code == 200, response.text
        events = []
        while (event := stream.next()) is not None:
            events.append(event)
    assert events[-1].kind == "show-cancelled", events
    assert events[-1].data == {"show_id": show["id"]}
    # Joining afterwards: the map as it is, that the show is cancelled, and the end.
    with subscribe(live_server.url, show["id"]) as stream:
        late = [stream.next(), stream.next(), stream.next()]
    assert [e.kind if e else None for e in late] == ["snapshot", "show-cancelled", None]


@pytest.mark.postgres_only  # LISTEN/NOTIFY between processes; SQLite is served by one process
def test_a_hold_made_through_another_process_reaches_this_ones_subscribers(
    client: httpx.Client, show: dict[str, Any], seats: list[str], two_servers: Servers
) -> None:
    watching, writing = two_servers.urls
    with (
        subscribe(watching, show["id"]) as stream,
        loopback_client(base_url=writing, timeout=30) as elsewhere,
    ):
        assert stream.next() is not None
        customer = register(elsewhere)
        booking = hold(elsewhere, customer, show["id"], seats[:3])
        held = stream.next()
        assert held is not None and statuses(held) == dict.fromkeys(seats[:3], "HELD")
        cancel = elsewhere.post(f"/api/v1/bookings/{booking}/cancel", headers=customer)
        assert cancel.status_code == 200, cancel.text
        freed = stream.next()
        assert freed is not None and statuses(freed) == dict.fromkeys(seats[:3], "AVAILABLE")


def test_a_subscriber_that_does_not_read_is_dropped_and_the_others_keep_up(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    # 6,000 seats: every price change sends the whole map (about 840 kB) to every subscriber, so
    # a few of them fill the socket buffers of a client that reads nothing (up to 4 MB here);
    # from then on its events queue, and past two it is dropped.
    rows = [
        {"label": chr(65 + r // 26) + chr(65 + r % 26), "seat_type": "SILVER", "seats": 100}
        for r in range(60)
    ]
    show = ready_show(client, admin, rows)
    with (
        running_app(db.url, seat_stream_queue_events=2) as server,
        loopback_client(base_url=server.url, timeout=60) as http,
    ):
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
        slow.sendall(
            f"GET /api/v1/shows/{show['id']}/seats/stream HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\n\r\n".encode()
        )
        try:
            with subscribe(server.url, show["id"]) as fast:
                assert (first := fast.next()) is not None and first.kind == "snapshot"
                for price in range(21000, 21000 + 100 * 8, 100):
                    set_theatre_prices(http, admin, show["theatre_id"], {"SILVER": price})
                    event = fast.next()  # the one that reads gets every change
                    while event is not None and event.data["seats"][0]["price"] != price:
                        event = fast.next()
                    assert event is not None and event.kind == "snapshot"
                seat = event.data["seats"][0]["id"]
                hold(http, register(http), show["id"], [seat])
                held = fast.next()
                assert held is not None and statuses(held) == {seat: "HELD"}
            # The slow one, reading at last: what was in flight, then the end of its response.
            slow.settimeout(READ_TIMEOUT)
            received = b""
            while not received.endswith(b"\r\n0\r\n\r\n"):
                chunk = slow.recv(1 << 20)
                assert chunk, "connection closed without ending the response"
                received += chunk
        finally:
            slow.close()
    assert received.count(b"event: snapshot") < 9  # dropped before the last price change
    assert b"event: seats" not in received
