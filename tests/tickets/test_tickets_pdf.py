"""A booking's tickets as a PDF: a page per seat naming the movie, theatre, screen, the time in
the theatre's own timezone, the seat and the booking's code, with the ticket's own QR code; a
cancelled ticket's page says so and draws none; only the booking's customer (or an admin) gets
it, and only once it was BOOKED."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from tests.api import Headers, create_theatre, problem, register, set_theatre_prices
from tests.support.pdf import page_streams, qr_modules, qr_of, shown_text
from tests.tickets.helpers import booked, hold, show_soon, tickets


def tickets_pdf(client: httpx.Client, who: Headers, booking_id: str) -> httpx.Response:
    return client.get(f"/api/v1/bookings/{booking_id}/tickets.pdf", headers=who)


def test_a_page_per_seat_with_the_show_in_the_theatres_time_and_each_tickets_qr_code(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    # A theatre whose clock is not India's: the time printed is the theatre's.
    theatre = create_theatre(client, admin, name="Gulf Screens", timezone="Asia/Dubai")
    set_theatre_prices(client, admin, theatre["id"])
    show = show_soon(client, admin, minutes=150, theatre_id=theatre["id"])
    paid = booked(client, customer, show["id"], 3)

    response = tickets_pdf(client, customer, paid["id"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="tickets-{paid["code"]}.pdf"'
    )
    pages = page_streams(response.content)
    issued = tickets(client, customer, paid["id"])
    assert len(pages) == len(issued) == 3
    starts = datetime.fromisoformat(show["starts_at"]).astimezone(ZoneInfo("Asia/Dubai"))
    when = starts.strftime("%a %d %b %Y, %I:%M %p (%Z)")  # "(+04)"
    for page, ticket in zip(pages, issued, strict=True):  # in seat order, as the tickets
        text = shown_text(page)
        for expected in (
            "The Long Night",
            when,
            "Gulf Screens · Audi",
            f"Seat {ticket['seat_label']} · {ticket['seat_type']}",
            "Valid",
            f"Booking {paid['code']}",
        ):
            assert expected in text, (expected, text)
        assert qr_of(page) == qr_modules(ticket["qr"])  # the ticket's own code, square by square


def test_a_cancelled_tickets_page_says_so_and_draws_no_qr_code(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin, minutes=24 * 60)
    paid = booked(client, customer, show["id"], 2)
    cancelled = client.post(f"/api/v1/bookings/{paid['id']}/cancel", headers=customer)
    assert cancelled.status_code == 200, cancelled.text

    pages = page_streams(tickets_pdf(client, customer, paid["id"]).content)
    assert len(pages) == 2
    for page in pages:
        assert "Cancelled: this ticket does not admit" in shown_text(page)
        assert qr_of(page) == set()


def test_only_the_customer_or_an_admin_gets_the_pdf_of_a_booked_booking(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin)
    paid = booked(client, customer, show["id"], 1)
    assert tickets_pdf(client, admin, paid["id"]).status_code == 200
    problem(tickets_pdf(client, register(client), paid["id"]), 404)
    problem(tickets_pdf(client, {}, paid["id"]), 401)
    pending = hold(client, customer, show["id"], 1)
    problem(tickets_pdf(client, customer, pending["id"]), 409)  # not paid: no tickets yet
