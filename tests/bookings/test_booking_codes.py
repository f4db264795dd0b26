"""A booking's short code: 8 characters a person can read out, on every answer from the hold
on, the same for the life of the booking, one booking's only; and staff of the show's theatre
find the booking, with its tickets, by the code however it is typed."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from tests.api import Headers, problem
from tests.tickets.helpers import booked, hold, make_staff, show_soon, tickets

from boxoffice.bookings import holds

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{8}$")  # Crockford's base32: no I, L, O or U


def find(client: httpx.Client, who: Headers, code: str) -> httpx.Response:
    return client.get(f"/api/v1/bookings/code/{code}", headers=who)


def as_typed(code: str) -> str:
    """The code as someone might type it: lower case, a dash in the middle, 0 as O, 1 as L."""
    return f"{code[:4]}-{code[4:]}".lower().replace("0", "o").replace("1", "l")


def test_the_code_comes_with_the_hold_and_stays_with_the_booking(
    client: httpx.Client, customer: Headers, show: dict[str, Any]
) -> None:
    held = hold(client, customer, show["id"], 2)
    code = held["code"]
    assert CODE.match(code), code
    assert client.get(f"/api/v1/bookings/{held['id']}", headers=customer).json()["code"] == code
    mine = client.get("/api/v1/me/bookings", headers=customer).json()["items"]
    assert [b["code"] for b in mine] == [code]
    other = hold(client, customer, show["id"], 1)
    assert other["code"] != code
    best = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "quantity": 1}, headers=customer
    )
    assert best.status_code == 201 and CODE.match(best.json()["code"])


def test_staff_find_a_booking_and_its_tickets_by_its_code_however_typed(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin)
    staff = make_staff(client, admin, [show["theatre_id"]])
    paid = booked(client, customer, show["id"], 2)
    for typed in (paid["code"], as_typed(paid["code"]), f" {paid['code'][:4]} {paid['code'][4:]} "):
        found = find(client, staff, typed.strip())
        assert found.status_code == 200, (typed, found.text)
        assert found.json()["booking"]["id"] == paid["id"]
    door = find(client, staff, paid["code"]).json()
    assert door["booking"]["status"] == "BOOKED"
    assert sorted(t["id"] for t in door["tickets"]) == sorted(
        t["id"] for t in tickets(client, customer, paid["id"])
    )
    # A customer whose phone is flat: the door admits their tickets from the lookup.
    admitted = client.post("/api/v1/checkin", json={"qr": door["tickets"][0]["qr"]}, headers=staff)
    assert admitted.status_code == 200, admitted.text
    again = find(client, staff, paid["code"]).json()["tickets"]
    assert sorted(t["status"] for t in again) == ["CHECKED_IN", "VALID"]

    assert find(client, admin, paid["code"]).status_code == 200  # an admin finds any
    pending = hold(client, customer, show["id"], 1)
    assert find(client, staff, pending["code"]).json()["tickets"] == []  # not paid: none yet


def test_only_staff_of_the_theatre_and_admins_find_bookings_by_code(
    client: httpx.Client, admin: Headers, customer: Headers, show: dict[str, Any]
) -> None:
    held = hold(client, customer, show["id"], 1)
    elsewhere = make_staff(client, admin, [show_soon(client, admin)["theatre_id"]])
    problem(find(client, elsewhere, held["code"]), 403)
    problem(find(client, customer, held["code"]), 403)  # even the booking's own customer
    problem(find(client, {}, held["code"]), 401)


@pytest.mark.parametrize(
    "typed",
    ["ABC", "ABCDEFGHJ", "UUUUUUUU", "K7M2*9QX", "K7M2_9QX"],
    ids=["short", "long", "U is not a digit", "a star", "an underscore"],
)
def test_what_is_not_a_code_is_422(client: httpx.Client, admin: Headers, typed: str) -> None:
    assert problem(find(client, admin, typed), 422)["field"] == "code"


def test_a_code_of_no_booking_is_404(
    client: httpx.Client, admin: Headers, customer: Headers, show: dict[str, Any]
) -> None:
    code = hold(client, customer, show["id"], 1)["code"]
    other = "0" * 8 if code != "0" * 8 else "1" * 8
    problem(find(client, admin, other), 404)


def test_a_new_booking_whose_code_is_taken_gets_another_id_or_is_refused_whole(
    client: httpx.Client,
    customer: Headers,
    show: dict[str, Any],
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL's sale path draws the hold another id (one hold in ~110,000 with ten million
    bookings kept would otherwise be told to retry); SQLite's refuses it whole: 409, retry."""
    first = hold(client, customer, show["id"], 1)
    # The next hold's id begins with the same 40 bits as the first booking's (for two random
    # ids, a chance of one in 2^40): the database refuses that id.
    taken = uuid.UUID(first["id"]).bytes
    twin = uuid.UUID(bytes=taken[:5] + uuid.uuid4().bytes[5:], version=4)
    drawn = iter([twin])
    new_id = uuid.uuid4
    monkeypatch.setattr(
        holds, "uuid", SimpleNamespace(UUID=uuid.UUID, uuid4=lambda: next(drawn, None) or new_id())
    )
    seat = next(
        s
        for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
        if s["status"] == "AVAILABLE"
    )
    asked = {"show_id": show["id"], "seat_ids": [seat["id"]]}
    answer = client.post("/api/v1/bookings", json=asked, headers=customer)
    if db.is_sqlite:
        problem(answer, 409)
        seats = {
            s["id"]: s["status"]
            for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
        }
        assert seats[seat["id"]] == "AVAILABLE"
        mine = client.get("/api/v1/me/bookings", headers=customer).json()["items"]
        assert [b["id"] for b in mine] == [first["id"]]
        answer = client.post("/api/v1/bookings", json=asked, headers=customer)
    assert answer.status_code == 201, answer.text
    assert answer.json()["id"] != str(twin) and answer.json()["code"] != first["code"]
    mine = client.get("/api/v1/me/bookings", headers=customer).json()["items"]
    assert sorted(b["id"] for b in mine) == sorted([first["id"], answer.json()["id"]])
