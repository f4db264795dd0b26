"""How many SQL statements one seat hold sends to the database (BENCHMARKING.md: every round trip
is ~0.1-0.3 ms of a sub-millisecond budget). Counted at the driver with SQLAlchemy's
`before_cursor_execute` on the live test server's engine; BEGIN/COMMIT/ROLLBACK excluded.

The bound matches today's code with room to spare (it guards against an N+1 creeping in);
`make bench` reports the exact count against the target of 3."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from bench.client import layout
from sqlalchemy import event
from sqlalchemy.engine import Engine
from tests.api import guest, register, seat_ids

# A user's hold: lock the customer while reading the show, claim the seats, insert the booking
# (with its seats and first history row: one statement on PostgreSQL, three on SQLite). A guest
# adds the check that its token was not spent by linking.
USER_HOLD_STATEMENTS = {"postgresql": 3, "sqlite": 5}
APP_DRIVERS = {"asyncpg", "aiosqlite"}  # the server's engine, not the tests' sync one
_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    seen: list[str] = []
    lock = threading.Lock()

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.dialect.driver in APP_DRIVERS and not _CONTROL.match(statement):
            with lock:
                seen.append(" ".join(statement.split())[:120])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@pytest.fixture
def show(client: httpx.Client, db: Any) -> dict[str, Any]:
    from datetime import datetime

    from tests.api import (
        create_movie,
        create_screen,
        create_show,
        create_theatre,
        future,
        make_admin,
        set_theatre_prices,
    )

    admin = make_admin(client, db)
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"], layout(3, 10))
    movie = create_movie(client, admin)
    return create_show(
        client, admin, movie["id"], screen["id"], future(datetime.now().astimezone())
    )


def hold_counts(
    client: httpx.Client, who: dict[str, str], show_id: str, seats: list[str]
) -> list[int]:
    counts = []
    for index in range(3):  # the first one also warms caches; all three must agree
        pair = seats[2 * index : 2 * index + 2]
        with statements_sent() as seen:
            response = client.post(
                "/api/v1/bookings", json={"show_id": show_id, "seat_ids": pair}, headers=who
            )
        assert response.status_code == 201, response.text
        counts.append(len(seen))
        client.post(f"/api/v1/bookings/{response.json()['id']}/cancel", headers=who)
    return counts


def test_a_hold_sends_a_fixed_small_number_of_statements(
    client: httpx.Client, show: dict[str, Any], db: Any, record_property: Any
) -> None:
    seats = seat_ids(client, show["id"])
    as_guest = hold_counts(client, guest(client)[0], show["id"], seats)
    as_user = hold_counts(client, register(client), show["id"], seats[6:])
    record_property("hold_statements_guest", as_guest[-1])
    record_property("hold_statements_user", as_user[-1])
    assert len(set(as_guest[1:])) == 1 and len(set(as_user[1:])) == 1, (as_guest, as_user)
    expected = USER_HOLD_STATEMENTS["sqlite" if db.is_sqlite else "postgresql"]
    assert as_user[-1] == expected, as_user
    assert as_guest[-1] == expected + 1, as_guest
