"""Cancelling a show of 5,000 bookings: batches that commit as they go, a kill -9 of the server
in the middle, and `boxoffice worker` finishing the job (issue 16, item 3).

The 5,000 holds are written with one SQL statement (through the API they would take minutes);
a few paid bookings go through the API so that refunds are part of it. Outcomes are checked
through the API and by an audit of the database.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.api import (
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    problem,
    register,
    set_theatre_prices,
)
from tests.bookings.test_holds import hold
from tests.conftest import TEST_JWT_SECRET
from tests.payments.checkout import booking, eventually, money_audit, pay
from tests.payments.test_reconciliation import whole_worker_pass
from tests.support.servers import launched, server_env

pytestmark = pytest.mark.postgres_only

BOOKINGS = 5_000
PAID = 3
ROWS = [
    {"label": chr(65 + n // 26) + chr(65 + n % 26), "seat_type": "SILVER", "seats": 100}
    for n in range(50)
]


def seed_holds(db: Any, show_id: str, user_id: Any, count: int) -> None:
    """`count` live one-seat holds of one customer on the show's free seats, as the hold path
    writes them: booking, its seat, its history row, and the inventory row pointing at it."""
    now = datetime.now(UTC)
    db.execute(
        """
        WITH free AS MATERIALIZED (
            SELECT seat_id, label, seat_type, price, gen_random_uuid() AS booking_id
            FROM show_seats WHERE show_id = :show AND booking_id IS NULL
            ORDER BY label LIMIT :count
        ), bookings_made AS (
            INSERT INTO bookings (id, show_id, user_id, guest_id, status, amount_total, currency,
                                  expires_at, created_at, updated_at)
            SELECT booking_id, :show, :user, NULL, 'PENDING', price, 'INR', :expires, :now, :now
            FROM free
        ), seats_made AS (
            -- With the charges an unregistered theatre without a fee freezes: the price, no GST.
            INSERT INTO booking_seats (booking_id, seat_id, label, seat_type, price, taxable,
                                       tax_rate_bp, cgst, sgst, ticket_total, fee, fee_rate_bp,
                                       fee_cgst, fee_sgst)
            SELECT booking_id, seat_id, label, seat_type, price, price, 0, 0, 0, price, 0, 0, 0, 0
            FROM free
        ), history_made AS (
            INSERT INTO booking_transitions (id, booking_id, from_status, to_status, at, reason,
                                             actor)
            SELECT gen_random_uuid(), booking_id, NULL, 'PENDING', :now, 'seats held', 'seed'
            FROM free
        )
        UPDATE show_seats AS s SET booking_id = free.booking_id, held_until = :expires
        FROM free WHERE s.show_id = :show AND s.seat_id = free.seat_id
        """,
        show=uuid.UUID(show_id),
        user=user_id,
        count=count,
        expires=now + timedelta(hours=2),
        now=now,
    )


def live_bookings(db: Any, show_id: str) -> int:
    rows = db.query(
        "SELECT count(*) FROM bookings WHERE show_id = :s AND (status = 'BOOKED' OR "
        "(status = 'PENDING' AND expires_at > now()))",
        s=uuid.UUID(show_id),
    )
    return int(rows[0][0])


def cancelled_bookings(db: Any, show_id: str) -> int:
    rows = db.query(
        "SELECT count(*) FROM bookings WHERE show_id = :s AND status = 'CANCELLED'",
        s=uuid.UUID(show_id),
    )
    return int(rows[0][0])


def test_a_show_of_5000_bookings_is_cancelled_in_batches_and_survives_a_kill(
    client: httpx.Client, admin: dict[str, str], db: Any, live_server: Any, tmp_path: Any
) -> None:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"], ROWS)
    movie = create_movie(client, admin)
    show = create_show(
        client, admin, movie["id"], screen["id"], future(datetime.now().astimezone())
    )
    seats = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    paid = []
    for seat in seats[-PAID:]:
        customer = register(client)
        pending = hold(client, customer, show["id"], [seat]).json()
        assert pay(client, customer, pending["id"])["status"] == "BOOKED"
        paid.append((customer, pending["id"]))
    holder_email = f"holder-{uuid.uuid4().hex[:8]}@example.com"
    register(client, holder_email)
    user_id = db.query("SELECT id FROM users WHERE email = :e", e=holder_email)[0][0]
    seed_holds(db, show["id"], user_id, BOOKINGS - PAID)
    assert live_bookings(db, show["id"]) == BOOKINGS

    # One server process cancels the show in small batches; it is killed in the middle.
    env = server_env(
        db.url,
        TEST_JWT_SECRET,
        RAZORPAY_BASE_URL=f"{live_server.url}/_sandbox/razorpay",
        RAZORPAY_SANDBOX_WEBHOOK_URL=f"{live_server.url}/api/v1/webhooks/razorpay",
        SHOW_CANCEL_BATCH_SIZE="25",
    )
    with launched(env, tmp_path / "server.log") as server:
        url = server.wait_until_up()
        answers: list[Any] = []

        def cancel() -> None:
            try:
                answers.append(
                    httpx.post(
                        f"{url}/api/v1/shows/{show['id']}/cancel", headers=admin, timeout=120
                    )
                )
            except httpx.HTTPError as error:
                answers.append(error)

        canceller = threading.Thread(target=cancel)
        canceller.start()
        # The show reads CANCELLED, and refuses holds, from the first moment...
        assert eventually(
            lambda: client.get(f"/api/v1/shows/{show['id']}").json()["status"] == "CANCELLED"
        )
        refused = problem(hold(client, register(client), show["id"], [seats[0]]), 409)
        assert refused["type"].endswith("/show-not-on-sale"), refused
        # ... while its bookings are cancelled batch by batch, each batch committed.
        assert eventually(lambda: cancelled_bookings(db, show["id"]) >= 50, seconds=60)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        canceller.join(timeout=30)

    assert answers and not isinstance(answers[0], httpx.Response)  # it died mid-way
    left = live_bookings(db, show["id"])
    assert 0 < left < BOOKINGS, left
    assert cancelled_bookings(db, show["id"]) + left == BOOKINGS  # nothing half-done

    # The worker finishes what the killed process left.
    whole_worker_pass(live_server)

    # Through the API: the show is cancelled, every seat is free, paid bookings are refunded.
    assert client.get(f"/api/v1/shows/{show['id']}").json()["status"] == "CANCELLED"
    seat_map = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    assert len(seat_map) == BOOKINGS and {s["status"] for s in seat_map} == {"AVAILABLE"}
    for customer, booking_id in paid:
        seen = booking(client, customer, booking_id)
        assert seen["status"] == "CANCELLED"
        assert [r["status"] for r in seen["refunds"]] == ["PROCESSED"]
        assert seen["payment"]["status"] == "REFUNDED"
    listed = client.get(
        f"/api/v1/admin/shows/{show['id']}/bookings", params={"limit": 100}, headers=admin
    ).json()["items"]
    assert {b["status"] for b in listed} == {"CANCELLED"}

    # The database: every booking cancelled exactly once, no seat still pointing at one,
    # one refund per paid booking, money accounted for.
    show_id = uuid.UUID(show["id"])
    assert live_bookings(db, show["id"]) == 0
    assert cancelled_bookings(db, show["id"]) == BOOKINGS
    transitions = db.query(
        "SELECT b.id, count(t.id) FROM bookings b LEFT JOIN booking_transitions t "
        "ON t.booking_id = b.id AND t.to_status = 'CANCELLED' WHERE b.show_id = :s "
        "GROUP BY b.id HAVING count(t.id) <> 1",
        s=show_id,
    )
    assert transitions == []
    held = db.query(
        "SELECT count(*) FROM show_seats WHERE show_id = :s AND booking_id IS NOT NULL", s=show_id
    )
    assert held[0][0] == 0
    refunds = db.query(
        "SELECT r.status FROM refunds r JOIN payments p ON p.id = r.payment_id "
        "JOIN bookings b ON b.id = p.booking_id WHERE b.show_id = :s",
        s=show_id,
    )
    assert sorted(r[0] for r in refunds) == ["PROCESSED"] * PAID
    money_audit(client, db)
