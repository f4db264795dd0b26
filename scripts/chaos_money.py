"""The money side of the chaos run (scripts/chaos.py): the theatre's terms that make every sale
carry GST, a convenience fee and a tiered cancellation policy; the partial-cancel and refund
phase; and the money audit of SPEC "Money audit", straight from the database.

The audit (each rule a query, or a check over one, whose rows are violations):
- each booking's total is the sum of its seats' lines (ticket and fee, GST included);
- per payment, what its refunds that did not fail ask never exceeds what it captured, here and
  at the provider; the provider never made two refunds that did not fail for one of ours, and
  every refund PROCESSED here is processed there;
- per booking, captured - refunded = what the theatre keeps: the totals of the seats it still
  holds, plus of each seat given back what its refund did not return (fee kept, the policy's
  share kept); 0 for a booking never BOOKED (a FAILED refund returns nothing: left for an admin);
- each seat given back returned what its booking's policy allows: a tier's share of its ticket
  (a customer's cancellation), or its whole line (the theatre's);
- each invoice's totals less its credit notes = what the theatre keeps of its booking.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import psycopg

from boxoffice.payments.refunds import ATTEMPT_LEASE

REGISTRATION = {
    "legal_name": "Chaos Cinemas Pvt Ltd",
    "gstin": "27AAPFU0939F1ZV",
    "state_code": "27",
    "sac": "999614",
    "invoice_prefix": "CHS",
}
FEE = [{"up_to": 10000, "amount": 1000}, {"up_to": None, "rate_bp": 1000}]
POLICY = [
    {"until_minutes_before": 120, "refund_bp": 7500},
    {"until_minutes_before": 20, "refund_bp": 5000},
]
TERMS = {**REGISTRATION, "convenience_fee": FEE, "cancellation_policy": POLICY}

LINE_TOTAL = "(bs.ticket_total + bs.fee + bs.fee_cgst + bs.fee_sgst)"
OWN_REFUNDS = "r.payment_id = p.id AND r.provider_payment_id = p.payment_id"
# What each booking's seats gave back. The audits join such sums whole (hash joins over the
# tables) rather than per row: on a year of a chain (bench-scale) a per-row subquery is an
# index probe into tables bigger than memory, and the audit took nine minutes.
GIVEN_BACK = """SELECT booking_id, sum(refunded) AS amount FROM booking_seats
                WHERE refunded IS NOT NULL GROUP BY booking_id"""
MONEY_AUDIT: list[tuple[str, str]] = [
    (
        "money: a booking's total is not the sum of its seats' lines",
        f"""SELECT b.id, b.amount_total, sum({LINE_TOTAL}) FROM bookings b
            JOIN booking_seats bs ON bs.booking_id = b.id
            GROUP BY b.id, b.amount_total HAVING b.amount_total <> sum({LINE_TOTAL})""",  # noqa: S608
    ),
    (
        "money: a payment's refunds that did not fail ask more than it captured",
        f"""SELECT p.id, p.amount, sum(r.amount) FROM payments p
            JOIN refunds r ON {OWN_REFUNDS} AND r.status <> 'FAILED'
            GROUP BY p.id, p.amount HAVING sum(r.amount) > p.amount""",  # noqa: S608
    ),
    (
        "money: the provider refunded more than it captured",
        """SELECT id, amount, amount_refunded FROM razorpay_sandbox_payments
            WHERE amount_refunded > amount""",
    ),
    (
        "money: two refunds at the provider that did not fail, for one of ours",
        """SELECT receipt, count(*) FROM razorpay_sandbox_refunds WHERE status <> 'failed'
            GROUP BY receipt HAVING count(*) > 1""",
    ),
    (
        "money: a refund PROCESSED here that the provider did not process",
        """SELECT r.id FROM refunds r
            WHERE r.status = 'PROCESSED' AND NOT EXISTS (
                SELECT 1 FROM razorpay_sandbox_refunds s
                WHERE s.id = r.provider_refund_id AND s.status = 'processed')""",
    ),
    (
        "money: captured (as the provider records it) - refunded differs from what the theatre "
        "keeps of the booking",
        f"""WITH given AS ({GIVEN_BACK}),
                 booked AS (SELECT DISTINCT booking_id FROM booking_transitions
                            WHERE to_status = 'BOOKED'),
                 back AS (SELECT r.payment_id, r.provider_payment_id,
                                 sum(r.amount) FILTER (WHERE r.status <> 'FAILED') AS amount,
                                 bool_or(r.status = 'FAILED') AS failed
                          FROM refunds r GROUP BY r.payment_id, r.provider_payment_id)
            SELECT b.id, b.status, kept.amount, s.amount - COALESCE(back.amount, 0)
            FROM bookings b
            JOIN payments p ON p.booking_id = b.id AND p.payment_id IS NOT NULL
            JOIN razorpay_sandbox_payments s ON s.id = p.payment_id AND s.captured
            LEFT JOIN booked ON booked.booking_id = b.id
            LEFT JOIN given ON given.booking_id = b.id
            LEFT JOIN back
              ON back.payment_id = p.id AND back.provider_payment_id = p.payment_id
            CROSS JOIN LATERAL (
                SELECT CASE WHEN booked.booking_id IS NOT NULL
                            THEN b.amount_total - COALESCE(given.amount, 0)
                            ELSE 0 END AS amount) kept
            WHERE s.amount - COALESCE(back.amount, 0) <> kept.amount
              AND NOT COALESCE(back.failed, false)""",  # noqa: S608
    ),
    (
        "money: the seats a booking gave back returned other than its refunds of seats ask",
        f"""WITH given AS ({GIVEN_BACK}),
                 asked AS (SELECT p.booking_id, sum(r.amount) AS amount FROM refunds r
                           JOIN payments p ON p.id = r.payment_id
                           WHERE r.for_seats GROUP BY p.booking_id),
                 paid AS (SELECT DISTINCT booking_id FROM payments
                          WHERE payment_id IS NOT NULL)
            SELECT paid.booking_id, COALESCE(given.amount, 0), COALESCE(asked.amount, 0)
            FROM paid LEFT JOIN given ON given.booking_id = paid.booking_id
            LEFT JOIN asked ON asked.booking_id = paid.booking_id
            WHERE COALESCE(given.amount, 0) <> COALESCE(asked.amount, 0)""",  # noqa: S608
    ),
    (
        "money: an invoice's totals less its credit notes are not what the theatre keeps",
        f"""WITH given AS ({GIVEN_BACK}),
                 credited AS (SELECT invoice_id, sum(total) AS amount FROM documents
                              WHERE invoice_id IS NOT NULL GROUP BY invoice_id)
            SELECT d.id, d.total, COALESCE(credited.amount, 0), b.amount_total,
                   COALESCE(given.amount, 0)
            FROM documents d JOIN bookings b ON b.id = d.booking_id
            LEFT JOIN credited ON credited.invoice_id = d.id
            LEFT JOIN given ON given.booking_id = b.id
            WHERE d.series <> 'CREDIT_NOTE'
              AND d.total - COALESCE(credited.amount, 0)
                  <> b.amount_total - COALESCE(given.amount, 0)""",  # noqa: S608
    ),
]


def seats_given_back_beyond_policy(connection: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    """Seats whose refund is neither a tier's share of their ticket (round half up) nor their
    whole line."""
    rows = connection.execute(
        f"""SELECT b.id, b.cancellation_policy, bs.seat_id, bs.ticket_total, {LINE_TOTAL},
                   bs.refunded
            FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id
            WHERE bs.refunded IS NOT NULL"""  # noqa: S608
    ).fetchall()
    wrong = []
    for booking_id, policy, seat_id, ticket_total, line_total, refunded in rows:
        shares = {(2 * ticket_total * tier["refund_bp"] + 10000) // 20000 for tier in policy or []}
        if refunded not in shares | {line_total, ticket_total}:
            wrong.append((booking_id, seat_id, refunded, ticket_total, line_total))
    return wrong


BEYOND_POLICY = "money: a seat given back returned what its booking's policy does not allow"


def money_audit(connection: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for name, sql in MONEY_AUDIT:
        rows = connection.execute(sql).fetchall()
        if rows:
            found[name] = rows
    wrong = seats_given_back_beyond_policy(connection)
    if wrong:
        found[BEYOND_POLICY] = wrong
    return found


# -- the partial-cancel and refund phase ------------------------------------------------------

PARTIAL_BOOKINGS = 4
SEATS_EACH = 3


def new_customer(http: httpx.Client, url: str, kind: str) -> dict[str, str]:
    """A freshly registered customer's headers (`kind` names them in the email address)."""
    person = http.post(
        f"{url}/api/v1/auth/register",
        json={
            "email": f"{kind}-{uuid.uuid4().hex[:10]}@example.com",
            "password": "chaos-customer-pw-1",
            "name": f"{kind.title()} Customer",
        },
    )
    return {"Authorization": f"Bearer {person.json()['access_token']}"}


