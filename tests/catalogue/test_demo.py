"""`boxoffice seed-demo`: loads a browsable catalogue once, and only once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import TEST_JWT_SECRET

from boxoffice.money.gst import check_gstin

BOXOFFICE = Path(sys.executable).parent / "boxoffice"


def seed(db: Any) -> str:
    env = {**os.environ, "DATABASE_URL": db.url, "JWT_SECRET": TEST_JWT_SECRET}
    done = subprocess.run(
        [str(BOXOFFICE), "seed-demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_seed_demo_is_idempotent_and_browsable(client: httpx.Client, db: Any) -> None:
    assert seed(db) == "demo catalogue loaded"
    counts = {t: db.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("theatres", "shows")}
    assert seed(db) == "demo catalogue already present"
    assert counts == {t: db.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in counts}

    theatres = client.get("/api/v1/theatres").json()["items"]
    assert {t["city"] for t in theatres} == {"Mumbai", "Bengaluru"}
    assert len(theatres) == 4
    for theatre in theatres:  # registered for GST, with a fee and a policy (SPEC "Money")
        assert check_gstin(theatre["gstin"]) and theatre["state_code"] == theatre["gstin"][:2]
        assert theatre["legal_name"] and theatre["sac"].startswith("9996")
        assert theatre["convenience_fee"] and theatre["cancellation_policy"]
    movies = client.get("/api/v1/movies").json()["items"]
    assert len(movies) >= 5
    for movie in movies:  # each with its poster, drawn for the demo and re-encoded as uploads are
        poster = client.get(movie["poster_url"])
        assert poster.status_code == 200 and poster.headers["content-type"] == "image/webp"

    shows: list[dict[str, Any]] = []
    for city in ("Mumbai", "Bengaluru"):
        page = client.get("/api/v1/shows", params={"city": city, "limit": 100}).json()["items"]
        assert page, city
        shows += page
    now = datetime.now(UTC)
    for show in shows:
        assert show["status"] == "SCHEDULED"
        assert set(show["prices"]) == {"VIP", "GOLD", "SILVER"}
        assert now < datetime.fromisoformat(show["starts_at"]) < now + timedelta(days=8)
    assert {"WEEKDAY", "WEEKEND"} <= {s["day_type"] for s in shows}

    holidays = [s for s in shows if s["day_type"] == "HOLIDAY"]
    assert holidays, "the demo has a holiday within the week"
    seats = client.get(f"/api/v1/shows/{shows[0]['id']}/seats").json()["seats"]
    assert 150 <= len(seats) <= 300
    assert {s["seat_type"] for s in seats} == {"VIP", "GOLD", "SILVER"}
