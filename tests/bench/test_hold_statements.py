"""How many round trips a hold and a cancel cost the database (BENCHMARKING.md: every round trip
is ~0.1-0.3 ms of a sub-millisecond budget).

On PostgreSQL, counted at the driver: every query the live server's asyncpg connections send,
BEGIN and COMMIT included (asyncpg's query logger, attached while a connection is checked out).
A hold without an Idempotency-Key is one call of `boxoffice_hold` in autocommit: one round
trip, for a user or a guest alike (the other processes' seat maps are told through the seat
listener's connection, outside the request: `bookings.endpoints._seats_changed`). The cancel
of a live hold is one call of `boxoffice_release_hold` in autocommit too, while nothing reacts
to a hold's cancellation (tests/bookings/test_lifecycle.py checks the reaction case). A
best-available hold reads the show's free seats first (one statement; none when the process's
seat map is known current, which a cancel just made it not), then holds as a manual hold does.

On SQLite (the embedded mode, one process, no network) the ORM path's statements are counted
with SQLAlchemy's `before_cursor_execute`, BEGIN/COMMIT excluded.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx
import pytest
from bench.client import layout
from tests.api import (
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    guest,
    make_admin,
    register,
    seat_ids,
    set_theatre_prices,
)
from tests.conftest import LiveServer, running_app
from tests.support.http import loopback_client
from tests.support.statements import driver_queries, orm_statements, request_id

from boxoffice.bookings.chooser import SeatChooser

# Best available: the read of the free seats, then the hold's one (the show's grid is read once
# per process, by the first).
ROUND_TRIPS = {"hold": 1, "cancel": 1, "best": 2}  # PostgreSQL, BEGIN and COMMIT included
# Lock + claim + three inserts; cancel: lock, status, history, release, then seats, history,
# the show's summary and payment for the answer; best: the free seats, then the hold's (in a
# savepoint, not counted). A hold's show summary is read once per process (`ShowSummaries`).
SQLITE_STATEMENTS = {"hold": 5, "cancel": 8, "best": 6}


Counter = Callable[[str], AbstractContextManager[list[Any]]]


def cost_counter(db: Any, server: LiveServer) -> Counter:
    """What the request with a given X-Request-ID costs: SQLite's ORM statements, or PostgreSQL's
    round trips (tests/support/statements.py); nothing of another request's counts."""
    if db.is_sqlite:
        return sqlite_statements
    return lambda request: driver_queries(server.app.state.engine, request)


def sqlite_statements(request: str) -> AbstractContextManager[list[str]]:
    return orm_statements(request, driver="aiosqlite")


def post(client: httpx.Client, url: str, who: dict[str, str], request: str, **body: Any) -> Any:
    return client.post(url, json=body or None, headers={**who, "X-Request-ID": request})


@pytest.fixture
def show(client: httpx.Client, db: Any) -> dict[str, Any]:
    admin = make_admin(client, db)
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"], layout(3, 10))
    movie = create_movie(client, admin)
    return create_show(
        client, admin, movie["id"], screen["id"], future(datetime.now().astimezone())
    )


def counts(
    client: httpx.Client, live_server: LiveServer, db: Any, who: dict[str, str], show: Any
) -> dict[str, list[int]]:
    seats = seat_ids(client, show["id"])
    found: dict[str, list[int]] = {"hold": [], "cancel": [], "best": []}
    counting = cost_counter(db, live_server)
    for index in range(3):  # the first one also warms caches; all three must agree
        with counting(request := request_id()) as seen:
            pair = seats[2 * index : 2 * index + 2]
            held = post(client, "/api/v1/bookings", who, request, show_id=show["id"], seat_ids=pair)
        assert held.status_code == 201, held.text
        found["hold"].append(len(seen))
        with counting(request := request_id()) as seen:
            cancelled = post(client, f"/api/v1/bookings/{held.json()['id']}/cancel", who, request)
        assert cancelled.status_code == 200, cancelled.text
        found["cancel"].append(len(seen))
        with counting(request := request_id()) as seen:
            chosen = post(client, "/api/v1/bookings", who, request, show_id=show["id"], quantity=2)
        assert chosen.status_code == 201, chosen.text
        found["best"].append(len(seen))
        client.post(f"/api/v1/bookings/{chosen.json()['id']}/cancel", headers=who)
    return found


def test_a_hold_a_cancel_and_a_best_available_hold_cost_a_fixed_number_of_round_trips(
    client: httpx.Client,
    live_server: LiveServer,
    show: dict[str, Any],
    db: Any,
    record_property: Any,
) -> None:
    expected = SQLITE_STATEMENTS if db.is_sqlite else ROUND_TRIPS
    for who in (guest(client)[0], register(client)):
        found = counts(client, live_server, db, who, show)
        record_property("round_trips", found)
        for operation, numbers in found.items():
            assert numbers[1:] == [expected[operation]] * 2, found


def test_best_available_chooses_from_a_read_of_a_moment_ago_without_reading_again(
    db: Any, show: dict[str, Any]
) -> None:
    """With the read reused (BEST_AVAILABLE_READ_REUSE_SECONDS), a best-available hold right
    after another costs a manual hold's round trips, and does not pick the seats the first took.
    The chooser's clock is stopped: "right after" holds however slowly the machine runs."""
    with running_app(db.url, best_available_read_reuse_seconds=1) as server:
        stopped = SeatChooser(monotonic=lambda: 1000.0)
        server.app.state.sale = replace(server.app.state.sale, chooser=stopped)
        with loopback_client(base_url=server.url, timeout=30) as client:
            who = guest(client)[0]
            counting = cost_counter(db, server)
            held, costs = [], []
            for _ in range(2):
                with counting(request := request_id()) as seen:
                    chosen = post(
                        client, "/api/v1/bookings", who, request, show_id=show["id"], quantity=2
                    )
                assert chosen.status_code == 201, chosen.text
                costs.append(len(seen))
                held.append({seat["seat_id"] for seat in chosen.json()["seats"]})
    expected = SQLITE_STATEMENTS if db.is_sqlite else ROUND_TRIPS
    # The first reads (and the grid, once per process); the second only claims.
    assert costs[1] == expected["best"] - 1, costs
    assert not held[0] & held[1], held
