"""Check-in at the door (SPEC "Tickets and check-in"): exactly once, by theatre, by nonce, with
revocations that offline scanners can sync."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
from tests.api import Headers, problem, ready_show, register
from tests.conftest import TEST_JWT_SECRET
from tests.support.http import loopback_client
from tests.support.servers import Servers, run_boxoffice, server_env
from tests.tickets.helpers import booked, make_staff, scan, show_soon, tickets, verify_offline


def test_a_ticket_checks_in_once_then_says_when_and_where(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin)
    staff = make_staff(client, admin, [show["theatre_id"]])
    first, second = tickets(client, customer, booked(client, customer, show["id"])["id"])

    ok = scan(client, staff, first["qr"], gate="G1")
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["result"] == "ok" and body["gate"] == "G1"
    assert body["ticket"]["id"] == first["id"] and body["ticket"]["status"] == "CHECKED_IN"
    assert body["admitted"] == 1  # of the show, so far: the door's live count

    again = problem(scan(client, admin, first["qr"], gate="G2"), 409)
    assert again["type"].endswith("already-checked-in")
    assert again["gate"] == "G1"
    assert datetime.fromisoformat(again["checked_in_at"]) == datetime.fromisoformat(
        body["checked_in_at"]
    )
    statuses = {t["id"]: t["status"] for t in tickets(client, customer, first["booking_id"])}
    assert statuses == {first["id"]: "CHECKED_IN", second["id"]: "VALID"}
    admin_scan = scan(client, admin, second["qr"], gate=None)
    assert admin_scan.status_code == 200  # admins anywhere
    assert admin_scan.json()["admitted"] == 2


def test_garbage_forged_or_unknown_key_is_422(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin)
    qr = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])[0]["qr"]
    prefix, kid, payload, signature = qr.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (
        "garbage",
        f"{prefix}.{kid}.{payload}.{flipped}",
        f"{prefix}.{kid}.{payload[:-2]}xx.{signature}",
        f"{prefix}.kUNKNOWNKEY.{payload}.{signature}",
        f"BX2.{kid}.{payload}.{signature}",
        qr + ".extra",
    ):
        body = problem(scan(client, admin, bad), 422)
        assert "private" not in str(body).lower()
    assert scan(client, admin, qr).status_code == 200  # the genuine one was never used up


def test_staff_only_at_their_theatres(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin)
    elsewhere = show_soon(client, admin)
    qr = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])[0]["qr"]
    theirs = make_staff(client, admin, [show["theatre_id"]])
    other = make_staff(client, admin, [elsewhere["theatre_id"]])

    problem(scan(client, other, qr), 403)
    problem(client.get(f"/api/v1/shows/{show['id']}/revoked-tickets", headers=other), 403)
    problem(scan(client, customer, qr), 403)
    problem(scan(client, {}, qr), 401)
    assert scan(client, theirs, qr).status_code == 200
    assert client.get(f"/api/v1/shows/{show['id']}/revoked-tickets", headers=theirs).json() == {
        "items": []
    }
    # Staff are not admins.
    problem(client.get(f"/api/v1/admin/shows/{show['id']}/bookings", headers=theirs), 403)
    unknown = client.post(
        "/api/v1/admin/staff",
        json={
            "email": "x@example.com",
            "password": "staff-password-1",
            "name": "X",
            "theatre_ids": [str(uuid.uuid4())],
        },
        headers=admin,
    )
    problem(unknown, 422)


def test_a_nonce_replays_the_first_answer(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin)
    staff = make_staff(client, admin, [show["theatre_id"]])
    qr = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])[0]["qr"]

    first = scan(client, staff, qr, gate="G1", nonce="scan-1")
    assert first.status_code == 200
    replay = scan(client, staff, qr, gate="G1", nonce="scan-1")
    assert (replay.status_code, replay.json()) == (200, first.json())

    other_gate = scan(client, staff, qr, gate="G7", nonce="scan-2")
    assert problem(other_gate, 409)["gate"] == "G1"
    replayed_refusal = scan(client, staff, qr, gate="G7", nonce="scan-2")
    assert (replayed_refusal.status_code, replayed_refusal.json()) == (409, other_gate.json())


def test_a_ticket_is_not_valid_long_before_the_show(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = ready_show(client, admin)  # two days ahead: the door opens 3 h before
    qr = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])[0]["qr"]
    body = problem(scan(client, admin, qr), 409)
    assert body["type"].endswith("ticket-not-valid-now")


def test_cancel_and_show_cancel_revoke_and_scanners_can_sync(
    client: httpx.Client, admin: Headers, customer: Headers, db: Any
) -> None:
    show = show_soon(client, admin, minutes=150)  # before the cancellation cut-off
    staff = make_staff(client, admin, [show["theatre_id"]])
    revoked_list = f"/api/v1/shows/{show['id']}/revoked-tickets"
    cancelled = booked(client, customer, show["id"], 2)
    kept = booked(client, customer, show["id"], 1)
    cancelled_tickets = tickets(client, customer, cancelled["id"])
    before = datetime.now().astimezone()

    response = client.post(f"/api/v1/bookings/{cancelled['id']}/cancel", headers=customer)
    assert response.status_code == 200, response.text
    assert response.json()["refunds"], "a paid booking is refunded when cancelled"
    assert {t["status"] for t in tickets(client, customer, cancelled["id"])} == {"REVOKED"}
    body = problem(scan(client, staff, cancelled_tickets[0]["qr"]), 409)
    assert body["type"].endswith("ticket-revoked")

    listed = client.get(revoked_list, headers=staff).json()["items"]
    assert sorted(i["ticket_id"] for i in listed) == sorted(t["id"] for t in cancelled_tickets)
    since = client.get(revoked_list, params={"since": before.isoformat()}, headers=staff)
    assert len(since.json()["items"]) == 2
    later = datetime.now().astimezone().isoformat()
    assert client.get(revoked_list, params={"since": later}, headers=staff).json()["items"] == []

    # The show is cancelled: every remaining ticket is revoked (and its booking refunded).
    assert client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin).status_code == 200
    kept_ticket = tickets(client, customer, kept["id"])[0]
    assert kept_ticket["status"] == "REVOKED"
    assert problem(scan(client, staff, kept_ticket["qr"]), 409)["type"].endswith("ticket-revoked")
    assert {i["ticket_id"] for i in client.get(revoked_list, headers=admin).json()["items"]} == {
        *(t["id"] for t in cancelled_tickets),
        kept_ticket["id"],
    }
    refunded = db.query(
        "SELECT COUNT(*) FROM refunds r JOIN payments p ON p.id = r.payment_id "
        "JOIN bookings b ON b.id = p.booking_id WHERE b.show_id = :show",
        show=db.id(show["id"]),
    )[0][0]
    assert refunded == 2


def test_rotation_keeps_old_tickets_verifying(
    client: httpx.Client, admin: Headers, customer: Headers, db: Any
) -> None:
    show = show_soon(client, admin)
    old = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])[0]
    old_kid = old["qr"].split(".")[1]

    rotated = run_boxoffice(server_env(db.url, TEST_JWT_SECRET), "rotate-ticket-key")
    assert rotated.returncode == 0, rotated.stderr
    published = client.get("/api/v1/tickets/keys").json()
    kids = [key["kid"] for key in published["keys"]]
    assert len(kids) == 2 and old_kid in kids and kids[0] != old_kid  # the new one signs

    new = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])[0]
    assert new["qr"].split(".")[1] == kids[0]
    for ticket in (old, new):
        verify_offline(ticket["qr"], published)
        assert scan(client, admin, ticket["qr"]).status_code == 200
    assert "PRIVATE" not in rotated.stdout + rotated.stderr


def test_two_gates_on_two_servers_admit_a_ticket_once(
    client: httpx.Client, admin: Headers, db: Any, two_servers: Servers
) -> None:
    show = show_soon(client, admin)
    customer = register(client)
    staff = make_staff(client, admin, [show["theatre_id"]])
    *items, uploaded = tickets(client, customer, booked(client, customer, show["id"], 5)["id"])
    clients = [loopback_client(base_url=url, timeout=30) for url in two_servers.urls]
    try:
        jobs = [
            (clients[i % 2], ticket["qr"], f"G{i % 2 + 1}") for ticket in items for i in range(12)
        ]
        with ThreadPoolExecutor(max_workers=24) as pool:
            answers = list(pool.map(lambda job: scan(job[0], staff, job[1], gate=job[2]), jobs))
            # An offline scanner's upload sent to both servers at once: one scan, one answer.
            replays = list(
                pool.map(
                    lambda http: scan(http, staff, uploaded["qr"], gate="G9", nonce="offline-1"),
                    clients * 3,
                )
            )
    finally:
        for http in clients:
            http.close()
    by_ticket: dict[str, list[int]] = {}
    for (_, qr, _), answer in zip(jobs, answers, strict=True):
        by_ticket.setdefault(qr, []).append(answer.status_code)
        if answer.status_code == 409:
            assert answer.json()["type"].endswith("already-checked-in")
    for statuses in by_ticket.values():
        assert statuses.count(200) == 1 and statuses.count(409) == 11, statuses
    rows = db.query(
        "SELECT status, COUNT(*) FROM tickets WHERE show_id = :show GROUP BY status",
        show=db.id(show["id"]),
    )
    assert dict((r[0], r[1]) for r in rows) == {"CHECKED_IN": 5}
    assert [r.status_code for r in replays] == [200] * 6
    assert all(r.json() == replays[0].json() for r in replays)
    assert replays[0].json()["ticket"]["id"] == uploaded["id"]
