"""The waiting list of a show (issue 29, part 1), through the API and the worker's offer pass, on
both engines: who may join and their position, offers by best available's rules (side by side
for `together`, never a stranded single seat), declining, letting an offer run out, paying it,
the anti-starvation rule, and the manager's view."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from tests.accounts.test_managers import make_manager
from tests.api import Headers, create_theatre, guest, problem, register
from tests.conftest import LiveServer
from tests.notifications.test_emails import worker_passes
from tests.payments.checkout import pay
from tests.waitlist.helpers import (
    RECHECK,
    entry,
    give_back,
    join,
    joined,
    offer_pass,
    offered_labels,
    sold_out_show,
)


def body_of(message: str) -> str:
    parsed = email.message_from_string(message, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_body(preferencelist=("plain",))
    assert text is not None
    return str(text.get_content())


def test_join_only_when_nothing_fits_and_position_counts_those_wanting_the_same_seats(
    client: httpx.Client, admin: Headers, show: dict[str, Any]
) -> None:
    someone = register(client)
    free = problem(join(client, someone, show["id"], 2), 409)
    assert free["type"].endswith("seats-available") and free["available"] == 16

    sold_out, _, _, _ = sold_out_show(client, admin)
    first, second, third = register(client), register(client), register(client)
    assert joined(client, first, sold_out["id"], 2)["position"] == 1
    assert joined(client, second, sold_out["id"], 1, together=False)["position"] == 2
    assert problem(join(client, second, sold_out["id"], 1), 409)["type"].endswith("already-waiting")
    silver = joined(client, third, sold_out["id"], 1, seat_type="SILVER")
    assert silver["position"] == 3 and silver["status"] == "WAITING"

    visitor, _ = guest(client)
    no_email = problem(join(client, visitor, sold_out["id"], 1), 422)
    assert no_email["type"].endswith("contact-required")
    patched = client.patch("/api/v1/me", json={"email": "fan@example.com"}, headers=visitor)
    assert patched.status_code == 200, patched.text
    assert joined(client, visitor, sold_out["id"], 1)["position"] == 4

    never = problem(join(client, register(client), sold_out["id"], 7), 422)
    assert never["type"].endswith("party-never-fits")  # rows of six, side by side
    assert problem(join(client, register(client), sold_out["id"], 1, seat_type="VIP"), 422)
    assert problem(join(client, register(client), sold_out["id"], 1, max_price=100), 422)

    # Leaving is one request; those behind move up.
    left = client.delete(f"/api/v1/waitlist/{silver['id']}", headers=third)
    assert left.status_code == 200 and left.json()["status"] == "LEFT", left.text
    first_entry = joined(client, register(client), sold_out["id"], 3)
    assert first_entry["position"] == 4
    assert client.get(f"/api/v1/waitlist/{silver['id']}", headers=first).status_code == 404


def test_seats_given_back_are_held_for_the_first_entry_that_fits_emailed_and_paid(
    client: httpx.Client, admin: Headers, live_server: LiveServer, db: Any, tmp_path: Path
) -> None:
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    four, pair = register(client), register(client)
    family = joined(client, four, show["id"], 4)
    couple = joined(client, pair, show["id"], 2)

    give_back(client, buyer, booking_of, seats, "A1", "A2")
    assert offer_pass(live_server) == 1
    offer = entry(client, pair, couple["id"])
    assert offered_labels(client, pair, offer) == ["A1", "A2"]
    booking = client.get(f"/api/v1/bookings/{offer['offer']['booking_id']}", headers=pair).json()
    waiting = entry(client, four, family["id"])
    assert waiting["status"] == "WAITING" and waiting["passed_over"] == 1
    # The worker composes the offer's email when it sends it, and records what it sent.
    worker_passes(live_server, live_server.clock, outbox_dir=tmp_path)
    emails = db.query(
        "SELECT status, message FROM outbox_emails"
        " WHERE kind = 'WAITLIST_OFFER' AND booking_id = :b",
        b=db.id(booking["id"]),
    )
    assert len(emails) == 1 and emails[0].status == "SENT"
    assert f"/checkout/{booking['id']}" in body_of(emails[0].message)

    # A second pass offers nothing more: the entry holds its offer, the seats are held.
    assert offer_pass(live_server, later=RECHECK) == 0
    paid = pay(client, pair, booking["id"])
    assert paid["status"] == "BOOKED"
    assert entry(client, pair, couple["id"])["status"] == "BOOKED"


def test_a_family_of_four_together_gets_four_side_by_side_or_waits(
    client: httpx.Client, admin: Headers, live_server: LiveServer
) -> None:
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    family = register(client)
    waiting = joined(client, family, show["id"], 4, together=True)

    give_back(client, buyer, booking_of, seats, "A1", "A2", "B5", "B6")  # four, two and two
    assert offer_pass(live_server) == 0
    assert entry(client, family, waiting["id"])["status"] == "WAITING"

    give_back(client, buyer, booking_of, seats, "A3", "A4")
    assert offer_pass(live_server) == 1
    assert offered_labels(client, family, entry(client, family, waiting["id"])) == [
        "A1",
        "A2",
        "A3",
        "A4",
    ]


def test_no_offer_strands_a_single_seat(
    client: httpx.Client, admin: Headers, live_server: LiveServer
) -> None:
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    single, pair = register(client), register(client)
    one = joined(client, single, show["id"], 1)
    two = joined(client, pair, show["id"], 2)

    give_back(client, buyer, booking_of, seats, "A3", "A4")  # taken on both sides
    assert offer_pass(live_server) == 1
    # One of the two would leave the other alone between taken seats: the pair gets both.
    assert entry(client, single, one["id"])["status"] == "WAITING"
    assert offered_labels(client, pair, entry(client, pair, two["id"])) == ["A3", "A4"]

    give_back(client, buyer, booking_of, seats, "B1")  # a seat alone already: no harm taking it
    assert offer_pass(live_server) == 1
    assert offered_labels(client, single, entry(client, single, one["id"])) == ["B1"]


def test_declined_or_run_out_offers_go_to_the_next_entry_that_fits(
    client: httpx.Client, admin: Headers, live_server: LiveServer
) -> None:
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    people = [register(client) for _ in range(3)]
    entries = [joined(client, who, show["id"], 2) for who in people]
    assert problem(
        client.post(f"/api/v1/waitlist/{entries[0]['id']}/decline", headers=people[0]), 409
    )

    give_back(client, buyer, booking_of, seats, "A1", "A2")
    assert offer_pass(live_server) == 1
    first = entry(client, people[0], entries[0]["id"])
    declined = client.post(f"/api/v1/waitlist/{entries[0]['id']}/decline", headers=people[0])
    assert declined.status_code == 200 and declined.json()["status"] == "DECLINED", declined.text
    cancelled = client.get(f"/api/v1/bookings/{first['offer']['booking_id']}", headers=people[0])
    assert cancelled.json()["status"] == "CANCELLED"

    # Offers of one minute from here on: within the life of the test's access tokens.
    assert offer_pass(live_server, waitlist_offer_minutes=1) == 1  # the decline woke the list
    second = entry(client, people[1], entries[1]["id"])
    assert offered_labels(client, people[1], second) == ["A1", "A2"]

    # The second lets it run out: the next pass is due when it does.
    live_server.clock.advance(timedelta(minutes=1, seconds=1))
    assert offer_pass(live_server, waitlist_offer_minutes=1) == 1
    assert entry(client, people[1], entries[1]["id"])["status"] == "LAPSED"
    third = entry(client, people[2], entries[2]["id"])
    assert offered_labels(client, people[2], third) == ["A1", "A2"]

    # Leaving with an offer gives it back too.
    left = client.delete(f"/api/v1/waitlist/{entries[2]['id']}", headers=people[2])
    assert left.status_code == 200 and left.json()["status"] == "LEFT", left.text
    booking = client.get(f"/api/v1/bookings/{third['offer']['booking_id']}", headers=people[2])
    assert booking.json()["status"] == "CANCELLED"


def test_a_larger_party_is_passed_over_at_most_the_limit_then_seats_are_kept_for_it(
    client: httpx.Client, admin: Headers, live_server: LiveServer
) -> None:
    """The rule (waitlist.offers, 4.): with WAITLIST_PASS_OVER_LIMIT = 1, once a smaller party
    behind it was offered seats, the family is passed over no more: the next seat that comes
    back is kept for it, not offered to the single behind it, until four side by side are free."""
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    family, first_single, second_single = register(client), register(client), register(client)
    four = joined(client, family, show["id"], 4)
    one = joined(client, first_single, show["id"], 1)
    other = joined(client, second_single, show["id"], 1)

    give_back(client, buyer, booking_of, seats, "A1")
    assert offer_pass(live_server, waitlist_pass_over_limit=1) == 1
    assert offered_labels(client, first_single, entry(client, first_single, one["id"])) == ["A1"]
    assert entry(client, family, four["id"])["passed_over"] == 1

    give_back(client, buyer, booking_of, seats, "B1")
    assert offer_pass(live_server, waitlist_pass_over_limit=1) == 0  # kept for the family
    assert entry(client, second_single, other["id"])["status"] == "WAITING"

    give_back(client, buyer, booking_of, seats, "B2", "B3", "B4")
    assert offer_pass(live_server, waitlist_pass_over_limit=1) == 1
    assert offered_labels(client, family, entry(client, family, four["id"])) == [
        "B1",
        "B2",
        "B3",
        "B4",
    ]
    assert entry(client, second_single, other["id"])["status"] == "WAITING"


def test_behind_a_kept_entry_a_smaller_party_may_take_what_leaves_it_fitting(
    client: httpx.Client, admin: Headers, live_server: LiveServer
) -> None:
    """Five free seats in a row: four of them would strand the fifth, so the family (passed
    over enough) does not fit them; the single behind it takes an end seat, which leaves the
    family four side by side, and both are offered in one pass."""
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    family, first_single, second_single = register(client), register(client), register(client)
    four = joined(client, family, show["id"], 4)
    joined(client, first_single, show["id"], 1)
    other = joined(client, second_single, show["id"], 1)
    give_back(client, buyer, booking_of, seats, "A1")
    assert offer_pass(live_server, waitlist_pass_over_limit=1) == 1  # the first single

    give_back(client, buyer, booking_of, seats, "B1", "B2", "B3", "B4", "B5")
    assert offer_pass(live_server, waitlist_pass_over_limit=1) == 2
    single = offered_labels(client, second_single, entry(client, second_single, other["id"]))
    families = offered_labels(client, family, entry(client, family, four["id"]))
    assert len(single) == 1 and single[0] in ("B1", "B5")
    assert sorted(single + families) == ["B1", "B2", "B3", "B4", "B5"]


def test_without_the_limit_reached_a_smaller_party_behind_gets_the_seat(
    client: httpx.Client, admin: Headers, live_server: LiveServer
) -> None:
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    family, single = register(client), register(client)
    four = joined(client, family, show["id"], 4)
    one = joined(client, single, show["id"], 1)
    give_back(client, buyer, booking_of, seats, "B1")
    assert offer_pass(live_server) == 1  # the default limit, 3: not reached
    assert offered_labels(client, single, entry(client, single, one["id"])) == ["B1"]
    assert entry(client, family, four["id"])["passed_over"] == 1


def test_a_hold_given_up_is_offered_at_the_next_recheck(
    client: httpx.Client, admin: Headers, live_server: LiveServer, show: dict[str, Any]
) -> None:
    seat_ids = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    holder = register(client)
    holds = []
    for part in (seat_ids[:8], seat_ids[8:]):
        held = client.post(
            "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": part}, headers=holder
        )
        assert held.status_code == 201, held.text
        holds.append(held.json()["id"])
    waiter = register(client)
    waiting = joined(client, waiter, show["id"], 1, together=False)
    cancelled = client.post(f"/api/v1/bookings/{holds[0]}/cancel", headers=holder)
    assert cancelled.status_code == 200, cancelled.text
    assert offer_pass(live_server) == 0  # nothing woke it: not due yet
    assert offer_pass(live_server, later=RECHECK) == 1
    assert entry(client, waiter, waiting["id"])["status"] == "OFFERED"


def test_the_manager_sees_the_list_and_its_offers(
    client: httpx.Client, admin: Headers, live_server: LiveServer
) -> None:
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    who = [register(client) for _ in range(2)]
    for person in who:
        joined(client, person, show["id"], 2)
    give_back(client, buyer, booking_of, seats, "A5", "A6")
    assert offer_pass(live_server) == 1
    _, manager = make_manager(client, admin, [show["theatre_id"]])
    listed = client.get(f"/api/v1/shows/{show['id']}/waitlist", headers=manager)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [item["status"] for item in items] == ["OFFERED", "WAITING"]
    assert items[0]["offer"]["booking_id"] and items[1]["position"] == 1
    assert listed.json()["total"] == 2
    other_theatre = create_theatre(client, admin, name="Elsewhere")
    _, elsewhere = make_manager(client, admin, [other_theatre["id"]])
    assert client.get(f"/api/v1/shows/{show['id']}/waitlist", headers=elsewhere).status_code == 403
    assert client.get(f"/api/v1/shows/{show['id']}/waitlist", headers=who[0]).status_code == 403


def test_a_cancelled_show_closes_its_list(
    client: httpx.Client, admin: Headers, live_server: LiveServer
) -> None:
    show, _, _, _ = sold_out_show(client, admin)
    person = register(client)
    waiting = joined(client, person, show["id"], 1)
    cancelled = client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin)
    assert cancelled.status_code < 300, cancelled.text
    live_server.wait_until_quiet()
    offer_pass(live_server)
    assert entry(client, person, waiting["id"])["status"] == "CLOSED"


def test_a_guest_who_signs_up_keeps_their_place(client: httpx.Client, admin: Headers) -> None:
    show, _, _, _ = sold_out_show(client, admin)
    visitor, token = guest(client)
    assert client.patch("/api/v1/me", json={"email": "g@example.com"}, headers=visitor).is_success
    waiting = joined(client, visitor, show["id"], 2)
    signed_up = client.post(
        "/api/v1/auth/register",
        json={
            "email": f"linked-{waiting['id'][:8]}@example.com",
            "password": "correct-horse-9",
            "name": "Fan",
            "guest_token": token,
        },
    )
    assert signed_up.status_code == 201, signed_up.text
    account = {"Authorization": f"Bearer {signed_up.json()['access_token']}"}
    found = entry(client, account, waiting["id"])
    assert found["customer"]["kind"] == "user" and found["position"] == 1
