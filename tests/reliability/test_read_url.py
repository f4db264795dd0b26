"""DATABASE_READ_URL (issue 15): catalogue lists, show pages, prices and reports read from it;
no write is ever sent to it.

The read URL here is the test database itself, as a role whose transactions are read-only
(what a standby enforces): a write sent there would fail and its request answer 503. The whole
sale runs (catalogue set-up, holds, cancels, payment, check-in, refund, a show cancelled) and
every statement the read engine sees is recorded.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import event
from tests.api import make_admin, register
from tests.conftest import LiveServer, TestDatabase, running_app
from tests.support.http import loopback_client
from tests.tickets.helpers import make_staff, sell_scan_and_refund, show_soon

from boxoffice.dependencies import get_read_session

pytestmark = pytest.mark.postgres_only

_READ = re.compile(r"^\s*(SELECT|WITH\s[^;]*\)\s*SELECT)\b", re.I | re.S)


@contextmanager
def read_only_url(db: TestDatabase) -> Iterator[str]:
    role = f"boxoffice_reader_{uuid.uuid4().hex[:8]}"
    db.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        db.execute(f'GRANT pg_read_all_data TO "{role}"')
        db.execute(f'ALTER ROLE "{role}" SET default_transaction_read_only = on')
        yield db.url.replace("postgresql://postgres@", f"postgresql://{role}@", 1)
    finally:
        db.execute(f'DROP ROLE "{role}"')


@contextmanager
def read_statements(server: LiveServer) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = server.app.state.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_whole_sale_writes_to_the_primary_and_catalogue_reads_go_to_the_read_url(
    db: TestDatabase,
) -> None:
    with (
        read_only_url(db) as reader,
        running_app(db.url, database_read_url=reader) as server,
        loopback_client(base_url=server.url, timeout=30) as http,
        read_statements(server) as statements,
    ):
        admin = make_admin(http, db)
        show = show_soon(http, admin, minutes=180)
        staff = make_staff(http, admin, [show["theatre_id"]])
        customer = register(http)
        theatre, movie = show["theatre_id"], show["movie_id"]
        assert http.patch(
            f"/api/v1/theatres/{theatre}", json={"name": "Renamed"}, headers=admin
        ).is_success
        assert http.patch(f"/api/v1/movies/{movie}", json={"title": "Re"}, headers=admin).is_success

        sell_scan_and_refund(http, customer, staff, show["id"])
        other = show_soon(http, admin, minutes=600, theatre_id=theatre)
        assert http.post(f"/api/v1/shows/{other['id']}/cancel", headers=admin).is_success

        assert not statements, "a write route read from the read URL"
        day = show["starts_at"][:10]
        for path in (
            "/api/v1/theatres",
            f"/api/v1/theatres/{theatre}",
            f"/api/v1/screens/{show['screen_id']}",
            "/api/v1/movies",
            f"/api/v1/movies/{movie}",
            "/api/v1/shows",
            f"/api/v1/shows/{show['id']}",
            f"/api/v1/theatres/{theatre}/prices",
            f"/api/v1/admin/shows/{show['id']}/report",
            f"/api/v1/admin/reports/sales?theatre_id={theatre}&from={day}&to={day}",
        ):
            assert http.get(path, headers=admin).status_code == 200, path
        assert statements, "the catalogue did not read from the read URL"
        assert all(_READ.match(statement) for statement in statements), statements


def test_only_get_routes_take_the_read_session(live_server: LiveServer) -> None:
    readers = [
        route
        for route in _api_routes(live_server.app.routes)
        if _takes_read_session(route.dependant)
    ]
    assert readers, "no route reads from DATABASE_READ_URL"
    assert all(route.methods == {"GET"} for route in readers), [r.path for r in readers]


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router (FastAPI >= 0.165)
            yield from _api_routes(route.original_router.routes)


def _takes_read_session(dependant: Any) -> bool:
    return any(d.call is get_read_session or _takes_read_session(d) for d in dependant.dependencies)
