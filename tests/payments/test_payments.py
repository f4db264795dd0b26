"""Paying for bookings with the real Razorpay SDK against the sandbox (SPEC invariant 5)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from tests.api import Headers, guest, login, problem, register
from tests.bookings.test_holds import hold, seat_statuses
from tests.payments.checkout import (
    booking,
    checked_out,
    checkout,
    eventually,
    money_audit,
    pay,
    payment_event,
    provider_refunds,
    refund_processed,
    send_webhook,
    start_payment,
    verify,
    webhooks_answered,
)

TTL = timedelta(seconds=600)


def held(
    client: httpx.Client, who: Headers, show: dict[str, Any], seats: list[str]
) -> dict[str, Any]:
    response = hold(client, who, show["id"], seats)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_pay_and_verify_books_the_seats(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer = register(client)
    pending = held(client, customer, show, seats[:2])

    first = start_payment(client, customer, pending["id"])
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["provider"] == "razorpay"
    assert order["amount"] == pending["amount_total"]
    assert order["currency"] == "INR"
    assert order["order_id"].startswith("order_") and order["key_id"]
    again = start_payment(client, customer, pending["id"])
    assert again.status_code == 200 and again.json() == order

    paid = checkout(client, order["order_id"])
    response = verify(client, customer, paid)

    assert response.status_code == 200, response.text
    confirmed = response.json()
    assert confirmed["status"] == "BOOKED"
    assert confirmed["expires_at"] is None
    assert confirmed["payment"]["payment_id"] == paid["razorpay_payment_id"]
    assert confirmed["payment"]["amount"] == pending["amount_total"]
    assert confirmed["payment"]["status"] == "CAPTURED"
    assert [h["to"] for h in confirmed["history"]] == ["PENDING", "BOOKED"]
    statuses = seat_statuses(client, show["id"])
    assert [statuses[s] for s in seats[:2]] == ["BOOKED", "BOOKED"]
    # Verifying again changes nothing.
    assert verify(client, customer, paid).json()["history"] == confirmed["history"]
    problem(start_payment(client, customer, pending["id"]), 409)
    money_audit(client, db)


def test_a_tampered_signature_is_refused_and_changes_nothing(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    pending = held(client, customer, show, [seats[0]])
    _order, paid = checked_out(client, customer, pending["id"])

    forged = {**paid, "razorpay_signature": "0" * 64}
    body = problem(verify(client, customer, forged), 400)
    assert body["type"].endswith("/invalid-signature")
    swapped = {**paid, "razorpay_payment_id": "pay_someoneelse123"}
    problem(verify(client, customer, swapped), 400)
    assert booking(client, customer, pending["id"])["status"] == "PENDING"


def test_only_the_owner_starts_or_verifies_a_payment(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    owner, other = register(client), register(client)
    pending = held(client, owner, show, [seats[0]])
    problem(start_payment(client, other, pending["id"]), 404)
    problem(start_payment(client, {}, pending["id"]), 401)
    order = start_payment(client, owner, pending["id"]).json()
    paid = checkout(client, order["order_id"])
    problem(verify(client, other, paid), 404)
    assert booking(client, owner, pending["id"])["status"] == "PENDING"


def test_a_guest_needs_a_contact_before_paying(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    visitor, _ = guest(client)
    pending = held(client, visitor, show, [seats[0]])
    body = problem(start_payment(client, visitor, pending["id"]), 422)
    assert body["type"].endswith("/contact-required")
    assert (
        client.patch("/api/v1/me", json={"email": "guest@example.com"}, headers=visitor).status_code
        == 200
    )
    order = start_payment(client, visitor, pending["id"])
    assert order.status_code == 201, order.text
    assert (
        verify(client, visitor, checkout(client, order.json()["order_id"])).json()["status"]
        == "BOOKED"
    )


def test_webhooks_alone_book_the_seats(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer = register(client)
    pending = held(client, customer, show, seats[:2])
    order = start_payment(client, customer, pending["id"]).json()

    checkout(client, order["order_id"], deliver_webhooks=True)  # the customer closes the tab

    done = eventually(lambda: booking(client, customer, pending["id"])["status"] == "BOOKED")
    assert done
    assert [h["to"] for h in booking(client, customer, pending["id"])["history"]] == [
        "PENDING",
        "BOOKED",
    ]
    money_audit(client, db)


def test_duplicate_and_out_of_order_webhooks_take_effect_once(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer = register(client)
    pending = held(client, customer, show, [seats[0]])
    order, paid = checked_out(client, customer, pending["id"])
    captured = payment_event(
        "payment.captured", order["order_id"], paid["razorpay_payment_id"], order["amount"]
    )
    order_paid = payment_event(
        "order.paid", order["order_id"], paid["razorpay_payment_id"], order["amount"]
    )

    assert send_webhook(client, order_paid, "evt_a").status_code == 200  # order.paid first
    assert send_webhook(client, captured, "evt_b").status_code == 200
    assert send_webhook(client, captured, "evt_b").json()["status"] == "duplicate"
    assert verify(client, customer, paid).status_code == 200

    final = booking(client, customer, pending["id"])
    assert [h["to"] for h in final["history"]] == ["PENDING", "BOOKED"]
    assert db.query("SELECT count(*) FROM payments")[0][0] == 1
    money_audit(client, db)


def test_bad_or_missing_webhook_signatures_change_nothing(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    pending = held(client, customer, show, [seats[0]])
    order, paid = checked_out(client, customer, pending["id"])
    event = payment_event(
        "payment.captured", order["order_id"], paid["razorpay_payment_id"], order["amount"]
    )

    problem(send_webhook(client, event, secret="not-the-secret"), 400)
    problem(client.post("/api/v1/webhooks/razorpay", json=event), 400)
    assert booking(client, customer, pending["id"])["status"] == "PENDING"
    unknown = payment_event("payment.captured", "order_unknown00000", "pay_unknown0000", 100)
    response = send_webhook(client, unknown)
    assert response.status_code == 200 and response.json()["status"] == "unknown order"


def test_a_payment_captured_for_another_amount_is_refunded_for_what_was_captured(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    """SPEC (settled 2026-12-07): the refund is for the amount captured, not the order's."""
    customer = register(client)
    pending = held(client, customer, show, [seats[0]])
    order = start_payment(client, customer, pending["id"]).json()
    paid = checkout(client, order["order_id"], amount=order["amount"] - 1)
    payment_id = paid["razorpay_payment_id"]

    body = problem(verify(client, customer, paid), 409)

    assert body["type"].endswith("/payment-refunded")
    assert body["refund_amount"] == order["amount"] - 1
    current = booking(client, customer, pending["id"])
    assert current["status"] != "BOOKED"
    assert [r["amount"] for r in current["refunds"]] == [order["amount"] - 1]
    assert eventually(lambda: refund_processed(client, customer, pending["id"]))
    returned = provider_refunds(client, payment_id)
    assert [(r["amount"], r["status"]) for r in returned] == [(order["amount"] - 1, "processed")]
    assert booking(client, customer, pending["id"])["payment"]["status"] == "REFUNDED"
    money_audit(client, db)


