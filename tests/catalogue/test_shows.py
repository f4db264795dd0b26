"""Shows: creation (validation, pricing, overlaps incl. the cleaning gap), listing, cancelling."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from tests.api import (
    DEFAULT_PRICES,
    Headers,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    guest,
    problem,
    set_theatre_prices,
)
from tests.support.http import loopback_client
from tests.tickets.helpers import booked, hold

IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def setup(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"])
    movie = create_movie(client, admin, duration_minutes=120)
    return {"theatre": theatre, "screen": screen, "movie": movie}


def post_show(client: httpx.Client, admin: Headers, body: dict[str, Any]) -> httpx.Response:
    return client.post("/api/v1/shows", json=body, headers=admin)


def show_body(setup: dict[str, Any], starts_at: Any, **extra: Any) -> dict[str, Any]:
    return {
        "movie_id": setup["movie"]["id"],
        "screen_id": setup["screen"]["id"],
        "starts_at": starts_at.isoformat() if isinstance(starts_at, datetime) else starts_at,
        **extra,
    }


def next_weekday(weekday: int, after: date) -> date:
    """The first date after `after` (at least two days on) falling on `weekday` (Monday 0)."""
    day = after + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def test_created_show_has_its_times_day_type_and_prices(
    client: httpx.Client, admin: Headers, setup: dict[str, Any]
) -> None:
    starts_at = datetime.combine(
        next_weekday(2, datetime.now(IST).date()), time(18, 30), tzinfo=IST
    )  # a Wednesday
    show = create_show(client, admin, setup["movie"]["id"], setup["screen"]["id"], starts_at)

    assert show["status"] == "SCHEDULED"
    assert show["day_type"] == "WEEKDAY"
    assert show["currency"] == "INR"
    assert show["theatre_id"] == setup["theatre"]["id"]
    assert show["movie_id"] == setup["movie"]["id"]
    assert show["screen_id"] == setup["screen"]["id"]
    assert show["prices"] == DEFAULT_PRICES
    assert datetime.fromisoformat(show["starts_at"]) == starts_at
    assert show["starts_at"].endswith("+05:30")  # rendered in the theatre's offset
    assert datetime.fromisoformat(show["ends_at"]) == starts_at + timedelta(minutes=120)
    found = client.get(f"/api/v1/shows/{show['id']}").json()
    assert {k: found[k] for k in show} == show


def test_saturday_half_past_midnight_ist_is_a_weekend_show(
    client: httpx.Client, admin: Headers, setup: dict[str, Any]
) -> None:
    weekend = {"VIP": 60000, "GOLD": 45000, "SILVER": 30000}
    rules = [
        {"seat_type": t, "day_type": d, "amount": a}
        for t in DEFAULT_PRICES
        for d, a in (("WEEKDAY", DEFAULT_PRICES[t]), ("WEEKEND", weekend[t]))
    ]
    theatre_id = setup["theatre"]["id"]
    response = client.put(f"/api/v1/theatres/{theatre_id}/prices", json=rules, headers=admin)
    assert response.status_code == 200, response.text
    saturday = next_weekday(5, datetime.now(IST).date())
    starts_at = datetime.combine(saturday, time(0, 30), tzinfo=IST)
    assert starts_at.astimezone(UTC).weekday() == 4  # Friday in UTC

    show = create_show(
        client,
        admin,
        setup["movie"]["id"],
        setup["screen"]["id"],
        starts_at.astimezone(UTC),  # sent in UTC: still a Saturday show in Kolkata
    )
    assert show["day_type"] == "WEEKEND"
    assert show["prices"] == weekend

    friday_evening = create_show(
        client,
        admin,
        setup["movie"]["id"],
        setup["screen"]["id"],
        datetime.combine(saturday - timedelta(days=1), time(18, 0), tzinfo=IST),
    )
    assert friday_evening["day_type"] == "WEEKDAY"
    assert friday_evening["prices"] == DEFAULT_PRICES


@pytest.mark.parametrize(
    ("starts_at", "why"),
    [
        ("2030-01-01T18:30:00", "no offset"),
        ("2020-01-01T18:30:00+05:30", "in the past"),
        ("3030-01-01T18:30:00+05:30", "absurdly far ahead"),
        ("9999-12-31T23:59:00+00:00", "overflow bait"),
        ("0001-01-01T00:00:00+05:30", "underflow bait"),
        ("tomorrow", "not a date"),
        ("2030-02-30T18:30:00+05:30", "no such day"),
        ("", "empty"),
        (1893456000, "a number"),
        (None, "null"),
    ],
)
def test_starts_at_must_be_a_future_instant_with_an_offset(
    client: httpx.Client, admin: Headers, setup: dict[str, Any], starts_at: Any, why: str
) -> None:
    problem(post_show(client, admin, show_body(setup, starts_at)), 422)


def test_starting_a_moment_ago_is_refused(
    client: httpx.Client, admin: Headers, setup: dict[str, Any]
) -> None:
    starts_at = datetime.now(UTC) - timedelta(seconds=5)
    body = problem(post_show(client, admin, show_body(setup, starts_at)), 422)
    assert "future" in body["detail"]


def test_bad_references_and_overrides(
    client: httpx.Client, admin: Headers, setup: dict[str, Any]
) -> None:
    starts_at = future(datetime.now(UTC))
    body = show_body(setup, starts_at)
    problem(post_show(client, admin, {**body, "movie_id": str(uuid.uuid4())}), 422)
    problem(post_show(client, admin, {**body, "screen_id": str(uuid.uuid4())}), 422)
    problem(post_show(client, admin, {**body, "movie_id": "nope"}), 422)
    for field in ("movie_id", "screen_id", "starts_at"):
        problem(post_show(client, admin, {k: v for k, v in body.items() if k != field}), 422)
    for overrides in (
        [{"seat_type": "VIP", "amount": 100}, {"seat_type": "VIP", "amount": 200}],
        [{"seat_type": "VIP", "amount": 99}],
        [{"seat_type": "VIP", "amount": 10_000_001}],
        [{"seat_type": "VIP", "amount": "500"}],
        [{"seat_type": "VIP", "amount": 500.5}],
        [{"seat_type": "VIP"}],
        "VIP",
    ):
        problem(post_show(client, admin, {**body, "price_overrides": overrides}), 422)
    unknown = post_show(
        client, admin, {**body, "price_overrides": [{"seat_type": "BALCONY", "amount": 500}]}
    )
    assert problem(unknown, 422)["unknown_seat_types"] == ["BALCONY"]
    assert client.get("/api/v1/shows").json()["items"] == []


def test_show_that_cannot_be_priced_names_the_missing_seat_types(
    client: httpx.Client, admin: Headers, setup: dict[str, Any]
) -> None:
    theatre = create_theatre(client, admin, name="Half priced")
    set_theatre_prices(client, admin, theatre["id"], {"VIP": 50000})
    screen = create_screen(client, admin, theatre["id"])  # VIP, GOLD and SILVER rows
    body = {**show_body(setup, future(datetime.now(UTC))), "screen_id": screen["id"]}

    refused = problem(post_show(client, admin, body), 422)
    assert refused["missing_seat_types"] == ["GOLD", "SILVER"]
    assert refused["type"].endswith("unpriceable-show")
    assert "GOLD" in refused["detail"] and "SILVER" in refused["detail"]

    overrides = [{"seat_type": "GOLD", "amount": 30000}, {"seat_type": "SILVER", "amount": 15000}]
    created = post_show(client, admin, {**body, "price_overrides": overrides})
    assert created.status_code == 201, created.text
    assert created.json()["prices"] == {"GOLD": 30000, "SILVER": 15000, "VIP": 50000}


def test_overlaps_count_the_cleaning_gap(
    client: httpx.Client, admin: Headers, setup: dict[str, Any]
) -> None:
    gap = 15  # SHOW_CLEANING_GAP_MINUTES default
    first_start = future(datetime.now(UTC), hour=14)  # 14:00-16:00 IST
    first = create_show(client, admin, setup["movie"]["id"], setup["screen"]["id"], first_start)
    end = first_start + timedelta(minutes=120)

    for starts_at in (
        first_start,
        first_start + timedelta(minutes=30),
        end + timedelta(minutes=gap - 1),  # cleaning not done
        first_start - timedelta(minutes=120 + gap - 1),  # would end too close to the start
        first_start - timedelta(minutes=60),
    ):
        refused = problem(post_show(client, admin, show_body(setup, starts_at)), 409)
        assert refused["conflicting_show_ids"] == [first["id"]]

    after = post_show(client, admin, show_body(setup, end + timedelta(minutes=gap)))
    before = post_show(client, admin, show_body(setup, first_start - timedelta(minutes=120 + gap)))
    assert after.status_code == 201, after.text
    assert before.status_code == 201, before.text

    # another screen of the same theatre is free at the same time
    other = create_screen(client, admin, setup["theatre"]["id"], name="Audi 2")
    body = {**show_body(setup, first_start), "screen_id": other["id"]}
    assert post_show(client, admin, body).status_code == 201


def test_cancel_frees_the_slot_and_cannot_happen_twice(
    client: httpx.Client, admin: Headers, setup: dict[str, Any]
) -> None:
    starts_at = future(datetime.now(UTC))
    show = create_show(client, admin, setup["movie"]["id"], setup["screen"]["id"], starts_at)

    response = client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin)
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "CANCELLED" and cancelled["cancelled_at"]
    assert cancelled["prices"] == show["prices"]
    assert client.get(f"/api/v1/shows/{show['id']}").json()["status"] == "CANCELLED"

    problem(client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin), 409)
    problem(client.post(f"/api/v1/shows/{uuid.uuid4()}/cancel", headers=admin), 404)
    # the cancelled show no longer occupies the screen
    create_show(client, admin, setup["movie"]["id"], setup["screen"]["id"], starts_at)


def test_a_finished_show_cannot_be_cancelled(
    client: httpx.Client, admin: Headers, setup: dict[str, Any], db: Any
) -> None:
    show = create_show(
        client, admin, setup["movie"]["id"], setup["screen"]["id"], future(datetime.now(UTC))
    )
    move_show(db, show["id"], datetime.now(UTC) - timedelta(hours=3))
    problem(client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin), 409)


def move_show(db: Any, show_id: str, starts_at: datetime, minutes: int = 120) -> None:
    """Puts a show in the past, straight in the database (the API refuses that, rightly)."""
    ends_at = starts_at + timedelta(minutes=minutes)
    if db.is_sqlite:
        db.execute(
            "UPDATE shows SET starts_at = :s, ends_at = :e WHERE id = :id",
            s=starts_at.astimezone(UTC).replace(tzinfo=None),
            e=ends_at.astimezone(UTC).replace(tzinfo=None),
            id=uuid.UUID(show_id).hex,
        )
    else:
        db.execute(
            "UPDATE shows SET starts_at = :s, ends_at = :e WHERE id = :id",
            s=starts_at,
            e=ends_at,
            id=uuid.UUID(show_id),
        )


def test_list_filters_and_prices(client: httpx.Client, admin: Headers) -> None:
    mumbai = create_theatre(client, admin, name="Mumbai", city="Mumbai")
    la = create_theatre(
        client, admin, name="Hollywood", city="Los Angeles", timezone="America/Los_Angeles"
    )
    set_theatre_prices(client, admin, mumbai["id"])
    set_theatre_prices(client, admin, la["id"], {"VIP": 9000, "GOLD": 7000, "SILVER": 5000})
    mumbai_screen = create_screen(client, admin, mumbai["id"])
    la_screen = create_screen(client, admin, la["id"])
    movie = create_movie(client, admin)
    other_movie = create_movie(client, admin, title="Other")

    day = datetime.now(IST).date() + timedelta(days=3)
    pacific = ZoneInfo("America/Los_Angeles")
    # 23:30 in Los Angeles on `day` is already the next day in UTC and in India
    la_late = create_show(
        client, admin, movie["id"], la_screen["id"], datetime.combine(day, time(23, 30), pacific)
    )
    la_next = create_show(
        client,
        admin,
        movie["id"],
        la_screen["id"],
        datetime.combine(day + timedelta(days=1), time(10, 0), pacific),
    )
    # 00:30 IST on `day` is still the previous day in UTC
    in_early = create_show(
        client, admin, movie["id"], mumbai_screen["id"], datetime.combine(day, time(0, 30), IST)
    )
    in_evening = create_show(
        client,
        admin,
        other_movie["id"],
        mumbai_screen["id"],
        datetime.combine(day, time(19, 0), IST),
    )

    def ids(**params: Any) -> list[str]:
        response = client.get("/api/v1/shows", params=params)
        assert response.status_code == 200, response.text
        return [show["id"] for show in response.json()["items"]]

    everything = ids()
    assert everything == [
        s["id"]
        for s in sorted(
            [la_late, la_next, in_early, in_evening],
            key=lambda s: datetime.fromisoformat(s["starts_at"]),
        )
    ]
    assert ids(date=day.isoformat()) == [in_early["id"], in_evening["id"], la_late["id"]]
    assert ids(date=(day + timedelta(days=1)).isoformat()) == [la_next["id"]]
    assert ids(date=day.isoformat(), city="los angeles") == [la_late["id"]]
    assert ids(city="MUMBAI") == [in_early["id"], in_evening["id"]]
    assert ids(theatre_id=la["id"]) == [la_late["id"], la_next["id"]]
    assert ids(movie_id=other_movie["id"]) == [in_evening["id"]]
    assert ids(movie_id=movie["id"], city="Mumbai") == [in_early["id"]]
    assert ids(limit=2) == everything[:2]
    assert ids(limit=2, offset=2) == everything[2:]
    assert ids(date=day.isoformat(), city="Pune") == []
    assert ids(upcoming=True) == everything

    client.post(f"/api/v1/shows/{in_evening['id']}/cancel", headers=admin)
    assert ids(status="CANCELLED") == [in_evening["id"]]
    assert in_evening["id"] not in ids(status="SCHEDULED")

    listed = {s["id"]: s for s in client.get("/api/v1/shows").json()["items"]}
    assert listed[la_late["id"]]["prices"] == {"GOLD": 7000, "SILVER": 5000, "VIP": 9000}
    assert listed[in_early["id"]]["prices"] == DEFAULT_PRICES
    assert listed[la_late["id"]]["starts_at"].endswith(("-08:00", "-07:00"))

    for bad in (
        {"date": "tomorrow"},
        {"date": "2026-02-30"},
        {"movie_id": "x"},
        {"status": "LIVE"},
        {"limit": 1000},
        {"city": ""},
        {"city": "Mum\x00bai"},
        {"date": "9999-12-31"},
        {"date": "0001-01-01"},
    ):
        problem(client.get("/api/v1/shows", params=bad), 422)


def test_concurrent_creations_on_one_screen_admit_exactly_one(
    client: httpx.Client, admin: Headers, setup: dict[str, Any], live_server: Any
) -> None:
    base = future(datetime.now(UTC), hour=12)
    bodies = [show_body(setup, base + timedelta(minutes=10 * i)) for i in range(8)]
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def create(body: dict[str, Any]) -> None:
        with loopback_client(base_url=live_server.url, timeout=30) as own:
            barrier.wait()
            statuses.append(own.post("/api/v1/shows", json=body, headers=admin).status_code)

    threads = [threading.Thread(target=create, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [409] * 7, statuses
    assert len(client.get("/api/v1/shows").json()["items"]) == 1


def test_one_show_names_its_movie_theatre_and_screen(
    client: httpx.Client, show: dict[str, Any]
) -> None:
    """A page about a show needs one answer, not four."""
    found = client.get(f"/api/v1/shows/{show['id']}")
    assert found.status_code == 200, found.text
    body = found.json()
    assert {k: body[k] for k in show} == show  # everything a show is, as before
    assert body["movie"]["id"] == show["movie_id"] and body["movie"]["title"]
    assert body["theatre"]["id"] == show["theatre_id"] and body["theatre"]["address"]
    assert body["screen"] == {"id": show["screen_id"], "name": "Audi 1"}


def test_the_shows_list_says_how_full_each_show_is(
    client: httpx.Client, show: dict[str, Any]
) -> None:
    """Seats sold out of the show's seats, from kept totals (no count per request); a hold is
    not a sale, a cancelled sale gives its seats back."""
    customer, _ = guest(client)
    client.patch("/api/v1/me", json={"email": "full@example.com"}, headers=customer)

    def listed() -> tuple[int, int]:
        items = client.get("/api/v1/shows", params={"movie_id": show["movie_id"]}).json()["items"]
        [item] = [i for i in items if i["id"] == show["id"]]
        return item["seats_sold"], item["seat_count"]

    assert show["seat_count"] == 16
    assert listed() == (0, 16)
    paid = booked(client, customer, show["id"], 3)
    hold(client, customer, show["id"], 2)  # held, not sold
    assert listed() == (3, 16)
    cancelled = client.post(f"/api/v1/bookings/{paid['id']}/cancel", headers=customer)
    assert cancelled.status_code == 200, cancelled.text
    assert listed() == (0, 16)
