"""Every answer with a booking names its show (SPEC "Back office"): movie, theatre, screen, the
start in the theatre's own offset with its timezone, format and language; whichever door
answered (the sale path's lane, the keyed route, reads, lists, cancels, the payment's verify)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    register,
    set_theatre_prices,
)
from tests.payments.checkout import pay


def _show(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    theatre = create_theatre(client, admin, name="Regal Colaba")
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"], name="Audi 3")
    movie = create_movie(client, admin, title="Monsoon Wedding", language="Hindi")
    return create_show(
        client, admin, movie["id"], screen["id"], future(datetime.now().astimezone())
    )


def test_every_booking_answer_carries_its_show(client: httpx.Client, admin: Headers) -> None:
    show = _show(client, admin)
    expected = {
        "movie_title": "Monsoon Wedding",
        "theatre_name": "Regal Colaba",
        "screen_name": "Audi 3",
        "starts_at": show["starts_at"],
        "timezone": "Asia/Kolkata",
        "format": "2D",
        "language": "Hindi",
        "subtitles": None,
    }
    assert show["starts_at"].endswith("+05:30")
    seats = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    customer = register(client)
    answers: list[dict[str, Any]] = []

    def hold(seat: str, **headers: str) -> dict[str, Any]:
        held = client.post(
            "/api/v1/bookings",
            json={"show_id": show["id"], "seat_ids": [seat]},
            headers={**customer, **headers},
        )
        assert held.status_code == 201, held.text
        answers.append(held.json())
        return dict(held.json())

    lane = hold(seats[0])  # the sale path's lane: no Idempotency-Key
    keyed = hold(seats[1], **{"Idempotency-Key": "summary-1"})
    best = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "quantity": 1}, headers=customer
    )
    assert best.status_code == 201, best.text
    answers.append(best.json())
    answers.append(client.get(f"/api/v1/bookings/{keyed['id']}", headers=customer).json())
    answers += client.get("/api/v1/me/bookings", headers=customer).json()["items"]
    listed = client.get(f"/api/v1/admin/shows/{show['id']}/bookings", headers=admin)
    answers += listed.json()["items"]
    released = client.post(f"/api/v1/bookings/{lane['id']}/cancel", headers=customer)
    assert released.status_code == 200, released.text
    answers.append(released.json())
    paid = pay(client, customer, keyed["id"])
    answers.append(paid)
    cancelled = client.post(f"/api/v1/bookings/{keyed['id']}/cancel", headers=customer)
    assert cancelled.status_code == 200, cancelled.text
    answers.append(cancelled.json())
    assert len(answers) == 13
    for answer in answers:
        assert answer["show_id"] == show["id"]
        assert answer["show"] == expected, answer


def test_a_renamed_movie_shows_in_reads_at_once(client: httpx.Client, admin: Headers) -> None:
    show = _show(client, admin)
    customer = register(client)
    seat = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"][0]["id"]
    held = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": [seat]}, headers=customer
    ).json()
    renamed = client.patch(
        f"/api/v1/movies/{show['movie_id']}",
        json={"title": "Monsoon Wedding (2001)"},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    read = client.get(f"/api/v1/bookings/{held['id']}", headers=customer).json()
    assert read["show"]["movie_title"] == "Monsoon Wedding (2001)"
