"""The sweeper against a hold on the seats it is sweeping (issue 30, item 2): a run-out hold is
swept by a worker pass while another customer holds its seats through a server, at the same
instant (a barrier; the pass and the server each with their own event loop and connections).
Whichever goes first, the new hold keeps its seats (or, meeting the seat's row locked by the
sweep, is refused whole and gets it when asked again) and the run-out one ends EXPIRED.

Tried without the release's condition (only the seats the swept booking still owns): on
PostgreSQL the sweep freed a seat the new hold had just taken. On SQLite a hold meeting a run-out
hold records its expiry itself, so the sweep finds nothing of it to release."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from tests.api import register
from tests.bookings.test_concurrency import audit
from tests.bookings.test_holds import hold, seat_statuses
from tests.bookings.test_lifecycle import sweep
from tests.payments.checkout import booking
from tests.support.race import at_once, hold_at

ROUNDS = 8  # each round is one seat: in some rounds the hold wins the race, in others the sweep


def test_the_sweeper_never_frees_a_seat_held_again_meanwhile(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    clock: Any,
    live_server: Any,
    db: Any,
) -> None:
    ttl = timedelta(seconds=live_server.settings.hold_ttl_seconds + 1)
    for seat in seats[:ROUNDS]:
        first = register(client)
        ran_out = hold(client, first, show["id"], [seat]).json()
        clock.advance(ttl)  # it ran out; nobody swept it yet
        later = register(client)

        hold_again = hold_at(live_server.url, later, show["id"], [seat])

        _swept, again = at_once(lambda: sweep(live_server), hold_again)

        assert booking(client, first, ran_out["id"])["status"] == "EXPIRED"
        if again.status_code == 409:  # it met the seat's row locked by the sweep: refused whole
            assert again.json()["type"].endswith("/seats-unavailable"), again.text
            assert seat_statuses(client, show["id"])[seat] == "AVAILABLE"
            again = hold(client, later, show["id"], [seat])
        assert again.status_code == 201, again.text
        assert seat_statuses(client, show["id"])[seat] == "HELD"
        audit(db, show["id"], clock.now())
