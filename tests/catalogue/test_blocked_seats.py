"""Seats blocked from sale per show (SPEC "Back office"): BLOCKED in the seat map and on its
stream, refused by the hold's own claim (named seats, best available, a late payment's re-claim),
blocking a held or booked seat refused naming it, unblocking on sale at once, counted apart in
the show report, kept with reason, who and when; on both engines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from tests.api import Headers, guest, problem, register
from tests.bookings.test_holds import hold, seat_statuses
from tests.catalogue.test_seat_stream import statuses, subscribe
from tests.conftest import LiveServer
from tests.payments.checkout import booking, checkout, pay, start_payment, verify

TTL = timedelta(seconds=600)


def block(
    client: httpx.Client,
    who: Headers,
    show: dict[str, Any],
    seats: list[str],
    reason: str = "camera",
) -> httpx.Response:
    return client.post(
        f"/api/v1/shows/{show['id']}/blocks",
        json={"seat_ids": seats, "reason": reason},
        headers=who,
    )


def unblock(
    client: httpx.Client, who: Headers, show: dict[str, Any], seats: list[str]
) -> httpx.Response:
    return client.request(
        "DELETE", f"/api/v1/shows/{show['id']}/blocks", json={"seat_ids": seats}, headers=who
    )


def blocked(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["seat_id"] for item in response.json()["items"]]


def version(client: httpx.Client, show: dict[str, Any]) -> int:
    return int(client.get(f"/api/v1/shows/{show['id']}/seats").json()["version"])


def test_a_blocked_seat_reads_blocked_and_no_hold_takes_it(
    client: httpx.Client, admin: Headers, show: dict[str, Any], seats: list[str]
) -> None:
    before = version(client, show)
    answer = block(client, admin, show, [seats[5], seats[0]], reason="house seats")
    assert sorted(blocked(answer)) == sorted([seats[0], seats[5]])
    items = answer.json()["items"]
    assert [item["label"] for item in items] == ["A1", "B2"]  # seat order
    assert {item["reason"] for item in items} == {"house seats"}
    assert all(item["blocked_by"].startswith("user:") and item["blocked_at"] for item in items)
    assert all(item["unblocked_at"] is None for item in items)
    shown = seat_statuses(client, show["id"])
    assert shown[seats[0]] == shown[seats[5]] == "BLOCKED"
    assert version(client, show) > before

    customer = register(client)
    refused = problem(hold(client, customer, show["id"], [seats[0]]), 409)
    assert refused["unavailable_seat_ids"] == [seats[0]]
    refused = problem(hold(client, customer, show["id"], [seats[1], seats[5]]), 409)
    assert refused["unavailable_seat_ids"] == [seats[5]]
    assert seat_statuses(client, show["id"])[seats[1]] == "AVAILABLE"  # all or nothing

    # Best available: 14 seats are on sale, of which at most 10 go in one booking.
    everything = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "quantity": 10}, headers=customer
    )
    assert everything.status_code == 201, everything.text
    rest = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "quantity": 5}, headers=register(client)
    )
    assert problem(rest, 409)["available"] == 4
    taken = {seat["seat_id"] for seat in everything.json()["seats"]}
    assert not taken & {seats[0], seats[5]}


def test_blocking_a_held_or_booked_seat_is_refused_naming_it_and_blocks_nothing(
    client: httpx.Client, admin: Headers, show: dict[str, Any], seats: list[str], clock: Any
) -> None:
    customer = register(client)
    pending = hold(client, customer, show["id"], [seats[0]])
    assert pending.status_code == 201, pending.text
    refused = problem(block(client, admin, show, [seats[1], seats[0]]), 409)
    assert refused["type"].endswith("/seats-not-blockable")
    assert refused["unavailable_seat_ids"] == [seats[0]] and refused["unavailable_seats"] == ["A1"]
    shown = seat_statuses(client, show["id"])
    assert shown[seats[0]] == "HELD" and shown[seats[1]] == "AVAILABLE"
    assert blocked(client.get(f"/api/v1/shows/{show['id']}/blocks", headers=admin)) == []

    paid = pay(client, customer, pending.json()["id"])
    assert paid["status"] == "BOOKED"
    refused = problem(block(client, admin, show, [seats[0]]), 409)
    assert refused["unavailable_seats"] == ["A1"]

    # A hold that ran out holds nothing: its seat can be blocked.
    other = hold(client, register(client), show["id"], [seats[2]])
    assert other.status_code == 201, other.text
    clock.advance(TTL + timedelta(seconds=1))
    assert blocked(block(client, admin, show, [seats[2]])) == [seats[2]]


def test_a_late_payment_for_a_seat_blocked_after_its_hold_ran_out_is_refunded(
    client: httpx.Client, admin: Headers, show: dict[str, Any], seats: list[str], clock: Any
) -> None:
    customer = register(client)
    pending = hold(client, customer, show["id"], seats[:2])
    assert pending.status_code == 201, pending.text
    order = start_payment(client, customer, pending.json()["id"]).json()
    clock.advance(TTL + timedelta(seconds=5))
    assert blocked(block(client, admin, show, [seats[1]])) == [seats[1]]

    refused = problem(verify(client, customer, checkout(client, order["order_id"])), 409)
    assert refused["type"].endswith("/payment-refunded")
    assert booking(client, customer, pending.json()["id"])["status"] == "EXPIRED"
    shown = seat_statuses(client, show["id"])
    assert shown[seats[0]] == "AVAILABLE" and shown[seats[1]] == "BLOCKED"


def test_unblocking_puts_the_seat_on_sale_at_once_and_the_audit_keeps_the_block(
    client: httpx.Client, admin: Headers, show: dict[str, Any], seats: list[str]
) -> None:
    blocked(block(client, admin, show, seats[:3], reason="broken"))
    assert blocked(block(client, admin, show, seats[:2], reason="again")) == seats[:3]
    again = client.get(f"/api/v1/shows/{show['id']}/blocks", headers=admin).json()["items"]
    assert {item["reason"] for item in again} == {"broken"}  # blocking again changes nothing

    left = blocked(unblock(client, admin, show, [seats[0]]))
    assert sorted(left) == sorted(seats[1:3])
    by_query = client.delete(
        f"/api/v1/shows/{show['id']}/blocks",
        params=[("seat_ids", seats[1]), ("seat_ids", seats[3])],  # seats[3]: not blocked
        headers=admin,
    )
    assert blocked(by_query) == [seats[2]]
    shown = seat_statuses(client, show["id"])
    assert [shown[s] for s in seats[:3]] == ["AVAILABLE", "AVAILABLE", "BLOCKED"]
    held = hold(client, register(client), show["id"], seats[:2])
    assert held.status_code == 201, held.text

    audit = client.get(
        f"/api/v1/shows/{show['id']}/blocks", params={"lifted": "true"}, headers=admin
    ).json()["items"]
    assert [item["label"] for item in audit] == ["A3", "A1", "A2"]  # open first, then lifted
    lifted = [item for item in audit if item["unblocked_at"]]
    assert all(item["unblocked_by"].startswith("user:") for item in lifted)
    assert all(item["reason"] == "broken" for item in audit)


def test_blocks_are_for_the_theatres_managers_and_refuse_what_is_not_a_seat_of_the_show(
    client: httpx.Client, admin: Headers, show: dict[str, Any], seats: list[str]
) -> None:
    path = f"/api/v1/shows/{show['id']}/blocks"
    body = {"seat_ids": [seats[0]], "reason": "camera"}
    problem(client.post(path, json=body), 401)
    problem(client.post(path, json=body, headers=register(client)), 403)
    problem(client.post(path, json=body, headers=guest(client)[0]), 403)
    problem(client.get(path, headers=register(client)), 403)
    problem(client.delete(path, params={"seat_ids": seats[0]}, headers=register(client)), 403)
    unknown = "00000000-0000-4000-8000-000000000000"
    problem(client.post(f"/api/v1/shows/{unknown}/blocks", json=body, headers=admin), 404)
    refused = problem(client.post(path, json={**body, "seat_ids": [unknown]}, headers=admin), 422)
    assert refused["unknown_seat_ids"] == [unknown]
    for wrong in (
        {"seat_ids": [seats[0], seats[0]], "reason": "twice"},
        {"seat_ids": [], "reason": "none"},
        {"seat_ids": [seats[0]], "reason": ""},
        {"seat_ids": [seats[0]], "reason": "a\x00b"},
        {"seat_ids": [seats[0]]},
        {"seat_ids": [seats[0]], "reason": "x", "extra": 1},
    ):
        problem(client.post(path, json=wrong, headers=admin), 422)
    problem(client.delete(path, headers=admin), 422)  # which seats?
    both = client.request(
        "DELETE", path, params={"seat_ids": seats[0]}, json={"seat_ids": [seats[0]]}, headers=admin
    )
    problem(both, 422)
    assert set(seat_statuses(client, show["id"]).values()) == {"AVAILABLE"}


def test_the_show_report_counts_blocked_seats_apart(
    client: httpx.Client, admin: Headers, show: dict[str, Any], seats: list[str]
) -> None:
    blocked(block(client, admin, show, [seats[0], seats[5]]))
    assert hold(client, register(client), show["id"], [seats[1]]).status_code == 201
    report = client.get(f"/api/v1/admin/shows/{show['id']}/report", headers=admin).json()
    assert (report["capacity"], report["booked"], report["held"], report["blocked"]) == (
        16,
        0,
        1,
        2,
    )
    assert report["available"] == 13
    by_type = {row["seat_type"]: row for row in report["by_seat_type"]}
    assert (by_type["VIP"]["blocked"], by_type["VIP"]["held"], by_type["VIP"]["available"]) == (
        1,
        1,
        2,
    )
    assert (by_type["GOLD"]["blocked"], by_type["GOLD"]["available"]) == (1, 5)
    assert by_type["SILVER"]["blocked"] == 0


def test_blocks_and_unblocks_go_out_on_the_live_stream(
    client: httpx.Client,
    admin: Headers,
    live_server: LiveServer,
    show: dict[str, Any],
    seats: list[str],
) -> None:
    with subscribe(live_server.url, show["id"]) as stream:
        snapshot = stream.next()
        assert snapshot is not None and snapshot.kind == "snapshot"
        blocked(block(client, admin, show, [seats[3]]))
        event = stream.next()
        assert event is not None and statuses(event) == {seats[3]: "BLOCKED"}
        assert event.data["version"] > snapshot.data["version"]
        blocked(unblock(client, admin, show, [seats[3]]))
        event = stream.next()
        assert event is not None and statuses(event) == {seats[3]: "AVAILABLE"}
