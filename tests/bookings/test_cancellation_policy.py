"""A paid booking's cancellation by its theatre's policy, frozen when its seats were held (SPEC
"Money", "Cancellation policy"): quoted on the booking; its customer gets the current tier's
share of the tickets back, the fees kept, as a partial refund at the provider; after the last
tier, 409 `not-cancellable` and nothing changes; the theatre cancelling the show (or an admin a
booking) gives everything back, fees included."""

from __future__ import annotations

from typing import Any

import httpx
from tests.api import Headers, problem, register
from tests.bookings.money_helpers import (
    FEE_TOTAL,
    POLICY,
    TICKET,
    at,
    minutes_before,
    paid_seats,
    policy_theatre,
    seat_statuses,
    show_in,
)
from tests.invoicing.helpers import documents_audit, invoice
from tests.payments.checkout import booking, eventually, money_audit


def processed(client: httpx.Client, who: Headers, booking_id: str) -> dict[str, Any]:
    """The booking once every refund it has settled at the provider."""

    def settled() -> bool:
        return all(r["status"] == "PROCESSED" for r in booking(client, who, booking_id)["refunds"])

    assert eventually(settled), booking(client, who, booking_id)
    # Read again: on PostgreSQL a read's statements may each see another commit (the payment
    # before the refund's settlement, the refunds after it); this one starts after it.
    return booking(client, who, booking_id)


def test_a_booking_quotes_its_cancellation_and_its_customer_gets_the_tier_back_without_fees(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id = policy_theatre(client, admin)
    early, late = show_in(client, admin, theatre_id, 180), show_in(client, admin, theatre_id, 90)
    customer = register(client)
    three_hours = paid_seats(client, customer, early["id"], "VIP", "GOLD")
    ninety_minutes = paid_seats(client, customer, late["id"], "VIP", "GOLD")

    # 3 h before: 75 % of ₹600 of tickets, until 2 h before; the last tier ends 20 min before.
    quote = booking(client, customer, three_hours["id"])["cancellation"]
    assert quote["allowed"] and quote["refund_now"] == 45000 and quote["refund_bp"] == 7500
    assert at(quote["until"]) == minutes_before(early, 120)
    assert at(quote["cancellable_until"]) == minutes_before(early, 20)
    # 90 min before: 50 %, until the end of the last tier.
    quote = booking(client, customer, ninety_minutes["id"])["cancellation"]
    assert (quote["allowed"], quote["refund_now"], quote["refund_bp"]) == (True, 30000, 5000)
    assert at(quote["until"]) == at(quote["cancellable_until"]) == minutes_before(late, 20)

    for paid, refund in ((three_hours, 45000), (ninety_minutes, 30000)):
        cancelled = client.post(f"/api/v1/bookings/{paid['id']}/cancel", headers=customer)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "CANCELLED"
        assert [r["amount"] for r in cancelled.json()["refunds"]] == [refund]
        done = processed(client, customer, paid["id"])
        # The fees and the tier's other share stay with the theatre: a partial refund.
        assert done["payment"]["amount"] == 60000 + FEE_TOTAL["VIP"] + FEE_TOTAL["GOLD"]
        assert done["payment"]["status"] == "PARTIALLY_REFUNDED"
        assert done["cancellation"] is None
        assert set(seat_statuses(client, paid["show_id"]).values()) == {"AVAILABLE"}
        # Its credit note reverses the tickets' share only, split as each line was.
        [note] = invoice(client, customer, paid["id"])["credit_notes"]
        assert {line["kind"] for line in note["lines"]} == {"TICKET"}
        assert note["totals"]["total"] == refund
    [vip, _gold] = sorted(note["lines"], key=lambda line: -line["total"])
    assert (vip["taxable"], vip["cgst"], vip["sgst"], vip["total"]) == (21186, 1907, 1907, 25000)
    money_audit(client, db)
    documents_audit(db)


def test_after_the_last_tier_the_customer_cannot_cancel_and_nothing_changes(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    soon = show_in(client, admin, policy_theatre(client, admin), 10)
    customer = register(client)
    paid = paid_seats(client, customer, soon["id"], "GOLD")
    before = booking(client, customer, paid["id"])
    assert before["cancellation"] == {
        "allowed": False,
        "refund_now": 0,
        "until": None,
        "cancellable_until": before["cancellation"]["cancellable_until"],
        "refund_bp": 0,
    }
    assert at(before["cancellation"]["cancellable_until"]) == minutes_before(soon, 20)

    for body in (None, {"seat_ids": [paid["seats"][0]["seat_id"]]}):
        refused = client.post(f"/api/v1/bookings/{paid['id']}/cancel", json=body, headers=customer)
        problem_body = problem(refused, 409)
        assert problem_body["type"].endswith("/not-cancellable")
        assert at(problem_body["cancellable_until"]) == minutes_before(soon, 20)
        assert booking(client, customer, paid["id"]) == before
    assert set(seat_statuses(client, soon["id"]).values()) == {"AVAILABLE", "BOOKED"}
    assert db.query("SELECT count(*) FROM refunds")[0][0] == 0
    money_audit(client, db)


def test_the_policy_a_booking_froze_holds_when_its_theatre_changes_policy(
    client: httpx.Client, admin: Headers
) -> None:
    theatre_id = policy_theatre(client, admin)
    sale = show_in(client, admin, theatre_id, 180)
    customer = register(client)
    before = paid_seats(client, customer, sale["id"], "GOLD")

    everything = [{"until_minutes_before": 0, "refund_bp": 10000}]
    changed = client.patch(
        f"/api/v1/theatres/{theatre_id}", json={"cancellation_policy": everything}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    after = paid_seats(client, customer, sale["id"], "GOLD")

    assert booking(client, customer, before["id"])["cancellation"]["refund_now"] == 7500
    assert booking(client, customer, after["id"])["cancellation"]["refund_now"] == 10000
    assert POLICY[0]["refund_bp"] == 7500


def test_the_theatre_cancelling_gives_everything_back_fees_included(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id = policy_theatre(client, admin)
    sale, other = show_in(client, admin, theatre_id, 90), show_in(client, admin, theatre_id, 90)
    customer = register(client)
    by_show = paid_seats(client, customer, sale["id"], "VIP", "SILVER")
    by_admin = paid_seats(client, customer, other["id"], "GOLD")
    whole = TICKET["VIP"] + TICKET["SILVER"] + FEE_TOTAL["VIP"] + FEE_TOTAL["SILVER"]
    assert by_show["amount_total"] == whole

    assert client.post(f"/api/v1/shows/{sale['id']}/cancel", headers=admin).status_code == 200
    admin_cancel = client.post(f"/api/v1/bookings/{by_admin['id']}/cancel", headers=admin)
    assert admin_cancel.status_code == 200, admin_cancel.text

    for paid, total in ((by_show, whole), (by_admin, TICKET["GOLD"] + FEE_TOTAL["GOLD"])):
        done = processed(client, customer, paid["id"])
        assert done["status"] == "CANCELLED"
        assert [r["amount"] for r in done["refunds"]] == [total]
        assert done["payment"]["status"] == "REFUNDED"
        document = invoice(client, customer, paid["id"])
        [note] = document["credit_notes"]
        assert note["lines"] == document["lines"] and note["totals"] == document["totals"]
    money_audit(client, db)
    documents_audit(db)