def test_a_failed_payment_leaves_the_hold_until_it_expires(
    client: httpx.Client, show: dict[str, Any], seats: list[str], clock: Any
) -> None:
    customer = register(client)
    pending = held(client, customer, show, [seats[0]])
    order = start_payment(client, customer, pending["id"]).json()

    checkout(client, order["order_id"], outcome="failure", deliver_webhooks=True)

    assert eventually(lambda: webhooks_answered(client, order["order_id"]))  # payment.failed
    assert booking(client, customer, pending["id"])["status"] == "PENDING"
    clock.advance(TTL + timedelta(seconds=1))
    assert booking(client, customer, pending["id"])["status"] == "EXPIRED"
    problem(start_payment(client, customer, pending["id"]), 409)


def test_a_late_payment_rebooks_seats_that_are_still_free(
    client: httpx.Client, show: dict[str, Any], seats: list[str], clock: Any, db: Any
) -> None:
    customer = register(client)
    pending = held(client, customer, show, seats[:2])
    order = start_payment(client, customer, pending["id"]).json()
    clock.advance(TTL + timedelta(seconds=5))

    response = verify(client, customer, checkout(client, order["order_id"]))

    assert response.status_code == 200, response.text
    confirmed = response.json()
    assert confirmed["status"] == "BOOKED"
    assert [h["to"] for h in confirmed["history"]] == ["PENDING", "EXPIRED", "BOOKED"]
    statuses = seat_statuses(client, show["id"])
    assert [statuses[s] for s in seats[:2]] == ["BOOKED", "BOOKED"]
    money_audit(client, db)


def test_a_late_payment_for_taken_seats_is_refunded(
    client: httpx.Client, show: dict[str, Any], seats: list[str], clock: Any, db: Any
) -> None:
    slow, quick = register(client), register(client)
    pending = held(client, slow, show, seats[:2])
    order = start_payment(client, slow, pending["id"]).json()
    clock.advance(TTL + timedelta(seconds=5))
    taken = held(client, quick, show, [seats[1]])

    body = problem(verify(client, slow, checkout(client, order["order_id"])), 409)

    assert body["type"].endswith("/payment-refunded")
    assert body["refund_id"]
    late = booking(client, slow, pending["id"])
    assert late["status"] == "EXPIRED"
    assert [r["id"] for r in late["refunds"]] == [body["refund_id"]]
    statuses = seat_statuses(client, show["id"])
    assert statuses[seats[0]] == "AVAILABLE" and statuses[seats[1]] == "HELD"
    assert booking(client, quick, taken["id"])["status"] == "PENDING"
    processed = eventually(lambda: refund_processed(client, slow, pending["id"]))
    assert processed
    assert booking(client, slow, pending["id"])["payment"]["status"] == "REFUNDED"
    money_audit(client, db)


