"""A show the theatre cancels: its counter sales are owed everything they still held, listed
for the counter and paid back there once, in the way they were paid, with a credit note; the
shop's bookings are refunded through Razorpay as ever."""

from __future__ import annotations

from typing import Any

import httpx
from tests.accounts.test_managers import make_manager
from tests.api import Headers, guest, problem, register
from tests.bookings.money_helpers import FEE_TOTAL, PRICES, TICKET, policy_theatre, show_in
from tests.conftest import LiveServer
from tests.counter.helpers import DAY, counts, make_cashier, open_counter, open_shift, refund, sell
from tests.invoicing.helpers import documents_audit, hold_seats, seats_of_type
from tests.notifications.test_emails import MailServer, _text, worker_passes
from tests.payments.checkout import booking, eventually, money_audit, pay
from tests.support.race import at_once, request

from boxoffice.clock import Clock
from boxoffice.notifications.compose import money


def owed(client: httpx.Client, who: Headers, theatre_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/counter/owed?theatre_id={theatre_id}", headers=who)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def cancel_show(client: httpx.Client, admin: Headers, show_id: str) -> None:
    assert client.post(f"/api/v1/shows/{show_id}/cancel", headers=admin).status_code == 200


def cash_expected(client: httpx.Client, who: Headers, shift_id: str) -> int:
    shift = client.get(f"/api/v1/counter/shifts/{shift_id}", headers=who).json()
    return int(shift["expected_cash"])


def test_counter_sales_of_a_cancelled_show_are_owed_and_paid_back_once(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id, show, cashier, shift = open_counter(client, admin, 100000)
    in_cash = sell(client, cashier, show["id"], seats_of_type(client, show["id"], "VIP", 2))
    by_card = sell(
        client,
        cashier,
        show["id"],
        seats_of_type(client, show["id"], "SILVER", 1),
        {"method": "CARD", "reference": "slip-4411"},
    )
    customer = register(client)
    online = pay(
        client,
        customer,
        hold_seats(client, customer, show["id"], seats_of_type(client, show["id"], "GOLD", 1)),
    )
    assert owed(client, cashier, theatre_id) == []
    assert cash_expected(client, cashier, shift["id"]) == 100000 + 2 * PRICES["VIP"]

    cancel_show(client, admin, show["id"])

    # The shop's booking is refunded through Razorpay, fee included, as before.
    refunded = eventually(lambda: booking(client, customer, online["id"])["refunds"] or None)
    assert [r["amount"] for r in refunded] == [TICKET["GOLD"] + FEE_TOTAL["GOLD"]]
    # The counter's are owed everything they cost (no fee), in the way they were paid.
    listed = {item["booking_id"]: item for item in owed(client, cashier, theatre_id)}
    assert set(listed) == {in_cash["id"], by_card["id"]}
    for sold, method in ((in_cash, "CASH"), (by_card, "CARD")):
        item = listed[sold["id"]]
        assert (item["amount"], item["method"], item["code"]) == (
            sold["amount_total"],
            method,
            sold["code"],
        )
        assert item["seats"] == [seat["label"] for seat in sold["seats"]]
        assert item["show_id"] == show["id"] and item["show"]["movie_title"]
        assert item["cancelled_at"] is not None
    assert listed[in_cash["id"]]["amount"] == 2 * PRICES["VIP"]
    assert listed[by_card["id"]]["amount"] == PRICES["SILVER"]
    # Found by its code at the counter, the sale says what it is owed.
    found = client.get(f"/api/v1/counter/sales/{in_cash['id']}", headers=cashier).json()
    assert (found["status"], found["owed"]) == ("CANCELLED", 2 * PRICES["VIP"])
    # Nothing moved at the counter yet: the cash is still in the drawer.
    assert cash_expected(client, cashier, shift["id"]) == 100000 + 2 * PRICES["VIP"]

    paid_back = refund(client, cashier, in_cash["id"])
    assert (paid_back["status"], paid_back["owed"]) == ("CANCELLED", 0)
    back = paid_back["movements"][-1]
    assert (back["kind"], back["method"], back["amount"], back["shift_id"]) == (
        "REFUND",
        "CASH",
        2 * PRICES["VIP"],
        shift["id"],
    )
    assert cash_expected(client, cashier, shift["id"]) == 100000
    invoice = client.get(f"/api/v1/bookings/{in_cash['id']}/invoice", headers=cashier).json()
    [note] = invoice["credit_notes"]
    assert note["invoice_number"] == invoice["number"] and note["refund_id"] is None
    assert note["totals"]["total"] == invoice["totals"]["total"] == 2 * PRICES["VIP"]
    assert [item["booking_id"] for item in owed(client, cashier, theatre_id)] == [by_card["id"]]

    before = counts(db)
    again = client.post(f"/api/v1/counter/sales/{in_cash['id']}/refund", headers=cashier)
    assert problem(again, 409)["type"].endswith("/nothing-owed")
    assert counts(db) == before
    assert cash_expected(client, cashier, shift["id"]) == 100000

    # The card sale is paid back to the card: the drawer's cash does not move.
    by_card_back = refund(client, cashier, by_card["id"])
    assert by_card_back["movements"][-1]["method"] == "CARD"
    assert cash_expected(client, cashier, shift["id"]) == 100000
    assert owed(client, cashier, theatre_id) == []
    report = client.get(f"/api/v1/admin/shows/{show['id']}/report", headers=admin).json()
    [counter] = [part for part in report["by_channel"] if part["channel"] == "counter"]
    assert (counter["booked"], counter["net"]) == (0, 0)
    money_audit(client, db)
    documents_audit(db)


def test_two_cashiers_paying_back_one_sale_at_once_pay_once(
    client: httpx.Client, admin: Headers, db: Any, live_server: LiveServer
) -> None:
    theatre_id = policy_theatre(client, admin)
    show = show_in(client, admin, theatre_id, DAY)
    cashiers = [make_cashier(client, admin, [theatre_id]) for _ in range(2)]
    for cashier in cashiers:
        open_shift(client, cashier, theatre_id, 100000)
    sold = sell(client, cashiers[0], show["id"], seats_of_type(client, show["id"], "GOLD", 2))
    cancel_show(client, admin, show["id"])

    path = f"/api/v1/counter/sales/{sold['id']}/refund"
    answers = at_once(*(request(live_server.url, "POST", path, headers=c) for c in cashiers))
    assert sorted(answer.status_code for answer in answers) == [200, 409], [a.text for a in answers]
    [lost] = [answer for answer in answers if answer.status_code == 409]
    assert lost.json()["type"].endswith("/nothing-owed")
    moved = db.query(
        "SELECT kind, amount FROM counter_movements WHERE booking_id = :b ORDER BY kind",
        b=db.id(sold["id"]),
    )
    paid = 2 * PRICES["GOLD"]
    assert [tuple(row) for row in moved] == [("REFUND", paid), ("SALE", paid)]
    invoice = client.get(f"/api/v1/bookings/{sold['id']}/invoice", headers=cashiers[0]).json()
    assert len(invoice["credit_notes"]) == 1
    money_audit(client, db)
    documents_audit(db)


def test_a_sale_partly_refunded_before_the_show_was_cancelled_is_owed_the_rest(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id, show, cashier, shift = open_counter(client, admin, 0)
    seats = [seats_of_type(client, show["id"], kind, 1)[0] for kind in ("VIP", "GOLD")]
    sold = sell(client, cashier, show["id"], seats)
    partly = refund(client, cashier, sold["id"], [seats[0]])
    kept = PRICES["VIP"] - partly["movements"][-1]["amount"]  # the policy's 25 %, kept
    assert kept == PRICES["VIP"] // 4

    cancel_show(client, admin, show["id"])

    [item] = owed(client, cashier, theatre_id)
    assert (item["amount"], item["seats"]) == (PRICES["GOLD"], [partly["seats"][0]["label"]])
    paid_back = refund(client, cashier, sold["id"])
    assert paid_back["movements"][-1]["amount"] == PRICES["GOLD"]
    assert cash_expected(client, cashier, shift["id"]) == kept
    invoice = client.get(f"/api/v1/bookings/{sold['id']}/invoice", headers=cashier).json()
    assert [note["totals"]["total"] for note in invoice["credit_notes"]] == [
        PRICES["VIP"] - kept,
        PRICES["GOLD"],
    ]
    assert owed(client, cashier, theatre_id) == []
    money_audit(client, db)
    documents_audit(db)


def test_only_the_theatres_counter_sees_and_pays_back_what_it_owes(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id, show, cashier, _shift = open_counter(client, admin)
    other_theatre = policy_theatre(client, admin)
    sold = sell(client, cashier, show["id"], seats_of_type(client, show["id"], "GOLD", 1))
    cancel_show(client, admin, show["id"])
    elsewhere = make_cashier(client, admin, [other_theatre])
    open_shift(client, elsewhere, other_theatre)
    refused: dict[str, tuple[Headers, int]] = {
        "anonymous": ({}, 401),
        "guest": (guest(client)[0], 403),
        "customer": (register(client), 403),
        "door staff": (make_cashier(client, admin, [theatre_id], counter=False), 403),
        "cashier elsewhere": (elsewhere, 403),
        "manager elsewhere": (make_manager(client, admin, [other_theatre])[1], 403),
    }
    before = counts(db)
    for role, (who, status) in refused.items():
        listing = client.get(f"/api/v1/counter/owed?theatre_id={theatre_id}", headers=who)
        assert listing.status_code == status, (role, listing.text)
        paying = client.post(f"/api/v1/counter/sales/{sold['id']}/refund", headers=who)
        assert paying.status_code == status, (role, paying.text)
    assert counts(db) == before
    assert owed(client, elsewhere, other_theatre) == []
    unknown = "00000000-0000-4000-8000-000000000000"
    problem(client.get(f"/api/v1/counter/owed?theatre_id={unknown}", headers=admin), 404)
    # The theatre's manager and an admin see it; the manager pays it back from a shift here.
    _, manager = make_manager(client, admin, [theatre_id])
    assert [i["booking_id"] for i in owed(client, manager, theatre_id)] == [sold["id"]]
    assert [i["booking_id"] for i in owed(client, admin, theatre_id)] == [sold["id"]]
    open_shift(client, manager, theatre_id)
    assert refund(client, manager, sold["id"])["movements"][-1]["kind"] == "REFUND"
    assert owed(client, cashier, theatre_id) == []


def test_a_sale_its_shows_cancellation_has_not_reached_yet_is_refunded_everything(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id = policy_theatre(client, admin)
    show = show_in(client, admin, theatre_id, 10)  # past the policy's last tier (20 min)
    cashier = make_cashier(client, admin, [theatre_id])
    shift = open_shift(client, cashier, theatre_id, 0)
    sold = sell(client, cashier, show["id"], seats_of_type(client, show["id"], "GOLD", 2))
    # The show's cancellation committed and its process died before it reached the bookings
    # (`boxoffice worker` would finish): the theatre cancelled, so everything comes back.
    db.execute("UPDATE shows SET status = 'CANCELLED' WHERE id = :s", s=db.id(show["id"]))
    refunded = refund(client, cashier, sold["id"])
    assert refunded["status"] == "CANCELLED"
    assert refunded["movements"][-1]["amount"] == 2 * PRICES["GOLD"]
    assert cash_expected(client, cashier, shift["id"]) == 0
    assert owed(client, cashier, theatre_id) == []
    money_audit(client, db)
    documents_audit(db)


def test_the_counter_customers_cancellation_email_says_what_the_counter_owes_or_paid_back(
    client: httpx.Client, admin: Headers, live_server: LiveServer
) -> None:
    """Paid in the hand, a sale is paid back in the hand: its cancellation email says how much
    the counter owes (the show was cancelled) or paid back (the customer gave the seats back
    there), never "nothing was paid"."""
    _theatre_id, show, cashier, _shift = open_counter(client, admin, 100000)
    returned_at_counter, owed_by_counter = (
        sell(client, cashier, show["id"], [seat], customer={"email": f"walk-in-{n}@example.com"})
        for n, seat in enumerate(seats_of_type(client, show["id"], "VIP", 2))
    )
    movements = refund(client, cashier, returned_at_counter["id"])["movements"]
    paid_back = sum(m["amount"] for m in movements if m["kind"] == "REFUND")
    assert paid_back > 0
    cancel_show(client, admin, show["id"])

    mail = MailServer()
    mail.start()
    try:
        worker_passes(live_server, Clock(), smtp_url=mail.url)
        cancellations = {
            str(m["To"]): _text(m)
            for m in mail.inbox.messages
            if str(m["Subject"]).startswith("Booking cancelled")
        }
    finally:
        mail.stop()
    assert set(cancellations) == {"walk-in-0@example.com", "walk-in-1@example.com"}
    assert (
        f"{money(paid_back, 'INR')} in all was paid back to you at the theatre's counter"
        in (cancellations["walk-in-0@example.com"])
    )
    owed_text = cancellations["walk-in-1@example.com"]
    assert f"{money(owed_by_counter['amount_total'], 'INR')} is owed to you there" in owed_text
    assert "nothing to refund" not in owed_text
