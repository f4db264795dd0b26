"""A show's own prices after it is scheduled (SPEC "Pricing": the show's override beats every
rule): read by anyone, replaced by its theatre's managers and admins while it has not started;
the show is priced afresh, and holds keep the prices they froze."""

from __future__ import annotations

from typing import Any

import httpx
from tests.api import Headers, problem, ready_show, register, seat_ids


def put(client: httpx.Client, who: Headers, show_id: str, overrides: Any) -> httpx.Response:
    return client.put(f"/api/v1/shows/{show_id}/prices", json=overrides, headers=who)


def test_a_shows_own_prices_replace_and_reprice_it(client: httpx.Client, admin: Headers) -> None:
    show = ready_show(client, admin)
    url = f"/api/v1/shows/{show['id']}"
    assert client.get(f"{url}/prices").json() == []
    customer = register(client)
    held = client.post(
        "/api/v1/bookings",
        json={"show_id": show["id"], "seat_ids": seat_ids(client, show["id"])[:1]},
        headers=customer,
    )
    assert held.status_code == 201, held.text

    replaced = put(client, admin, show["id"], [{"seat_type": "VIP", "amount": 80000}])
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == [{"seat_type": "VIP", "amount": 80000}]
    assert client.get(f"{url}/prices").json() == replaced.json()
    assert client.get(url).json()["prices"] == {"GOLD": 35000, "SILVER": 20000, "VIP": 80000}
    seat_map = client.get(f"{url}/seats").json()["seats"]
    assert {s["price"] for s in seat_map if s["seat_type"] == "VIP"} == {80000}
    kept = client.get(f"/api/v1/bookings/{held.json()['id']}", headers=customer).json()
    assert kept["seats"][0]["price"] == held.json()["seats"][0]["price"]  # frozen at the hold

    assert put(client, admin, show["id"], []).json() == []
    assert client.get(url).json()["prices"]["VIP"] == 50000  # the theatre's rule again

    problem(put(client, admin, show["id"], [{"seat_type": "RECLINER", "amount": 500}]), 422)
    twice = [{"seat_type": "VIP", "amount": 500}, {"seat_type": "VIP", "amount": 600}]
    problem(put(client, admin, show["id"], twice), 422)
    cancelled = client.post(f"{url}/cancel", headers=admin)
    assert cancelled.status_code == 200, cancelled.text
    problem(put(client, admin, show["id"], [{"seat_type": "VIP", "amount": 80000}]), 409)
    problem(client.get("/api/v1/shows/00000000-0000-4000-8000-000000000000/prices"), 404)
