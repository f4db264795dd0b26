"""No seat is ever sold twice: many clients, several server processes, one hot show.

Real parallelism: 120 client threads hammering overlapping seat sets through two `boxoffice
serve` processes on one PostgreSQL database (on SQLite, through the one process of the embedded
mode), then an audit straight from the database.
"""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    guest,
    make_admin,
    set_theatre_prices,
)
from tests.support.http import loopback_client
from tests.support.servers import Servers

CLIENTS = 120


def big_show(client: httpx.Client, admin: Headers, rows: int, per_row: int) -> dict[str, Any]:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    layout = [
        {
            "label": chr(ord("A") + r),
            "seat_type": ("VIP", "GOLD", "SILVER")[r % 3],
            "seats": per_row,
            "aisles_after": [],
        }
        for r in range(rows)
    ]
    screen = create_screen(client, admin, theatre["id"], layout)
    movie = create_movie(client, admin)
    return create_show(
        client, admin, movie["id"], screen["id"], future(datetime.now().astimezone())
    )


def audit(db: Any, show_id: str, now: datetime | None = None) -> None:
    """Every seat in at most one live booking (live at `now`, by default the real time), and
    every live booking owns exactly its seats (but those it gave back, cancelling part of it; a
    hold that ran out owns nothing)."""
    now = now or datetime.now(UTC)
    show, now = db.id(show_id), now.replace(tzinfo=None) if db.is_sqlite else now
    doubly_held = db.query(
        """
        SELECT bs.seat_id, count(*) FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id
        WHERE b.show_id = :show AND bs.cancelled_at IS NULL
          AND (b.status = 'BOOKED' OR (b.status = 'PENDING' AND b.expires_at > :now))
        GROUP BY bs.seat_id HAVING count(*) > 1
        """,
        show=show,
        now=now,
    )
    assert doubly_held == []
    mismatched = db.query(
        """
        SELECT b.id FROM bookings b JOIN booking_seats bs ON bs.booking_id = b.id
        LEFT JOIN show_seats ss
          ON ss.show_id = b.show_id AND ss.seat_id = bs.seat_id AND ss.booking_id = b.id
        WHERE b.show_id = :show AND ss.seat_id IS NULL AND bs.cancelled_at IS NULL
          AND (b.status = 'BOOKED' OR (b.status = 'PENDING' AND b.expires_at > :now))
        """,
        show=show,
        now=now,
    )
    assert mismatched == []
    orphans = db.query(
        """
        SELECT ss.seat_id FROM show_seats ss LEFT JOIN bookings b ON b.id = ss.booking_id
        WHERE ss.show_id = :show AND ss.booking_id IS NOT NULL
          AND (b.id IS NULL OR b.status NOT IN ('PENDING', 'BOOKED'))
        """,
        show=show,
    )
    assert orphans == []


def test_hammering_overlapping_seats_never_double_books(
    client: httpx.Client, db: Any, two_servers: Servers
) -> None:
    admin = make_admin(client, db)
    show = big_show(client, admin, rows=4, per_row=10)  # 40 seats, heavy overlap
    seat_ids = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    customers = [guest(client)[0] for _ in range(CLIENTS)]
    urls = two_servers.urls

    def storm(index: int) -> list[tuple[int, dict[str, Any], list[str]]]:
        rng = random.Random(index)
        results = []
        with loopback_client(base_url=urls[index % 2], timeout=60) as http:
            for attempt in range(4):
                wanted = rng.sample(seat_ids, rng.randint(1, 4))
                response = http.post(
                    "/api/v1/bookings",
                    json={"show_id": show["id"], "seat_ids": wanted},
                    headers=customers[index],
                )
                results.append((response.status_code, response.json(), wanted))
                if response.status_code == 201 and attempt % 2 == 1:
                    http.post(
                        f"/api/v1/bookings/{response.json()['id']}/cancel",
                        headers=customers[index],
                    )
        return results

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = [r for batch in pool.map(storm, range(CLIENTS)) for r in batch]

    statuses = Counter(status for status, _, _ in outcomes)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] > 0 and statuses[409] > 0, statuses
    for status, body, wanted in outcomes:
        if status == 201:
            assert sorted(s["seat_id"] for s in body["seats"]) == sorted(wanted)
        else:
            assert body["type"].endswith(("/seats-unavailable", "/too-many-holds")), body
            if body["type"].endswith("/seats-unavailable"):
                assert body["unavailable_seat_ids"] and set(body["unavailable_seat_ids"]) <= set(
                    wanted
                )
    audit(db, show["id"])
    logged = two_servers.output()
    assert "deadlock" not in logged.lower() and "Traceback" not in logged, logged[-2000:]


def test_sell_out_grants_exactly_the_seats_there_are(
    client: httpx.Client, db: Any, two_servers: Servers
) -> None:
    admin = make_admin(client, db)
    show = big_show(client, admin, rows=2, per_row=15)  # 30 seats
    seat_ids = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    buyers = [guest(client)[0] for _ in range(CLIENTS)]
    urls = two_servers.urls

    def buy(index: int) -> int:
        """Tries free seats until one hold sticks or the show is sold out."""
        rng = random.Random(1000 + index)
        with loopback_client(base_url=urls[index % 2], timeout=60) as http:
            for _ in range(40):
                seat_map = http.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
                free = [s["id"] for s in seat_map if s["status"] == "AVAILABLE"]
                if not free:
                    return 0
                wanted = rng.sample(free, min(len(free), rng.randint(1, 2)))
                response = http.post(
                    "/api/v1/bookings",
                    json={"show_id": show["id"], "seat_ids": wanted},
                    headers=buyers[index],
                )
                assert response.status_code in (201, 409), response.text
                if response.status_code == 201:
                    return len(wanted)
        return 0

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        granted = sum(pool.map(buy, range(CLIENTS)))

    taken = db.query(
        "SELECT count(*) FROM show_seats WHERE show_id = :s AND booking_id IS NOT NULL",
        s=db.id(show["id"]),
    )
    assert granted == taken[0][0] == len(seat_ids)
    audit(db, show["id"])
