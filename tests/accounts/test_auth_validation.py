"""Bad bodies for /auth are 422 problems that never echo a password."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from tests.api import problem

SECRET_PASSWORD = "hunter2-hunter2"


def valid_registration() -> dict[str, Any]:
    return {
        "email": f"user-{uuid.uuid4().hex[:8]}@example.com",
        "password": SECRET_PASSWORD,
        "name": "Test User",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"email": None},
        {"password": None},
        {"name": None},
        {"email": ""},
        {"email": "no-at-sign"},
        {"email": "two@@example.com"},
        {"email": "spaces in@example.com"},
        {"email": "Name <name@example.com>"},
        {"email": "a@" + "b" * 250 + ".com"},
        {"email": 12345},
        {"email": ["a@example.com"]},
        {"password": ""},
        {"password": "short7!"},
        {"password": "x" * 129},
        {"password": 12345678},
        {"name": ""},
        {"name": "   "},
        {"name": "n" * 201},
        {"name": 7},
        {"phone": "phone"},
        {"phone": "12345"},
        {"phone": "+91 98765 43210"},
        {"phone": ""},
        {"guest_token": ""},
        {"guest_token": "t" * 5000},
        {"role": "admin"},
    ],
)
def test_bad_registration_is_422(client: httpx.Client, change: dict[str, Any]) -> None:
    body = valid_registration()
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    response = client.post("/api/v1/auth/register", json=body)
    detail = problem(response, 422)
    assert detail["errors"]
    assert SECRET_PASSWORD not in response.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "a@example.com"},
        {"password": "whatever-123"},
        {"email": "not-an-email", "password": "whatever-123"},
        {"email": "a@example.com", "password": ""},
        {"email": "a@example.com", "password": "p" * 129},
        {"email": "a@example.com", "password": "whatever-123", "remember_me": True},
    ],
)
def test_bad_login_is_422(client: httpx.Client, body: dict[str, Any]) -> None:
    problem(client.post("/api/v1/auth/login", json=body), 422)


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": 5}])
def test_bad_refresh_is_422(client: httpx.Client, body: dict[str, Any]) -> None:
    problem(client.post("/api/v1/auth/refresh", json=body), 422)


@pytest.mark.parametrize(
    "content", [b"", b"not json", b"[]", b'"string"', b"null", b'{"email": "a@example.com",']
)
def test_malformed_json_is_422(client: httpx.Client, content: bytes) -> None:
    response = client.post(
        "/api/v1/auth/register", content=content, headers={"Content-Type": "application/json"}
    )
    problem(response, 422)


def test_unicode_name_and_long_valid_inputs(client: httpx.Client) -> None:
    body = valid_registration() | {"name": "Ñandú Ölçer 名前", "password": "p" * 128}
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["user"]["name"] == "Ñandú Ölçer 名前"
