"""Invoice numbers across processes (SPEC "Tax invoice": gapless and never reused, even with
payments confirmed at once through many processes and transactions rolled back).

N + K paid bookings of one theatre are confirmed at once through two server processes, each
by verify or a webhook (some by both, racing), while K of those transactions are made to fail
at their commit, after their invoice was numbered: a deferred constraint trigger, created here
on the real database, raises for those bookings as the transaction commits. The N that commit
hold the numbers 1..N exactly; once the fault is lifted, the K are booked by their webhooks'
redelivery and take N+1..N+K.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api import Headers, register
from tests.conftest import TEST_JWT_SECRET
from tests.invoicing.helpers import documents_audit, hold_seats, invoice, show, theatre, this_year
from tests.payments.checkout import (
    booking,
    checkout,
    money_audit,
    payment_event,
    send_webhook,
    start_payment,
    verify,
)
from tests.support.http import loopback_client
from tests.support.servers import serve

pytestmark = pytest.mark.postgres_only

COMMITTED, FAILED = 24, 6
ROWS = [{"label": label, "seat_type": "GOLD", "seats": 10, "aisles_after": []} for label in "ABC"]

FAULT = """
CREATE TABLE test_failing_bookings (booking_id uuid PRIMARY KEY);
CREATE FUNCTION test_fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM test_failing_bookings WHERE booking_id = NEW.booking_id) THEN
        RAISE EXCEPTION 'injected fault: booking % fails at its commit', NEW.booking_id;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER test_fail_at_commit AFTER UPDATE OF serial ON documents
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_fail_at_commit();
"""


@contextmanager
def failing_at_commit(db: Any, booking_ids: list[str]) -> Iterator[None]:
    """The booking transactions of these bookings fail as they commit, once their invoice was
    numbered (the numbering is the UPDATE the trigger fires on, deferred to the commit)."""
    db.execute(FAULT)
    try:
        for booking_id in booking_ids:
            db.execute("INSERT INTO test_failing_bookings VALUES (:b)", b=db.id(booking_id))
        yield
    finally:
        db.execute(
            "DROP TRIGGER test_fail_at_commit ON documents; DROP FUNCTION test_fail_at_commit();"
            "DROP TABLE test_failing_bookings"
        )


Paid = tuple[Headers, str, dict[str, Any]]  # customer, booking id, what Checkout handed back


def paid_unconfirmed(client: httpx.Client, show_id: str, seat_ids: list[str]) -> list[Paid]:
    """One booking a seat, each paid at the provider and not confirmed yet."""
    paid = []
    for seat_id in seat_ids:
        who = register(client)
        booking_id = hold_seats(client, who, show_id, [seat_id])
        order = start_payment(client, who, booking_id)
        assert order.status_code == 201, order.text
        paid.append((who, booking_id, checkout(client, order.json()["order_id"])))
    return paid


def webhook(paid: dict[str, Any], amount: int, event: str = "payment.captured") -> dict[str, Any]:
    return payment_event(event, paid["razorpay_order_id"], paid["razorpay_payment_id"], amount)


def test_invoice_numbers_are_gapless_across_processes_and_rollbacks(
    client: httpx.Client, admin: Headers, db: Any, tmp_path: Path
) -> None:
    theatre_id = theatre(client, admin)
    sale = show(client, admin, theatre_id, {"GOLD": 25000}, rows=ROWS)
    seats = [s["id"] for s in client.get(f"/api/v1/shows/{sale['id']}/seats").json()["seats"]]
    everyone = paid_unconfirmed(client, sale["id"], seats[: COMMITTED + FAILED])
    doomed = {booking_id for _, booking_id, _ in random.sample(everyone, FAILED)}
    amount = 25000

    with serve(2, db.url, TEST_JWT_SECRET, tmp_path) as urls:
        servers = [loopback_client(base_url=url, timeout=60) for url in urls]
        try:
            # Each payment reaches us by verify or by a webhook (either kind), through either
            # process; every third by verify and a webhook at once.
            calls: list[tuple[str, Callable[[], httpx.Response]]] = []
            for index, (who, booking_id, paid) in enumerate(everyone):
                a, b = servers[index % 2], servers[1 - index % 2]
                event = ("payment.captured", "order.paid")[index % 2]
                if index % 3 != 1:
                    calls.append((booking_id, lambda a=a, who=who, paid=paid: verify(a, who, paid)))
                if index % 3 != 0:
                    calls.append(
                        (
                            booking_id,
                            lambda b=b, p=paid, e=event: send_webhook(b, webhook(p, amount, e)),
                        )
                    )
            barrier = threading.Barrier(len(calls))
            answers: dict[str, list[int]] = {}

            def fire(booking_id: str, call: Callable[[], httpx.Response]) -> None:
                barrier.wait()
                status = call().status_code
                answers.setdefault(booking_id, []).append(status)

            with failing_at_commit(db, sorted(doomed)):
                threads = [threading.Thread(target=fire, args=c) for c in calls]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=120)

            for _, booking_id, _ in everyone:
                failed = booking_id in doomed
                assert all((status >= 500) == failed for status in answers[booking_id]), answers
            committed = [(who, b) for who, b, _ in everyone if b not in doomed]
            numbers = sorted(invoice(client, who, b)["number"] for who, b in committed)
            year = this_year()
            assert numbers == [f"PLZ/{year}/{n:06d}" for n in range(1, COMMITTED + 1)]
            for who, booking_id, _ in everyone:
                status = booking(client, who, booking_id)["status"]
                assert status == ("PENDING" if booking_id in doomed else "BOOKED")
            documents_audit(db)

            # The fault lifted, the provider redelivers the failed ones' webhooks.
            for index, (_, booking_id, paid) in enumerate(everyone):
                if booking_id in doomed:
                    assert (
                        send_webhook(servers[index % 2], webhook(paid, amount)).status_code == 200
                    )
        finally:
            for server in servers:
                server.close()

    numbers = sorted(invoice(client, who, b)["number"] for who, b, _ in everyone)
    assert numbers == [f"PLZ/{year}/{n:06d}" for n in range(1, COMMITTED + FAILED + 1)]
    documents_audit(db)
    money_audit(client, db)
