"""GET and PATCH /me, for accounts and for guests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from tests.api import bearer, guest, problem, register

PASSWORD = "correct-horse-9"


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


def test_me_for_a_user(client: httpx.Client) -> None:
    email = new_email()
    headers = register(client, email, PASSWORD, phone="9876543210")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["kind"] == "user"
    assert body["email"] == email
    assert body["name"] == "Test User"
    assert body["phone"] == "9876543210"
    assert body["role"] == "customer"
    assert uuid.UUID(body["id"])
    assert "password" not in me.text and "hash" not in me.text


def test_me_for_a_guest(client: httpx.Client) -> None:
    headers, _ = guest(client)
    body = client.get("/api/v1/me", headers=headers).json()
    assert body["kind"] == "guest"
    assert body["email"] is None and body["phone"] is None and body["name"] is None
    assert "role" not in body


def test_user_patches_name_and_phone(client: httpx.Client) -> None:
    headers = register(client)
    response = client.patch(
        "/api/v1/me", json={"name": "  Meera Iyer  ", "phone": "+14155550100"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Meera Iyer"
    assert response.json()["phone"] == "+14155550100"
    me = client.get("/api/v1/me", headers=headers).json()
    assert (me["name"], me["phone"]) == ("Meera Iyer", "+14155550100")

    cleared = client.patch("/api/v1/me", json={"phone": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["phone"] is None
    assert cleared.json()["name"] == "Meera Iyer"  # what was not sent did not change


def test_user_changes_email_and_logs_in_with_it(client: httpx.Client) -> None:
    headers = register(client, password=PASSWORD)
    email = new_email()
    response = client.patch("/api/v1/me", json={"email": email.upper()}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["email"] == email
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text


def test_email_taken_by_another_account_is_409(client: httpx.Client) -> None:
    taken = new_email()
    register(client, taken)
    headers = register(client)
    before = client.get("/api/v1/me", headers=headers).json()
    problem(client.patch("/api/v1/me", json={"email": taken.upper()}, headers=headers), 409)
    assert client.get("/api/v1/me", headers=headers).json() == before


def test_setting_ones_own_email_again_is_fine(client: httpx.Client) -> None:
    email = new_email()
    headers = register(client, email)
    response = client.patch("/api/v1/me", json={"email": email.upper()}, headers=headers)
    assert response.status_code == 200, response.text


def test_empty_patch_changes_nothing(client: httpx.Client) -> None:
    headers = register(client)
    before = client.get("/api/v1/me", headers=headers).json()
    response = client.patch("/api/v1/me", json={}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == before


@pytest.mark.parametrize("field", ["email", "name"])
def test_account_cannot_drop_email_or_name(client: httpx.Client, field: str) -> None:
    headers = register(client)
    problem(client.patch("/api/v1/me", json={field: None}, headers=headers), 422)


def test_guest_gives_a_contact_then_removes_it(client: httpx.Client) -> None:
    headers, _ = guest(client)
    response = client.patch(
        "/api/v1/me",
        json={"email": "Guest@Example.com", "phone": "+919000000000", "name": "Ravi"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = client.get("/api/v1/me", headers=headers).json()
    assert body["kind"] == "guest"
    assert (body["email"], body["phone"], body["name"]) == (
        "guest@example.com",
        "+919000000000",
        "Ravi",
    )
    cleared = client.patch("/api/v1/me", json={"email": None}, headers=headers).json()
    assert cleared["email"] is None and cleared["phone"] == "+919000000000"


def test_a_guest_may_use_an_email_that_has_an_account(client: httpx.Client) -> None:
    email = new_email()
    register(client, email)
    headers, _ = guest(client)
    response = client.patch("/api/v1/me", json={"email": email}, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email"},
        {"email": ""},
        {"email": 42},
        {"phone": "12-34"},
        {"phone": "123"},
        {"phone": "+1234567890123456"},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "nul\u0000byte"},
        {"role": "admin"},
        {"password": "new-password-123"},
    ],
)
def test_invalid_patch_is_422(client: httpx.Client, body: dict[str, Any]) -> None:
    headers = register(client)
    before = client.get("/api/v1/me", headers=headers).json()
    problem(client.patch("/api/v1/me", json=body, headers=headers), 422)
    assert client.get("/api/v1/me", headers=headers).json() == before


def test_me_needs_a_token(client: httpx.Client) -> None:
    problem(client.get("/api/v1/me"), 401)
    problem(client.patch("/api/v1/me", json={"name": "x"}), 401)
    problem(client.patch("/api/v1/me", json={"name": "x"}, headers=bearer("nope")), 401)
