"""Partial cancellation (SPEC "Money", "Partial cancellation"): `POST /bookings/{id}/cancel` with
`seat_ids` gives back exactly those seats (seat map and stream), revokes their tickets, refunds
them by the policy with a credit note, and the booking stays BOOKED with the rest; the last seat
cancels it. Bad input changes nothing; two cancels of one seat at once: one wins, one 409."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from tests.api import Headers, problem, register
from tests.bookings.money_helpers import (
    FEE_TOTAL,
    paid_seats,
    policy_theatre,
    seat_statuses,
    show_in,
)
from tests.catalogue.test_seat_stream import statuses, subscribe
from tests.conftest import LiveServer
from tests.invoicing.helpers import documents_audit, invoice
from tests.payments.checkout import booking, eventually, money_audit
from tests.support.http import loopback_client
from tests.support.keys import sandbox_keys
from tests.support.servers import Servers
from tests.tickets.helpers import tickets


def cancel(
    client: httpx.Client, who: Headers, booking_id: str, seat_ids: list[str]
) -> httpx.Response:
    return client.post(
        f"/api/v1/bookings/{booking_id}/cancel", json={"seat_ids": seat_ids}, headers=who
    )


def seat_of(paid: dict[str, Any], seat_type: str) -> str:
    return next(s["seat_id"] for s in paid["seats"] if s["seat_type"] == seat_type)


def test_seats_given_back_are_freed_revoked_refunded_and_credited_and_the_rest_stays_booked(
    client: httpx.Client, admin: Headers, live_server: LiveServer, db: Any
) -> None:
    sale = show_in(client, admin, policy_theatre(client, admin), 180)  # the 75 % tier
    customer = register(client)
    paid = paid_seats(client, customer, sale["id"], "VIP", "GOLD", "SILVER")
    vip, gold, silver = (seat_of(paid, kind) for kind in ("VIP", "GOLD", "SILVER"))

    with subscribe(live_server.url, sale["id"]) as stream:
        assert stream.next().kind == "snapshot"
        partly = cancel(client, customer, paid["id"], [gold])
        assert partly.status_code == 200, partly.text
        event = stream.next()
        assert event is not None and statuses(event) == {gold: "AVAILABLE"}

    kept = partly.json()
    assert kept["status"] == "BOOKED"
    assert [s["seat_id"] for s in kept["seats"]] == [vip, silver]
    [given] = kept["cancelled_seats"]
    assert (given["seat_id"], given["refund"]) == (gold, 7500)  # 75 % of ₹100, its fee kept
    assert given["cancelled_at"] and given["fee"] == 1000
    assert [r["amount"] for r in kept["refunds"]] == [7500]
    assert kept["history"][-1]["from"] == kept["history"][-1]["to"] == "BOOKED"
    assert given["label"] in kept["history"][-1]["reason"]
    # What the rest would give back now, and what the booking was sold for, unchanged.
    assert kept["cancellation"]["refund_now"] == 37500 + 7875
    assert kept["amount_total"] == paid["amount_total"] == kept["charges"]["grand_total"]

    shown = seat_statuses(client, sale["id"])
    assert (shown[vip], shown[gold], shown[silver]) == ("BOOKED", "AVAILABLE", "BOOKED")
    by_seat = {t["seat_label"]: t["status"] for t in tickets(client, customer, paid["id"])}
    assert sorted(by_seat.values()) == ["REVOKED", "VALID", "VALID"]
    [note] = invoice(client, customer, paid["id"])["credit_notes"]
    assert [(line["kind"], line["total"]) for line in note["lines"]] == [("TICKET", 7500)]
    assert eventually(
        lambda: booking(client, customer, paid["id"])["payment"]["status"] == "PARTIALLY_REFUNDED"
    )
    # At the provider: a partial refund of the captured payment, which stays captured.
    keys = sandbox_keys()
    at_provider = client.get(
        f"/_sandbox/razorpay/v1/payments/{kept['payment']['payment_id']}",
        auth=(keys.key_id, keys.key_secret),
    ).json()
    assert (at_provider["status"], at_provider["refund_status"]) == ("captured", "partial")
    assert at_provider["amount_refunded"] == 7500

    # The last seats given back cancel the booking; its seats are those it held till then.
    rest = cancel(client, customer, paid["id"], [silver, vip])
    assert rest.status_code == 200, rest.text
    done = rest.json()
    assert done["status"] == "CANCELLED" and done["cancellation"] is None
    assert [s["seat_id"] for s in done["seats"]] == [vip, silver]
    assert [s["seat_id"] for s in done["cancelled_seats"]] == [gold]
    assert [r["amount"] for r in done["refunds"]] == [7500, 37500 + 7875]
    assert set(seat_statuses(client, sale["id"]).values()) == {"AVAILABLE"}
    assert {t["status"] for t in tickets(client, customer, paid["id"])} == {"REVOKED"}
    kept_by_theatre = paid["amount_total"] - 7500 - 37500 - 7875
    assert kept_by_theatre == sum(FEE_TOTAL.values()) + 2500 + 12500 + 2625
    money_audit(client, db)
    documents_audit(db)


def test_bad_partial_cancels_are_refused_and_change_nothing(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id = policy_theatre(client, admin)
    sale = show_in(client, admin, theatre_id, 180)
    customer = register(client)
    paid = paid_seats(client, customer, sale["id"], "VIP", "GOLD")
    other = paid_seats(client, register(client), sale["id"], "SILVER")
    pending = client.post(
        "/api/v1/bookings",
        json={"show_id": sale["id"], "quantity": 1, "seat_type": "SILVER"},
        headers=customer,
    ).json()
    before = booking(client, customer, paid["id"])
    seats_before = seat_statuses(client, sale["id"])
    path = f"/api/v1/bookings/{paid['id']}/cancel"

    not_mine = problem(cancel(client, customer, paid["id"], [other["seats"][0]["seat_id"]]), 422)
    assert not_mine["type"].endswith("/seats-not-in-booking")
    assert not_mine["unknown_seat_ids"] == [other["seats"][0]["seat_id"]]
    problem(cancel(client, customer, paid["id"], [seat_of(paid, "VIP"), "not-a-uuid"]), 422)
    for body in ({"seat_ids": []}, {"seat_ids": [seat_of(paid, "VIP")], "refund": 1}, [1]):
        problem(client.post(path, json=body, headers=customer), 422)
    # A hold cannot give back some of its seats: it is cancelled whole or runs out.
    problem(cancel(client, customer, pending["id"], [pending["seats"][0]["seat_id"]]), 409)

    assert booking(client, customer, paid["id"]) == before
    assert booking(client, customer, pending["id"])["status"] == "PENDING"
    assert seat_statuses(client, sale["id"]) == seats_before
    assert db.query("SELECT count(*) FROM refunds")[0][0] == 0

    given = cancel(client, customer, paid["id"], [seat_of(paid, "GOLD")])
    assert given.status_code == 200, given.text
    again = problem(cancel(client, customer, paid["id"], [seat_of(paid, "GOLD")]), 409)
    assert again["type"].endswith("/seats-already-cancelled")
    after = booking(client, customer, paid["id"])
    for field in ("status", "seats", "cancelled_seats", "history"):
        assert after[field] == given.json()[field]
    assert [r["id"] for r in after["refunds"]] == [r["id"] for r in given.json()["refunds"]]
    money_audit(client, db)


def _race(urls: list[str], who: Headers, booking_id: str, seat_id: str) -> list[httpx.Response]:
    """Two cancels of the same seat, released together by a barrier, one through each URL."""
    barrier = threading.Barrier(2)

    def one(url: str) -> httpx.Response:
        with loopback_client(base_url=url, timeout=60) as http:
            barrier.wait()
            return cancel(http, who, booking_id, [seat_id])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, urls))


def _one_won(
    responses: list[httpx.Response],
    db: Any,
    client: httpx.Client,
    who: Headers,
    paid: dict[str, Any],
) -> None:
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    lost = next(r for r in responses if r.status_code == 409)
    assert lost.json()["type"].endswith(("/seats-already-cancelled", "/illegal-transition"))
    after = booking(client, who, paid["id"])
    assert len(after["cancelled_seats"]) == 1 and len(after["refunds"]) == 1
    assert db.query("SELECT count(*) FROM refunds")[0][0] == 1
    money_audit(client, db)


def _a_paid_pair(client: httpx.Client, admin: Headers) -> tuple[Headers, dict[str, Any]]:
    sale = show_in(client, admin, policy_theatre(client, admin), 180)
    who = register(client)
    return who, paid_seats(client, who, sale["id"], "VIP", "GOLD")


@pytest.mark.postgres_only
def test_two_partial_cancels_of_one_seat_through_two_processes_one_wins(
    client: httpx.Client, admin: Headers, db: Any, two_servers: Servers
) -> None:
    who, paid = _a_paid_pair(client, admin)
    responses = _race(two_servers.urls, who, paid["id"], seat_of(paid, "GOLD"))
    _one_won(responses, db, client, who, paid)


def test_two_partial_cancels_of_one_seat_at_once_one_wins(
    client: httpx.Client, admin: Headers, live_server: LiveServer, db: Any
) -> None:
    who, paid = _a_paid_pair(client, admin)
    responses = _race([live_server.url, live_server.url], who, paid["id"], seat_of(paid, "GOLD"))
    _one_won(responses, db, client, who, paid)
