"""Building blocks for tests, all through the public HTTP API (SPEC.md "Exact shapes").

Only the first admin is made directly in the database, as `boxoffice create-admin` would.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from argon2 import PasswordHasher

from boxoffice.accounts.passwords import hash_password, password_hasher
from boxoffice.config import Settings

Headers = dict[str, str]

ADMIN_PASSWORD = "admin-password-123"
# The suite signs in hundreds of times: argon2id at its lowest cost (a real setting, the production
# default costs ~0.1 s of CPU a hash). Test servers in processes of their own get the same.
CHEAP_PASSWORD_HASHING = {"password_hash_time_cost": 1, "password_hash_memory_kib": 1024}
_admin_hash: str | None = None


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def make_admin(client: httpx.Client, db: Any, email: str = "admin@example.com") -> Headers:
    global _admin_hash
    _admin_hash = _admin_hash or hash_password(_test_hasher(), ADMIN_PASSWORD)
    now = datetime.now(UTC)
    db.execute(
        "INSERT INTO users (id, email, password_hash, name, role, created_at) "
        "VALUES (:id, :email, :hash, 'Admin', 'admin', :now)",
        # Bound as the app's column types store them: SQLite keeps a UUID as 32 hex digits and
        # an instant as naive UTC text; the sqlite3 driver cannot bind a UUID at all.
        id=uuid.uuid4().hex if db.is_sqlite else uuid.uuid4(),
        email=email,
        hash=_admin_hash,
        now=now.replace(tzinfo=None) if db.is_sqlite else now,
    )
    return login(client, email, ADMIN_PASSWORD)


def _test_hasher() -> PasswordHasher:
    return password_hasher(Settings(jwt_secret="x" * 32, **CHEAP_PASSWORD_HASHING))


def login(client: httpx.Client, email: str, password: str, **extra: Any) -> Headers:
    response = client.post(
        "/api/v1/auth/login", json={"email": email, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def register(
    client: httpx.Client, email: str | None = None, password: str = "correct-horse-9", **extra: Any
) -> Headers:
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    response = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "name": "Test User", **extra},
    )
    assert response.status_code == 201, response.text
    return bearer(response.json()["access_token"])


def guest(client: httpx.Client) -> tuple[Headers, str]:
    response = client.post("/api/v1/auth/guest")
    assert response.status_code in (200, 201), response.text
    token = response.json()["access_token"]
    return bearer(token), token


def create_theatre(client: httpx.Client, admin: Headers, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "PVR Phoenix",
        "city": "Mumbai",
        "address": "Lower Parel, Mumbai",
        "timezone": "Asia/Kolkata",
        "holidays": [],
        **overrides,
    }
    response = client.post("/api/v1/theatres", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return dict(response.json())


DEFAULT_ROWS = [
    {"label": "A", "seat_type": "VIP", "seats": 4, "aisles_after": [2]},
    {"label": "B", "seat_type": "GOLD", "seats": 6, "aisles_after": [3]},
    {"label": "C", "seat_type": "SILVER", "seats": 6, "aisles_after": []},
]


def create_screen(
    client: httpx.Client,
    admin: Headers,
    theatre_id: str,
    rows: list[dict[str, Any]] | None = None,
    name: str = "Audi 1",
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/theatres/{theatre_id}/screens",
        json={"name": name, "rows": rows or DEFAULT_ROWS},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


DEFAULT_PRICES = {"VIP": 50000, "GOLD": 35000, "SILVER": 20000}


def set_theatre_prices(
    client: httpx.Client, admin: Headers, theatre_id: str, prices: dict[str, int] | None = None
) -> None:
    rules = [
        {"seat_type": seat_type, "day_type": day_type, "amount": amount}
        for seat_type, amount in (prices or DEFAULT_PRICES).items()
        for day_type in ("WEEKDAY", "WEEKEND")
    ]
    response = client.put(f"/api/v1/theatres/{theatre_id}/prices", json=rules, headers=admin)
    assert response.status_code == 200, response.text


def create_movie(client: httpx.Client, admin: Headers, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "The Long Night",
        "duration_minutes": 120,
        "language": "Hindi",
        "certificate": "UA",
        "genres": ["Drama"],
        "release_date": "2026-11-01",
        **overrides,
    }
    response = client.post("/api/v1/movies", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return dict(response.json())


def create_show(
    client: httpx.Client,
    admin: Headers,
    movie_id: str,
    screen_id: str,
    starts_at: datetime,
    **overrides: Any,
) -> dict[str, Any]:
    body = {
        "movie_id": movie_id,
        "screen_id": screen_id,
        "starts_at": starts_at.isoformat(),
        **overrides,
    }
    response = client.post("/api/v1/shows", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return dict(response.json())


def future(now: datetime, days: int = 2, hour: int = 18) -> datetime:
    """A start time `days` from `now`, at a round hour, in IST."""
    from zoneinfo import ZoneInfo

    local = (now + timedelta(days=days)).astimezone(ZoneInfo("Asia/Kolkata"))
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def ready_show(
    client: httpx.Client, admin: Headers, rows: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A theatre with prices, a screen, a movie and one scheduled show two days ahead."""
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"], rows)
    movie = create_movie(client, admin)
    now = datetime.now().astimezone()
    return create_show(client, admin, movie["id"], screen["id"], future(now))


def seat_ids(client: httpx.Client, show_id: str) -> list[str]:
    response = client.get(f"/api/v1/shows/{show_id}/seats")
    assert response.status_code == 200, response.text
    return [seat["id"] for seat in response.json()["seats"]]


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Asserts a problem+json response with that status and returns its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = dict(response.json())
    assert body["status"] == status and body["type"] and body["title"]
    return body
