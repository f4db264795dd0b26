"""A ticket used at the door is never given back (issue 22, item 1): a customer's cancel of a
booking with a checked-in ticket is refused, and a checked-in ticket is never revoked."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from tests.api import Headers, problem
from tests.tickets.helpers import booked, make_staff, scan, show_soon, tickets


def seat_statuses(client: httpx.Client, show_id: str, seat_ids: list[str]) -> set[str]:
    seats = client.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]
    return {seat["status"] for seat in seats if seat["id"] in seat_ids}


def test_a_booking_with_a_checked_in_ticket_cannot_be_cancelled(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin, minutes=150)  # before the cancellation cut-off
    staff = make_staff(client, admin, [show["theatre_id"]])
    booking = booked(client, customer, show["id"], 2)
    first, second = tickets(client, customer, booking["id"])
    assert scan(client, staff, first["qr"]).status_code == 200

    for who in (customer, admin):
        refused = problem(client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=who), 409)
        assert refused["type"].endswith("/checked-in"), refused
        assert refused["checked_in"] == [first["id"]]

    after = client.get(f"/api/v1/bookings/{booking['id']}", headers=customer).json()
    assert after["status"] == "BOOKED" and after["refunds"] == []
    statuses = {t["id"]: t["status"] for t in tickets(client, customer, booking["id"])}
    assert statuses == {first["id"]: "CHECKED_IN", second["id"]: "VALID"}
    seat_ids = [seat["seat_id"] for seat in booking["seats"]]
    assert seat_statuses(client, show["id"], seat_ids) == {"BOOKED"}
    assert scan(client, staff, second["qr"]).status_code == 200  # the other one still admits


def test_a_show_cancelled_refunds_but_leaves_checked_in_tickets_as_they_are(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin, minutes=150)
    staff = make_staff(client, admin, [show["theatre_id"]])
    booking = booked(client, customer, show["id"], 2)
    first, second = tickets(client, customer, booking["id"])
    assert scan(client, staff, first["qr"]).status_code == 200

    assert client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin).status_code == 200
    after = client.get(f"/api/v1/bookings/{booking['id']}", headers=customer).json()
    assert after["status"] == "CANCELLED" and after["refunds"]
    statuses = {t["id"]: t["status"] for t in tickets(client, customer, booking["id"])}
    assert statuses == {first["id"]: "CHECKED_IN", second["id"]: "REVOKED"}
    listed = client.get(f"/api/v1/shows/{show['id']}/revoked-tickets", headers=staff).json()
    assert [item["ticket_id"] for item in listed["items"]] == [second["id"]]


def test_a_cancel_racing_a_scan_never_refunds_an_admitted_ticket(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin, minutes=150)
    staff = make_staff(client, admin, [show["theatre_id"]])
    for _ in range(4):
        booking = booked(client, customer, show["id"], 1)
        (ticket,) = tickets(client, customer, booking["id"])
        barrier = threading.Barrier(2)

        def cancel(
            booking_id: str = booking["id"], barrier: threading.Barrier = barrier
        ) -> httpx.Response:
            barrier.wait(timeout=10)
            return client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=customer)

        def admit(qr: str = ticket["qr"], barrier: threading.Barrier = barrier) -> httpx.Response:
            barrier.wait(timeout=10)
            return scan(client, staff, qr)

        with ThreadPoolExecutor(2) as pool:
            cancelled_f, scanned_f = pool.submit(cancel), pool.submit(admit)
            cancelled, scanned = cancelled_f.result(), scanned_f.result()
        outcome: dict[str, Any] = {"cancel": cancelled.status_code, "scan": scanned.status_code}
        assert outcome in ({"cancel": 200, "scan": 409}, {"cancel": 409, "scan": 200}), outcome
        (now,) = tickets(client, customer, booking["id"])
        assert now["status"] == ("REVOKED" if cancelled.status_code == 200 else "CHECKED_IN")
