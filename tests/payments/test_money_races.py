"""The money paths raced (issue 30, item 2): each race is released at one instant (a barrier)
between server processes (`two_servers`; on SQLite the one process of the embedded mode) or a
server and worker passes with event loops and connections of their own, and ends with the
money audited from the provider's own records and the seats audited from the database.

Tried with the lock that settles each removed, on PostgreSQL (on SQLite one writer at a time
settles them all, whatever the code locks):
- the payment row's lock in `settle_payment`: two captured payments both answered 200 (one
  never refunded); verify found its own payment "a second payment" and refunded it; two worker
  passes booked a payment and refunded it too;
- the seat claim's condition (free, ours, or run out): a late payment and a new hold both got
  the seat;
- the refund's row lock when an attempt is claimed: two retries claimed attempt 2 (a unique
  violation, a 500) within the twelve rounds;
- cancel against a payment held with the booking's lock, the payment's, or the status's
  compare-and-set removed one at a time: it still held in fourteen rounds (each of the others
  still settles it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from tests.api import Headers, register
from tests.bookings.test_concurrency import audit
from tests.bookings.test_holds import hold, seat_statuses
from tests.conftest import LiveServer, running_app
from tests.payments.checkout import (
    SANDBOX,
    booking,
    capture,
    checkout,
    eventually,
    money_audit,
    provider_payment,
    provider_refunds,
    send_webhook,
    start_payment,
    webhook_event,
)
from tests.payments.checkout import verify as verified
from tests.payments.test_reconciliation import run_worker_pass, whole_worker_pass
from tests.support.race import at_once, hold_at, request, through
from tests.support.servers import Servers

from boxoffice.clock import Clock
from boxoffice.payments.reconcile import GRACE
from boxoffice.payments.refunds import retry_delay

ROUNDS = 4  # a race per seat: which side wins varies from round to round
# The claims of a refund's next attempt are a few milliseconds: more rounds to see them meet.
RETRY_ROUNDS = 12
WEBHOOKS_OF_A_CAPTURE = ("payment.captured", "order.paid")


@pytest.fixture(autouse=True)
def sandbox_defaults(client: httpx.Client) -> Iterator[None]:
    yield
    client.delete(f"{SANDBOX}/config")


def verify(url: str, who: Headers, paid: dict[str, Any]) -> Any:
    """The customer's browser verifying at the server at `url`, when `at_once` says."""
    return through(url, lambda http: verified(http, who, paid))


def webhook(url: str, event: dict[str, Any]) -> Any:
    """The provider's delivery of `event` to the server at `url`, signed as it signs."""
    return through(url, lambda http: send_webhook(http, event))


