"""A release's migrations go down and up again on a database that has sold and refunded
tickets, not only on an empty one. A downgrade that copies a table (a batch operation on
SQLite) is refused by SQLite's foreign keys once other rows point at the table's rows: it was
for `shows` (0014, 0024) and `movies` (0019). (`bookings`, 0003, is below the tax rules'
migration, whose seeded rows the suite keeps by id: the empty database's way down covers it.)"""

from __future__ import annotations

from typing import Any

import httpx
from tests.api import Headers, register
from tests.bookings.money_helpers import paid_seats
from tests.bookings.test_partial_cancellation import cancel, seat_of
from tests.db.test_migrations import _on, application_steps
from tests.payments.checkout import eventually

# India's tax rules (0012) are seeded with new ids each time they are made, and the suite keeps
# the seeded rows by their ids: everything after them goes down and comes up again.
TAX_RULES = "0012"
# 0018's own downgrade copies `refunds` back to its single unique constraint, which SQLite
# refuses while refund attempts point at a refund: with refunds, the lineage goes down to it.
CHARGES_FROZEN = "0018"


def _seat_rows(db: Any, show_id: str) -> list[tuple[Any, ...]]:
    """The show's inventory as the database has it (the seat map may come from memory)."""
    rows = db.query(
        "SELECT seat_id, booking_id, held_until FROM show_seats WHERE show_id = :show"
        " ORDER BY seat_id",
        show=db.id(show_id),
    )
    return [tuple(row) for row in rows]


def _down_and_up_again(
    client: httpx.Client, db: Any, show: dict[str, Any], who: Headers, to: str, *bookings: str
) -> None:
    """Down to `to` and up to head: the bookings stay BOOKED, and the show's seat rows and its
    seat count (which 0014's upgrade counts again from them) are as they were."""
    seats_before = _seat_rows(db, show["id"])
    _on(db.url, application_steps(("downgrade", to), ("upgrade", "head")))
    for booking_id in bookings:
        again = client.get(f"/api/v1/bookings/{booking_id}", headers=who)
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "BOOKED"
    assert _seat_rows(db, show["id"]) == seats_before
    listed = client.get(f"/api/v1/shows/{show['id']}")
    assert listed.status_code == 200, listed.text
    assert listed.json()["seat_count"] == len(seats_before)


def test_the_migrations_go_down_to_the_tax_rules_and_up_again_over_a_sold_show(
    client: httpx.Client, admin: Headers, show: dict[str, Any], db: Any
) -> None:
    customer = register(client)
    sold = paid_seats(client, customer, show["id"], "GOLD", "SILVER")
    _down_and_up_again(client, db, show, customer, TAX_RULES, sold["id"])


def test_the_migrations_go_down_and_up_again_over_refunds_and_credit_notes(
    client: httpx.Client, admin: Headers, show: dict[str, Any], db: Any
) -> None:
    customer = register(client)
    kept = paid_seats(client, customer, show["id"], "GOLD", "SILVER")
    partly = paid_seats(client, customer, show["id"], "VIP", "GOLD")
    given_back = cancel(client, customer, partly["id"], [seat_of(partly, "VIP")])
    assert given_back.status_code == 200, given_back.text

    def refunded() -> bool:  # nothing of the refund is still in flight while the schema moves
        answer = client.get(f"/api/v1/bookings/{partly['id']}", headers=customer).json()
        return [refund["status"] for refund in answer["refunds"]] == ["PROCESSED"]

    assert eventually(refunded), "the partial refund was not processed"
    _down_and_up_again(client, db, show, customer, CHARGES_FROZEN, kept["id"], partly["id"])
