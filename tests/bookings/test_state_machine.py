"""A model-based test of the booking lifecycle: hold, cancel, pay, expire and sweep in random
orders, through the HTTP API, checked after every step against a simple model of who holds which
seat (SPEC invariants 1-4 and 6)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from tests.api import Headers, guest, ready_show, seat_ids
from tests.bookings.test_holds import hold, seat_statuses
from tests.payments.checkout import checkout, start_payment, verify

from boxoffice.db.engine import create_engine, create_sessionmaker
from boxoffice.worker import sweep_expired_holds

TTL = timedelta(seconds=600)
CUSTOMERS = 3
CAP = 3  # MAX_PENDING_BOOKINGS_PER_CUSTOMER


@dataclass
class ModelBooking:
    id: str
    customer: int
    seats: list[str]
    status: str = "PENDING"  # PENDING (live), BOOKED, CANCELLED, EXPIRED


@dataclass
class Model:
    bookings: dict[str, ModelBooking] = field(default_factory=dict)

    def owner_of(self, seat: str) -> ModelBooking | None:
        return next(
            (
                b
                for b in self.bookings.values()
                if seat in b.seats and b.status in ("PENDING", "BOOKED")
            ),
            None,
        )

    def live_holds(self, customer: int) -> int:
        return sum(
            1 for b in self.bookings.values() if b.customer == customer and b.status == "PENDING"
        )


@pytest.fixture
def sweeper(live_server: Any) -> Iterator[Callable[[], int]]:
    """The worker's sweep of run-out holds, on one engine (and one event loop) for every
    example of the machine, not a new engine per sweep."""
    with asyncio.Runner() as runner:
        engine = create_engine(live_server.settings)
        sessionmaker = create_sessionmaker(engine, live_server.settings)
        try:
            yield lambda: runner.run(sweep_expired_holds(sessionmaker, live_server.clock))
        finally:
            runner.run(engine.dispose())


def test_booking_lifecycle_matches_the_model(
    client: httpx.Client, admin: Headers, clock: Any, sweeper: Callable[[], int]
) -> None:
    class BookingMachine(RuleBasedStateMachine):
        bookings = Bundle("bookings")

        def __init__(self) -> None:
            super().__init__()
            clock.offset = timedelta(0)  # each run starts now; the admin token is still valid
            self.show = ready_show(client, admin)
            self.seats = seat_ids(client, self.show["id"])[:6]
            self.customers = [guest(client)[0] for _ in range(CUSTOMERS)]
            for headers in self.customers:
                client.patch("/api/v1/me", json={"email": "g@example.com"}, headers=headers)
            self.model = Model()

        @rule(
            target=bookings,
            customer=st.integers(0, CUSTOMERS - 1),
            picks=st.lists(st.integers(0, 5), min_size=1, max_size=3, unique=True),
        )
        def hold_seats(self, customer: int, picks: list[int]) -> str:
            wanted = [self.seats[i] for i in picks]
            response = hold(client, self.customers[customer], self.show["id"], wanted)
            taken = [s for s in wanted if self.model.owner_of(s)]
            if self.model.live_holds(customer) >= CAP:
                assert response.status_code == 409, response.text
                assert response.json()["type"].endswith("/too-many-holds")
                return ""
            if taken:
                assert response.status_code == 409, response.text
                assert sorted(response.json()["unavailable_seat_ids"]) == sorted(taken)
                return ""
            assert response.status_code == 201, response.text
            booking_id = str(response.json()["id"])
            self.model.bookings[booking_id] = ModelBooking(booking_id, customer, wanted)
            return booking_id

        @rule(booking_id=bookings)
        def cancel(self, booking_id: str) -> None:
            if not booking_id:
                return
            booking = self.model.bookings[booking_id]
            response = client.post(
                f"/api/v1/bookings/{booking_id}/cancel", headers=self.customers[booking.customer]
            )
            if booking.status in ("PENDING", "BOOKED"):
                assert response.status_code == 200, response.text
                booking.status = "CANCELLED"
            else:
                assert response.status_code == 409, response.text

        @rule(booking_id=bookings)
        def pay(self, booking_id: str) -> None:
            if not booking_id:
                return
            booking = self.model.bookings[booking_id]
            who = self.customers[booking.customer]
            order = start_payment(client, who, booking_id)
            if booking.status != "PENDING":
                assert order.status_code == 409, order.text
                return
            assert order.status_code in (200, 201), order.text
            response = verify(client, who, checkout(client, order.json()["order_id"]))
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "BOOKED"
            booking.status = "BOOKED"

        @rule()
        def let_holds_run_out(self) -> None:
            clock.advance(TTL + timedelta(seconds=1))
            for booking in self.model.bookings.values():
                if booking.status == "PENDING":
                    booking.status = "EXPIRED"

        @rule()
        def run_the_sweeper(self) -> None:
            sweeper()

        @invariant()
        def seat_map_matches_the_model(self) -> None:
            statuses = seat_statuses(client, self.show["id"])
            for seat in self.seats:
                owner = self.model.owner_of(seat)
                expected = {None: "AVAILABLE", "PENDING": "HELD", "BOOKED": "BOOKED"}[
                    owner.status if owner else None
                ]
                assert statuses[seat] == expected, (seat, owner)

        @invariant()
        def bookings_read_as_the_model_says(self) -> None:
            for booking in self.model.bookings.values():
                response = client.get(
                    f"/api/v1/bookings/{booking.id}", headers=self.customers[booking.customer]
                )
                assert response.json()["status"] == booking.status

    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
