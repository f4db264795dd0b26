"""`boxoffice create-admin` creates an admin or promotes an account, then it logs in as admin."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from tests.api import problem, register
from tests.conftest import TEST_JWT_SECRET

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

BOXOFFICE = str(Path(sys.executable).parent / "boxoffice")


def create_admin(db: TestDatabase, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db.url, "JWT_SECRET": TEST_JWT_SECRET}
    env.pop("BOXOFFICE_ADMIN_PASSWORD", None)
    return subprocess.run(
        [BOXOFFICE, "create-admin", *args], env=env, capture_output=True, text=True, timeout=60
    )


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_create_admin_then_log_in_as_admin(client: httpx.Client, db: TestDatabase) -> None:
    email = f"Boss-{uuid.uuid4().hex[:6]}@Example.com"
    done = create_admin(db, "--email", email, "--password", "admin-pass-123")
    assert done.returncode == 0, done.stderr
    assert "admin-pass-123" not in done.stdout + done.stderr

    response = login(client, email.lower(), "admin-pass-123")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "admin"
    assert response.json()["user"]["name"] == "Administrator"


def test_create_admin_promotes_an_account_and_resets_its_password(
    client: httpx.Client, db: TestDatabase
) -> None:
    email = f"promote-{uuid.uuid4().hex[:6]}@example.com"
    register(client, email, "old-password-1")
    done = create_admin(db, "--email", email, "--password", "new-password-1")
    assert done.returncode == 0, done.stderr

    problem(login(client, email, "old-password-1"), 401)
    response = login(client, email, "new-password-1")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "admin"
    assert response.json()["user"]["name"] == "Test User"  # the rest of the account is kept
    assert db.query("SELECT count(*) FROM users WHERE email = :e", e=email)[0][0] == 1


def test_create_admin_refuses_a_short_password(db: TestDatabase) -> None:
    email = f"short-{uuid.uuid4().hex[:6]}@example.com"
    done = create_admin(db, "--email", email, "--password", "short")
    assert done.returncode != 0
    assert not db.query("SELECT id FROM users WHERE email = :e", e=email)
