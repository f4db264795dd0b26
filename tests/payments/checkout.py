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

SANDBOX = "/_sandbox/razorpay"


def sandbox_auth() -> tuple[str, str]:
    return (sandbox_keys().key_id, sandbox_keys().key_secret)


def start_payment(
    client: httpx.Client, who: Headers, booking_id: str, **headers: str
) -> httpx.Response:
    return client.post(f"/api/v1/bookings/{booking_id}/payments", headers={**who, **headers})


def checkout(
    client: httpx.Client,
    order_id: str,
    outcome: str = "success",
    deliver_webhooks: bool = False,
    **paid: Any,
) -> dict[str, Any]:
    """The customer pays at the sandbox's Checkout; `amount` or `currency` in `paid`: a payment
    for another amount or currency than the order's, as a provider that took one reports it."""
    response = client.post(
        f"/_sandbox/razorpay/checkout/{order_id}",
        json={"outcome": outcome, "deliver_webhooks": deliver_webhooks, **paid},
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


def provider_payment(client: httpx.Client, payment_id: str) -> dict[str, Any]:
    """The payment as the provider's REST API reports it (what its webhooks carry)."""
    response = client.get(f"{SANDBOX}/v1/payments/{payment_id}", auth=sandbox_auth())
    assert response.status_code == 200, response.text
    return dict(response.json())


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
    return webhook_event(
        event,
        {
            "id": payment_id,
            "entity": "payment",
            "amount": amount,
            "currency": "INR",
            "status": status,
            "order_id": order_id,
            "captured": status == "captured",
        },
    )


def webhook_event(event: str, payment: dict[str, Any]) -> dict[str, Any]:
    """A Razorpay event about `payment` (an entity, e.g. as `provider_payment` reports it)."""
    payload: dict[str, Any] = {"payment": {"entity": payment}}
    if event == "order.paid":
        payload["order"] = {
            "entity": {
                "id": payment["order_id"],
                "entity": "order",
                "amount": payment.get("amount"),
                "status": "paid",
            }
        }
    return {
        "entity": "event",
        "event": event,
        "contains": list(payload),
        "payload": payload,
        "created_at": int(time.time()),
    }


def close_gate(client: httpx.Client, matching: str) -> str:
    """From now on the sandbox holds every REST call that contains `matching` (a booking's id
    names its order's create) until `open_gate`; DELETE /config opens every gate too."""
    closed = client.post(f"{SANDBOX}/gates", json={"matching": matching})
    assert closed.status_code == 201, closed.text
    return str(closed.json()["id"])


def calls_held(client: httpx.Client, gate_id: str) -> int:
    return int(client.get(f"{SANDBOX}/gates/{gate_id}").json()["waiting"])


def open_gate(client: httpx.Client, gate_id: str) -> None:
    opened = client.post(f"{SANDBOX}/gates/{gate_id}/open")
    assert opened.status_code == 200, opened.text


def webhooks_answered(client: httpx.Client, order_id: str) -> bool:
    """Whether every webhook the sandbox made for an order was delivered and answered."""
    listed = client.get(f"{SANDBOX}/events", params={"order_id": order_id})
    assert listed.status_code == 200, listed.text
    events = listed.json()["items"]
    return bool(events) and all(e["last_status"] is not None for e in events)


def eventually(check: Callable[[], Any], seconds: float = 30) -> Any:
    """Polls until `check` returns something truthy (after-commit work runs in the background).
    Generous: make test shares two cores among six workers; only a failing check waits it out."""
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


def provider_payments(client: httpx.Client, order_id: str) -> list[dict[str, Any]]:
    """Every payment the provider holds for an order, as its own REST API reports them."""
    listed = client.get(f"{SANDBOX}/v1/orders/{order_id}/payments", auth=sandbox_auth())
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


def provider_refunds(client: httpx.Client, payment_id: str) -> list[dict[str, Any]]:
    listed = client.get(f"{SANDBOX}/v1/payments/{payment_id}/refunds", auth=sandbox_auth())
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


def refund_processed(client: httpx.Client, who: Headers, booking_id: str) -> bool:
    """Whether the booking's (first) refund is PROCESSED: the money went back."""
    refunds = booking(client, who, booking_id)["refunds"]
    return bool(refunds) and refunds[0]["status"] == "PROCESSED"


def money_audit(client: httpx.Client, db: Any, settle_within: float = 15) -> None:
    """For every booking with an order, from the provider's own records (its REST API, not our
    `payments` and `refunds` rows): what it captured for the order minus what it refunded is
    what the theatre keeps of the booking (SPEC "Money audit"): the totals of the seats it still
    holds, and of the seats it gave back what their refunds did not return (fees kept, the
    policy's share kept); 0 for a booking never BOOKED; and it refunded exactly what our
    refunds not FAILED say. A FAILED refund returned nothing: its money is still held, which is
    exactly what the admin list of FAILED refunds shows a human. A counter sale has no provider:
    its money is what the counter took and gave back (`counter_movements`), which must come to
    the same, as must the counter's part of the reports' totals. Then the charges' own audit
    (`charges_audit`).

    Refunds are issued after their commit, in the background: the audit waits (bounded) until
    the provider's records agree, then fails naming every booking that still does not.
    """
    deadline = time.monotonic() + settle_within
    while (problems := _money_problems(client, db)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert problems == [], problems
    charges_audit(db)


def _money_problems(client: httpx.Client, db: Any) -> list[Any]:
    rows = db.query(
        f"""
        SELECT b.id, b.show_id, b.status, b.amount_total, p.order_id,
               COALESCE((SELECT sum(r.amount) FROM refunds r
                         WHERE r.payment_id = p.id AND r.status <> 'FAILED'), 0),
               COALESCE((SELECT sum(r.amount) FROM refunds r
                         WHERE r.payment_id = p.id AND r.status = 'FAILED'), 0),
               EXISTS (SELECT 1 FROM booking_transitions t
                       WHERE t.booking_id = b.id AND t.to_status = 'BOOKED'),
               (SELECT COALESCE(sum(bs.refunded), 0) FROM booking_seats bs
                WHERE bs.booking_id = b.id),
               b.channel, {_COUNTER_MONEY.format(kind="SALE")},
               {_COUNTER_MONEY.format(kind="REFUND")}
        FROM bookings b LEFT JOIN payments p ON p.booking_id = b.id
        """
    )
    problems: list[Any] = []
    captured_by_show: dict[Any, int] = {}
    for row in rows:
        booking_id, show_id, status, total, order_id, ours_refunded, still_held = row[:7]
        was_booked, given_back, channel, counter_taken, counter_given = row[7:]
        ordered = provider_payments(client, order_id) if order_id else []
        paid = [p for p in ordered if p["captured"]]
        captured = sum(p["amount"] for p in paid)
        refunded = sum(p["amount_refunded"] for p in paid)
        if channel == "counter":
            assert not ordered, (booking_id, "a counter sale with a provider order")
            captured, refunded = counter_taken, counter_given
            ours_refunded = counter_given
        captured_by_show[show_id] = captured_by_show.get(show_id, 0) + captured
        expected = (total - given_back if was_booked else 0) + still_held
        if captured - refunded != expected or refunded != ours_refunded:
            problems.append((booking_id, status, total, captured, refunded, ours_refunded))
    return problems + _show_sales_problems(db, captured_by_show) + _counter_sales_problems(db)


# What the counter took (SALE) or gave back (REFUND) for the booking `b`.
_COUNTER_MONEY = (
    "(SELECT COALESCE(sum(m.amount), 0) FROM counter_movements m "
    "WHERE m.booking_id = b.id AND m.kind = '{kind}')"
)


def _show_sales_problems(db: Any, captured_by_show: dict[Any, int]) -> list[Any]:
    """The totals the reports keep per show (seats sold, money captured) equal the seats
    booked and what the provider captured for the show's bookings; the refunds they sum by
    show are filed under the booking's own show."""
    rows = db.query(
        """
        SELECT s.id,
               COALESCE((SELECT ss.tickets FROM show_sales ss WHERE ss.show_id = s.id), 0),
               (SELECT COUNT(*) FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id
                WHERE b.show_id = s.id AND b.status = 'BOOKED' AND bs.cancelled_at IS NULL),
               COALESCE((SELECT ss.gross FROM show_sales ss WHERE ss.show_id = s.id), 0),
               (SELECT COUNT(*) FROM refunds r JOIN payments p ON p.id = r.payment_id
                JOIN bookings b ON b.id = p.booking_id
                WHERE b.show_id = s.id AND r.show_id <> b.show_id)
        FROM shows s
        """
    )
    return [
        ("show_sales", show_id, tickets, sold, gross, captured_by_show.get(show_id, 0))
        for show_id, tickets, sold, gross, misfiled_refunds in rows
        if (tickets, gross) != (sold, captured_by_show.get(show_id, 0)) or misfiled_refunds
    ]


def _counter_sales_problems(db: Any) -> list[Any]:
    """The counter's part of the reports' per-show totals: its seats BOOKED now, the money it
    took and gave back."""
    kept = "COALESCE((SELECT ss.{0} FROM show_sales ss WHERE ss.show_id = s.id), 0)"
    moved = (
        "(SELECT COALESCE(sum(m.amount), 0) FROM counter_movements m "
        "JOIN bookings b ON b.id = m.booking_id WHERE b.show_id = s.id AND m.kind = '{0}')"
    )
    rows = db.query(
        f"""
        SELECT s.id, {kept.format("counter_tickets")},
               (SELECT COUNT(*) FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id
                WHERE b.show_id = s.id AND b.status = 'BOOKED' AND bs.cancelled_at IS NULL
                  AND b.channel = 'counter'),
               {kept.format("counter_gross")}, {moved.format("SALE")},
               {kept.format("counter_refunded")}, {moved.format("REFUND")}
        FROM shows s
        """
    )
    return [
        ("counter_sales", *row)
        for row in rows
        if (row[1], row[3], row[5]) != (row[2], row[4], row[6])
    ]


LINE_TOTAL = "bs.ticket_total + bs.fee + bs.fee_cgst + bs.fee_sgst"


def charges_audit(db: Any) -> None:
    """The money of each seat (SPEC "Money audit"):
    - a booking's total is the sum of its seats' lines (what its payment order asked);
    - a payment's refunds not FAILED never exceed what it captured;
    - each seat given back returned what its booking's policy allows: a tier's share of its
      ticket (the fee kept), or everything when the theatre cancelled; the seats of a booking
      gave back exactly what its refunds of seats ask;
    - each invoice's totals less its credit notes are what the theatre keeps of its booking.
    """
    for booking_id, total, lines in db.query(
        f"""
        SELECT b.id, b.amount_total,
               (SELECT sum({LINE_TOTAL}) FROM booking_seats bs WHERE bs.booking_id = b.id)
        FROM bookings b
        """
    ):
        assert total == lines, (booking_id, total, lines)
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
            UNION ALL
            SELECT m.booking_id, sum(m.amount) FROM counter_movements m
            WHERE m.kind = 'REFUND' GROUP BY m.booking_id
            """
        )
    }
    assert {b: n for b, n in given_back.items() if n} == asked, (given_back, asked)
