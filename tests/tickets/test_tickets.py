"""Signed e-tickets (SPEC "Tickets and check-in"): one per seat of a BOOKED booking, from every
way a payment can arrive, verifiable offline with the published public key only."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from tests.api import Headers, problem, register
from tests.payments.checkout import (
    booking,
    checkout,
    eventually,
    pay,
    start_payment,
    verify,
)
from tests.tickets.helpers import hold, scan, show_soon, tickets, verify_offline

TTL = timedelta(seconds=600)


def _check_tickets(
    client: httpx.Client, who: Headers, confirmed: dict[str, Any], show: dict[str, Any]
) -> list[dict[str, Any]]:
    items = tickets(client, who, confirmed["id"])
    assert sorted(t["seat_label"] for t in items) == sorted(s["label"] for s in confirmed["seats"])
    published = client.get("/api/v1/tickets/keys").json()
    starts = datetime.fromisoformat(show["starts_at"])
    ends = datetime.fromisoformat(show["ends_at"])
    for ticket in items:
        assert ticket["status"] == "VALID"
        assert ticket["booking_id"] == confirmed["id"] and ticket["show_id"] == show["id"]
        assert datetime.fromisoformat(ticket["starts_at"]) == starts
        payload = verify_offline(ticket["qr"], published)
        # Exactly these fields, and so no personal data.
        assert payload == {
            "t": ticket["id"],
            "s": show["id"],
            "seat": ticket["seat_label"],
            "nb": int((starts - timedelta(hours=3)).timestamp()),
            "na": int(ends.timestamp()),
        }
    return items


def test_verify_issues_one_signed_ticket_per_seat(
    client: httpx.Client, customer: Headers, show: dict[str, Any]
) -> None:
    pending = hold(client, customer, show["id"], 3)
    _order, _ = start_payment(client, customer, pending["id"]).json(), None
    confirmed = verify(client, customer, checkout(client, _order["order_id"]))
    assert confirmed.status_code == 200, confirmed.text
    items = _check_tickets(client, customer, confirmed.json(), show)
    assert len(items) == 3

    svg = client.get(f"/api/v1/tickets/{items[0]['id']}/qr.svg", headers=customer)
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


def test_webhooks_alone_issue_the_tickets(
    client: httpx.Client, customer: Headers, show: dict[str, Any]
) -> None:
    pending = hold(client, customer, show["id"], 2)
    order = start_payment(client, customer, pending["id"]).json()
    checkout(client, order["order_id"], deliver_webhooks=True)  # no verify call
    assert eventually(lambda: booking(client, customer, pending["id"])["status"] == "BOOKED")
    assert (
        len(_check_tickets(client, customer, booking(client, customer, pending["id"]), show)) == 2
    )


def test_a_late_payment_issues_tickets(
    client: httpx.Client, customer: Headers, show: dict[str, Any], clock: Any
) -> None:
    pending = hold(client, customer, show["id"], 1)
    order = start_payment(client, customer, pending["id"]).json()
    clock.advance(TTL + timedelta(seconds=5))
    response = verify(client, customer, checkout(client, order["order_id"]))
    assert response.status_code == 200, response.text
    assert [h["to"] for h in response.json()["history"]] == ["PENDING", "EXPIRED", "BOOKED"]
    assert len(_check_tickets(client, customer, response.json(), show)) == 1


def test_no_tickets_for_a_booking_never_booked_nor_for_others(
    client: httpx.Client, customer: Headers, admin: Headers, show: dict[str, Any]
) -> None:
    pending = hold(client, customer, show["id"], 1)
    body = problem(client.get(f"/api/v1/bookings/{pending['id']}/tickets", headers=customer), 409)
    assert body["type"].endswith("booking-not-booked")
    order = start_payment(client, customer, pending["id"]).json()
    assert verify(client, customer, checkout(client, order["order_id"])).status_code == 200

    stranger = register(client)
    problem(client.get(f"/api/v1/bookings/{pending['id']}/tickets", headers=stranger), 404)
    ticket_id = tickets(client, customer, pending["id"])[0]["id"]
    problem(client.get(f"/api/v1/tickets/{ticket_id}/qr.svg", headers=stranger), 404)
    assert len(tickets(client, admin, pending["id"])) == 1  # admins see any
    assert client.get(f"/api/v1/tickets/{ticket_id}/qr.svg", headers=admin).status_code == 200


def test_a_tampered_ticket_fails_offline_verification_and_at_the_gate(
    client: httpx.Client, customer: Headers, admin: Headers
) -> None:
    show = show_soon(client, admin)  # the doors are open: only the signature can refuse it
    pending = hold(client, customer, show["id"], 1)
    pay(client, customer, pending["id"])
    qr = tickets(client, customer, pending["id"])[0]["qr"]
    prefix, kid, payload, signature = qr.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["seat"] = "Z99"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{prefix}.{kid}.{forged_payload}.{signature}"
    published = client.get("/api/v1/tickets/keys").json()

    assert verify_offline(qr, published)["seat"] != "Z99"  # the genuine one verifies
    with pytest.raises(InvalidSignature):
        verify_offline(forged, published)
    problem(scan(client, admin, forged), 422)
    assert tickets(client, customer, pending["id"])[0]["status"] == "VALID"  # nobody came in
    assert scan(client, admin, qr).status_code == 200


def test_the_published_keys_are_stable(client: httpx.Client) -> None:
    first = client.get("/api/v1/tickets/keys")
    assert first.status_code == 200
    keys = first.json()["keys"]
    assert len(keys) == 1 and keys[0]["alg"] == "Ed25519"
    assert len(base64.urlsafe_b64decode(keys[0]["public_key"] + "=")) == 32
    assert client.get("/api/v1/tickets/keys").json() == first.json()