def pay_for(http: httpx.Client, url: str, who: dict[str, str], booking_id: str) -> bool:
    order = http.post(f"{url}/api/v1/bookings/{booking_id}/payments", headers=who)
    if order.status_code not in (200, 201):
        return False
    paid = http.post(
        f"{url}/_sandbox/razorpay/checkout/{order.json()['order_id']}", json={"outcome": "success"}
    ).json()
    answer = {
        k: paid[k] for k in ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")
    }
    return (
        http.post(f"{url}/api/v1/payments/razorpay/verify", json=answer, headers=who).status_code
        == 200
    )


def race_one_seat(urls: list[str], who: dict[str, str], booking_id: str, seat_id: str) -> list[int]:
    """Two cancels of the same seat through two servers, released together: their statuses."""
    barrier = threading.Barrier(len(urls))
    answers: list[int] = []

    def cancel(url: str) -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait(timeout=10)
            try:
                response = http.post(
                    f"{url}/api/v1/bookings/{booking_id}/cancel",
                    json={"seat_ids": [seat_id]},
                    headers=who,
                )
                answers.append(response.status_code)
            except httpx.HTTPError:
                answers.append(0)

    threads = [threading.Thread(target=cancel, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    return sorted(answers)


def partial_cancel_phase(
    urls: list[str],
    show_id: str,
    kill_and_restart: Callable[[int], None],
    rows: Callable[[str], list[tuple[Any, ...]]],
    say: Callable[[str], None],
) -> list[str]:
    """Paid bookings of several seats give seats back one at a time: two servers race to cancel
    the same seat (exactly one may win), a server is killed and restarted between cancels, the
    last seats cancel each booking; then every refund of seats must be PROCESSED."""
    problems: list[str] = []
    with httpx.Client(timeout=30) as http:
        seat_map = http.get(f"{urls[0]}/api/v1/shows/{show_id}/seats").json()["seats"]
        free = [s["id"] for s in seat_map if s["status"] == "AVAILABLE"]
        booked: list[tuple[str, dict[str, str], list[str]]] = []
        for index in range(PARTIAL_BOOKINGS):
            url = urls[index % 2]
            who = new_customer(http, url, "partial")
            seats = free[index * SEATS_EACH : (index + 1) * SEATS_EACH]
            held = http.post(
                f"{url}/api/v1/bookings", json={"show_id": show_id, "seat_ids": seats}, headers=who
            )
            if held.status_code != 201 or not pay_for(http, url, who, held.json()["id"]):
                problems.append(f"partial phase: could not book {seats} ({held.status_code})")
                continue
            booked.append((held.json()["id"], who, seats))
        races_won = 0
        for index, (booking_id, who, seats) in enumerate(booked):
            answers = race_one_seat(urls, who, booking_id, seats[0])
            if answers == [200, 409]:
                races_won += 1
            else:
                problems.append(f"partial phase: two cancels of one seat answered {answers}")
            if index == 1:
                kill_and_restart(index % 2)  # a server dies between one cancel and the next
            second = http.post(
                f"{urls[(index + 1) % 2]}/api/v1/bookings/{booking_id}/cancel",
                json={"seat_ids": [seats[1]]},
                headers=who,
            )
            if second.status_code != 200 or second.json()["status"] != "BOOKED":
                problems.append(
                    f"partial phase: second seat's cancel answered {second.status_code}"
                )
            last = http.post(f"{urls[index % 2]}/api/v1/bookings/{booking_id}/cancel", headers=who)
            if last.status_code != 200 or last.json()["status"] != "CANCELLED":
                problems.append(
                    f"partial phase: the last seat's cancel answered {last.status_code}"
                )
        say(f"partial phase: {races_won} of {len(booked)} races for one seat won exactly once")
        expected = len(booked) * 3
        ours = {booking_id for booking_id, _, _ in booked}
        # A refund whose attempt died with the killed server is the worker's once its lease
        # runs out: wait that long, and a little.
        waited = time.monotonic()
        deadline = waited + ATTEMPT_LEASE.total_seconds() + 30
        while True:
            settled = rows(
                "SELECT p.booking_id FROM refunds r JOIN payments p ON p.id = r.payment_id "
                "WHERE r.for_seats AND r.status = 'PROCESSED'"
            )
            done = sum(1 for (booking_id,) in settled if str(booking_id) in ours)
            if done >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        say(
            f"partial phase: {done} of {expected} refunds of seats PROCESSED"
            f" ({time.monotonic() - waited:.0f} s after the last cancel)"
        )
        if done != expected:
            problems.append(f"partial phase: {done} of {expected} refunds of seats PROCESSED")
            for row in rows(
                "SELECT r.status, r.attempts, r.next_attempt_at, r.provider_refund_id, "
                "r.last_error, (SELECT array_agg(a.status || ':' || coalesce(a.error, '')) "
                "FROM refund_attempts a WHERE a.refund_id = r.id) "
                "FROM refunds r WHERE r.for_seats AND r.status <> 'PROCESSED'"
            ):
                say(f"partial phase: unsettled refund {row}")
    return problems
