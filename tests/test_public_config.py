"""GET /api/v1/config: the public settings a client needs before it sells (SPEC "Back office"),
for anyone, and never a secret."""

from __future__ import annotations

import httpx
from tests.api import Headers, ready_show, register, seat_ids
from tests.conftest import LiveServer
from tests.support.keys import sandbox_keys


def test_anyone_reads_the_settings_a_client_needs(
    client: httpx.Client, live_server: LiveServer
) -> None:
    response = client.get("/api/v1/config")
    assert response.status_code == 200, response.text
    settings = live_server.settings
    assert response.json() == {
        "hold_ttl_seconds": settings.hold_ttl_seconds,
        "max_seats_per_booking": settings.max_seats_per_booking,
        "currency": "INR",
        "payments": "sandbox",
        "razorpay_key_id": live_server.app.state.provider.key_id,
    }
    keys = sandbox_keys()
    assert keys.key_secret not in response.text and keys.webhook_secret not in response.text


def test_the_key_id_is_the_one_a_payment_order_names(client: httpx.Client, admin: Headers) -> None:
    show = ready_show(client, admin)
    customer = register(client)
    held = client.post(
        "/api/v1/bookings",
        json={"show_id": show["id"], "seat_ids": seat_ids(client, show["id"])[:1]},
        headers=customer,
    )
    order = client.post(f"/api/v1/bookings/{held.json()['id']}/payments", headers=customer)
    assert order.status_code == 201, order.text
    assert client.get("/api/v1/config").json()["razorpay_key_id"] == order.json()["key_id"]
