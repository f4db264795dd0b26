"""One network may not hold a show (issue 22, item 4): before, five addresses of one IPv6 /64
x 3 guests held all 164 seats of a show. Now holds of one address (an IPv6 client: its /64) hold
at most MAX_HELD_SHARE_PER_ADDRESS of a show's seats unpaid at once, checked in the claim."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from tests.api import Headers, bearer, problem
from tests.conftest import TestDatabase, running_app
from tests.support.http import loopback_client

NETWORK = "2001:db8:7:1::"  # one /64, many addresses


def guest(http: httpx.Client, address: str) -> Headers:
    response = http.post("/api/v1/auth/guest", headers={"X-Forwarded-For": address})
    assert response.status_code == 201, response.text
    return bearer(response.json()["access_token"])


def hold(http: httpx.Client, who: Headers, address: str, show_id: str, seats: list[str]) -> Any:
    return http.post(
        "/api/v1/bookings",
        json={"show_id": show_id, "seat_ids": seats},
        headers={"X-Forwarded-For": address, **who},
    )


def test_holds_of_one_network_stop_at_their_share_of_the_show(
    db: TestDatabase, show: dict[str, Any], seats: list[str]
) -> None:
    limits: dict[str, Any] = {
        "rate_limit_enabled": True,
        "max_held_share_per_address": 0.25,  # of the show's 16 seats: 4
        "max_held_seats_per_address_per_show": 40,  # far above: the share is what binds
    }
    with (
        running_app(db.url, trusted_proxies="127.0.0.1", **limits) as server,
        loopback_client(base_url=server.url, timeout=30) as http,
    ):
        addresses = [f"{NETWORK}{suffix:x}" for suffix in range(1, 7)]
        jobs = [
            (guest(http, address), address, seats[2 * i : 2 * i + 2])
            for i, address in enumerate(addresses)
        ]

        def attempt(job: tuple[Headers, str, list[str]]) -> httpx.Response:
            who, address, wanted = job
            with loopback_client(base_url=server.url, timeout=30) as own:
                return hold(own, who, address, show["id"], wanted)

        with ThreadPoolExecutor(len(jobs)) as pool:
            answers = list(pool.map(attempt, jobs))

        statuses = [answer.status_code for answer in answers]
        assert statuses.count(201) == 2 and statuses.count(429) == 4, statuses
        refused = problem(next(a for a in answers if a.status_code == 429), 429)
        assert refused["max_held_share"] == 0.25 and refused["max_held_seats"] == 4, refused
        assert "25%" in refused["detail"]
        held = db.query(
            "SELECT count(*) FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id "
            "WHERE b.show_id = :show AND b.status = 'PENDING'",
            show=db.id(show["id"]),
        )[0][0]
        assert held == 4  # never over the share: the claim counts under the address's lock
        # Another network has its own share.
        other = "2001:db8:7:2::1"
        assert hold(http, guest(http, other), other, show["id"], seats[12:14]).status_code == 201
