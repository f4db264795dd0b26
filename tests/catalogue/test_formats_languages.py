"""Formats and languages on shows (SPEC "Back office"): formats are data, a show's audio language
is one its movie is released in, the shows list filters by both, and a rate card may price one
format apart (the most specific rule wins: format before any format, at each level)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_theatre,
    future,
    problem,
    set_theatre_prices,
)

FORMATS = ["2D", "3D", "IMAX 2D", "IMAX 3D", "4DX", "SCREENX"]


@pytest.fixture
def venue(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"])
    movie = create_movie(client, admin, language="Telugu", languages=["Hindi", "Tamil"])
    return {"theatre": theatre, "screen": screen, "movie": movie}


def starts(days: int, hour: int = 18) -> str:
    return future(datetime.now().astimezone(), days=days, hour=hour).isoformat()


def post_show(
    client: httpx.Client, who: Headers, venue: dict[str, Any], days: int, **extra: Any
) -> httpx.Response:
    body = {
        "movie_id": venue["movie"]["id"],
        "screen_id": venue["screen"]["id"],
        "starts_at": starts(days),
        **extra,
    }
    return client.post("/api/v1/shows", json=body, headers=who)


def test_the_formats_are_data_anyone_reads(client: httpx.Client) -> None:
    formats = client.get("/api/v1/formats")
    assert formats.status_code == 200, formats.text
    assert [f["code"] for f in formats.json()] == FORMATS


def test_a_movie_lists_its_languages_its_own_always_among_them(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    assert venue["movie"]["languages"] == ["Telugu", "Hindi", "Tamil"]
    plain = create_movie(client, admin, language="Kannada")
    assert plain["languages"] == ["Kannada"]
    again = create_movie(client, admin, language="Hindi", languages=["Tamil", "Hindi", "Tamil"])
    assert again["languages"] == ["Tamil", "Hindi"]


def test_a_show_has_a_format_and_one_of_its_movies_languages(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    default = post_show(client, admin, venue, 2)
    assert default.status_code == 201, default.text
    assert (default.json()["format"], default.json()["language"]) == ("2D", "Telugu")
    assert default.json()["subtitles"] is None
    dubbed = post_show(
        client, admin, venue, 3, format="IMAX 3D", language="Tamil", subtitles="English"
    )
    assert dubbed.status_code == 201, dubbed.text
    body = dubbed.json()
    assert (body["format"], body["language"], body["subtitles"]) == ("IMAX 3D", "Tamil", "English")
    read = client.get(f"/api/v1/shows/{body['id']}").json()
    assert (read["format"], read["language"], read["subtitles"]) == ("IMAX 3D", "Tamil", "English")

    unknown = problem(post_show(client, admin, venue, 4, format="8K"), 422)
    assert unknown["type"].endswith("/unknown-format") and unknown["formats"] == FORMATS
    foreign = problem(post_show(client, admin, venue, 4, language="French"), 422)
    assert foreign["type"].endswith("/language-not-released")
    assert foreign["languages"] == ["Telugu", "Hindi", "Tamil"]
    problem(post_show(client, admin, venue, 4, format="3D\x00"), 422)


def test_the_shows_list_filters_by_format_and_language(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    made = {
        (fmt, language): post_show(client, admin, venue, days, format=fmt, language=language)
        for days, (fmt, language) in enumerate(
            [("2D", "Hindi"), ("3D", "Hindi"), ("3D", "Tamil"), ("IMAX 3D", "Tamil")], start=2
        )
    }
    assert all(r.status_code == 201 for r in made.values()), [r.text for r in made.values()]

    def listed(**params: str) -> set[tuple[str, str]]:
        response = client.get(
            "/api/v1/shows", params={"theatre_id": venue["theatre"]["id"], **params}
        )
        assert response.status_code == 200, response.text
        return {(s["format"], s["language"]) for s in response.json()["items"]}

    assert listed(format="3D") == {("3D", "Hindi"), ("3D", "Tamil")}
    assert listed(language="tamil") == {("3D", "Tamil"), ("IMAX 3D", "Tamil")}
    assert listed(format="imax 3d", language="Tamil") == {("IMAX 3D", "Tamil")}
    assert listed(format="4DX") == set()


def test_a_language_scheduled_shows_use_stays_the_movies(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    movie = venue["movie"]["id"]
    assert post_show(client, admin, venue, 2, language="Tamil").status_code == 201
    dropped = client.patch(f"/api/v1/movies/{movie}", json={"languages": ["Hindi"]}, headers=admin)
    assert problem(dropped, 409)["languages_in_use"] == ["Tamil"]
    kept = client.patch(
        f"/api/v1/movies/{movie}", json={"languages": ["Tamil", "Bengali"]}, headers=admin
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["languages"] == ["Telugu", "Tamil", "Bengali"]  # its own stays, first


ALL_TYPES = ("VIP", "GOLD", "SILVER")


def _rules(
    amount: int, fmt: str | None = None, seat_types: tuple[str, ...] = ALL_TYPES
) -> list[dict[str, Any]]:
    return [
        {"seat_type": t, "day_type": d, "amount": amount, "format": fmt}
        for t in seat_types
        for d in ("WEEKDAY", "WEEKEND")
    ]


def put_prices(
    client: httpx.Client, admin: Headers, path: str, rules: list[dict[str, Any]]
) -> httpx.Response:
    return client.put(f"/api/v1/{path}/prices", json=rules, headers=admin)


def test_a_rate_card_prices_a_format_apart_the_most_specific_rule_winning(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    theatre = f"theatres/{venue['theatre']['id']}"
    screen = f"screens/{venue['screen']['id']}"
    rules = _rules(20000) + _rules(30000, "3D") + _rules(45000, "IMAX 3D")
    response = put_prices(client, admin, theatre, rules)
    assert response.status_code == 200, response.text
    assert {r["format"] for r in response.json()} == {None, "3D", "IMAX 3D"}

    def price(days: int, **extra: Any) -> int:
        made = post_show(client, admin, venue, days, **extra)
        assert made.status_code == 201, made.text
        return int(made.json()["prices"]["GOLD"])

    assert price(2) == 20000  # 2D: no 2D rule, the rule for any format
    assert price(3, format="3D") == 30000  # the theatre's 3D rule before its any-format one
    assert price(4, format="IMAX 3D") == 45000
    # The screen's level comes first: its rule for any format beats the theatre's 3D one...
    screen_rules = _rules(25000, seat_types=("GOLD",))
    assert put_prices(client, admin, screen, screen_rules).status_code == 200
    assert price(5, format="3D") == 25000
    # ...and its own 3D rule beats its any-format one; a show's override beats every rule.
    screen_rules += _rules(27000, "3D", seat_types=("GOLD",))
    assert put_prices(client, admin, screen, screen_rules).status_code == 200
    assert price(6, format="3D") == 27000
    assert price(7, format="2D") == 25000
    overridden = [{"seat_type": "GOLD", "amount": 99000}]
    assert price(8, format="3D", price_overrides=overridden) == 99000
    # Re-pricing follows the format too: the upcoming 3D shows took the screen's new 3D price.
    listed = client.get(
        "/api/v1/shows", params={"theatre_id": venue["theatre"]["id"], "format": "3D"}
    ).json()
    assert sorted(s["prices"]["GOLD"] for s in listed["items"]) == [27000, 27000, 27000, 99000]


def test_a_format_nothing_prices_cannot_be_scheduled(
    client: httpx.Client, admin: Headers, venue: dict[str, Any]
) -> None:
    theatre = f"theatres/{venue['theatre']['id']}"
    assert put_prices(client, admin, theatre, _rules(20000, "2D")).status_code == 200
    assert post_show(client, admin, venue, 2).status_code == 201
    refused = problem(post_show(client, admin, venue, 3, format="4DX"), 422)
    assert refused["missing_seat_types"] == ["GOLD", "SILVER", "VIP"]
    assert refused["format"] == "4DX"
    unknown = put_prices(client, admin, theatre, _rules(20000, "70MM"))
    assert problem(unknown, 422)["unknown_formats"] == ["70MM"]
    problem(put_prices(client, admin, theatre, _rules(20000, "3D") + _rules(21000, "3D")), 422)
    # The same seat and day type for any format and for one format are two rules, not a clash.
    both = put_prices(client, admin, theatre, _rules(20000) + _rules(21000, "3D"))
    assert both.status_code == 200, both.text
