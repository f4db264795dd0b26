"""An IPv6 client is its /64 for every per-address limit and cap (issue 22, item 4).

Before, five addresses of one /64 with three guests each held every seat of a show: a subscriber
picks addresses from its /64 at will, so a limit per IPv6 address was a limit per guess. These
tests come through a trusted load balancer (X-Forwarded-For, as in production) with addresses
of one /64, and check that the next /64 is a neighbour with an allowance of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.bookings.test_hoarding import LIMITS, assert_429, from_address, hold, new_guest
from tests.conftest import TestDatabase, running_app
from tests.support.http import loopback_client

ONE_64 = ["2001:db8:7:1::1", "2001:db8:7:1::2", "2001:db8:7:1:ffff:ffff:ffff:fffe"]
NEXT_64 = "2001:db8:7:2::1"


@pytest.fixture
def behind_proxy(db: TestDatabase) -> Iterator[httpx.Client]:
    with (
        running_app(
            db.url, trusted_proxies="127.0.0.1", **{**LIMITS, "rate_limit_auth": "3/minute"}
        ) as server,
        loopback_client(base_url=server.url, timeout=30) as http,
    ):
        yield http


def test_guest_tokens_are_counted_per_64(behind_proxy: httpx.Client) -> None:
    for address in ONE_64:  # the limit is 3 an hour
        new_guest(behind_proxy, address)
    assert_429(behind_proxy.post("/api/v1/auth/guest", headers=from_address("2001:db8:7:1::99")))
    new_guest(behind_proxy, NEXT_64)


def test_held_seats_in_a_show_are_counted_per_64(
    behind_proxy: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    first, second = ONE_64[0], ONE_64[2]  # the cap is 5 seats a show
    mine = new_guest(behind_proxy, first)
    assert hold(behind_proxy, mine, show["id"], seats[:3], first).status_code == 201
    refused = hold(behind_proxy, new_guest(behind_proxy, second), show["id"], seats[3:6], second)
    body = assert_429(refused)
    assert (body["max_held_seats"], body["held_seats"]) == (5, 3)
    neighbour = new_guest(behind_proxy, NEXT_64)
    assert hold(behind_proxy, neighbour, show["id"], seats[3:6], NEXT_64).status_code == 201


def test_sign_in_is_counted_per_64(behind_proxy: httpx.Client) -> None:
    def sign_in(address: str, index: int) -> httpx.Response:
        return behind_proxy.post(
            "/api/v1/auth/login",
            json={"email": f"nobody-{index}@example.com", "password": "a-guess"},
            headers=from_address(address),
        )

    for index, address in enumerate(ONE_64):  # 3 a minute from one client
        assert sign_in(address, index).status_code == 401
    assert_429(sign_in("2001:db8:7:1:abcd::1", 9))
    assert sign_in(NEXT_64, 10).status_code == 401


def test_an_ipv4_address_written_as_ipv6_is_that_ipv4_address(behind_proxy: httpx.Client) -> None:
    for address in ("203.0.113.77", "::ffff:203.0.113.77", "::ffff:cb00:714d"):
        new_guest(behind_proxy, address)
    assert_429(behind_proxy.post("/api/v1/auth/guest", headers=from_address("203.0.113.77")))
