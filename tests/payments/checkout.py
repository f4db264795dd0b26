"""Paying like a customer does: order, the sandbox's Checkout, then verify or webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from tests.api import Headers
from tests.support.keys import sandbox_keys


def start_payment(
    client: httpx.Client, who: Headers, booking_id: str, **headers: str
) -> httpx.Response:
    return client.post(f"/api/v1/bookings/{booking_id}/payments", headers={**who, **headers})


def checkout(
    client: httpx.Client, order_id: str, outcome: str = "success", deliver_webhooks: bool = False
) -> dict[str, Any]:
    response = client.post(
        f"/_sandbox/razorpay/checkout/{order_id}",
        json={"outcome": outcome, "deliver_webhooks": deliver_webhooks},
    )
    assert response.status_code in (200, 402), response.text
    return dict(response.json())


def capture(client: httpx.Client, paid: dict[str, Any], amount: int) -> None:
    """Captures an authorized payment at the provider, as a merchant does by hand."""
    keys = sandbox_keys()
    captured = client.post(
        f"/_sandbox/razorpay/v1/payments/{paid['razorpay_payment_id']}/capture",
        json={"amount": amount, "currency": "INR"},
        auth=(keys.key_id, keys.key_secret),
    )
    assert captured.status_code == 200, captured.text


def verify(client: httpx.Client, who: Headers, paid: dict[str, Any]) -> httpx.Response:
    body = {
        key: paid[key] for key in ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")
    }
    return client.post("/api/v1/payments/razorpay/verify", json=body, headers=who)


def checked_out(
    client: httpx.Client, who: Headers, booking_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order for a booking, and what Checkout hands back once the customer paid it."""
    order = start_payment(client, who, booking_id)
    assert order.status_code == 201, order.text
    return order.json(), checkout(client, order.json()["order_id"])


def pay(client: httpx.Client, who: Headers, booking_id: str) -> dict[str, Any]:
    """Pays a pending booking the way a customer does; returns the BOOKED booking."""
    _order, paid = checked_out(client, who, booking_id)
    response = verify(client, who, paid)
    assert response.status_code == 200, response.text
    return dict(response.json())


def send_webhook(
    client: httpx.Client,
    event: dict[str, Any],
    event_id: str | None = None,
    secret: str | None = None,
) -> httpx.Response:
    raw = json.dumps(event).encode()
    key = (secret or sandbox_keys().webhook_secret).encode()
    signature = hmac.new(key, raw, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/webhooks/razorpay",
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-Razorpay-Signature": signature,
            "X-Razorpay-Event-Id": event_id or f"evt_{uuid.uuid4().hex[:14]}",
        },
    )


def payment_event(
    event: str, order_id: str, payment_id: str, amount: int, status: str = "captured"
) -> dict[str, Any]:
    payment = {
        "id": payment_id,
        "entity": "payment",
        "amount": amount,
        "currency": "INR",
        "status": status,
        "order_id": order_id,
        "captured": status == "captured",
    }
    payload: dict[str, Any] = {"payment": {"entity": payment}}
    if event == "order.paid":
        payload["order"] = {
            "entity": {"id": order_id, "entity": "order", "amount": amount, "status": "paid"}
        }
    return {
        "entity": "event",
        "event": event,
        "contains": list(payload),
        "payload": payload,
        "created_at": int(time.time()),
    }


