"""POST /api/v1/shows/batch (SPEC "Back office"): a week of shows at once, all or nothing. A
refusal names every failing item by its index and reason; a screen of a theatre the caller does
not run refuses the whole batch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_theatre,
    future,
    login,
    problem,
    set_theatre_prices,
)

GAP = timedelta(minutes=15)  # SHOW_CLEANING_GAP_MINUTES's default


@pytest.fixture
def venue(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screens = [create_screen(client, admin, theatre["id"], name=f"Audi {n}") for n in (1, 2)]
    movie = create_movie(client, admin, duration_minutes=120, language="Hindi", languages=["Tamil"])
    return {"theatre": theatre, "screens": screens, "movie": movie}


def item(venue: dict[str, Any], at: datetime, screen: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "movie_id": venue["movie"]["id"],
        "screen_id": venue["screens"][screen]["id"],
        "starts_at": at.isoformat(),
        **extra,
    }


def batch(client: httpx.Client, who: Headers, items: list[dict[str, Any]]) -> httpx.Response:
    return client.post("/api/v1/shows/batch", json={"shows": items}, headers=who)


def shows_of(client: httpx.Client, venue: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/shows", params={"theatre_id": venue["theatre"]["id"]})
    return list(response.json()["items"])


def day(n: int, hour: int = 10) -> datetime:
    return future(datetime.now().astimezone(), days=n, hour=hour)


def test_a_week_of_shows_is_scheduled_at_once(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    items = [
        item(venue, day(n, hour), screen, format="3D" if screen else "2D")
        for n in range(2, 9)
        for hour in (10, 14)
        for screen in (0, 1)
    ]
    # Back to back on one screen: the next starts exactly when the cleaning gap ends.
    end = day(9, 10) + timedelta(minutes=120) + GAP
    items += [item(venue, day(9, 10)), item(venue, end, language="Tamil")]
    made = batch(client, admin, items)
    assert made.status_code == 201, made.text
    shows = made.json()["shows"]
    assert len(shows) == len(items) == 30
    assert [s["starts_at"] for s in shows] == [
        datetime.fromisoformat(i["starts_at"]).isoformat() for i in items
    ]
    assert {s["format"] for s in shows} == {"2D", "3D"}
    assert shows[-1]["language"] == "Tamil" and shows[0]["language"] == "Hindi"
    assert all(s["prices"] == {"GOLD": 35000, "SILVER": 20000, "VIP": 50000} for s in shows)
    assert len(shows_of(client, venue)) == 30


def test_a_refusal_names_every_failing_item_and_schedules_none(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    existing = batch(client, admin, [item(venue, day(3, 18))])
    assert existing.status_code == 201, existing.text
    # From now on the theatre prices 2D shows only (its one show is 2D: it stays priced).
    only_2d = [
        {"seat_type": t, "day_type": d, "amount": 20000, "format": "2D"}
        for t in ("VIP", "GOLD", "SILVER")
        for d in ("WEEKDAY", "WEEKEND")
    ]
    prices = f"/api/v1/theatres/{venue['theatre']['id']}/prices"
    assert client.put(prices, json=only_2d, headers=admin).status_code == 200
    gone = "00000000-0000-4000-8000-000000000000"
    items = [
        item(venue, day(2, 10), 1),  # 0: fine
        item(venue, day(3, 18) + timedelta(minutes=60)),  # 1: over the existing show
        item(venue, day(2, 10) + timedelta(minutes=130), 1),  # 2: in item 0's cleaning gap
        {**item(venue, day(4)), "screen_id": gone},  # 3: no such screen
        {**item(venue, day(5)), "movie_id": gone},  # 4: no such movie
        item(venue, day(5), format="IMAX 2D"),  # 5: nothing prices it
        item(venue, day(6), format="8K"),  # 6: not a format
        item(venue, day(6), language="French"),  # 7: not released in it
        item(venue, datetime.now().astimezone() - timedelta(hours=1)),  # 8: in the past
        item(venue, day(7, 10), 1),  # 9: fine
    ]
    refused = problem(batch(client, admin, items), 422)
    assert refused["type"].endswith("/show-batch-refused")
    errors = {e["index"]: e for e in refused["errors"]}
    assert sorted(errors) == [1, 2, 3, 4, 5, 6, 7, 8]
    kinds = {i: e["type"].rsplit("/", 1)[1] for i, e in errors.items()}
    assert kinds == {
        1: "show-overlap",
        2: "show-overlap",
        3: "unknown-reference",
        4: "unknown-reference",
        5: "unpriceable-show",
        6: "unknown-format",
        7: "language-not-released",
        8: "invalid-show-time",
    }
    assert errors[1]["conflicting_show_ids"] == [existing.json()["shows"][0]["id"]]
    assert errors[2]["conflicting_index"] == 0 and errors[2]["status"] == 409
    assert errors[3]["field"] == "screen_id" and errors[4]["field"] == "movie_id"
    assert errors[5]["missing_seat_types"] == ["GOLD", "SILVER", "VIP"]
    assert all(e["detail"] for e in errors.values())
    assert len(shows_of(client, venue)) == 1  # nothing of the batch


def test_another_theatres_screen_refuses_the_whole_batch(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    other = create_theatre(client, admin, name="Elsewhere")
    set_theatre_prices(client, admin, other["id"])
    theirs = create_screen(client, admin, other["id"])
    body: dict[str, Any] = {
        "email": "batch-manager@example.com",
        "password": "manager-password-1",
        "name": "Manager",
        "theatre_ids": [venue["theatre"]["id"]],
    }
    made = client.post("/api/v1/admin/managers", json=body, headers=admin)
    assert made.status_code == 201, made.text
    manager = login(client, body["email"], body["password"])
    mine = [item(venue, day(2)), item(venue, day(3), 1)]
    problem(
        batch(client, manager, [*mine, {**item(venue, day(4)), "screen_id": theirs["id"]}]), 403
    )
    assert shows_of(client, venue) == []
    made_mine = batch(client, manager, mine)
    assert made_mine.status_code == 201, made_mine.text
    problem(batch(client, manager, []), 422)
