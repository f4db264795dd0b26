"""Register, login, refresh rotation and guests, through the HTTP API."""

from __future__ import annotations

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import jwt
from tests.api import ADMIN_PASSWORD, bearer, guest, make_admin, problem, register
from tests.conftest import TEST_JWT_SECRET, LiveServer

from boxoffice.clock import Clock

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

PASSWORD = "correct-horse-9"


def sql_id(db: TestDatabase, value: str) -> str:
    """An id as the database stores it (SQLite: 32 hex digits)."""
    return uuid.UUID(value).hex if db.is_sqlite else value


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


def register_body(client: httpx.Client, **body: Any) -> httpx.Response:
    payload = {"email": new_email(), "password": PASSWORD, "name": "Asha Rao", **body}
    return client.post("/api/v1/auth/register", json=payload)


def login_body(client: httpx.Client, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password, **extra})


def test_register_returns_tokens_and_the_user(client: httpx.Client, db: TestDatabase) -> None:
    response = register_body(client, email="Asha.Rao@Example.COM", phone="+919876543210")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["access_token"] and body["refresh_token"]
    user = body["user"]
    assert user["email"] == "asha.rao@example.com"  # stored lower-cased
    assert user["name"] == "Asha Rao"
    assert user["phone"] == "+919876543210"
    assert user["role"] == "customer"
    assert user["kind"] == "user"
    assert "password" not in response.text and "hash" not in response.text

    [row] = db.query(
        "SELECT email, password_hash FROM users WHERE id = :id", id=sql_id(db, user["id"])
    )
    assert row.email == "asha.rao@example.com"
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash

    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user["id"]


def test_duplicate_email_is_409_whatever_the_case(client: httpx.Client) -> None:
    email = new_email()
    assert register_body(client, email=email).status_code == 201
    problem(register_body(client, email=email), 409)
    problem(register_body(client, email=email.upper()), 409)


def test_login_with_any_case_of_the_email(client: httpx.Client) -> None:
    email = new_email()
    register(client, email, PASSWORD)
    response = login_body(client, email.upper())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["refresh_token"]
    assert body["user"]["email"] == email


def test_wrong_password_and_unknown_email_answer_alike(client: httpx.Client) -> None:
    email = new_email()
    register(client, email, PASSWORD)
    wrong_password = problem(login_body(client, email, "not-the-password"), 401)
    unknown_email = problem(login_body(client, new_email()), 401)
    assert wrong_password["detail"] == unknown_email["detail"]
    assert wrong_password["type"] == unknown_email["type"]
    response = login_body(client, email, "not-the-password")
    assert response.headers["www-authenticate"] == "Bearer"
    assert "not-the-password" not in response.text


def test_refresh_rotates_and_a_used_token_is_refused(client: httpx.Client, clock: Clock) -> None:
    first = register_body(client).json()
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["token_type"] == "bearer" and second["expires_in"] == 900
    assert client.get("/api/v1/me", headers=bearer(second["access_token"])).status_code == 200

    clock.advance(timedelta(seconds=31))  # past the grace for a second tab
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    problem(reused, 401)


def test_two_tabs_refreshing_at_once_get_the_same_pair_and_stay_signed_in(
    client: httpx.Client, live_server: LiveServer
) -> None:
    first = register_body(client).json()
    body = {"refresh_token": first["refresh_token"]}
    with ThreadPoolExecutor(max_workers=2) as pool:
        tabs = list(
            pool.map(
                lambda _: httpx.post(f"{live_server.url}/api/v1/auth/refresh", json=body), (1, 2)
            )
        )
    assert [tab.status_code for tab in tabs] == [200, 200], [tab.text for tab in tabs]
    one, two = (tab.json() for tab in tabs)
    assert (one["access_token"], one["refresh_token"]) == (
        two["access_token"],
        two["refresh_token"],
    )
    # Nothing was revoked: the shared new pair goes on working.
    assert client.get("/api/v1/me", headers=bearer(one["access_token"])).status_code == 200
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": one["refresh_token"]})
    assert again.status_code == 200, again.text


def test_the_grace_ends_once_the_new_pair_is_used(client: httpx.Client) -> None:
    first = register_body(client).json()
    body = {"refresh_token": first["refresh_token"]}
    second = client.post("/api/v1/auth/refresh", json=body).json()
    third = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200
    # The first token again, seconds later, but its successor is spent: a stolen copy.
    problem(client.post("/api/v1/auth/refresh", json=body), 401)
    problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": third.json()["refresh_token"]}),
        401,
    )