def eventually(check: Callable[[], Any], seconds: float = 10) -> Any:
    """Polls until `check` returns something truthy (after-commit work runs in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def booking(client: httpx.Client, who: Headers, booking_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/bookings/{booking_id}", headers=who)
    assert response.status_code == 200, response.text
    return dict(response.json())


def money_audit(db: Any) -> None:
    """For every booking: captured minus refunded equals what the theatre keeps of it (SPEC
    "Money audit"): the totals of the seats it still holds, and of the seats it gave back what
    their refunds did not return (fees kept, the policy's share kept); 0 for a booking that was
    never BOOKED. With the charges' own audit (`charges_audit`).

    Captured counts the booking's payment and any second payment captured for its order (known
    by the refund that returns it). A refund counts as money returned while it is PENDING or
    PROCESSED. A FAILED one is not: its booking still holds the money (captured, not BOOKED),
    which is exactly what the admin list of FAILED refunds shows a human.
    """
    rows = db.query(
        """
        SELECT b.id, b.status, b.amount_total,
               COALESCE(p.amount, 0) + COALESCE((
                   SELECT sum(r.amount) FROM refunds r
                   WHERE r.payment_id = p.id AND r.provider_payment_id <> p.payment_id
               ), 0) AS captured,
               COALESCE((
                   SELECT sum(r.amount) FROM refunds r
                   WHERE r.payment_id = p.id AND r.status <> 'FAILED'
               ), 0) AS refunded,
               EXISTS (
                   SELECT 1 FROM refunds r
                   WHERE r.payment_id = p.id AND r.provider_payment_id = p.payment_id
                     AND r.status = 'FAILED'
               ) AS own_refund_failed,
               EXISTS (
                   SELECT 1 FROM booking_transitions t
                   WHERE t.booking_id = b.id AND t.to_status = 'BOOKED'
               ) AS was_booked,
               (SELECT COALESCE(sum(bs.refunded), 0) FROM booking_seats bs
                WHERE bs.booking_id = b.id) AS given_back
        FROM bookings b
        LEFT JOIN payments p ON p.booking_id = b.id AND p.payment_id IS NOT NULL
        """
    )
    for (
        booking_id,
        status,
        total,
        captured,
        refunded,
        own_refund_failed,
        was_booked,
        given_back,
    ) in rows:
        kept = total - given_back if was_booked else 0
        if own_refund_failed:
            assert status != "BOOKED" and captured - refunded >= kept, (booking_id, status)
            continue
        assert captured - refunded == kept, (booking_id, status, total, captured, refunded, kept)
    _show_sales_audit(db)
    charges_audit(db)


def _show_sales_audit(db: Any) -> None:
    """The totals the reports keep per show (seats sold, money captured) and the refunds they
    sum by show equal the same figures recounted from the bookings, payments and refunds."""
    rows = db.query(
        """
        SELECT s.id,
               COALESCE((SELECT ss.tickets FROM show_sales ss WHERE ss.show_id = s.id), 0),
               (SELECT COUNT(*) FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id
                WHERE b.show_id = s.id AND b.status = 'BOOKED' AND bs.cancelled_at IS NULL),
               COALESCE((SELECT ss.gross FROM show_sales ss WHERE ss.show_id = s.id), 0),
               COALESCE((SELECT SUM(p.amount) FROM payments p JOIN bookings b ON b.id = p.booking_id
                         WHERE b.show_id = s.id AND p.payment_id IS NOT NULL), 0)
               + COALESCE((SELECT SUM(r.amount) FROM refunds r
                           JOIN payments p ON p.id = r.payment_id
                           JOIN bookings b ON b.id = p.booking_id
                           WHERE b.show_id = s.id AND r.provider_payment_id <> p.payment_id), 0),
               (SELECT COUNT(*) FROM refunds r JOIN payments p ON p.id = r.payment_id
                JOIN bookings b ON b.id = p.booking_id
                WHERE r.show_id <> b.show_id)
        FROM shows s
        """
    )
    for show_id, tickets, sold, gross, captured, misfiled_refunds in rows:
        assert (tickets, gross) == (sold, captured), (show_id, tickets, sold, gross, captured)
        assert misfiled_refunds == 0


LINE_TOTAL = "bs.ticket_total + bs.fee + bs.fee_cgst + bs.fee_sgst"


def charges_audit(db: Any) -> None:
    """The money of each seat (SPEC "Money audit"):
    - a booking's total is the sum of its seats' lines, and its payment asked exactly that;
    - a payment's refunds not FAILED never exceed what it captured;
    - each seat given back returned what its booking's policy allows: a tier's share of its
      ticket (the fee kept), or everything when the theatre cancelled; the seats of a booking
      gave back exactly what its refunds of seats ask;
    - each invoice's totals less its credit notes are what the theatre keeps of its booking.
    """
    for booking_id, total, lines, ordered in db.query(
        f"""
        SELECT b.id, b.amount_total,
               (SELECT sum({LINE_TOTAL}) FROM booking_seats bs WHERE bs.booking_id = b.id),
               (SELECT p.amount FROM payments p WHERE p.booking_id = b.id)
        FROM bookings b
        """
    ):
        assert total == lines and ordered in (None, total), (booking_id, total, lines, ordered)
    for payment_id, captured, refunded in db.query(
        """
        SELECT p.id, p.amount, COALESCE((SELECT sum(r.amount) FROM refunds r
                                         WHERE r.payment_id = p.id AND r.status <> 'FAILED'
                                           AND r.provider_payment_id = p.payment_id), 0)
        FROM payments p WHERE p.payment_id IS NOT NULL
        """
    ):
        assert refunded <= captured, (payment_id, captured, refunded)
    _seats_given_back_audit(db)
    for invoice_id, invoiced, credited, total, given_back in db.query(
        """
        SELECT d.id, d.total,
               COALESCE((SELECT sum(n.total) FROM documents n WHERE n.invoice_id = d.id), 0),
               b.amount_total,
               (SELECT COALESCE(sum(bs.refunded), 0) FROM booking_seats bs
                WHERE bs.booking_id = b.id)
        FROM documents d JOIN bookings b ON b.id = d.booking_id
        WHERE d.series <> 'CREDIT_NOTE'
        """
    ):
        assert invoiced - credited == total - given_back, (invoice_id, invoiced, credited)


def _seats_given_back_audit(db: Any) -> None:
    rows = db.query(
        f"""
        SELECT b.id, b.cancellation_policy, bs.seat_id, bs.ticket_total, {LINE_TOTAL},
               bs.refunded
        FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id
        WHERE bs.refunded IS NOT NULL
        """
    )
    given_back: dict[Any, int] = {}
    for booking_id, policy, seat_id, ticket_total, line_total, refunded in rows:
        tiers = json.loads(policy) if isinstance(policy, str) else policy
        shares = {(2 * ticket_total * tier["refund_bp"] + 10000) // 20000 for tier in tiers or []}
        allowed = {line_total, ticket_total} | shares  # theatre; the default 100 % tier
        assert refunded in allowed, (booking_id, seat_id, refunded, sorted(allowed))
        given_back[booking_id] = given_back.get(booking_id, 0) + refunded
    asked = {
        booking_id: amount
        for booking_id, amount in db.query(
            """
            SELECT p.booking_id, sum(r.amount) FROM refunds r JOIN payments p ON p.id = r.payment_id
            WHERE r.for_seats GROUP BY p.booking_id
            """
        )
    }
    assert {b: n for b, n in given_back.items() if n} == asked, (given_back, asked)