def held_and_paid(
    client: httpx.Client, show: dict[str, Any], seat: str
) -> tuple[Headers, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A customer, their hold of `seat`, its order, and what Checkout handed back."""
    customer = register(client)
    pending = hold(client, customer, show["id"], [seat]).json()
    order = start_payment(client, customer, pending["id"]).json()
    return customer, pending, order, checkout(client, order["order_id"])


def test_cancel_against_verify_or_the_webhook_refunds_exactly_once(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any, two_servers: Servers
) -> None:
    """Whichever lands first, the booking ends CANCELLED and its payment is returned once: a
    payment that finds the booking cancelled is refunded on arrival, a cancel that finds it
    paid refunds it."""
    first, second = two_servers.urls
    for index, seat in enumerate(seats[:ROUNDS]):
        customer, pending, order, paid = held_and_paid(client, show, seat)
        cancel = request(
            first, "POST", f"/api/v1/bookings/{pending['id']}/cancel", headers=customer
        )
        if index % 2:
            entity = provider_payment(client, paid["razorpay_payment_id"])
            pays = webhook(second, webhook_event("payment.captured", entity))
        else:
            pays = verify(second, customer, paid)

        cancelled, paying = at_once(cancel, pays)

        assert cancelled.status_code == 200, cancelled.text
        assert paying.status_code in (200, 409), paying.text
        final = booking(client, customer, pending["id"])
        assert final["status"] == "CANCELLED", final
        assert [r["amount"] for r in final["refunds"]] == [order["amount"]], final
    money_audit(client, db)
    audit(db, show["id"])


def test_a_cancel_racing_its_payments_late_webhooks_refunds_once_and_never_deadlocks(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any, two_servers: Servers
) -> None:
    """A booking paid through verify is cancelled on one server while the provider's webhooks
    for that payment land on the other. Settlement took the payment's row and then the
    booking's, a cancel's refund the booking's and then the payment's: PostgreSQL broke the
    deadlock by failing one of them (a 503). One lock order, booking first, for both."""
    first, second = two_servers.urls
    for seat in seats[:RETRY_ROUNDS]:
        customer, pending, order, paid = held_and_paid(client, show, seat)
        assert verified(client, customer, paid).status_code == 200
        entity = provider_payment(client, paid["razorpay_payment_id"])
        cancel = request(
            first, "POST", f"/api/v1/bookings/{pending['id']}/cancel", headers=customer
        )
        late = [webhook(second, webhook_event(name, entity)) for name in WEBHOOKS_OF_A_CAPTURE]

        cancelled, *landed = at_once(cancel, *late)

        assert cancelled.status_code == 200, cancelled.text
        assert [answer.status_code for answer in landed] == [200, 200], [a.text for a in landed]
        final = booking(client, customer, pending["id"])
        assert final["status"] == "CANCELLED", final
        assert [r["amount"] for r in final["refunds"]] == [order["amount"]], final
    money_audit(client, db)
    audit(db, show["id"])


def test_two_payments_captured_for_one_order_book_once_and_the_other_goes_back(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any, two_servers: Servers
) -> None:
    """Two tabs paid one order and the account captured both; both are verified at once, on two
    servers: one books, the other is refunded in full."""
    client.patch(f"{SANDBOX}/config", json={"auto_capture": False})  # two payments for one order
    first, second = two_servers.urls
    for seat in seats[:ROUNDS]:
        customer = register(client)
        pending = hold(client, customer, show["id"], [seat]).json()
        order = start_payment(client, customer, pending["id"]).json()
        tabs = [checkout(client, order["order_id"]) for _ in range(2)]
        for paid in tabs:
            capture(client, paid, order["amount"])

        answers = at_once(verify(first, customer, tabs[0]), verify(second, customer, tabs[1]))

        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        refused = next(a for a in answers if a.status_code == 409).json()
        assert refused["type"].endswith("/payment-refunded"), refused
        final = booking(client, customer, pending["id"])
        winner = tabs[[a.status_code for a in answers].index(200)]
        assert final["status"] == "BOOKED"
        assert final["payment"]["payment_id"] == winner["razorpay_payment_id"]
        assert [r["amount"] for r in final["refunds"]] == [order["amount"]]
        assert [h["to"] for h in final["history"]] == ["PENDING", "BOOKED"]
    money_audit(client, db)
    audit(db, show["id"])


def test_verify_the_authorized_webhook_and_the_worker_capture_once_and_book_once(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    db: Any,
    live_server: LiveServer,
    two_servers: Servers,
) -> None:
    """An account without automatic capture: the browser's verify, the `payment.authorized`
    webhook and a worker pass (which asks the provider about an order nobody reported) all see
    the authorized payment at once; it is captured once, for the order's amount, and books."""
    client.patch(f"{SANDBOX}/config", json={"auto_capture": False})
    first, second = two_servers.urls
    # The worker asks about orders this old; the servers keep the real time.
    worker_clock = Clock()
    worker_clock.advance(GRACE + timedelta(seconds=1))
    worker_pass = partial(run_worker_pass, replace(live_server, clock=worker_clock))
    for seat in seats[:ROUNDS]:
        customer, pending, order, paid = held_and_paid(client, show, seat)
        authorized = provider_payment(client, paid["razorpay_payment_id"])
        assert authorized["status"] == "authorized"

        verified, delivered, _settled = at_once(
            verify(first, customer, paid),
            webhook(second, webhook_event("payment.authorized", authorized)),
            worker_pass,
        )

        assert verified.status_code == 200, verified.text
        assert delivered.status_code == 200, delivered.text
        final = booking(client, customer, pending["id"])
        assert [h["to"] for h in final["history"]] == ["PENDING", "BOOKED"], final
        assert final["refunds"] == []
        captured = provider_payment(client, paid["razorpay_payment_id"])
        assert (captured["captured"], captured["amount"]) == (True, order["amount"])
    money_audit(client, db)
    audit(db, show["id"])


def test_a_late_payment_and_a_new_hold_on_its_seats_sell_each_seat_once(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    db: Any,
    clock: Any,
    live_server: LiveServer,
) -> None:
    """A hold ran out; its payment arrives just as another customer holds its seats through
    another server (on the same clock). One of them gets the seat: the payment books it and
    the hold is refused, or the hold keeps it and the payment is refunded in full."""
    ttl = timedelta(seconds=live_server.settings.hold_ttl_seconds + 1)
    with running_app(db.url, clock=clock) as other:
        for seat in seats[:ROUNDS]:
            slow, pending, order, paid = held_and_paid(client, show, seat)
            clock.advance(ttl)  # it ran out; nobody swept it
            quick = register(client)
            holds = hold_at(other.url, quick, show["id"], [seat])

            verified, held = at_once(verify(live_server.url, slow, paid), holds)

            late = booking(client, slow, pending["id"])
            if verified.status_code == 200:
                assert held.status_code == 409, held.text
                assert late["status"] == "BOOKED" and late["refunds"] == []
                assert seat_statuses(client, show["id"])[seat] == "BOOKED"
            else:
                assert verified.json()["type"].endswith("/payment-refunded"), verified.text
                assert held.status_code == 201, held.text
                assert late["status"] == "EXPIRED"
                assert [r["amount"] for r in late["refunds"]] == [order["amount"]]
                assert seat_statuses(client, show["id"])[seat] == "HELD"
            audit(db, show["id"], clock.now())
            other.wait_until_quiet()
    money_audit(client, db)


def test_an_admins_retry_and_the_workers_retry_of_a_failed_refund_issue_it_once(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    db: Any,
    clock: Any,
    admin: Headers,
    live_server: LiveServer,
    two_servers: Servers,
) -> None:
    """A refund the bank bounced is due again when two admins retry it (on two servers) and a
    worker pass runs, at once: one of them makes the next attempt, the others find it taken
    (409); the money goes back once."""
    for seat in seats[:RETRY_ROUNDS]:
        clock.offset = timedelta(0)  # the servers that lease an attempt keep the real time
        customer, pending, _order, paid = held_and_paid(client, show, seat)
        assert verify(live_server.url, customer, paid)().status_code == 200
        refund = bounced_refund(client, customer, pending["id"], paid["razorpay_payment_id"])
        clock.advance(retry_delay(1))  # the worker's next attempt is due
        retry = f"/api/v1/admin/refunds/{refund}/retry"

        *retried, _settled = at_once(
            *(request(url, "POST", retry, headers=admin) for url in two_servers.urls),
            partial(run_worker_pass, live_server),
        )

        assert sorted(r.status_code for r in retried) in ([200, 409], [409, 409]), retried
        final = booking(client, customer, pending["id"])["refunds"]
        assert [r["status"] for r in final] == ["PROCESSED"], final
        attempts = db.query(
            "SELECT number FROM refund_attempts WHERE refund_id = :r ORDER BY number",
            r=db.id(refund),
        )
        assert [a[0] for a in attempts] == [1, 2]
        statuses = [r["status"] for r in provider_refunds(client, paid["razorpay_payment_id"])]
        assert sorted(statuses) == ["failed", "processed"]
    money_audit(client, db)


def bounced_refund(client: httpx.Client, who: Headers, booking_id: str, payment_id: str) -> str:
    """Cancels a paid booking and has the bank bounce its refund: FAILED, retried later."""
    client.patch(f"{SANDBOX}/config", json={"refund_status": "pending"})
    cancelled = client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=who)
    assert cancelled.status_code == 200, cancelled.text
    issued = eventually(lambda: provider_refunds(client, payment_id))
    client.patch(f"{SANDBOX}/config", json={"refund_status": "processed"})
    bounced = client.post(f"{SANDBOX}/refunds/{issued[0]['id']}/fail", json={})
    assert bounced.status_code == 200, bounced.text
    assert eventually(lambda: booking(client, who, booking_id)["refunds"][0]["status"] == "FAILED")
    return str(booking(client, who, booking_id)["refunds"][0]["id"])