def test_reusing_a_refresh_token_signs_out_every_session(
    client: httpx.Client, clock: Clock
) -> None:
    email = new_email()
    register(client, email, PASSWORD)
    phone = login_body(client, email).json()["refresh_token"]
    laptop = login_body(client, email).json()["refresh_token"]
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": phone}).json()
    clock.advance(timedelta(seconds=31))

    problem(client.post("/api/v1/auth/refresh", json={"refresh_token": phone}), 401)
    # The whole account is signed out: the thief's and the owner's refresh tokens are dead.
    problem(client.post("/api/v1/auth/refresh", json={"refresh_token": laptop}), 401)
    problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}), 401
    )
    assert login_body(client, email).status_code == 200  # logging in again works


def test_refresh_token_expires(client: httpx.Client, clock: Clock) -> None:
    tokens = register_body(client).json()
    clock.advance(timedelta(days=31))
    problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401
    )


def test_refresh_reflects_a_changed_role(client: httpx.Client, db: TestDatabase) -> None:
    tokens = register_body(client).json()
    db.execute(
        "UPDATE users SET role = 'admin' WHERE id = :id", id=sql_id(db, tokens["user"]["id"])
    )
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.json()["user"]["role"] == "admin"
    claims = jwt.decode(refreshed.json()["access_token"], options={"verify_signature": False})
    assert claims["role"] == "admin"


def test_access_token_expires(client: httpx.Client, clock: Clock) -> None:
    tokens = register_body(client).json()
    headers = bearer(tokens["access_token"])
    clock.advance(timedelta(seconds=tokens["expires_in"] - 5))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(timedelta(seconds=10))
    problem(client.get("/api/v1/me", headers=headers), 401)


def test_tampered_and_forged_tokens_are_401(client: httpx.Client) -> None:
    token = register_body(client).json()["access_token"]
    header, payload, signature = token.split(".")

    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    problem(client.get("/api/v1/me", headers=bearer(f"{header}.{payload}.{flipped}")), 401)

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    raised = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    problem(client.get("/api/v1/me", headers=bearer(f"{header}.{raised}.{signature}")), 401)

    forged = jwt.encode(claims, "another-secret-that-is-also-long-enough-xx", algorithm="HS256")
    problem(client.get("/api/v1/me", headers=bearer(forged)), 401)

    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    problem(client.get("/api/v1/me", headers=bearer(unsigned)), 401)

    problem(client.get("/api/v1/me", headers=bearer("not-a-jwt")), 401)
    problem(client.get("/api/v1/me"), 401)
    problem(client.get("/api/v1/me", headers={"Authorization": f"Basic {token}"}), 401)


def test_refresh_token_is_not_an_access_token(client: httpx.Client) -> None:
    tokens = register_body(client).json()
    problem(client.get("/api/v1/me", headers=bearer(tokens["refresh_token"])), 401)


def test_access_and_guest_tokens_are_not_refresh_tokens(client: httpx.Client) -> None:
    tokens = register_body(client).json()
    problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}), 401
    )
    _, guest_token = guest(client)
    problem(client.post("/api/v1/auth/refresh", json={"refresh_token": guest_token}), 401)
    problem(client.post("/api/v1/auth/refresh", json={"refresh_token": "garbage"}), 401)


def test_refresh_token_of_a_removed_session_row_is_refused(
    client: httpx.Client, db: TestDatabase
) -> None:
    tokens = register_body(client).json()
    db.execute("DELETE FROM refresh_tokens")
    problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401
    )


def test_refresh_token_signed_with_our_secret_but_unknown_jti(client: httpx.Client) -> None:
    tokens = register_body(client).json()
    claims = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})
    claims["jti"] = str(uuid.uuid4())
    forged = jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")
    problem(client.post("/api/v1/auth/refresh", json={"refresh_token": forged}), 401)


def test_guest_gets_an_access_token_only(client: httpx.Client, db: TestDatabase) -> None:
    response = client.post("/api/v1/auth/guest")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 7 * 86_400
    assert "refresh_token" not in body
    guest_id = body["guest"]["id"]
    assert db.query("SELECT id FROM guests WHERE id = :id", id=sql_id(db, guest_id))

    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == guest_id and claims["kind"] == "guest" and claims["role"] == "guest"
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {**me.json(), "id": guest_id, "kind": "guest", "email": None}


def test_guest_token_expires(client: httpx.Client, clock: Clock) -> None:
    headers, _ = guest(client)
    clock.advance(timedelta(days=7, seconds=1))
    problem(client.get("/api/v1/me", headers=headers), 401)


def test_admin_signs_in_with_the_admin_role(client: httpx.Client, db: TestDatabase) -> None:
    headers = make_admin(client, db)
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["role"] == "admin"
    response = login_body(client, "admin@example.com", ADMIN_PASSWORD)
    assert response.json()["user"]["role"] == "admin"
