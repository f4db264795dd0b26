"""Guest to account: linking on register and login, idempotent, exclusive, token spent."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from tests.api import bearer, guest, problem, register
from tests.support.http import loopback_client

from boxoffice.clock import Clock

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

PASSWORD = "correct-horse-9"


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


def sql_id(db: TestDatabase, value: str) -> str:
    return uuid.UUID(value).hex if db.is_sqlite else value


def guest_row(db: TestDatabase, guest_id: str) -> Any:
    [row] = db.query(
        "SELECT linked_user_id, linked_at FROM guests WHERE id = :id", id=sql_id(db, guest_id)
    )
    return row


def same_id(stored: Any, value: str) -> bool:
    return uuid.UUID(str(stored)) == uuid.UUID(value)


def new_guest(client: httpx.Client) -> tuple[str, str]:
    """(guest id, guest token)."""
    headers, token = guest(client)
    return client.get("/api/v1/me", headers=headers).json()["id"], token


def login(client: httpx.Client, email: str, **extra: Any) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD, **extra})


def test_register_with_guest_token_links_and_spends_it(
    client: httpx.Client, db: TestDatabase, show: dict[str, Any], seats: list[str]
) -> None:
    guest_id, token = new_guest(client)
    response = client.post(
        "/api/v1/auth/register",
        json={"email": new_email(), "password": PASSWORD, "name": "A", "guest_token": token},
    )
    assert response.status_code == 201, response.text
    user_id = response.json()["user"]["id"]
    row = guest_row(db, guest_id)
    assert same_id(row.linked_user_id, user_id) and row.linked_at is not None
    problem(client.get("/api/v1/me", headers=bearer(token)), 401)
    spent = client.post(
        "/api/v1/bookings",
        json={"show_id": show["id"], "seat_ids": seats[:1]},
        headers=bearer(token),
    )
    problem(spent, 401)
    assert db.query("SELECT count(*) FROM bookings")[0][0] == 0


def test_login_with_guest_token_links_idempotently(client: httpx.Client, db: TestDatabase) -> None:
    email = new_email()
    register(client, email, PASSWORD)
    guest_id, token = new_guest(client)

    first = login(client, email, guest_token=token)
    assert first.status_code == 200, first.text
    user_id = first.json()["user"]["id"]
    linked = guest_row(db, guest_id)
    assert same_id(linked.linked_user_id, user_id)

    again = login(client, email, guest_token=token)
    assert again.status_code == 200, again.text
    assert guest_row(db, guest_id) == linked  # nothing changed, not even linked_at
    problem(client.get("/api/v1/me", headers=bearer(token)), 401)


def test_guest_linked_to_one_account_cannot_go_to_another(
    client: httpx.Client, db: TestDatabase
) -> None:
    first_email, second_email = new_email(), new_email()
    register(client, first_email, PASSWORD)
    register(client, second_email, PASSWORD)
    guest_id, token = new_guest(client)
    owner = login(client, first_email, guest_token=token).json()["user"]["id"]
    tokens_before = db.query("SELECT count(*) FROM refresh_tokens")[0][0]

    problem(login(client, second_email, guest_token=token), 409)
    assert same_id(guest_row(db, guest_id).linked_user_id, owner)
    # The login failed as a whole: no session was issued.
    assert db.query("SELECT count(*) FROM refresh_tokens")[0][0] == tokens_before

    third_email = new_email()
    problem(
        client.post(
            "/api/v1/auth/register",
            json={"email": third_email, "password": PASSWORD, "name": "C", "guest_token": token},
        ),
        409,
    )
    assert not db.query("SELECT id FROM users WHERE email = :e", e=third_email)


def login_all_at_once(client: httpx.Client, emails: list[str], token: str) -> dict[str, int]:
    """Every account logs in with the same guest token at the same instant; their statuses."""
    barrier = threading.Barrier(len(emails))
    statuses: dict[str, int] = {}

    def attempt(email: str) -> None:
        with loopback_client(base_url=str(client.base_url), timeout=30) as own:
            barrier.wait()
            statuses[email] = login(own, email, guest_token=token).status_code

    threads = [threading.Thread(target=attempt, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_two_accounts_racing_for_one_guest(client: httpx.Client, db: TestDatabase) -> None:
    emails = [new_email(), new_email()]
    for email in emails:
        register(client, email, PASSWORD)
    for _ in range(3):
        guest_id, token = new_guest(client)
        statuses = login_all_at_once(client, emails, token)
        assert sorted(statuses.values()) == [200, 409], statuses
        [winner] = [email for email, status in statuses.items() if status == 200]
        [owner] = db.query("SELECT id FROM users WHERE email = :e", e=winner)
        assert same_id(guest_row(db, guest_id).linked_user_id, str(uuid.UUID(str(owner.id))))


def test_invalid_guest_tokens_are_422_and_change_nothing(
    client: httpx.Client, db: TestDatabase, clock: Clock
) -> None:
    email = new_email()
    user_tokens = client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "A"}
    ).json()
    problem(login(client, email, guest_token="garbage"), 422)
    problem(login(client, email, guest_token=user_tokens["access_token"]), 422)
    problem(login(client, email, guest_token=user_tokens["refresh_token"]), 422)
    problem(
        client.post(
            "/api/v1/auth/register",
            json={"email": new_email(), "password": PASSWORD, "name": "B", "guest_token": "x"},
        ),
        422,
    )

    guest_id, token = new_guest(client)
    clock.advance(timedelta(days=7, seconds=1))
    problem(login(client, email, guest_token=token), 422)
    assert guest_row(db, guest_id).linked_user_id is None


def test_wrong_password_with_guest_token_links_nothing(
    client: httpx.Client, db: TestDatabase
) -> None:
    email = new_email()
    register(client, email, PASSWORD)
    guest_id, token = new_guest(client)
    response = client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": "wrong-password", "guest_token": token},
    )
    problem(response, 401)
    assert guest_row(db, guest_id).linked_user_id is None
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
