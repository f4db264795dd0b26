"""The waiting list's tests' building blocks: a show sold out by one buyer, seats given back one
by one, and the worker's offer pass run in this process (its own engine, the server's clock)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    register,
    set_theatre_prices,
)
from tests.conftest import LiveServer, make_settings
from tests.payments.checkout import pay

from boxoffice.db.engine import create_engine, create_sessionmaker
from boxoffice.waitlist import offers
from boxoffice.wiring import register_handlers
from boxoffice.worker import hold_store

# Two rows of six side by side, no aisle: all SILVER at 20000.
ROWS = [
    {"label": "A", "seat_type": "SILVER", "seats": 6, "aisles_after": []},
    {"label": "B", "seat_type": "SILVER", "seats": 6, "aisles_after": []},
]


def sold_out_show(
    client: httpx.Client,
    admin: Headers,
    rows: list[dict[str, Any]] | None = None,
    paid: str | None = None,
) -> tuple[dict[str, Any], dict[str, str], Headers, dict[str, str]]:
    """A show whose every seat (of the rows named in `paid`, by default all) one buyer has paid
    for, a row a booking: the show, its seats by label, the buyer, and the buyer's booking by
    seat label."""
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"], rows or ROWS)
    movie = create_movie(client, admin)
    show = create_show(
        client, admin, movie["id"], screen["id"], future(datetime.now().astimezone())
    )
    seats = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    by_label = {seat["label"]: seat["id"] for seat in seats}
    buyer = register(client)
    booking_of: dict[str, str] = {}
    for row in sorted({seat["row"] for seat in seats if paid is None or seat["row"] in paid}):
        ids = [seat["id"] for seat in seats if seat["row"] == row]
        held = client.post(
            "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": ids}, headers=buyer
        )
        assert held.status_code == 201, held.text
        paid = pay(client, buyer, held.json()["id"])
        for seat in seats:
            if seat["row"] == row:
                booking_of[seat["label"]] = paid["id"]
    return show, by_label, buyer, booking_of


def give_back(
    client: httpx.Client,
    buyer: Headers,
    booking_of: dict[str, str],
    by_label: dict[str, str],
    *labels: str,
) -> None:
    """The buyer gives back these seats of their paid bookings (a partial cancellation)."""
    by_booking: dict[str, list[str]] = {}
    for label in labels:
        by_booking.setdefault(booking_of[label], []).append(by_label[label])
    for booking_id, seat_ids in by_booking.items():
        response = client.post(
            f"/api/v1/bookings/{booking_id}/cancel", json={"seat_ids": seat_ids}, headers=buyer
        )
        assert response.status_code == 200, response.text


def join(
    client: httpx.Client, who: Headers, show_id: str, party: int, **extra: Any
) -> httpx.Response:
    return client.post(
        f"/api/v1/shows/{show_id}/waitlist", json={"party": party, **extra}, headers=who
    )


def joined(
    client: httpx.Client, who: Headers, show_id: str, party: int, **extra: Any
) -> dict[str, Any]:
    response = join(client, who, show_id, party, **extra)
    assert response.status_code == 201, response.text
    return dict(response.json())


def entry(client: httpx.Client, who: Headers, entry_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/waitlist/{entry_id}", headers=who)
    assert response.status_code == 200, response.text
    return dict(response.json())


def offer_pass(live_server: LiveServer, *, later: timedelta | None = None, **overrides: Any) -> int:
    """One offer pass of `boxoffice worker` (its own engine), at the server's time, moved on by
    `later` first (the recheck of a show nothing woke: a hold given up, one run out)."""
    if later is not None:
        live_server.clock.advance(later)

    async def run() -> int:
        settings = make_settings(live_server.settings.database_url, **overrides)
        register_handlers()
        engine = create_engine(settings)
        try:
            sessionmaker = create_sessionmaker(engine, settings)
            return await offers.run(
                sessionmaker, settings, live_server.clock, hold_store(settings, sessionmaker)
            )
        finally:
            await engine.dispose()

    return asyncio.run(run())


RECHECK = timedelta(seconds=11)  # past WAITLIST_RECHECK_SECONDS (10)


def offered_labels(client: httpx.Client, who: Headers, found: dict[str, Any]) -> list[str]:
    """The seat labels of the entry's offer (a PENDING booking of the entry's customer)."""
    assert found["status"] == "OFFERED", found
    booking = client.get(f"/api/v1/bookings/{found['offer']['booking_id']}", headers=who).json()
    assert booking["status"] == "PENDING", booking
    return [seat["label"] for seat in booking["seats"]]
