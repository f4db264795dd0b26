"""The fair on-sale queue (issue 29, part 2), through the API: the draw made once at the opening
and reproduced by anyone from its published seed; admission paced and in order; holds of a queued
show refused without its admission, with another show's, a forged or a spent one; the place kept
across a reload; the stream's place; the crowd drawn once across two processes."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.api import Headers, guest, problem, ready_show, seat_ids
from tests.conftest import LiveServer, TestDatabase, running_app
from tests.support.http import loopback_client
from tests.support.servers import Servers

from boxoffice.clock import Clock

HOUR = timedelta(hours=1)
KEY_1, KEY_2 = {"Idempotency-Key": "key-1"}, {"Idempotency-Key": "key-2"}


def statuses(http: httpx.Client, show_id: str) -> set[str]:
    return {seat["status"] for seat in http.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]}


def queued_show(
    client: httpx.Client, admin: Headers, clock: Clock, opens_in: timedelta = HOUR
) -> tuple[dict[str, Any], datetime]:
    show = ready_show(client, admin)
    opens_at = (clock.now() + opens_in).replace(microsecond=0)
    response = client.put(
        f"/api/v1/shows/{show['id']}/queue",
        json={"opens_at": opens_at.isoformat()},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["queue_opens_at"]) == opens_at
    return show, opens_at


def join(http: httpx.Client, show_id: str) -> dict[str, Any]:
    response = http.post(f"/api/v1/shows/{show_id}/queue")
    assert response.status_code == 201, response.text
    return dict(response.json())


def place(http: httpx.Client, show_id: str, visitor_token: str) -> dict[str, Any]:
    response = http.get(
        f"/api/v1/shows/{show_id}/queue/me", headers={"X-Queue-Visitor": visitor_token}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def drawn_order(seed_hex: str, visitor_ids: list[str]) -> list[str]:
    """The draw as its published algorithm says, computed here."""
    seed = bytes.fromhex(seed_hex)
    return sorted(visitor_ids, key=lambda v: hashlib.sha256(seed + uuid.UUID(v).bytes).digest())


def hold(
    http: httpx.Client, customer: Headers, show_id: str, seat: str, token: str | None, **extra: str
) -> httpx.Response:
    headers = {**customer, **extra}
    if token is not None:
        headers["X-Admission-Token"] = token
    return http.post(
        "/api/v1/bookings", json={"show_id": show_id, "seat_ids": [seat]}, headers=headers
    )


@pytest.fixture
def slow_queue(db: TestDatabase, live_server: LiveServer) -> Iterator[LiveServer]:
    """A second server on the same database and clock admitting one visitor every 1,000 s: a
    place's state does not depend on how long the test's requests take."""
    with running_app(db.url, live_server.clock, queue_admit_per_second=0.001) as server:
        yield server


def test_the_draw_is_reproduced_from_its_published_seed(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    show, opens_at = queued_show(client, admin, clock)
    joined = [join(client, show["id"]) for _ in range(12)]
    assert {p["state"] for p in joined} == {"IN_DRAW"}
    assert {p["position"] for p in joined} == {None}
    problem(client.get(f"/api/v1/shows/{show['id']}/queue/draw"), 404)

    clock.offset = HOUR + timedelta(minutes=10)  # the draw, and everyone's turn, has come
    places = {p["visitor_id"]: place(client, show["id"], p["visitor_token"]) for p in joined}
    draw = client.get(f"/api/v1/shows/{show['id']}/queue/draw").json()
    assert draw["drawn"] == 12 and len(draw["seed"]) == 64 and "SHA-256" in draw["algorithm"]
    assert datetime.fromisoformat(draw["opens_at"]) == opens_at

    expected = drawn_order(draw["seed"], list(places))
    assert [places[v]["position"] for v in expected] == list(range(1, 13))
    listed = client.get(f"/api/v1/shows/{show['id']}/queue/draw/places", params={"limit": 100})
    assert [item["visitor_id"] for item in listed.json()["items"]] == expected
    for visitor in expected:  # paced from the opening, one step apart, in the drawn order
        p = places[visitor]
        step = timedelta(seconds=1 / draw["admit_per_second"])
        assert datetime.fromisoformat(p["admit_at"]) == opens_at + (p["position"] - 1) * step
        assert p["state"] == "ADMITTED" and p["admission_token"], p

    late = join(client, show["id"])  # after the draw: the next place
    assert late["position"] == 13 and late["state"] == "ADMITTED", late
    assert client.get(f"/api/v1/shows/{show['id']}/queue/draw").json() == draw


def test_admission_is_paced_and_in_order(
    admin: Headers, slow_queue: LiveServer, clock: Clock
) -> None:
    with loopback_client(base_url=slow_queue.url, timeout=30) as http:
        show, opens_at = queued_show(http, admin, clock)
        joined = [join(http, show["id"]) for _ in range(5)]
        clock.offset = HOUR + timedelta(seconds=1500)  # positions 1 (at 0 s) and 2 (1,000 s)
        by_position = sorted(
            (place(http, show["id"], p["visitor_token"]) for p in joined),
            key=lambda p: p["position"],
        )
        assert [p["position"] for p in by_position] == [1, 2, 3, 4, 5]
        assert [p["state"] for p in by_position] == ["ADMITTED"] * 2 + ["WAITING"] * 3
        assert [p["ahead"] for p in by_position] == [0, 0, 0, 1, 2]
        assert all(p["admission_token"] for p in by_position[:2])
        assert not any(p["admission_token"] for p in by_position[2:])
        assert 400 <= by_position[2]["estimate_seconds"] <= 500, by_position[2]

        late = join(http, show["id"])  # after the last drawn place, one step on
        assert late["position"] == 6 and late["ahead"] == 3, late
        assert datetime.fromisoformat(late["admit_at"]) == opens_at + timedelta(seconds=5000)

        tokens = {p["visitor_id"]: p["visitor_token"] for p in joined}
        first = by_position[0]
        clock.offset += timedelta(seconds=60)
        again = place(http, show["id"], tokens[first["visitor_id"]])  # the same admission
        assert again["admitted_at"] == first["admitted_at"], (again, first)
        assert again["admission_expires_at"] == first["admission_expires_at"]


def test_holds_of_a_queued_show_need_its_own_admission(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    customer, _ = guest(client)  # a guest's token outlives the hour the clock moves
    show, _ = queued_show(client, admin, clock)
    other, _ = queued_show(client, admin, clock)
    free_sale = ready_show(client, admin)
    mine = join(client, show["id"])
    theirs = join(client, other["id"])
    seats = seat_ids(client, show["id"])

    early = hold(client, customer, show["id"], seats[0], None)  # before the opening
    assert problem(early, 403)["type"].endswith("/admission-required")
    clock.offset = HOUR + timedelta(minutes=1)
    token = place(client, show["id"], mine["visitor_token"])["admission_token"]
    elsewhere = place(client, other["id"], theirs["visitor_token"])["admission_token"]
    assert token and elsewhere

    refused = {
        "none": hold(client, customer, show["id"], seats[0], None),
        "another show's": hold(client, customer, show["id"], seats[0], elsewhere),
        "forged": hold(client, customer, show["id"], seats[0], token[:-3] + "AAA"),
        "a ticket-like": hold(client, customer, show["id"], seats[0], "BX1" + token[4:]),
        "keyed, none": hold(client, customer, show["id"], seats[0], None, **KEY_1),
    }
    for why, response in refused.items():
        assert problem(response, 403)["type"].rsplit("/", 1)[1] in (
            "admission-required",
            "admission-invalid",
        ), why
    assert statuses(client, show["id"]) == {"AVAILABLE"}  # nothing held
    assert hold(client, customer, show["id"], seats[0], token).status_code == 201
    keyed = hold(client, customer, show["id"], seats[1], token, **KEY_2)
    assert keyed.status_code == 201, keyed.text
    free_seat = seat_ids(client, free_sale["id"])[0]
    assert hold(client, customer, free_sale["id"], free_seat, None).status_code == 201

    clock.offset = HOUR + timedelta(minutes=12)  # the admission (10 minutes) has run out
    spent = hold(client, customer, show["id"], seats[2], token)
    assert problem(spent, 403)["type"].endswith("/admission-invalid")
    assert place(client, show["id"], mine["visitor_token"])["state"] == "EXPIRED"


def test_a_reload_keeps_the_place_and_a_place_is_its_visitor_tokens(
    live_server: LiveServer, admin: Headers, clock: Clock
) -> None:
    with loopback_client(base_url=live_server.url, timeout=30) as browser:
        show, _ = queued_show(browser, admin, clock)
        other, _ = queued_show(browser, admin, clock)
        mine = join(browser, show["id"])
        theirs = join(browser, other["id"])
        again = browser.get(f"/api/v1/shows/{show['id']}/queue/me")  # the cookie only
        assert again.status_code == 200 and again.json()["visitor_id"] == mine["visitor_id"]
        wrong = browser.get(
            f"/api/v1/shows/{show['id']}/queue/me",
            headers={"X-Queue-Visitor": theirs["visitor_token"]},
        )
        assert problem(wrong, 403)["type"].endswith("/queue-place-unknown")
        forged = mine["visitor_token"][:-4] + "AAAA"
        bad = browser.get(
            f"/api/v1/shows/{show['id']}/queue/me", headers={"X-Queue-Visitor": forged}
        )
        problem(bad, 403)
    with loopback_client(base_url=live_server.url, timeout=30) as stranger:
        problem(stranger.get(f"/api/v1/shows/{show['id']}/queue/me"), 403)


def test_a_manager_sets_and_lifts_a_queue(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    show = ready_show(client, admin)
    path = f"/api/v1/shows/{show['id']}/queue"
    problem(client.post(path), 409)  # not queued
    past = (clock.now() - timedelta(minutes=1)).isoformat()
    problem(client.put(path, json={"opens_at": past}, headers=admin), 422)
    late = (datetime.fromisoformat(show["starts_at"]) + HOUR).isoformat()
    problem(client.put(path, json={"opens_at": late}, headers=admin), 422)
    problem(client.put(path, json={"opens_at": "2030-01-01T10:00:00"}, headers=admin), 422)

    soon = timedelta(minutes=5)  # the admin's access token outlives it
    show, opens_at = queued_show(client, admin, clock, opens_in=soon)
    path = f"/api/v1/shows/{show['id']}/queue"
    assert client.get(f"/api/v1/shows/{show['id']}").json()["queue_opens_at"] is not None
    join(client, show["id"])
    clock.offset = soon + timedelta(seconds=5)
    join(client, show["id"])  # the draw is made
    later = (opens_at + HOUR).isoformat()
    assert problem(client.put(path, json={"opens_at": later}, headers=admin), 409)
    lifted = client.delete(path, headers=admin)
    assert lifted.status_code == 200 and lifted.json()["queue_opens_at"] is None
    problem(client.post(path), 409)


def test_the_stream_sends_the_place_and_ends_with_the_admission(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    show, _ = queued_show(client, admin, clock)
    mine = join(client, show["id"])
    clock.offset = HOUR + timedelta(minutes=1)
    headers = {"X-Queue-Visitor": mine["visitor_token"]}
    events = []
    with client.stream("GET", f"/api/v1/shows/{show['id']}/queue/stream", headers=headers) as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        for line in s.iter_lines():  # ends by itself: the place is admitted
            if line.startswith("data: "):
                events.append(httpx.Response(200, content=line[6:]).json())
    assert [e["state"] for e in events] == ["ADMITTED"], events
    assert events[0]["admission_token"] and events[0]["position"] == 1


@pytest.mark.postgres_only  # two processes share a database only on PostgreSQL
def test_a_crowd_joining_two_processes_before_the_opening_is_drawn_once(
    client: httpx.Client, db: TestDatabase, admin: Headers, two_servers: Servers
) -> None:
    crowd = 120
    # Time enough for the joins on a busy machine (a late one queues after the drawn ones).
    show, opens_at = queued_show(client, admin, Clock(), opens_in=timedelta(seconds=15))
    start = threading.Barrier(crowd)
    # One client per process, shared by the threads (a client each costs each its TLS context:
    # seconds for the crowd, before anyone joins).
    limits = httpx.Limits(max_connections=crowd)
    https = [loopback_client(base_url=url, timeout=60, limits=limits) for url in two_servers.urls]

    def visitor(index: int) -> dict[str, Any]:
        http = https[index % 2]
        start.wait(timeout=60)
        joined = join(http, show["id"])
        wait = (opens_at - datetime.now(opens_at.tzinfo)).total_seconds()
        time.sleep(max(0.0, min(wait, 30.0)))  # bounded: every reader races the draw
        return {**joined, "place": place(http, show["id"], joined["visitor_token"])}

    try:
        with ThreadPoolExecutor(max_workers=crowd) as pool:
            visitors = list(pool.map(visitor, range(crowd)))
    finally:
        for http in https:
            http.close()

    in_draw = [v for v in visitors if v["state"] == "IN_DRAW"]
    draw = client.get(f"/api/v1/shows/{show['id']}/queue/draw").json()
    assert draw["drawn"] == len(in_draw) > 0, draw
    # The show's queue is an on-sale of that one show: its draw is the on-sale's.
    drawn = db.id(draw["onsale_id"])
    rows = db.query("SELECT count(*) FROM queue_draws WHERE onsale_id = :s", s=drawn)
    assert rows[0][0] == 1
    positions = sorted(v["place"]["position"] for v in visitors)
    assert positions == list(range(1, crowd + 1))  # no place twice, none skipped
    expected = drawn_order(draw["seed"], [v["visitor_id"] for v in in_draw])
    by_visitor = {v["visitor_id"]: v["place"]["position"] for v in visitors}
    assert [by_visitor[v] for v in expected] == list(range(1, len(in_draw) + 1))
    # Admitted in position order: an admission time never comes before an earlier place's.
    in_order = sorted(visitors, key=lambda v: v["place"]["position"])
    admit_at = [datetime.fromisoformat(v["place"]["admit_at"]) for v in in_order]
    assert admit_at == sorted(admit_at)


def test_places_per_address_are_limited_once_a_join(
    db: TestDatabase, admin: Headers, live_server: LiveServer
) -> None:
    limits = {"rate_limit_enabled": True, "rate_limit_queue_joins": "2/minute"}
    with running_app(db.url, live_server.clock, **limits) as server:
        with loopback_client(base_url=server.url, timeout=30) as http:
            show, _ = queued_show(http, admin, live_server.clock)
            join(http, show["id"])
            join(http, show["id"])
            problem(http.post(f"/api/v1/shows/{show['id']}/queue"), 429)
