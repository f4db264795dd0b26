"""Who may work a theatre's counter: staff with the counter permission for that theatre, a
manager of it, an admin. Every one else (a manager of another theatre too) is refused (403;
401 without a token), and nothing changes."""

from __future__ import annotations

from typing import Any

import httpx
from tests.accounts.test_managers import make_manager
from tests.api import Headers, guest, problem, register
from tests.bookings.money_helpers import policy_theatre
from tests.counter.helpers import (
    cash,
    counts,
    make_cashier,
    open_counter,
    open_shift,
    sale_body,
    sell,
)
from tests.invoicing.helpers import seats_of_type


def test_each_role_at_the_counter(client: httpx.Client, admin: Headers, db: Any) -> None:
    theatre_id, show, cashier, _shift = open_counter(client, admin)
    other_theatre = policy_theatre(client, admin)
    sold = sell(client, cashier, show["id"], seats_of_type(client, show["id"], "GOLD", 1))
    refused: dict[str, tuple[Headers, int]] = {
        "anonymous": ({}, 401),
        "guest": (guest(client)[0], 403),
        "customer": (register(client), 403),
        "door staff": (make_cashier(client, admin, [theatre_id], counter=False), 403),
        "cashier elsewhere": (make_cashier(client, admin, [other_theatre]), 403),
        "manager elsewhere": (make_manager(client, admin, [other_theatre])[1], 403),
    }
    seat = seats_of_type(client, show["id"], "VIP", 1)
    before = counts(db)
    for role, (who, status) in refused.items():
        opened = client.post(
            "/api/v1/counter/shifts", json={"theatre_id": theatre_id, "float": 0}, headers=who
        )
        assert opened.status_code == status, (role, opened.text)
        selling = client.post(
            "/api/v1/counter/sales", json=sale_body(show["id"], seat, cash()), headers=who
        )
        assert selling.status_code == status, (role, selling.text)
        refunding = client.post(f"/api/v1/counter/sales/{sold['id']}/refund", headers=who)
        assert refunding.status_code == status, (role, refunding.text)
        reading = client.get(f"/api/v1/counter/sales/{sold['id']}", headers=who)
        assert reading.status_code == status, (role, reading.text)
        listing = client.get(
            f"/api/v1/admin/shifts?theatre_id={theatre_id}&date=2026-12-07", headers=who
        )
        assert listing.status_code == status, (role, listing.text)
    assert counts(db) == before
    # A cashier does not read the theatre's shift report; an admin (or its manager) does.
    problem(
        client.get(
            f"/api/v1/admin/shifts?theatre_id={theatre_id}&date=2026-12-07", headers=cashier
        ),
        403,
    )
    listed = client.get(
        f"/api/v1/admin/shifts?theatre_id={theatre_id}&date=2026-12-07", headers=admin
    )
    assert listed.status_code == 200, listed.text
    # A manager of the theatre works its counter, and reads its shifts.
    _, manager = make_manager(client, admin, [theatre_id])
    open_shift(client, manager, theatre_id)
    sell(client, manager, show["id"], seats_of_type(client, show["id"], "SILVER", 1))
    managed = client.get(
        f"/api/v1/admin/shifts?theatre_id={theatre_id}&date=2026-12-07", headers=manager
    )
    assert managed.status_code == 200, managed.text
    # An admin works any counter, in a shift of their own.
    open_shift(client, admin, other_theatre)
    open_shift_elsewhere = client.post(
        "/api/v1/counter/sales", json=sale_body(show["id"], seat, cash()), headers=admin
    )
    assert problem(open_shift_elsewhere, 409)["type"].endswith("/shift-at-another-theatre")
    assert client.get(f"/api/v1/counter/sales/{sold['id']}", headers=admin).status_code == 200
    # Another customer's tickets stay theirs: the door staff without the permission cannot
    # print a counter sale's tickets either.
    door = refused["door staff"][0]
    assert client.get(f"/api/v1/bookings/{sold['id']}/tickets", headers=door).status_code == 404
