"""A registered theatre with a fee and a tiered cancellation policy, shows at a chosen distance
from now, and paid bookings of named seat types: what the cancellation tests share."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from tests.api import Headers, create_movie, create_screen, create_show, set_theatre_prices
from tests.invoicing.helpers import FEE, hold_seats, seats_of_type, theatre
from tests.payments.checkout import pay

# 75 % back until 2 h before the show, 50 % until 20 min before, nothing later (SPEC's example).
POLICY = [
    {"until_minutes_before": 120, "refund_bp": 7500},
    {"until_minutes_before": 20, "refund_bp": 5000},
]
PRICES = {"VIP": 50000, "GOLD": 10000, "SILVER": 10500}
# Each type's line under SPEC's rates and fee: its ticket's total, and its fee with GST.
TICKET = {"VIP": 50000, "GOLD": 10000, "SILVER": 10500}
FEE_TOTAL = {"VIP": 5900, "GOLD": 1180, "SILVER": 1239}


def policy_theatre(client: httpx.Client, admin: Headers, **terms: Any) -> str:
    terms = {"convenience_fee": FEE, "cancellation_policy": POLICY, **terms}
    theatre_id = theatre(client, admin, **terms)
    set_theatre_prices(client, admin, theatre_id, PRICES)
    return theatre_id


def show_in(client: httpx.Client, admin: Headers, theatre_id: str, minutes: int) -> dict[str, Any]:
    """A show of the theatre starting `minutes` from now (to the second)."""
    screen = create_screen(client, admin, theatre_id, name=f"Audi {uuid.uuid4().hex[:6]}")
    movie = create_movie(client, admin, title=f"Film {uuid.uuid4().hex[:6]}")
    starts = (datetime.now().astimezone() + timedelta(minutes=minutes)).replace(microsecond=0)
    return create_show(client, admin, movie["id"], screen["id"], starts)


def paid_seats(
    client: httpx.Client, who: Headers, show_id: str, *seat_types: str
) -> dict[str, Any]:
    """A BOOKED booking of one seat of each of these types."""
    seats = [seats_of_type(client, show_id, kind, 1)[0] for kind in seat_types]
    return pay(client, who, hold_seats(client, who, show_id, seats))


def minutes_before(show: dict[str, Any], minutes: int) -> datetime:
    return datetime.fromisoformat(show["starts_at"]) - timedelta(minutes=minutes)


def at(moment: str | None) -> datetime | None:
    return None if moment is None else datetime.fromisoformat(moment)


def seat_statuses(client: httpx.Client, show_id: str) -> dict[str, str]:
    seats = client.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]
    return {seat["id"]: seat["status"] for seat in seats}
