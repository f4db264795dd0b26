"""Price rules through the API: replacing sets, precedence, holidays, re-pricing upcoming shows."""

from __future__ import annotations

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
    problem,
    register,
    set_theatre_prices,
)

IST = ZoneInfo("Asia/Kolkata")


def rules(prices: dict[str, int], *day_types: str) -> list[dict[str, Any]]:
    return [
        {"seat_type": t, "day_type": d, "amount": a}
        for t, a in prices.items()
        for d in day_types or ("WEEKDAY", "WEEKEND")
    ]


def put(client: httpx.Client, admin: Headers, path: str, body: Any) -> httpx.Response:
    return client.put(f"/api/v1/{path}/prices", json=body, headers=admin)


def next_date(after: date, weekday: int) -> date:
    day = after + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int = 18) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=IST)


@pytest.fixture
def venue(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    theatre = create_theatre(client, admin)
    screen = create_screen(client, admin, theatre["id"])
    movie = create_movie(client, admin)
    return {"theatre": theatre, "screen": screen, "movie": movie}


def test_put_replaces_the_set_and_get_reads_it(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    path = f"theatres/{venue['theatre']['id']}"
    first = put(client, admin, path, rules({"VIP": 50000, "GOLD": 30000}))
    assert first.status_code == 200, first.text
    assert len(first.json()) == 4
    second = put(client, admin, path, rules({"SILVER": 15000}, "HOLIDAY"))
    assert second.status_code == 200, second.text
    expected = [{"seat_type": "SILVER", "day_type": "HOLIDAY", "amount": 15000, "format": None}]
    assert second.json() == expected
    assert client.get(f"/api/v1/{path}/prices").json() == expected

    screen_path = f"screens/{venue['screen']['id']}"
    assert client.get(f"/api/v1/{screen_path}/prices").json() == []
    response = put(client, admin, screen_path, rules({"VIP": 70000}, "WEEKEND"))
    assert response.status_code == 200, response.text
    assert client.get(f"/api/v1/{screen_path}/prices").json() == [
        {"seat_type": "VIP", "day_type": "WEEKEND", "amount": 70000, "format": None}
    ]
    assert put(client, admin, screen_path, []).json() == []

    problem(put(client, admin, f"theatres/{uuid.uuid4()}", []), 404)
    problem(put(client, admin, f"screens/{uuid.uuid4()}", []), 404)
    problem(client.get(f"/api/v1/theatres/{uuid.uuid4()}/prices"), 404)


@pytest.mark.parametrize(
    "body",
    [
        [{"seat_type": "VIP", "day_type": "WEEKDAY", "amount": 100}] * 2,
        [{"seat_type": "VIP", "day_type": "WEEKDAY", "amount": 99}],
        [{"seat_type": "VIP", "day_type": "WEEKDAY", "amount": 10_000_001}],
        [{"seat_type": "VIP", "day_type": "WEEKDAY", "amount": -500}],
        [{"seat_type": "VIP", "day_type": "WEEKDAY", "amount": "50000"}],
        [{"seat_type": "VIP", "day_type": "WEEKDAY", "amount": 500.5}],
        [{"seat_type": "VIP", "day_type": "WEEKDAY", "amount": None}],
        [{"seat_type": "VIP", "day_type": "weekday", "amount": 500}],
        [{"seat_type": "VIP", "day_type": "MONDAY", "amount": 500}],
        [{"seat_type": "", "day_type": "WEEKDAY", "amount": 500}],
        [{"seat_type": "VIP", "amount": 500}],
        [{"seat_type": "VIP", "day_type": "WEEKDAY", "amount": 500, "currency": "USD"}],
        {"seat_type": "VIP", "day_type": "WEEKDAY", "amount": 500},
        [{"seat_type": "VIP", "day_type": "WEEKDAY", "amount": 500 + i} for i in range(301)],
    ],
)
def test_rule_validation(
    client: httpx.Client, admin: Headers, venue: dict[str, Any], body: Any
) -> None:
    for path in (f"theatres/{venue['theatre']['id']}", f"screens/{venue['screen']['id']}"):
        problem(put(client, admin, path, body), 422)


def test_unknown_seat_types_in_rules_are_named(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    body = rules({"VIP": 500, "BALCONY": 500, "BOX": 500})
    refused = problem(put(client, admin, f"theatres/{venue['theatre']['id']}", body), 422)
    assert refused["unknown_seat_types"] == ["BALCONY", "BOX"]


def test_override_beats_screen_beats_theatre(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    theatre, screen, movie = venue["theatre"], venue["screen"], venue["movie"]
    put(client, admin, f"theatres/{theatre['id']}", rules(DEFAULT_PRICES))
    put(client, admin, f"screens/{screen['id']}", rules({"VIP": 60000, "GOLD": 40000}))
    day = next_date(datetime.now(IST).date(), 2)
    show = create_show(
        client,
        admin,
        movie["id"],
        screen["id"],
        at(day),
        price_overrides=[{"seat_type": "VIP", "amount": 99000}],
    )
    assert show["prices"] == {"VIP": 99000, "GOLD": 40000, "SILVER": DEFAULT_PRICES["SILVER"]}

    other_screen = create_screen(client, admin, theatre["id"], name="Audi 2")
    plain = create_show(client, admin, movie["id"], other_screen["id"], at(day))
    assert plain["prices"] == DEFAULT_PRICES  # the first screen's rules are its own


def test_holiday_takes_holiday_rules_and_otherwise_prices_as_weekend(
    client: httpx.Client, admin: Headers
) -> None:
    wednesday = next_date(datetime.now(IST).date(), 2)
    theatre = create_theatre(client, admin, holidays=[wednesday.isoformat()])
    screen = create_screen(client, admin, theatre["id"])
    movie = create_movie(client, admin)
    weekend = {"VIP": 60000, "GOLD": 45000, "SILVER": 30000}
    put(
        client,
        admin,
        f"theatres/{theatre['id']}",
        rules(DEFAULT_PRICES, "WEEKDAY") + rules(weekend, "WEEKEND"),
    )

    holiday = create_show(client, admin, movie["id"], screen["id"], at(wednesday, 10))
    assert holiday["day_type"] == "HOLIDAY"
    assert holiday["prices"] == weekend  # no HOLIDAY rule: exactly as a weekend show

    # a theatre HOLIDAY rule for VIP; a screen HOLIDAY rule for GOLD wins over the theatre's
    put(
        client,
        admin,
        f"theatres/{theatre['id']}",
        rules(DEFAULT_PRICES, "WEEKDAY")
        + rules(weekend, "WEEKEND")
        + rules({"VIP": 80000, "GOLD": 50000}, "HOLIDAY"),
    )
    put(client, admin, f"screens/{screen['id']}", rules({"GOLD": 55000}, "HOLIDAY"))
    evening = create_show(client, admin, movie["id"], screen["id"], at(wednesday, 18))
    assert evening["prices"] == {"VIP": 80000, "GOLD": 55000, "SILVER": 30000}
    # and the earlier holiday show was re-priced with them
    assert client.get(f"/api/v1/shows/{holiday['id']}").json()["prices"] == evening["prices"]

    thursday = create_show(
        client, admin, movie["id"], screen["id"], at(wednesday + timedelta(days=1))
    )
    assert thursday["day_type"] == "WEEKDAY" and thursday["prices"] == DEFAULT_PRICES


def seat_prices(client: httpx.Client, show_id: str) -> dict[str, int]:
    seats = client.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]
    return {seat["seat_type"]: seat["price"] for seat in seats}


def test_rule_changes_reprice_upcoming_shows_but_not_bookings(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    theatre, screen, movie = venue["theatre"], venue["screen"], venue["movie"]
    set_theatre_prices(client, admin, theatre["id"])
    show = create_show(client, admin, movie["id"], screen["id"], future(datetime.now(UTC)))
    seats = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    vip = next(seat for seat in seats if seat["seat_type"] == "VIP")
    customer = register(client)
    held = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": [vip["id"]]}, headers=customer
    )
    assert held.status_code == 201, held.text

    set_theatre_prices(client, admin, theatre["id"], {"VIP": 52000, "GOLD": 36000, "SILVER": 21000})
    assert client.get(f"/api/v1/shows/{show['id']}").json()["prices"] == {
        "VIP": 52000,
        "GOLD": 36000,
        "SILVER": 21000,
    }
    assert seat_prices(client, show["id"]) == {"VIP": 52000, "GOLD": 36000, "SILVER": 21000}

    response = put(client, admin, f"screens/{screen['id']}", rules({"GOLD": 40000}))
    assert response.status_code == 200, response.text
    assert seat_prices(client, show["id"])["GOLD"] == 40000

    booking = client.get(f"/api/v1/bookings/{held.json()['id']}", headers=customer).json()
    assert booking["amount_total"] == DEFAULT_PRICES["VIP"]  # frozen at hold time
    assert booking["seats"][0]["price"] == DEFAULT_PRICES["VIP"]


def test_rules_that_leave_a_show_unpriced_are_refused_and_change_nothing(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    theatre, screen, movie = venue["theatre"], venue["screen"], venue["movie"]
    set_theatre_prices(client, admin, theatre["id"])
    put(client, admin, f"screens/{screen['id']}", rules({"VIP": 65000}))
    show = create_show(client, admin, movie["id"], screen["id"], future(datetime.now(UTC)))
    before_rules = client.get(f"/api/v1/theatres/{theatre['id']}/prices").json()

    refused = problem(put(client, admin, f"theatres/{theatre['id']}", rules({"GOLD": 1000})), 409)
    assert refused["missing_seat_types"] == ["SILVER"]  # VIP is still priced by the screen
    assert refused["unpriced_show_count"] == 1
    assert refused["unpriced_shows"][0]["show_id"] == show["id"]
    assert refused["unpriced_shows"][0]["missing_seat_types"] == ["SILVER"]

    assert client.get(f"/api/v1/theatres/{theatre['id']}/prices").json() == before_rules
    assert seat_prices(client, show["id"]) == {**DEFAULT_PRICES, "VIP": 65000}

    # removing the screen's rules falls back to the theatre's: allowed
    assert put(client, admin, f"screens/{screen['id']}", []).status_code == 200
    assert seat_prices(client, show["id"]) == DEFAULT_PRICES

    # once the show is cancelled it no longer holds the rules back
    client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin)
    assert put(client, admin, f"theatres/{theatre['id']}", []).status_code == 200


def test_new_holidays_reprice_upcoming_shows(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    theatre, screen, movie = venue["theatre"], venue["screen"], venue["movie"]
    weekend = {"VIP": 60000, "GOLD": 45000, "SILVER": 30000}
    put(
        client,
        admin,
        f"theatres/{theatre['id']}",
        rules(DEFAULT_PRICES, "WEEKDAY") + rules(weekend, "WEEKEND"),
    )
    wednesday = next_date(datetime.now(IST).date(), 2)
    show = create_show(client, admin, movie["id"], screen["id"], at(wednesday))
    assert show["day_type"] == "WEEKDAY"

    response = client.patch(
        f"/api/v1/theatres/{theatre['id']}",
        json={"holidays": [wednesday.isoformat()]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    now_holiday = client.get(f"/api/v1/shows/{show['id']}").json()
    assert now_holiday["day_type"] == "HOLIDAY" and now_holiday["prices"] == weekend
    assert seat_prices(client, show["id"]) == weekend

    # without WEEKEND rules the holiday show could not be priced: refused, nothing changes
    client.patch(f"/api/v1/theatres/{theatre['id']}", json={"holidays": []}, headers=admin)
    put(client, admin, f"theatres/{theatre['id']}", rules(DEFAULT_PRICES, "WEEKDAY"))
    refused = client.patch(
        f"/api/v1/theatres/{theatre['id']}",
        json={"holidays": [wednesday.isoformat()]},
        headers=admin,
    )
    assert problem(refused, 409)["missing_seat_types"] == ["GOLD", "SILVER", "VIP"]
    assert client.get(f"/api/v1/theatres/{theatre['id']}").json()["holidays"] == []
    assert client.get(f"/api/v1/shows/{show['id']}").json()["day_type"] == "WEEKDAY"


def test_started_shows_keep_their_prices(
    client: httpx.Client, admin: Headers, venue: dict[str, Any], db: Any
) -> None:
    theatre, screen, movie = venue["theatre"], venue["screen"], venue["movie"]
    set_theatre_prices(client, admin, theatre["id"])
    show = create_show(client, admin, movie["id"], screen["id"], future(datetime.now(UTC)))
    started = datetime.now(UTC) - timedelta(minutes=10)
    if db.is_sqlite:
        db.execute(
            "UPDATE shows SET starts_at = :s WHERE id = :id",
            s=started.replace(tzinfo=None),
            id=uuid.UUID(show["id"]).hex,
        )
    else:
        db.execute(
            "UPDATE shows SET starts_at = :s WHERE id = :id", s=started, id=uuid.UUID(show["id"])
        )
    set_theatre_prices(client, admin, theatre["id"], {"VIP": 1000, "GOLD": 1000, "SILVER": 1000})
    assert seat_prices(client, show["id"]) == DEFAULT_PRICES
    # and a started show cannot make new rules fail either
    assert put(client, admin, f"theatres/{theatre['id']}", []).status_code == 200