def test_two_worker_passes_at_once_do_each_thing_once(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    db: Any,
    clock: Any,
    live_server: LiveServer,
) -> None:
    """Two whole worker passes, each with its own event loop and connections, released at one
    instant over the same work: holds that ran out, a payment nobody reported (captured, its
    hold run out meanwhile), and a refund whose first attempt failed. Each is done once."""
    # Paid at Checkout, never verified: the worker asks the provider and books it, late.
    unreported, late, _order, _paid = held_and_paid(client, show, seats[0])
    # Paid and cancelled; the provider did not answer the refund: it is due again later.
    customer, refunded, _order, paid = held_and_paid(client, show, seats[1])
    assert verify(live_server.url, customer, paid)().status_code == 200
    client.patch(
        f"{SANDBOX}/config",
        json={"fail_next_requests": 3, "fail_matching": paid["razorpay_payment_id"]},
    )
    cancelled = client.post(f"/api/v1/bookings/{refunded['id']}/cancel", headers=customer)
    assert cancelled.status_code == 200, cancelled.text
    live_server.wait_until_quiet()  # its first attempt failed
    client.delete(f"{SANDBOX}/config")
    # Holds nobody pays.
    left = [register(client) for _ in range(3)]
    abandoned = [hold(client, who, show["id"], [seats[2 + i]]).json() for i, who in enumerate(left)]
    clock.advance(timedelta(seconds=live_server.settings.hold_ttl_seconds + 1))

    at_once(lambda: whole_worker_pass(live_server), lambda: whole_worker_pass(live_server))

    paid_late = booking(client, unreported, late["id"])
    assert [h["to"] for h in paid_late["history"]] == ["PENDING", "EXPIRED", "BOOKED"], paid_late
    refunds = booking(client, customer, refunded["id"])["refunds"]
    assert [r["status"] for r in refunds] == ["PROCESSED"], refunds
    assert len(provider_refunds(client, paid["razorpay_payment_id"])) == 1
    for who, pending in zip(left, abandoned, strict=True):
        history = booking(client, who, pending["id"])["history"]
        assert [h["to"] for h in history] == ["PENDING", "EXPIRED"], history
    money_audit(client, db)
    audit(db, show["id"], clock.now())
