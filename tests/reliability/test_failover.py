"""The primary dies or is demoted mid-sale (issue 15): every request that needs it is answered
503 `database-unavailable` with Retry-After, never a hang or a 500, and the process, its LISTEN
connection and the worker carry on by themselves once a primary answers again.

One PostgreSQL of our own (tests/support/private_postgres.py) plays the primary: stopped with
`-m immediate` (what `kill -9` of the postmaster leaves), or made read-only as a demoted primary
is. The cluster tests (`make failover-test`) do the same with a real standby.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from tests.api import Headers, make_admin, problem, ready_show, register, seat_ids
from tests.conftest import (
    TEST_JWT_SECRET,
    LiveServer,
    TestDatabase,
    delete_all_rows,
    migrated,
)
from tests.conftest import running_app as running_app_on
from tests.payments.checkout import eventually, pay
from tests.support.http import loopback_client
from tests.support.private_postgres import PrivatePostgres, private_postgres
from tests.support.servers import BOXOFFICE, running, server_env

pytestmark = pytest.mark.postgres_only

# Every request answers within this, whatever the database does (connect timeout 5 s).
ANSWER_WITHIN = 15


Primary = tuple[PrivatePostgres, TestDatabase]


@contextmanager
def private_primary() -> Iterator[Primary]:
    with private_postgres() as postgres:
        engine = sa.create_engine(
            postgres.url.replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
            pool_pre_ping=True,
        )
        try:
            yield postgres, migrated(postgres.url, engine)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def cluster() -> Iterator[list[Primary]]:
    """Two PostgreSQL servers of this module's own (initdb and a start cost seconds each)."""
    with private_primary() as first, private_primary() as second:
        yield [first, second]


@pytest.fixture
def primaries(cluster: list[Primary]) -> Iterator[list[Primary]]:
    """The module's servers; each test leaves them as it found them: up, writable, empty."""
    yield cluster
    for postgres, db in cluster:
        if not postgres.running():
            postgres.start()
        read_only(db, False)
        delete_all_rows(db)


@pytest.fixture
def primary(primaries: list[Primary]) -> Primary:
    return primaries[0]


@contextmanager
def sale(url: str, **settings: Any) -> Iterator[tuple[LiveServer, httpx.Client]]:
    with (
        running_app_on(url, **settings) as server,
        loopback_client(base_url=server.url, timeout=ANSWER_WITHIN) as http,
    ):
        yield server, http


def unavailable(response: httpx.Response) -> None:
    body = problem(response, 503)
    assert body["type"].endswith("/database-unavailable"), body
    assert int(response.headers["retry-after"]) > 0


def until_answered(request: Callable[[], httpx.Response], status: int) -> httpx.Response:
    """Repeats `request` until it gets `status`; meanwhile only 503 database-unavailable."""
    deadline = time.monotonic() + 20
    while True:
        response = request()
        if response.status_code == status or time.monotonic() > deadline:
            assert response.status_code == status, response.text
            return response
        unavailable(response)
        time.sleep(0.2)


def hold(http: httpx.Client, who: Headers, show_id: str, seats: list[str]) -> httpx.Response:
    return http.post("/api/v1/bookings", json={"show_id": show_id, "seat_ids": seats}, headers=who)


def test_while_the_primary_is_down_every_request_is_503_then_it_recovers_alone(
    primary: Primary,
) -> None:
    postgres, db = primary
    with sale(db.url) as (_server, http):
        admin = make_admin(http, db)
        customer = register(http)
        show = ready_show(http, admin)
        seats = seat_ids(http, show["id"])
        held = hold(http, customer, show["id"], seats[:1])
        assert held.status_code == 201, held.text
        paid_later = hold(http, customer, show["id"], seats[1:2]).json()["id"]

        postgres.stop()  # -m immediate: the backends die, no clean goodbye to clients
        booking = held.json()["id"]
        for response in (
            hold(http, customer, show["id"], seats[2:3]),  # the hold's own lane, autocommit
            http.post(f"/api/v1/bookings/{booking}/cancel", headers=customer),
            http.post(
                "/api/v1/bookings",
                json={"show_id": show["id"], "seat_ids": seats[3:4]},
                headers={**customer, "Idempotency-Key": "while-down"},
            ),
            http.get(f"/api/v1/bookings/{booking}", headers=customer),
            http.get(f"/api/v1/shows/{show['id']}"),
            http.post(f"/api/v1/bookings/{paid_later}/payments", headers=customer),
            http.post("/api/v1/auth/guest"),
        ):
            unavailable(response)

        postgres.start()
        # The pool's connections to the dead server are replaced without a failed request:
        # the driver saw their sockets close.
        cancelled = http.post(f"/api/v1/bookings/{booking}/cancel", headers=customer)
        assert cancelled.status_code == 200, cancelled.text
        again = until_answered(lambda: hold(http, customer, show["id"], seats[:1]), 201)
        assert again.json()["status"] == "PENDING"
        assert pay(http, customer, paid_later)["status"] == "BOOKED"


