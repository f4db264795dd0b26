"""Sharding by show, checked (issue 15; README "Sharding by show on Citus"): every statement of the
hot paths (hold, cancel, confirm/pay, seat map, check-in) that touches a per-show table filters
on one show's key: its show_id, or the id of a booking (or of a payment, order, refund or
ticket, which belong to one booking) of that show. So each would run on the one node that holds
the show.

Recorded at both layers: SQLAlchemy's statements (`before_cursor_execute`) and what the sale
path sends to the driver itself (asyncpg's query logger). A second show of the same theatre
exists all along: its id never appears in a hot-path statement.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from tests.api import make_admin, register
from tests.conftest import LiveServer, TestDatabase
from tests.support.statements import driver_queries
from tests.tickets.helpers import hold, make_staff, sell_scan_and_refund, show_soon

pytestmark = pytest.mark.postgres_only  # the sale path's own statements are PostgreSQL's

PER_SHOW_TABLES = (
    "shows|show_seats|show_price_overrides|bookings|booking_seats|booking_transitions|tickets|"
    "checkin_answers|payments|order_reservations|refunds|refund_attempts|outbox_emails"
)
_TOUCHES = re.compile(rf"\b(?:FROM|JOIN|UPDATE|INTO)\s+({PER_SHOW_TABLES})\b", re.I)
# One value of a key that belongs to one show: `= $n`, or an IN list of exactly one.
_ONE = r"(?:=\s*\$\d+|IN\s*\(\s*\$\d+(?:::\w+)?\s*\))"
_KEYS = (
    r"(?:\w+\.)?(?:show_id|booking_id|payment_id|provider_payment_id|order_id|refund_id"
    r"|provider_refund_id)"
    r"|(?:shows|bookings|payments|tickets|refunds)\.id"
)
_PINNED = re.compile(rf"\b(?:{_KEYS})(?:::\w+)?\s*{_ONE}", re.I)
_INSERT_KEYED = re.compile(
    r"^INSERT INTO \w+ \([^)]*\b(show_id|booking_id|payment_id|refund_id)\b", re.I
)
# The sale path's functions (migration 0004) take the show (hold) or the booking (release)
# and touch only its rows.
_SALE_FUNCTION = re.compile(r"^SELECT \* FROM boxoffice_(hold|release_hold)\(", re.I)

Statement = tuple[str, tuple[Any, ...]]


@contextmanager
def recorded(live_server: LiveServer) -> Iterator[list[Statement]]:
    """SQLAlchemy's statements and the driver's own (the sale path's functions), with their
    arguments flattened: all of them, in a window quiet at both ends (nothing of an earlier
    test's in it, and the webhooks this one caused all in)."""
    live_server.wait_until_quiet()
    seen: list[Statement] = []
    lock = threading.Lock()

    def orm(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        with lock:
            seen.append((" ".join(statement.split()), _flat(parameters)))

    engine = live_server.app.state.engine
    event.listen(engine.sync_engine, "before_cursor_execute", orm)
    try:
        with driver_queries(engine, None) as sent:
            yield seen
            live_server.wait_until_quiet()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", orm)
        seen.extend((query, _flat(args)) for query, args in sent)


def _flat(values: Any) -> tuple[Any, ...]:
    if values is None:
        return ()
    if isinstance(values, list | tuple):
        return tuple(v for value in values for v in _flat(value))
    return (values,)


def test_every_hot_path_statement_stays_inside_one_show(
    client: httpx.Client, live_server: LiveServer, db: TestDatabase
) -> None:
    admin = make_admin(client, db)
    show = show_soon(client, admin, minutes=180)
    other = show_soon(client, admin, minutes=400, theatre_id=show["theatre_id"])
    staff = make_staff(client, admin, [show["theatre_id"]])
    customer = register(client)

    with recorded(live_server) as statements:
        client.get(f"/api/v1/shows/{show['id']}/seats")  # the seat map
        held = hold(client, customer, show["id"], 1)
        keyed = client.post(
            "/api/v1/bookings",
            json={"show_id": show["id"], "seat_ids": [held["seats"][0]["seat_id"]]},
            headers={**customer, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert keyed.status_code == 409  # taken: the refusal path too
        assert client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=customer).is_success
        sell_scan_and_refund(client, customer, staff, show["id"])

    per_show = [(sql, args) for sql, args in statements if _TOUCHES.search(sql)]
    assert len(per_show) > 20, per_show  # the paths were recorded
    unpinned = [
        sql
        for sql, _ in per_show
        if not (_PINNED.search(sql) or _INSERT_KEYED.match(sql) or _SALE_FUNCTION.match(sql))
    ]
    assert unpinned == [], "\n".join(unpinned)
    other_id = uuid.UUID(other["id"])
    assert not [sql for sql, args in statements if other_id in args or other["id"] in args]
