"""Seat hoarding is hard for a bot and easy for a family (security review, issue 17).

Before: one address could mint 120 guest tokens a minute, each holding 3 bookings x 10 seats per
show, and one account could hold 30 seats in every show at once. These tests run the real app
with its limits on (everywhere else the suite turns them off).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api import Headers, bearer, create_show, future, problem, register
from tests.conftest import TEST_JWT_SECRET, TestDatabase, running_app
from tests.support.http import loopback_client
from tests.support.servers import bare_env, launched

METRICS_TOKEN = "metrics-token-for-the-hoarding-tests"
LIMITS: dict[str, Any] = {
    "rate_limit_enabled": True,
    "rate_limit_guest_tokens": "3/hour",
    "max_held_seats_per_customer": 4,
    "max_held_seats_per_address_per_show": 5,
    "max_held_share_per_address": 1.0,  # the share of a show: tests/bookings/test_held_share.py
    "metrics_token": METRICS_TOKEN,
}


@pytest.fixture
def limited(db: TestDatabase) -> Iterator[httpx.Client]:
    """The real app with its limits on, behind a load balancer at 127.0.0.1."""
    with (
        running_app(db.url, trusted_proxies="127.0.0.1", **LIMITS) as server,
        loopback_client(base_url=server.url, timeout=30) as http,
    ):
        yield http


def from_address(address: str, **headers: str) -> dict[str, str]:
    return {"X-Forwarded-For": address, **headers}


def new_guest(http: httpx.Client, address: str) -> Headers:
    response = http.post("/api/v1/auth/guest", headers=from_address(address))
    assert response.status_code == 201, response.text
    return bearer(response.json()["access_token"])


def hold(
    http: httpx.Client, who: Headers, show_id: str, seat_ids: list[str], address: str
) -> httpx.Response:
    return http.post(
        "/api/v1/bookings",
        json={"show_id": show_id, "seat_ids": seat_ids},
        headers=from_address(address, **who),
    )


def rate_limited_count(http: httpx.Client, scope: str) -> float:
    text = http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    for line in text.splitlines():
        if line.startswith(f'boxoffice_rate_limited_total{{scope="{scope}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def assert_429(response: httpx.Response) -> dict[str, Any]:
    body = problem(response, 429)
    assert int(response.headers["retry-after"]) >= 1
    return body


def test_guest_tokens_per_address_per_hour(limited: httpx.Client) -> None:
    for _ in range(3):
        new_guest(limited, "203.0.113.10")
    refused = limited.post("/api/v1/auth/guest", headers=from_address("203.0.113.10"))
    assert_429(refused)
    assert int(refused.headers["retry-after"]) > 60  # an hour's window, not a minute's
    new_guest(limited, "203.0.113.11")  # the neighbours are not punished
    assert rate_limited_count(limited, "auth.guest") >= 1


def test_held_seats_per_customer_across_all_shows(
    limited: httpx.Client,
    client: httpx.Client,
    admin: Headers,
    show: dict[str, Any],
    seats: list[str],
) -> None:
    other = create_show(
        client,
        admin,
        show["movie_id"],
        show["screen_id"],
        future(datetime.now().astimezone(), days=3),
    )
    other_seats = [
        s["id"] for s in client.get(f"/api/v1/shows/{other['id']}/seats").json()["seats"]
    ]
    customer = register(limited)
    first = hold(limited, customer, show["id"], seats[:3], "203.0.113.20")
    assert first.status_code == 201, first.text

    before = datetime.now(UTC)  # the fresh app's clock is the real one
    refused = hold(limited, customer, other["id"], other_seats[:2], "203.0.113.20")
    after = datetime.now(UTC)

    body = assert_429(refused)
    assert body["type"].endswith("/too-many-held-seats")
    assert (body["max_held_seats"], body["held_seats"]) == (4, 3)
    # Until the first hold runs out, as the server's clock said while it answered.
    runs_out = datetime.fromisoformat(first.json()["expires_at"])
    soonest, latest = (math.ceil((runs_out - t).total_seconds()) for t in (after, before))
    assert soonest <= int(refused.headers["retry-after"]) <= latest
    assert hold(limited, customer, other["id"], other_seats[:1], "203.0.113.20").status_code == 201
    # Paying or cancelling frees the allowance at once.
    cancel = limited.post(f"/api/v1/bookings/{first.json()['id']}/cancel", headers=customer)
    assert cancel.status_code == 200
    assert hold(limited, customer, other["id"], other_seats[1:4], "203.0.113.20").status_code == 201
    assert rate_limited_count(limited, "bookings.held_seats_per_customer") >= 1


def test_held_seats_per_address_in_a_show(
    limited: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    family = "198.51.100.7"
    mother, son = new_guest(limited, family), new_guest(limited, family)
    assert hold(limited, mother, show["id"], seats[:3], family).status_code == 201

    refused = hold(limited, son, show["id"], seats[3:6], family)

    body = assert_429(refused)
    assert (body["max_held_seats"], body["held_seats"]) == (5, 3)
    assert hold(limited, son, show["id"], seats[3:5], family).status_code == 201
    # Another address behind the same load balancer has its own allowance.
    stranger = new_guest(limited, "198.51.100.8")
    assert hold(limited, stranger, show["id"], seats[5:8], "198.51.100.8").status_code == 201
    assert rate_limited_count(limited, "bookings.held_seats_per_address") >= 1


def test_many_guests_behind_one_address_racing_hold_at_most_the_cap(
    limited: httpx.Client, show: dict[str, Any], seats: list[str], db: TestDatabase
) -> None:
    bot = "192.0.2.66"
    # Three tokens an hour per address: a bot farming them would need a fleet of addresses.
    guests = [new_guest(limited, bot) for _ in range(3)]
    requests = [(guests[i % 3], seats[2 * i : 2 * i + 2]) for i in range(6)]

    def attempt(job: tuple[Headers, list[str]]) -> int:
        who, wanted = job
        with loopback_client(base_url=str(limited.base_url), timeout=30) as http:
            return hold(http, who, show["id"], wanted, bot).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(attempt, requests))

    assert statuses.count(201) == 2 and statuses.count(429) == 4, statuses
    held = db.query(
        "SELECT count(*) FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id "
        "WHERE b.client_ip = :ip AND b.status = 'PENDING'",
        ip=bot,
    )[0][0]
    assert held == 4  # never more than the cap of 5: two holds of two seats fit, a third not


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    db: TestDatabase, show: dict[str, Any], seats: list[str]
) -> None:
    # No TRUSTED_PROXIES: the header is the client's word, and changes nothing.
    with running_app(db.url, **LIMITS) as server, loopback_client(base_url=server.url) as http:
        for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
            assert http.post("/api/v1/auth/guest", headers=from_address(address)).status_code == 201
        assert_429(http.post("/api/v1/auth/guest", headers=from_address("203.0.113.4")))


def test_several_processes_without_redis_warn_that_limits_are_per_process(
    db: TestDatabase, tmp_path: Path
) -> None:
    env = bare_env(db.url, TEST_JWT_SECRET, RAZORPAY_SANDBOX="true")
    with launched(env, tmp_path / "alone.log", "--workers", "2") as server:
        output = server.until("rate_limits_per_process")
    assert '"rate_limits_per_process"' in output and '"warning"' in output, output
    shared = {**env, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    with launched(shared, tmp_path / "shared.log", "--workers", "2") as server:
        quiet = server.until("Application startup complete")
    assert "rate_limits_per_process" not in quiet