def test_a_verify_after_the_webhook_answers_what_the_webhook_settled(
    client: httpx.Client, show: dict[str, Any], seats: list[str], clock: Any, db: Any
) -> None:
    """The webhook usually beats the customer's verify: verify then answers the settlement the
    webhook made, the booking BOOKED, or the refund of a payment whose seats were taken."""
    booked_by_hook, late, quick = register(client), register(client), register(client)

    def captured_by_webhook(order: dict[str, Any]) -> dict[str, Any]:
        """Checkout pays the order; its `payment.captured` is delivered before verify."""
        paid = checkout(client, order["order_id"])
        event = payment_event(
            "payment.captured", order["order_id"], paid["razorpay_payment_id"], order["amount"]
        )
        assert send_webhook(client, event).json()["status"] == "applied"
        return paid

    first = held(client, booked_by_hook, show, seats[:1])
    paid = captured_by_webhook(start_payment(client, booked_by_hook, first["id"]).json())
    answer = verify(client, booked_by_hook, paid)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "BOOKED"
    assert [h["to"] for h in answer.json()["history"]] == ["PENDING", "BOOKED"]
    assert verify(client, booked_by_hook, paid).json() == answer.json()  # again: the same

    second = held(client, late, show, seats[1:2])
    order = start_payment(client, late, second["id"]).json()
    clock.advance(TTL + timedelta(seconds=5))
    held(client, quick, show, seats[1:2])  # the seat of the hold that ran out is taken
    paid = captured_by_webhook(order)
    refused = problem(verify(client, late, paid), 409)
    assert refused["type"].endswith("/payment-refunded")
    refunds = booking(client, late, second["id"])["refunds"]
    assert [r["id"] for r in refunds] == [refused["refund_id"]]
    money_audit(client, db)


def test_cancelling_a_paid_booking_refunds_it_once(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer = register(client)
    pending = held(client, customer, show, seats[:2])
    pay(client, customer, pending["id"])

    response = client.post(f"/api/v1/bookings/{pending['id']}/cancel", headers=customer)

    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "CANCELLED"
    assert [(r["amount"], r["status"]) for r in cancelled["refunds"]] == [
        (pending["amount_total"], "PENDING")
    ]
    assert eventually(lambda: refund_processed(client, customer, pending["id"]))
    assert booking(client, customer, pending["id"])["payment"]["status"] == "REFUNDED"
    statuses = seat_statuses(client, show["id"])
    assert [statuses[s] for s in seats[:2]] == ["AVAILABLE", "AVAILABLE"]
    problem(client.post(f"/api/v1/bookings/{pending['id']}/cancel", headers=customer), 409)
    assert db.query("SELECT count(*) FROM refunds")[0][0] == 1
    money_audit(client, db)


def test_no_cancellation_inside_the_cutoff(
    client: httpx.Client, show: dict[str, Any], seats: list[str], clock: Any
) -> None:
    customer = register(client, email="late-canceller@example.com")
    pending = held(client, customer, show, [seats[0]])
    pay(client, customer, pending["id"])
    starts_at = datetime.fromisoformat(show["starts_at"])
    clock.advance(starts_at - timedelta(minutes=30) - datetime.now(starts_at.tzinfo))
    customer = login(client, "late-canceller@example.com", "correct-horse-9")

    body = problem(client.post(f"/api/v1/bookings/{pending['id']}/cancel", headers=customer), 409)
    assert body["type"].endswith("/not-cancellable")
    assert booking(client, customer, pending["id"])["status"] == "BOOKED"


def test_cancelling_a_show_cancels_and_refunds_every_booking(
    client: httpx.Client, show: dict[str, Any], seats: list[str], admin: Headers, db: Any
) -> None:
    paid_ids = []
    for seat in seats[:3]:
        customer = register(client)
        pending = held(client, customer, show, [seat])
        pay(client, customer, pending["id"])
        paid_ids.append((customer, pending["id"]))
    holder = register(client)
    pending_only = held(client, holder, show, [seats[5]])

    assert client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin).status_code == 200

    for customer, booking_id in paid_ids:
        assert eventually(
            lambda c=customer, b=booking_id: (
                booking(client, c, b)["refunds"]
                and booking(client, c, b)["refunds"][0]["status"] == "PROCESSED"
            )
        )
        assert booking(client, customer, booking_id)["status"] == "CANCELLED"
    assert booking(client, holder, pending_only["id"])["status"] == "CANCELLED"
    assert set(seat_statuses(client, show["id"]).values()) == {"AVAILABLE"}
    assert db.query("SELECT count(*) FROM refunds")[0][0] == 3
    money_audit(client, db)
