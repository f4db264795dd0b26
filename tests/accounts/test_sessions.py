"""Sessions that end when asked (SPEC "Accounts", issue 22): sign-out revokes its session's
refresh tokens at once and no other session's, sign-out everywhere ends them all, and a password
change ends every session but the caller's."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from tests.api import bearer, guest, problem

PASSWORD = "correct-horse-9"


def new_account(client: httpx.Client, password: str = PASSWORD) -> str:
    email = f"user-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": password, "name": "Asha Rao"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    return email


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


def refresh(client: httpx.Client, tokens: dict[str, Any]) -> httpx.Response:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


def logout(client: httpx.Client, tokens: dict[str, Any]) -> httpx.Response:
    return client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})


def test_signing_out_ends_that_session_at_once_and_no_other(client: httpx.Client) -> None:
    email = new_account(client)
    phone, laptop = sign_in(client, email), sign_in(client, email)
    rotated = refresh(client, phone).json()  # a session is its refresh tokens, rotated or not

    assert logout(client, phone).status_code == 204  # with a token it has already spent
    problem(refresh(client, rotated), 401)
    assert logout(client, rotated).status_code == 204  # again: nothing more happens

    assert refresh(client, laptop).status_code == 200  # the laptop is not signed out
    # The phone's access token lives out its short life (SPEC); only refreshing is over.
    assert client.get("/api/v1/me", headers=bearer(rotated["access_token"])).status_code == 200


def test_signing_out_is_not_mistaken_for_a_stolen_token(client: httpx.Client) -> None:
    """A refresh token of a session that was signed out is refused on its own: it does not set
    off the reuse alarm that signs every session out."""
    email = new_account(client)
    phone, laptop = sign_in(client, email), sign_in(client, email)
    assert logout(client, phone).status_code == 204
    for _ in range(2):
        assert "session has ended" in problem(refresh(client, phone), 401)["detail"]
    assert refresh(client, laptop).status_code == 200


def test_sign_out_takes_only_our_refresh_tokens(client: httpx.Client) -> None:
    email = new_account(client)
    tokens = sign_in(client, email)
    _, guest_token = guest(client)
    for bad in ("garbage", tokens["access_token"], guest_token, tokens["refresh_token"] + "x"):
        problem(client.post("/api/v1/auth/logout", json={"refresh_token": bad}), 401)
    problem(client.post("/api/v1/auth/logout", json={}), 422)
    assert refresh(client, tokens).status_code == 200


def test_signing_out_everywhere_ends_every_session(client: httpx.Client) -> None:
    email = new_account(client)
    sessions = [sign_in(client, email) for _ in range(3)]
    other = sign_in(client, new_account(client))
    headers = bearer(sessions[0]["access_token"])
    assert client.post("/api/v1/auth/logout-all", headers=headers).status_code == 204
    for tokens in sessions:
        problem(refresh(client, tokens), 401)
    assert refresh(client, other).status_code == 200  # someone else's account
    guest_headers, _ = guest(client)
    problem(client.post("/api/v1/auth/logout-all", headers=guest_headers), 403)
    problem(client.post("/api/v1/auth/logout-all"), 401)


def test_a_sign_out_racing_a_refresh_leaves_no_session_alive(client: httpx.Client) -> None:
    email = new_account(client)
    for _ in range(5):
        tokens = sign_in(client, email)
        with ThreadPoolExecutor(max_workers=2) as pool:
            refreshed = pool.submit(refresh, client, tokens)
            signed_out = pool.submit(logout, client, tokens)
        assert signed_out.result().status_code == 204
        answer = refreshed.result()
        if answer.status_code == 200:  # it won: its new refresh token is of the ended session
            problem(refresh(client, answer.json()), 401)
        else:
            problem(answer, 401)


def change_password(
    client: httpx.Client, tokens: dict[str, Any], current: str, new: str
) -> httpx.Response:
    return client.post(
        "/api/v1/me/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(tokens["access_token"]),
    )


def test_changing_the_password_ends_every_other_session(client: httpx.Client) -> None:
    email = new_account(client)
    here, elsewhere = sign_in(client, email), sign_in(client, email)

    assert change_password(client, here, PASSWORD, "a-brand-new-secret").status_code == 204

    problem(refresh(client, elsewhere), 401)
    assert refresh(client, here).status_code == 200  # the session that changed it goes on
    problem(client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 401)
    sign_in(client, email, "a-brand-new-secret")


@pytest.mark.parametrize(
    ("current", "new", "status"),
    [
        ("not-the-password", "a-brand-new-secret", 403),
        (PASSWORD, "short", 422),
        (PASSWORD, "tab\there-inside", 422),
    ],
)
def test_a_refused_password_change_changes_nothing(
    client: httpx.Client, current: str, new: str, status: int
) -> None:
    email = new_account(client)
    here, elsewhere = sign_in(client, email), sign_in(client, email)
    body = problem(change_password(client, here, current, new), status)
    if status == 403:
        assert body["type"].endswith("/wrong-password")
    assert refresh(client, elsewhere).status_code == 200
    sign_in(client, email)


def test_a_guest_has_no_password_to_change(client: httpx.Client) -> None:
    headers, _ = guest(client)
    response = client.post(
        "/api/v1/me/password",
        json={"current_password": "x", "new_password": "a-brand-new-secret"},
        headers=headers,
    )
    problem(response, 403)
