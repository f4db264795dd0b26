"""What the verify that books a booking asks of the database (issue 27): the BOOKED change's
reactions (the invoice, the tickets, the sales counters, the answer) share what the lifecycle
read in the same transaction instead of reading the booking's seats again each, and the
transition's UPDATE is not written a second time by the session's flush."""

from __future__ import annotations

from typing import Any

import httpx
from tests.api import Headers, register
from tests.invoicing.helpers import hold_seats, seats_of_type
from tests.payments.checkout import checked_out, verify
from tests.support.statements import orm_statements, request_id


def test_a_verify_that_books_reads_the_seats_once_and_updates_the_booking_once(
    client: httpx.Client, admin: Headers, show: dict[str, Any]
) -> None:
    customer = register(client)
    seats = seats_of_type(client, show["id"], "GOLD", 2)
    booking_id = hold_seats(client, customer, show["id"], seats)
    _order, paid = checked_out(client, customer, booking_id)

    request = request_id()
    with orm_statements(request) as seen:
        answer = verify(client, {**customer, "X-Request-ID": request}, paid)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "BOOKED"

    seat_reads = [s for s in seen if s.startswith("SELECT") and " FROM booking_seats" in s]
    booking_writes = [s for s in seen if s.startswith("UPDATE bookings")]
    assert len(seat_reads) == 1, seat_reads
    assert len(booking_writes) == 1, booking_writes
    # The invoice, the tickets and the email were written in that transaction all the same.
    written = {s.split()[2] for s in seen if s.startswith("INSERT INTO")}
    assert {"documents", "document_lines", "tickets", "outbox_emails"} <= written, written
