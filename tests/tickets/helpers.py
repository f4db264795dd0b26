"""Tickets through the public API, and a scanner's offline check written from the SPEC alone."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    login,
    set_theatre_prices,
)
from tests.payments.checkout import eventually, pay


def show_soon(
    client: httpx.Client, admin: Headers, minutes: int = 60, theatre_id: str | None = None
) -> dict[str, Any]:
    """A show starting in `minutes` (its tickets already open the door: 3 h before the start)."""
    if theatre_id is None:
        theatre_id = create_theatre(client, admin)["id"]
        set_theatre_prices(client, admin, theatre_id)
    screen = create_screen(client, admin, theatre_id, name=f"Audi {uuid.uuid4().hex[:6]}")
    movie = create_movie(client, admin)
    starts = (datetime.now().astimezone() + timedelta(minutes=minutes)).replace(microsecond=0)
    return create_show(client, admin, movie["id"], screen["id"], starts)


def free_seats(client: httpx.Client, show_id: str) -> list[dict[str, Any]]:
    seats = client.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]
    return [seat for seat in seats if seat["status"] == "AVAILABLE"]


def hold(client: httpx.Client, who: Headers, show_id: str, count: int = 2) -> dict[str, Any]:
    seat_ids = [seat["id"] for seat in free_seats(client, show_id)[:count]]
    response = client.post(
        "/api/v1/bookings", json={"show_id": show_id, "seat_ids": seat_ids}, headers=who
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def booked(client: httpx.Client, who: Headers, show_id: str, count: int = 2) -> dict[str, Any]:
    pending = hold(client, who, show_id, count)
    return pay(client, who, pending["id"])


def tickets(client: httpx.Client, who: Headers, booking_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/bookings/{booking_id}/tickets", headers=who)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def sell_scan_and_refund(client: httpx.Client, who: Headers, staff: Headers, show_id: str) -> None:
    """The whole sale on one show, for tests that watch what it sends to the database: a hold
    given up, a booking paid and one of its tickets scanned, a paid booking cancelled and its
    refund processed (issued after the cancel commits: waited for)."""
    given_up = hold(client, who, show_id, 1)
    assert client.post(f"/api/v1/bookings/{given_up['id']}/cancel", headers=who).is_success
    admitted = tickets(client, who, booked(client, who, show_id)["id"])
    assert scan(client, staff, admitted[0]["qr"]).status_code == 200
    refunded = booked(client, who, show_id, 1)
    assert client.post(f"/api/v1/bookings/{refunded['id']}/cancel", headers=who).is_success

    def refund_processed() -> bool:
        answer = client.get(f"/api/v1/bookings/{refunded['id']}", headers=who).json()
        return bool(answer["refunds"]) and answer["refunds"][0]["status"] == "PROCESSED"

    assert eventually(refund_processed), "the cancelled booking's refund was not processed"


def make_staff(client: httpx.Client, admin: Headers, theatre_ids: list[str]) -> Headers:
    email = f"staff-{uuid.uuid4().hex[:8]}@example.com"
    response = client.post(
        "/api/v1/admin/staff",
        json={
            "email": email,
            "password": "staff-password-1",
            "name": "Door Staff",
            "theatre_ids": theatre_ids,
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["role"] == "staff" and body["email"] == email
    assert sorted(body["theatre_ids"]) == sorted(theatre_ids)
    return login(client, email, "staff-password-1")


def scan(
    client: httpx.Client, who: Headers, qr: str, gate: str | None = "G1", nonce: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"qr": qr}
    if gate is not None:
        body["gate"] = gate
    if nonce is not None:
        body["nonce"] = nonce
    return client.post("/api/v1/checkin", json=body, headers=who)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_offline(qr: str, published: dict[str, Any]) -> dict[str, Any]:
    """What a scanner does with only GET /api/v1/tickets/keys: returns the payload, or raises."""
    prefix, kid, payload, signature = qr.split(".")
    assert prefix == "BX1"
    keys = {key["kid"]: key for key in published["keys"]}
    key = keys[kid]
    assert key["alg"] == "Ed25519"
    public = Ed25519PublicKey.from_public_bytes(_unb64(key["public_key"]))
    public.verify(_unb64(signature), f"BX1.{kid}.{payload}".encode("ascii"))  # raises if forged
    assert "=" not in payload and "=" not in signature
    return dict(json.loads(_unb64(payload)))
