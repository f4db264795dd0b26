"""The counter and the shop on the same seats at the same instant, through two `boxoffice serve`
processes on PostgreSQL: the counter's sales claim exactly as online holds do, so no seat is
ever held or sold twice, and the money each side took adds up."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from tests.api import guest, make_admin
from tests.bookings.test_concurrency import audit, big_show
from tests.counter.helpers import cash, make_cashier, open_shift
from tests.payments.checkout import money_audit
from tests.support.http import loopback_client
from tests.support.servers import Servers

BUYERS = 50
CASHIERS = 2
SALES_EACH = 6


@pytest.mark.postgres_only  # two processes share a database only on PostgreSQL
def test_the_counter_and_fifty_online_buyers_never_get_one_seat_twice(
    client: httpx.Client, db: Any, two_servers: Servers
) -> None:
    admin = make_admin(client, db)
    show = big_show(client, admin, rows=2, per_row=20)  # 40 seats, asked for ~100
    seats = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    buyers = [guest(client)[0] for _ in range(BUYERS)]
    cashiers = [make_cashier(client, admin, [show["theatre_id"]]) for _ in range(CASHIERS)]
    shifts = [open_shift(client, cashier, show["theatre_id"], 0) for cashier in cashiers]
    urls = two_servers.urls
    start = threading.Barrier(BUYERS + CASHIERS)

    def online(index: int) -> list[tuple[str, int, dict[str, Any]]]:
        wanted = random.Random(index).sample(seats, 1)
        with loopback_client(base_url=urls[index % 2], timeout=60) as http:
            start.wait(timeout=60)
            response = http.post(
                "/api/v1/bookings",
                json={"show_id": show["id"], "seat_ids": wanted},
                headers=buyers[index],
            )
        return [("online", response.status_code, response.json())]

    def counter(index: int) -> list[tuple[str, int, dict[str, Any]]]:
        rng = random.Random(1000 + index)
        results = []
        with loopback_client(base_url=urls[index % 2], timeout=60) as http:
            start.wait(timeout=60)
            for sale in range(SALES_EACH):
                body: dict[str, Any] = {"show_id": show["id"], "payment": cash()}
                if sale % 2 == 1:  # the best available, through the same chooser
                    body["quantity"] = 2
                else:
                    body["seat_ids"] = rng.sample(seats, 2)
                response = http.post("/api/v1/counter/sales", json=body, headers=cashiers[index])
                results.append(("counter", response.status_code, response.json()))
        return results

    def racer(index: int) -> list[tuple[str, int, dict[str, Any]]]:
        return online(index) if index < BUYERS else counter(index - BUYERS)

    with ThreadPoolExecutor(max_workers=BUYERS + CASHIERS) as pool:
        outcomes = [r for batch in pool.map(racer, range(BUYERS + CASHIERS)) for r in batch]

    statuses = Counter((side, status) for side, status, _ in outcomes)
    assert {status for _, status in statuses} <= {201, 409}, outcomes
    assert statuses["counter", 201] > 0 and statuses["online", 201] > 0, statuses
    granted: list[str] = []
    for side, status, body in outcomes:
        if status == 201:
            granted += [seat["seat_id"] for seat in body["seats"]]
            if side == "counter":
                assert body["status"] == "BOOKED" and body["channel"] == "counter"
        else:
            assert body["type"].endswith(("/seats-unavailable", "/not-enough-seats")), body
    assert len(granted) == len(set(granted)) <= len(seats)
    audit(db, show["id"])
    sold = [body for side, status, body in outcomes if side == "counter" and status == 201]
    for cashier, shift in zip(cashiers, shifts, strict=True):
        closed = client.post(f"/api/v1/counter/shifts/{shift['id']}/close", headers=cashier)
        assert closed.status_code == 200, closed.text
        mine = [s for s in sold if s["movements"][0]["shift_id"] == shift["id"]]
        assert closed.json()["totals"]["CASH"] == sum(s["amount_total"] for s in mine)
    money_audit(client, db)
    logged = two_servers.output()
    assert "Traceback" not in logged and "deadlock" not in logged.lower(), logged[-2000:]
