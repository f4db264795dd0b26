"""Wrong passwords are limited per account and client, and (more loosely) per account from
anywhere; a right password is never counted (issue 22, item 6). Before, ten wrong passwords
from anywhere kept the owner out, from everywhere, for fifteen minutes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.api import register
from tests.bookings.test_hoarding import assert_429, from_address
from tests.conftest import TestDatabase, running_app
from tests.support.http import loopback_client

EMAIL = "owner@example.com"
RIGHT = "the-right-password"
LIMITS = {
    "rate_limit_enabled": True,
    "rate_limit_login_per_account_and_address": "3 per 15 minutes",
    "rate_limit_login_per_account": "8 per 15 minutes",
}


@pytest.fixture
def shop(db: TestDatabase) -> Iterator[httpx.Client]:
    with (
        running_app(db.url, trusted_proxies="127.0.0.1", **LIMITS) as server,
        loopback_client(base_url=server.url, timeout=30) as http,
    ):
        register(http, email=EMAIL, password=RIGHT)
        yield http


def sign_in(http: httpx.Client, address: str, password: str = "a-wrong-guess") -> httpx.Response:
    return http.post(
        "/api/v1/auth/login",
        json={"email": EMAIL, "password": password},
        headers=from_address(address),
    )


def test_guesses_from_one_address_stop_there_and_the_owner_signs_in_elsewhere(
    shop: httpx.Client,
) -> None:
    guesser = "203.0.113.66"
    assert [sign_in(shop, guesser).status_code for _ in range(3)] == [401] * 3
    refused = sign_in(shop, guesser, RIGHT)  # refused before the password is looked at
    assert int(refused.headers["retry-after"]) > 60
    assert_429(refused)

    assert sign_in(shop, "198.51.100.20", RIGHT).status_code == 200


def test_right_passwords_are_not_counted(shop: httpx.Client) -> None:
    assert [sign_in(shop, "198.51.100.21", RIGHT).status_code for _ in range(10)] == [200] * 10


def test_a_right_password_forgets_that_clients_wrong_ones(shop: httpx.Client) -> None:
    owner = "198.51.100.22"
    for _ in range(2):
        assert [sign_in(shop, owner).status_code for _ in range(2)] == [401, 401]
        assert sign_in(shop, owner, RIGHT).status_code == 200


def test_guesses_from_many_addresses_meet_the_accounts_own_looser_limit(
    shop: httpx.Client,
) -> None:
    for index in range(8):  # under every client's limit, at the account's
        assert sign_in(shop, f"192.0.2.{index + 1}").status_code == 401
    assert_429(sign_in(shop, "192.0.2.100", RIGHT))
    # Other accounts are untouched.
    other = shop.post(
        "/api/v1/auth/login",
        json={"email": "someone-else@example.com", "password": "whatever-it-is"},
        headers=from_address("192.0.2.100"),
    )
    assert other.status_code == 401


def test_wrong_current_passwords_in_a_password_change_are_limited_too(shop: httpx.Client) -> None:
    """A stolen access token must not become a way to guess the password."""
    tokens = shop.post("/api/v1/auth/login", json={"email": EMAIL, "password": RIGHT}).json()

    def change(current: str) -> httpx.Response:
        return shop.post(
            "/api/v1/me/password",
            json={"current_password": current, "new_password": "a-brand-new-secret"},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )

    assert [change("a-wrong-guess").status_code for _ in range(3)] == [403] * 3
    assert_429(change(RIGHT))
    assert sign_in(shop, "198.51.100.30", RIGHT).status_code == 200  # unchanged