def test_a_demoted_primary_is_left_for_the_new_one(primary: Primary) -> None:
    """A primary turned read-only (pg_auto_failover demotes the old primary; here
    default_transaction_read_only does it) refuses writes: 503, the connections are dropped,
    and with target_session_attrs=read-write no new one is made to it until it is writable."""
    _postgres, db = primary
    url = f"{db.url}?target_session_attrs=read-write"
    with sale(url) as (_server, http):
        admin = make_admin(http, db)
        customer = register(http)
        show = ready_show(http, admin)
        seats = seat_ids(http, show["id"])
        assert hold(http, customer, show["id"], seats[:1]).status_code == 201

        read_only(db, True, listeners_too=False)
        unavailable(hold(http, customer, show["id"], seats[1:2]))  # a pooled connection
        unavailable(http.post("/api/v1/auth/guest"))  # through the ORM
        unavailable(hold(http, customer, show["id"], seats[1:2]))  # a new one: refused

        read_only(db, False)
        until_answered(lambda: hold(http, customer, show["id"], seats[1:2]), 201)
        assert http.post("/api/v1/auth/guest").status_code in (200, 201)


def test_a_multi_host_url_follows_the_primary_from_host_to_host(
    primaries: list[Primary],
) -> None:
    """Two servers, one writable at a time (no replication: each has data of its own). With
    both in DATABASE_URL and target_session_attrs=read-write, writes go to the writable one,
    and to the other once they swap, with only 503s in between."""
    (first, first_db), (second, second_db) = primaries
    read_only(first_db, True)
    url = (
        f"postgresql://postgres@127.0.0.1:{first.port},127.0.0.1:{second.port}/postgres"
        "?target_session_attrs=read-write"
    )
    with sale(url) as (_server, http):
        assert http.post("/api/v1/auth/guest").status_code in (200, 201)
        assert guests(second_db) == 1 and guests(first_db) == 0

        read_only(first_db, False)  # the failover: the other host is the primary now
        read_only(second_db, True)
        until_answered(lambda: http.post("/api/v1/auth/guest"), 201)
        assert guests(first_db) == 1 and guests(second_db) == 1
        deadline = time.monotonic() + 15
        while not _listening_on(first_db) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _listening_on(first_db), "the LISTEN connection did not follow"


def read_only(db: TestDatabase, on: bool, listeners_too: bool = True) -> None:
    value = "on" if on else "off"
    db.execute(f"ALTER SYSTEM SET default_transaction_read_only = {value}")
    db.execute("SELECT pg_reload_conf()")
    # The postmaster reloads, then signals every backend, which reads the file again before its
    # next statement: once a session sees the new value, every later statement anywhere does.
    assert eventually(lambda: db.query("SHOW default_transaction_read_only")[0][0] == value), (
        f"the server did not reload default_transaction_read_only = {value}"
    )
    if on and listeners_too:  # the LISTEN session sits idle, would never notice: a demotion
        db.execute(  # restarts it
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name LIKE 'boxoffice-listen%'"
        )


def guests(db: TestDatabase) -> int:
    return int(db.query("SELECT count(*) FROM guests")[0][0])


def _listening_on(db: TestDatabase) -> bool:
    rows = db.query(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'boxoffice-listen%'"
    )
    return int(rows[0][0]) == 1


def test_the_seat_map_listener_and_the_worker_reconnect_after_the_primary_restarts(
    primary: Primary, tmp_path: Any
) -> None:
    postgres, db = primary
    env = server_env(db.url, TEST_JWT_SECRET, HOLD_TTL_SECONDS="1")
    worker_log = tmp_path / "worker.log"
    argv = [BOXOFFICE, "worker", "--interval", "0.2"]
    with running(argv, env, worker_log) as worker:
        with sale(db.url, hold_ttl_seconds=1) as (server, http):
            admin = make_admin(http, db)
            customer = register(http)
            show = ready_show(http, admin)
            seats = seat_ids(http, show["id"])
            before = len(worker_log.read_text())
            postgres.stop()
            assert eventually(lambda: "worker_pass_failed" in worker_log.read_text()[before:]), (
                "the worker's passes did not fail while the primary was down"
            )
            postgres.start()
            listening = server.app.state.seat_maps
            deadline = time.monotonic() + 15
            while not listening.notified and time.monotonic() < deadline:
                time.sleep(0.1)
            assert listening.notified, "the LISTEN connection did not come back"

            held = until_answered(lambda: hold(http, customer, show["id"], seats[:1]), 201)
            booking = held.json()["id"]

            def expired() -> bool:
                rows = db.query("SELECT status FROM bookings WHERE id = :id", id=booking)
                return rows[0].status == "EXPIRED"

            deadline = time.monotonic() + 15
            while not expired() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert expired(), "the worker did not carry on after the restart"
            assert worker.poll() is None
