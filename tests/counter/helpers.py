"""The box office through the public API: cashiers, their shifts, sales and refunds."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

import httpx
from tests.api import Headers, login
from tests.bookings.money_helpers import policy_theatre, show_in

PASSWORD = "cashier-password-1"
DAY = 24 * 60  # minutes: a day ahead, within every cancellation policy's first tier


class Counter(NamedTuple):
    theatre_id: str
    show: dict[str, Any]
    cashier: Headers
    shift: dict[str, Any]


def open_counter(client: httpx.Client, admin: Headers, opening_float: int = 500000) -> Counter:
    """A theatre with a cancellation policy, a show of it a day ahead, and a cashier of it with
    an open shift: what a counter test starts from."""
    theatre_id = policy_theatre(client, admin)
    show = show_in(client, admin, theatre_id, DAY)
    cashier = make_cashier(client, admin, [theatre_id])
    return Counter(
        theatre_id, show, cashier, open_shift(client, cashier, theatre_id, opening_float)
    )


def make_cashier(
    client: httpx.Client, admin: Headers, theatre_ids: list[str], *, counter: bool = True
) -> Headers:
    """A staff member of these theatres, with the `counter` permission unless told otherwise."""
    email = f"cashier-{uuid.uuid4().hex[:8]}@example.com"
    response = client.post(
        "/api/v1/admin/staff",
        json={
            "email": email,
            "password": PASSWORD,
            "name": "Box Office",
            "theatre_ids": theatre_ids,
            "permissions": ["counter"] if counter else [],
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["permissions"] == (["counter"] if counter else [])
    return login(client, email, PASSWORD)


def open_shift(
    client: httpx.Client, who: Headers, theatre_id: str, opening_float: int = 500000
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/counter/shifts",
        json={"theatre_id": theatre_id, "float": opening_float},
        headers=who,
    )
    assert response.status_code == 201, response.text
    shift = dict(response.json())
    assert shift["status"] == "OPEN" and shift["float"] == opening_float
    return shift


def close_shift(client: httpx.Client, who: Headers, shift_id: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/counter/shifts/{shift_id}/close", headers=who)
    assert response.status_code == 200, response.text
    return dict(response.json())


def cash(tendered: int | None = None) -> dict[str, Any]:
    return {"method": "CASH"} if tendered is None else {"method": "CASH", "tendered": tendered}


def sale_body(show_id: str, seat_ids: list[str], payment: dict[str, Any], **more: Any) -> Any:
    return {"show_id": show_id, "seat_ids": seat_ids, "payment": payment, **more}


def sell(
    client: httpx.Client,
    who: Headers,
    show_id: str,
    seat_ids: list[str],
    payment: dict[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A counter sale of these seats (paid in exact cash unless told otherwise)."""
    response = client.post(
        "/api/v1/counter/sales",
        json=sale_body(show_id, seat_ids, payment or cash(), **more),
        headers=who,
    )
    assert response.status_code == 201, response.text
    sold = dict(response.json())
    assert sold["status"] == "BOOKED" and sold["channel"] == "counter"
    return sold


def refund(
    client: httpx.Client, who: Headers, booking_id: str, seat_ids: list[str] | None = None
) -> dict[str, Any]:
    body = None if seat_ids is None else {"seat_ids": seat_ids}
    response = client.post(f"/api/v1/counter/sales/{booking_id}/refund", json=body, headers=who)
    assert response.status_code == 200, response.text
    return dict(response.json())


def counts(db: Any) -> dict[str, int]:
    """How many rows the tables a sale writes hold: a refused sale changes none of them."""
    tables = (
        "bookings",
        "booking_seats",
        "booking_transitions",
        "guests",
        "counter_movements",
        "documents",
        "tickets",
        "outbox_emails",
    )
    return {table: db.query(f"SELECT count(*) FROM {table}")[0][0] for table in tables}


def taken_seats(db: Any, show_id: str) -> int:
    return int(
        db.query(
            "SELECT count(*) FROM show_seats WHERE show_id = :s AND booking_id IS NOT NULL",
            s=db.id(show_id),
        )[0][0]
    )
