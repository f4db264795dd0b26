"""Who may do what: every route of the OpenAPI document, called as each kind of caller.

Roles: anonymous (no token), guest (POST /auth/guest), customer (owns the booking), other (another
registered customer), outsider (a manager of another theatre), staff (at the world's theatre),
manager (of the world's theatre), admin. Path parameters are real ids, so a
refusal is about who asks, not about a missing object. The expectations are one table (`MATRIX`),
built from SPEC.md's API surface; `test_the_matrix_covers_every_route` keeps it in step with the
document.

Rows that change state get fresh objects for the callers that are allowed to change them (a
booking to cancel, a show to cancel, a payment to verify), and refused callers must leave the
shared objects as they were; reads come first and the destructive rows last.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from tests.api import (
    DEFAULT_ROWS,
    Headers,
    bearer,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    login,
    make_admin,
    poster_image,
    register,
    set_theatre_prices,
    upload_poster,
)
from tests.conftest import running_app
from tests.support.http import loopback_client
from tests.support.keys import sandbox_keys

from boxoffice.sandbox.api import api as sandbox_api

# The allowed ones act last.
ROLES = ("anonymous", "guest", "other", "customer", "outsider", "staff", "manager", "admin")
OK = "2xx"
Expect = dict[str, int | str]

PUBLIC: Expect = dict.fromkeys(ROLES, OK)
SIGNED_IN: Expect = {**PUBLIC, "anonymous": 401}
ADMIN_ONLY: Expect = {
    "anonymous": 401,
    "guest": 403,
    "other": 403,
    "customer": 403,
    "outsider": 403,
    "staff": 403,
    "manager": 403,
    "admin": OK,
}
# What runs a theatre: its managers and admins (SPEC "Back office"); a manager elsewhere is 403.
THEATRE_MANAGERS: Expect = {**ADMIN_ONLY, "manager": OK}
OPERATORS: Expect = {**THEATRE_MANAGERS, "outsider": OK}  # movies: shared by every manager
STAFF_OR_ADMIN: Expect = {**THEATRE_MANAGERS, "staff": OK}  # the door: its managers too
OWNER_OR_ADMIN: Expect = {
    "anonymous": 401,
    "guest": 404,
    "other": 404,
    "customer": OK,
    "outsider": 404,
    "staff": 404,
    "manager": 404,
    "admin": OK,
}
OWNER_ONLY: Expect = {**OWNER_OR_ADMIN, "admin": 404}
ACCOUNTS_ONLY: Expect = {**SIGNED_IN, "guest": 403}
# Staff and managers of the booking's theatre.
OWNER_STAFF_OR_ADMIN: Expect = {**OWNER_OR_ADMIN, "staff": OK, "manager": OK}
# A shift is its cashier's: nobody else has one open (409 `no-open-shift`) or sees it (404), but
# those who run the theatre, who open their own.
NO_SHIFT_BUT_RUNNERS: Expect = {
    **dict.fromkeys(ROLES, 409),
    "anonymous": 401,
    "manager": OK,
    "admin": OK,
}
NOT_FOUND_BUT_RUNNERS: Expect = {
    **dict.fromkeys(ROLES, 404),
    "anonymous": 401,
    "manager": OK,
    "admin": OK,
}

CUSTOMER_PASSWORD = "customer-password-123"


@dataclass
class World:
    client: httpx.Client
    admin: Headers
    customer: Headers
    customer_email: str
    other: Headers
    guest: Headers
    staff: Headers
    manager: Headers
    outsider: Headers
    theatre_id: str
    screen_id: str
    movie_id: str
    show_id: str
    booking_id: str
    free_seats: list[str]
    soon_show_id: str
    days_ahead: int = 3
    shared: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str) -> Headers:
        return {} if role == "anonymous" else dict(getattr(self, role))

    def ids(self) -> dict[str, str]:
        return {
            "theatre_id": self.theatre_id,
            "screen_id": self.screen_id,
            "movie_id": self.movie_id,
            "show_id": self.show_id,
            "booking_id": self.booking_id,
        }

    def fresh_show(self) -> str:
        """A scheduled show of its own (a day further each time: no overlap, no hold limit)."""
        self.days_ahead += 1
        starts = future(datetime.now().astimezone(), days=self.days_ahead)
        return str(
            create_show(self.client, self.admin, self.movie_id, self.screen_id, starts)["id"]
        )

    def fresh_booking(self) -> str:
        """A PENDING booking of the customer, on a show of its own."""
        show = self.fresh_show()
        seats = self.client.get(f"/api/v1/shows/{show}/seats").json()["seats"]
        response = self.client.post(
            "/api/v1/bookings",
            json={"show_id": show, "seat_ids": [seats[0]["id"]]},
            headers=self.customer,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def waitlist_entry(self) -> str:
        """The customer's entry on the waiting list of a show of its own, whose every seat is
        blocked (nothing free: the list takes it)."""
        show = self.fresh_show()
        seats = [s["id"] for s in self.client.get(f"/api/v1/shows/{show}/seats").json()["seats"]]
        blocked = self.client.post(
            f"/api/v1/shows/{show}/blocks",
            json={"seat_ids": seats, "reason": "house seats"},
            headers=self.admin,
        )
        assert blocked.status_code < 300, blocked.text
        joined = self.client.post(
            f"/api/v1/shows/{show}/waitlist", json={"party": 1}, headers=self.customer
        )
        assert joined.status_code == 201, joined.text
        return str(joined.json()["id"])

    def movie_with_poster(self) -> str:
        return str(
            upload_poster(self.client, self.admin, create_movie(self.client, self.admin)["id"])[
                "id"
            ]
        )

    def paid_checkout(self) -> dict[str, str]:
        """What Checkout hands the customer's front end for a fresh booking: order, payment,
        signature (the sandbox also delivers the webhooks)."""
        booking = self.fresh_booking()
        order = self.client.post(f"/api/v1/bookings/{booking}/payments", headers=self.customer)
        assert order.status_code == 201, order.text
        paid = self.client.post(
            f"/_sandbox/razorpay/checkout/{order.json()['order_id']}", json={"outcome": "success"}
        )
        assert paid.status_code == 200, paid.text
        body = paid.json()
        return {
            k: body[k] for k in ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")
        }

    def failed_refund(self) -> str:
        """A refund of a paid, cancelled booking that the provider failed: FAILED, retryable."""
        sandbox = "/_sandbox/razorpay"
        paid = self.paid_checkout()
        verified = self.client.post(
            "/api/v1/payments/razorpay/verify", json=paid, headers=self.customer
        )
        assert verified.status_code == 200, verified.text
        booking_id = verified.json()["id"]
        self.client.patch(f"{sandbox}/config", json={"refund_status": "pending"})
        try:
            cancelled = self.client.post(
                f"/api/v1/bookings/{booking_id}/cancel", headers=self.customer
            )
            assert cancelled.status_code == 200, cancelled.text
            refund_id = str(cancelled.json()["refunds"][0]["id"])
            listed: list[dict[str, Any]] = []
            deadline = time.monotonic() + 10
            while not listed and time.monotonic() < deadline:
                refunds = self.client.get(
                    "/api/v1/admin/refunds", params={"status": "PENDING"}, headers=self.admin
                ).json()["items"]
                listed = [r for r in refunds if r["id"] == refund_id and r["provider_refund_id"]]
                time.sleep(0.05)
            failed = self.client.post(
                f"{sandbox}/refunds/{listed[0]['provider_refund_id']}/fail", json={}
            )
            assert failed.status_code == 200, failed.text
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                refunds = self.client.get(
                    "/api/v1/admin/refunds", params={"status": "FAILED"}, headers=self.admin
                ).json()["items"]
                if any(r["id"] == refund_id for r in refunds):
                    return refund_id
                time.sleep(0.05)
            raise AssertionError("the refund did not fail")
        finally:
            self.client.delete(f"{sandbox}/config")

    def paid_booking(self) -> str:
        """A BOOKED booking of the customer, one seat of the show starting soon."""
        seats = self.client.get(f"/api/v1/shows/{self.soon_show_id}/seats").json()["seats"]
        free = next(seat["id"] for seat in seats if seat["status"] == "AVAILABLE")
        held = self.client.post(
            "/api/v1/bookings",
            json={"show_id": self.soon_show_id, "seat_ids": [free]},
            headers=self.customer,
        )
        assert held.status_code == 201, held.text
        booking_id = str(held.json()["id"])
        order = self.client.post(f"/api/v1/bookings/{booking_id}/payments", headers=self.customer)
        paid = self.client.post(
            f"/_sandbox/razorpay/checkout/{order.json()['order_id']}", json={"outcome": "success"}
        ).json()
        verified = self.client.post(
            "/api/v1/payments/razorpay/verify",
            json={
                k: paid[k]
                for k in ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")
            },
            headers=self.customer,
        )
        assert verified.status_code == 200, verified.text
        return booking_id

    def ticket(self, booking_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/bookings/{booking_id}/tickets", headers=self.admin)
        assert response.status_code == 200, response.text
        return dict(response.json()["items"][0])

    def shared_paid(self) -> str:
        if "paid" not in self.shared:
            self.shared["paid"] = self.paid_booking()
        return str(self.shared["paid"])

    def credited(self) -> tuple[str, str]:
        """A booking paid and cancelled (by an admin: its show starts soon), and its credit
        note's id."""
        if "credited" not in self.shared:
            booking_id = self.paid_booking()
            cancelled = self.client.post(
                f"/api/v1/bookings/{booking_id}/cancel", headers=self.admin
            )
            assert cancelled.status_code == 200, cancelled.text
            invoice = self.client.get(f"/api/v1/bookings/{booking_id}/invoice", headers=self.admin)
            self.shared["credited"] = (booking_id, invoice.json()["credit_notes"][0]["id"])
        return self.shared["credited"]  # type: ignore[no-any-return]

    def counter_shift(self, role: str = "admin") -> str:
        """`role`'s open shift at the world's theatre's counter (opened when none is)."""
        who = self.headers(role)
        current = self.client.get("/api/v1/counter/shifts/current", headers=who)
        if current.status_code == 200:
            return str(current.json()["id"])
        body = {"theatre_id": self.theatre_id, "float": 0}
        opened = self.client.post("/api/v1/counter/shifts", json=body, headers=who)
        assert opened.status_code == 201, opened.text
        return str(opened.json()["id"])

    def counter_sale(self) -> str:
        """A fresh counter sale by the admin: one seat of a show of its own."""
        self.counter_shift()
        show = self.fresh_show()
        seats = self.client.get(f"/api/v1/shows/{show}/seats").json()["seats"]
        body = {"show_id": show, "seat_ids": [seats[0]["id"]], "payment": {"method": "CASH"}}
        sold = self.client.post("/api/v1/counter/sales", json=body, headers=self.admin)
        assert sold.status_code == 201, sold.text
        return str(sold.json()["id"])

    def shared_counter_sale(self) -> str:
        if "counter_sale" not in self.shared:
            self.shared["counter_sale"] = self.counter_sale()
        return str(self.shared["counter_sale"])

    def refresh_token(self) -> str:
        response = self.client.post(
            "/api/v1/auth/login",
            json={"email": self.customer_email, "password": CUSTOMER_PASSWORD},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["refresh_token"])


@dataclass
class Call:
    path_params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    params: dict[str, str] | None = None
    content: bytes | None = None
    headers: Headers = field(default_factory=dict)


Builder = Callable[[World, str, bool], Call]  # (world, role, role is allowed) -> the request


def plain(world: World, _role: str, _allowed: bool) -> Call:
    return Call(world.ids())


def with_body(make: Callable[[World], Any]) -> Builder:
    def build(world: World, _role: str, _allowed: bool) -> Call:
        return Call(world.ids(), json=make(world))

    return build


def fresh_for_allowed(name: str, make: Callable[[World], str], body: Any = None) -> Builder:
    """Allowed callers act on a fresh object; refused ones on the shared one (which must stay)."""

    def build(world: World, _role: str, allowed: bool) -> Call:
        return Call({**world.ids(), name: make(world) if allowed else world.ids()[name]}, json=body)

    return build


def entry_call(world: World, _role: str, _allowed: bool) -> Call:
    """The customer's waiting-list entry, shared (reads, and declines of it, which has no
    offer: nothing changes)."""
    if "entry_id" not in world.shared:
        world.shared["entry_id"] = world.waitlist_entry()
    return Call({**world.ids(), "entry_id": world.shared["entry_id"]})


def fresh_entry_call(world: World, role: str, allowed: bool) -> Call:
    """Allowed callers leave a fresh entry; refused ones try the shared one (which stays)."""
    if allowed:
        return Call({**world.ids(), "entry_id": world.waitlist_entry()})
    return entry_call(world, role, allowed)


def verify_call(world: World, _role: str, allowed: bool) -> Call:
    if allowed:
        return Call(json=world.paid_checkout())
    if "checkout" not in world.shared:
        world.shared["checkout"] = world.paid_checkout()
    return Call(json=world.shared["checkout"])


def webhook_call(_world: World, _role: str, _allowed: bool) -> Call:
    """A validly signed event about an order nobody has: acknowledged, changes nothing. Bearer
    tokens play no part in it."""
    event = {
        "entity": "event",
        "event": "payment.failed",
        "contains": ["payment"],
        "payload": {
            "payment": {
                "entity": {
                    "id": f"pay_{uuid.uuid4().hex[:14]}",
                    "entity": "payment",
                    "amount": 100,
                    "currency": "INR",
                    "status": "failed",
                    "order_id": f"order_{uuid.uuid4().hex[:14]}",
                }
            }
        },
        "created_at": 1_790_000_000,
    }
    raw = json.dumps(event).encode()
    signature = hmac.new(sandbox_keys().webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
    return Call(
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-Razorpay-Signature": signature,
            "X-Razorpay-Event-Id": f"evt_{uuid.uuid4().hex[:14]}",
        },
    )


def retry_call(world: World, _role: str, allowed: bool) -> Call:
    """Refused callers name a FAILED refund that must stay FAILED; the admin retries a fresh one."""
    if "refund" not in world.shared:
        world.shared["refund"] = world.failed_refund()
    refund_id = world.failed_refund() if allowed else world.shared["refund"]
    return Call({**world.ids(), "refund_id": refund_id})


def poster_call(world: World, _role: str, _allowed: bool) -> Call:
    """The shared movie's poster (uploaded once, by the admin)."""
    if "poster" not in world.shared:
        world.shared["poster"] = upload_poster(world.client, world.admin, world.movie_id)
    return Call(world.ids())


def upload_call(world: World, _role: str, _allowed: bool) -> Call:
    return Call(world.ids(), content=poster_image(), headers={"Content-Type": "image/jpeg"})


def tickets_call(world: World, _role: str, _allowed: bool) -> Call:
    return Call({**world.ids(), "booking_id": world.shared_paid()})


def code_call(world: World, _role: str, _allowed: bool) -> Call:
    booking = world.client.get(f"/api/v1/bookings/{world.booking_id}", headers=world.admin)
    return Call({"code": booking.json()["code"]})


def credit_note_call(world: World, _role: str, _allowed: bool) -> Call:
    booking_id, credit_note_id = world.credited()
    return Call({"booking_id": booking_id, "credit_note_id": credit_note_id})


def gst_call(world: World, _role: str, _allowed: bool) -> Call:
    return Call(params={"theatre_id": world.theatre_id, "month": datetime.now().strftime("%Y-%m")})


def qr_call(world: World, _role: str, _allowed: bool) -> Call:
    return Call({"ticket_id": world.ticket(world.shared_paid())["id"]})


def checkin_call(world: World, _role: str, allowed: bool) -> Call:
    """Allowed callers admit a fresh ticket each; refused ones try the shared one (which must
    stay VALID)."""
    booking = world.paid_booking() if allowed else world.shared_paid()
    return Call(json={"qr": world.ticket(booking)["qr"], "gate": "G1"})


def sales_call(world: World, _role: str, _allowed: bool) -> Call:
    today = datetime.now().date()
    return Call(params={"theatre_id": world.theatre_id, "from": str(today), "to": str(today)})


def shift_call(world: World, role: str, allowed: bool) -> Call:
    """Allowed callers name a shift of their own; refused ones the admin's."""
    return Call({"shift_id": world.counter_shift(role if allowed else "admin")})


def open_shift_call(world: World, role: str, allowed: bool) -> Call:
    """An allowed caller opens a shift after closing the one it has; refused callers change
    nothing."""
    if allowed:
        shift = world.counter_shift(role)
        world.client.post(f"/api/v1/counter/shifts/{shift}/close", headers=world.headers(role))
    return Call(json={"theatre_id": world.theatre_id, "float": 0})


def shifts_call(world: World, _role: str, _allowed: bool) -> Call:
    return Call(params={"theatre_id": world.theatre_id, "date": str(datetime.now().date())})


def counter_sale_call(world: World, role: str, allowed: bool) -> Call:
    """Refused callers try a free seat of the shared show (which must stay free); allowed ones
    sell one of a show of its own, in their shift."""
    show, seat = world.show_id, world.free_seats[-1]
    if allowed:
        world.counter_shift(role)
        show = world.fresh_show()
        seat = world.client.get(f"/api/v1/shows/{show}/seats").json()["seats"][0]["id"]
    return Call(json={"show_id": show, "seat_ids": [seat], "payment": {"method": "CASH"}})


def counter_refund_call(world: World, role: str, allowed: bool) -> Call:
    """Refused callers try the shared counter sale (which must stay sold); allowed ones refund
    a fresh one from a shift of their own."""
    if not allowed:
        return Call({"booking_id": world.shared_counter_sale()})
    booking_id = world.counter_sale()
    world.counter_shift(role)
    return Call({"booking_id": booking_id})


def theatre_call(world: World, _role: str, _allowed: bool) -> Call:
    return Call(params={"theatre_id": world.theatre_id})


def counter_read_call(world: World, _role: str, _allowed: bool) -> Call:
    return Call({"booking_id": world.shared_counter_sale()})


def staff_body_for(theatre_id: str) -> dict[str, Any]:
    return {
        "email": f"staff-{uuid.uuid4().hex[:8]}@example.com",
        "password": "staff-password-1",
        "name": "Door",
        "theatre_ids": [theatre_id],
    }


def staff_body(world: World) -> dict[str, Any]:
    return staff_body_for(world.theatre_id)


def theatre_body(_world: World) -> dict[str, Any]:
    return {
        "name": f"Theatre {uuid.uuid4().hex[:6]}",
        "city": "Pune",
        "address": "FC Road",
        "timezone": "Asia/Kolkata",
        "holidays": [],
    }


def screen_body(_world: World) -> dict[str, Any]:
    return {"name": f"Audi {uuid.uuid4().hex[:6]}", "rows": DEFAULT_ROWS}


def movie_body(_world: World) -> dict[str, Any]:
    return {
        "title": f"Film {uuid.uuid4().hex[:6]}",
        "duration_minutes": 100,
        "language": "Tamil",
        "certificate": "U",
        "genres": ["Comedy"],
        "release_date": "2026-10-01",
    }


def show_body(world: World) -> dict[str, Any]:
    world.days_ahead += 1
    starts = future(datetime.now().astimezone(), days=world.days_ahead)
    return {
        "movie_id": world.movie_id,
        "screen_id": world.screen_id,
        "starts_at": starts.isoformat(),
    }


def hold_body(world: World) -> dict[str, Any]:
    return {"show_id": world.show_id, "seat_ids": [world.free_seats.pop()]}


def block_call(world: World, _role: str, allowed: bool) -> Call:
    """Allowed callers block a free seat each; refused ones the first free seat (which must stay
    free)."""
    seat = world.free_seats.pop() if allowed else world.free_seats[0]
    return Call(world.ids(), json={"seat_ids": [seat], "reason": "camera"})


def prices_body(_world: World) -> list[dict[str, Any]]:
    return [
        {"seat_type": seat_type, "day_type": day_type, "amount": amount}
        for seat_type, amount in {"VIP": 50000, "GOLD": 35000, "SILVER": 20000}.items()
        for day_type in ("WEEKDAY", "WEEKEND")
    ]


def tax_rule_body(_world: World) -> dict[str, Any]:
    return {
        "category": "FEE",
        "effective_from": str(date(2030, 1, 1) + timedelta(days=uuid.uuid4().int % 3000)),
        "slabs": [{"up_to": None, "rate_bp": 1800}],
    }


def exemption_body(world: World) -> dict[str, Any]:
    return {
        "movie_id": world.movie_id,
        "state_code": "27",
        "from": "2027-01-01",
        "to": "2027-01-31",
    }


def fresh_screen(world: World) -> str:
    """A screen with no shows, whose layout may change."""
    return str(
        create_screen(
            world.client, world.admin, world.theatre_id, name=f"Spare {uuid.uuid4().hex[:6]}"
        )["id"]
    )


def queue_call(world: World, _role: str, allowed: bool) -> Call:
    """Allowed callers queue a show of their own, opening in an hour; refused ones the world's
    (which must stay unqueued)."""
    show = world.fresh_show() if allowed else world.show_id
    opens_at = (datetime.now().astimezone() + timedelta(hours=1)).isoformat()
    return Call({**world.ids(), "show_id": show}, json={"opens_at": opens_at})


def _an_hour_on() -> str:
    return (datetime.now().astimezone() + timedelta(hours=1)).isoformat()


def _new_onsale(world: World, shows: int = 1) -> str:
    body = {
        "name": "Opening weekend",
        "opens_at": _an_hour_on(),
        "show_ids": [world.fresh_show() for _ in range(shows)],
    }
    response = world.client.post(f"{V1}/onsales", json=body, headers=world.admin)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def shared_onsale(world: World) -> str:
    """An on-sale of a show of the world's theatre, opening in an hour, made once."""
    if "onsale_id" not in world.shared:
        world.shared["onsale_id"] = _new_onsale(world)
    return str(world.shared["onsale_id"])


def onsale_call(world: World, _role: str, _allowed: bool) -> Call:
    return Call({**world.ids(), "onsale_id": shared_onsale(world)})


def onsale_create_call(world: World, _role: str, allowed: bool) -> Call:
    """Allowed callers sell a fresh show of the world's theatre; refused ones the world's show
    (which must stay unqueued)."""
    show = world.fresh_show() if allowed else world.show_id
    body = {"name": "Opening weekend", "opens_at": _an_hour_on(), "show_ids": [show]}
    return Call(world.ids(), json=body)


def onsale_add_call(world: World, _role: str, allowed: bool) -> Call:
    """Allowed callers add a fresh show to the shared on-sale; refused ones the world's show."""
    show = world.fresh_show() if allowed else world.show_id
    return Call({**world.ids(), "onsale_id": shared_onsale(world)}, json={"show_ids": [show]})


def onsale_remove_call(world: World, _role: str, allowed: bool) -> Call:
    """Allowed callers take a show out of a fresh on-sale of two; refused ones try the shared
    on-sale (which must keep its shows)."""
    if not allowed:
        return Call({**world.ids(), "onsale_id": shared_onsale(world)})
    onsale_id = _new_onsale(world, shows=2)
    found = world.client.get(f"{V1}/onsales/{onsale_id}").json()
    return Call({**world.ids(), "onsale_id": onsale_id, "show_id": found["show_ids"][0]})


def onsale_lift_call(world: World, _role: str, allowed: bool) -> Call:
    """Allowed callers lift a fresh on-sale; refused ones the shared one (which must stay)."""
    onsale_id = _new_onsale(world) if allowed else shared_onsale(world)
    return Call({**world.ids(), "onsale_id": onsale_id})


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: Expect
    build: Builder = plain
    endless: bool = False  # an event stream: judged by its status line, its body never ends


V1 = "/api/v1"
MATRIX: list[Row] = [
    # -- operations and public reads --------------------------------------------------------
    Row("GET", "/health", PUBLIC),
    Row("GET", "/ready", PUBLIC),
    Row("GET", f"{V1}/config", PUBLIC),
    Row("GET", f"{V1}/theatres", PUBLIC),
    Row("GET", f"{V1}/theatres/{{theatre_id}}", PUBLIC),
    Row("GET", f"{V1}/theatres/{{theatre_id}}/prices", PUBLIC),
    Row("GET", f"{V1}/theatres/{{theatre_id}}/screens", PUBLIC),
    Row("GET", f"{V1}/screens/{{screen_id}}", PUBLIC),
    Row("GET", f"{V1}/screens/{{screen_id}}/prices", PUBLIC),
    Row("GET", f"{V1}/movies", PUBLIC),
    Row("GET", f"{V1}/movies/{{movie_id}}", PUBLIC),
    Row("GET", f"{V1}/movies/{{movie_id}}/poster", PUBLIC, poster_call),
    Row("GET", f"{V1}/shows", PUBLIC),
    Row("GET", f"{V1}/formats", PUBLIC),
    Row("GET", f"{V1}/shows/{{show_id}}", PUBLIC),
    Row("GET", f"{V1}/shows/{{show_id}}/seats", PUBLIC),
    Row("GET", f"{V1}/shows/{{show_id}}/prices", PUBLIC),
    Row("GET", f"{V1}/shows/{{show_id}}/seats/stream", PUBLIC, endless=True),
    Row("GET", f"{V1}/admin/tax-rules", PUBLIC),
    # The on-sale queue: anyone may join a queued show (the world's is not: 409) and read its
    # draw (none yet: 404); a place is the visitor token's to read, whoever calls (none: 403).
    Row("POST", f"{V1}/shows/{{show_id}}/queue", dict.fromkeys(ROLES, 409)),
    Row("GET", f"{V1}/shows/{{show_id}}/queue/me", dict.fromkeys(ROLES, 403)),
    Row("GET", f"{V1}/shows/{{show_id}}/queue/stream", dict.fromkeys(ROLES, 403)),
    Row("GET", f"{V1}/shows/{{show_id}}/queue/draw", dict.fromkeys(ROLES, 404)),
    Row("GET", f"{V1}/shows/{{show_id}}/queue/draw/places", PUBLIC),
    Row("GET", f"{V1}/shows/{{show_id}}/onsale", dict.fromkeys(ROLES, 404)),
    # An on-sale's queue, as a show's: anyone reads its draw and joins it (a place each; last,
    # as the join's cookie is the place the routes above would read and stream).
    Row("GET", f"{V1}/onsales/{{onsale_id}}", PUBLIC, onsale_call),
    Row("GET", f"{V1}/onsales/{{onsale_id}}/queue/me", dict.fromkeys(ROLES, 403), onsale_call),
    Row("GET", f"{V1}/onsales/{{onsale_id}}/queue/stream", dict.fromkeys(ROLES, 403), onsale_call),
    Row("GET", f"{V1}/onsales/{{onsale_id}}/queue/draw", dict.fromkeys(ROLES, 404), onsale_call),
    Row("GET", f"{V1}/onsales/{{onsale_id}}/queue/draw/places", PUBLIC, onsale_call),
    Row("POST", f"{V1}/onsales/{{onsale_id}}/queue", PUBLIC, onsale_call),
    Row("GET", f"{V1}/admin/tax-exemptions", PUBLIC),
    # -- accounts ----------------------------------------------------------------------------
    Row(
        "POST",
        f"{V1}/auth/register",
        PUBLIC,
        with_body(
            lambda _w: {
                "email": f"new-{uuid.uuid4().hex[:8]}@example.com",
                "password": "a-fine-password-1",
                "name": "New Person",
            }
        ),
    ),
    Row(
        "POST",
        f"{V1}/auth/login",
        PUBLIC,
        with_body(lambda w: {"email": w.customer_email, "password": CUSTOMER_PASSWORD}),
    ),
    Row(
        "POST",
        f"{V1}/auth/refresh",
        PUBLIC,
        with_body(lambda w: {"refresh_token": w.refresh_token()}),
    ),
    Row("POST", f"{V1}/auth/guest", PUBLIC),
    Row(
        "POST",
        f"{V1}/auth/logout",
        PUBLIC,  # whoever holds a refresh token may end its session
        with_body(lambda w: {"refresh_token": w.refresh_token()}),
    ),
    Row(
        "POST",
        f"{V1}/auth/password-reset",
        {role: 202 for role in ROLES},
        with_body(lambda w: {"email": w.customer_email}),
    ),
    Row(
        "POST",
        f"{V1}/auth/password-reset/confirm",
        {role: 400 for role in ROLES},  # the token decides, not who sends it
        with_body(lambda _w: {"token": "A" * 43, "new_password": "a-fine-password-2"}),
    ),
    Row(
        "POST",
        f"{V1}/me/password",
        {  # their passwords differ
            **ACCOUNTS_ONLY,
            **dict.fromkeys(("other", "outsider", "staff", "manager", "admin"), 403),
        },
        with_body(
            lambda _w: {"current_password": CUSTOMER_PASSWORD, "new_password": CUSTOMER_PASSWORD}
        ),
    ),
    Row("GET", f"{V1}/me", SIGNED_IN),
    Row("PATCH", f"{V1}/me", SIGNED_IN, with_body(lambda _w: {"phone": "+919800000000"})),
    Row("GET", f"{V1}/me/bookings", SIGNED_IN),
    # -- bookings (the customer's) -----------------------------------------------------------
    Row("GET", f"{V1}/bookings/{{booking_id}}", OWNER_OR_ADMIN),
    Row("POST", f"{V1}/bookings", SIGNED_IN, with_body(hold_body)),
    Row("POST", f"{V1}/bookings/{{booking_id}}/payments", OWNER_ONLY),
    Row("POST", f"{V1}/payments/razorpay/verify", OWNER_OR_ADMIN, verify_call),
    Row("POST", f"{V1}/webhooks/razorpay", PUBLIC, webhook_call),
    # -- tickets and the door ----------------------------------------------------------------
    Row("GET", f"{V1}/tickets/keys", PUBLIC),
    Row("GET", f"{V1}/bookings/{{booking_id}}/tickets", OWNER_OR_ADMIN, tickets_call),
    Row("GET", f"{V1}/bookings/{{booking_id}}/tickets.pdf", OWNER_OR_ADMIN, tickets_call),
    Row("GET", f"{V1}/tickets/{{ticket_id}}/qr.svg", OWNER_OR_ADMIN, qr_call),
    # -- invoices ----------------------------------------------------------------------------
    Row("GET", f"{V1}/bookings/{{booking_id}}/invoice", OWNER_STAFF_OR_ADMIN, tickets_call),
    Row("GET", f"{V1}/bookings/{{booking_id}}/invoice.pdf", OWNER_STAFF_OR_ADMIN, tickets_call),
    Row(
        "GET",
        f"{V1}/bookings/{{booking_id}}/credit-notes/{{credit_note_id}}.pdf",
        OWNER_STAFF_OR_ADMIN,
        credit_note_call,
    ),
    Row("POST", f"{V1}/checkin", STAFF_OR_ADMIN, checkin_call),
    Row("GET", f"{V1}/shows/{{show_id}}/revoked-tickets", STAFF_OR_ADMIN),
    Row("GET", f"{V1}/bookings/code/{{code}}", STAFF_OR_ADMIN, code_call),
    # -- reports -----------------------------------------------------------------------------
    Row("GET", f"{V1}/admin/shows/{{show_id}}/report", THEATRE_MANAGERS),
    Row("GET", f"{V1}/admin/reports/sales", THEATRE_MANAGERS, sales_call),
    Row("GET", f"{V1}/admin/reports/gst", THEATRE_MANAGERS, gst_call),
    Row("POST", f"{V1}/admin/staff", THEATRE_MANAGERS, with_body(staff_body)),
    Row("POST", f"{V1}/admin/managers", ADMIN_ONLY, with_body(staff_body)),
    # -- the box office (the world's staff work the door, without the counter permission) ----
    Row("POST", f"{V1}/counter/shifts", THEATRE_MANAGERS, open_shift_call),
    Row("GET", f"{V1}/counter/shifts/current", NO_SHIFT_BUT_RUNNERS, shift_call),
    Row("GET", f"{V1}/counter/shifts/{{shift_id}}", NOT_FOUND_BUT_RUNNERS, shift_call),
    Row("GET", f"{V1}/admin/shifts", THEATRE_MANAGERS, shifts_call),
    Row("POST", f"{V1}/counter/sales", THEATRE_MANAGERS, counter_sale_call),
    Row("GET", f"{V1}/counter/sales/{{booking_id}}", THEATRE_MANAGERS, counter_read_call),
    Row("GET", f"{V1}/counter/owed", THEATRE_MANAGERS, theatre_call),
    # -- administration ----------------------------------------------------------------------
    Row("GET", f"{V1}/admin/shows/{{show_id}}/bookings", THEATRE_MANAGERS),
    Row("GET", f"{V1}/admin/refunds", ADMIN_ONLY),
    Row("POST", f"{V1}/admin/refunds/{{refund_id}}/retry", ADMIN_ONLY, retry_call),
    Row("POST", f"{V1}/admin/tax-rules", ADMIN_ONLY, with_body(tax_rule_body)),
    Row("POST", f"{V1}/admin/tax-exemptions", ADMIN_ONLY, with_body(exemption_body)),
    Row("POST", f"{V1}/theatres", ADMIN_ONLY, with_body(theatre_body)),
    Row(
        "PATCH",
        f"{V1}/theatres/{{theatre_id}}",
        THEATRE_MANAGERS,
        with_body(lambda _w: {"city": "Mumbai"}),
    ),
    Row("PUT", f"{V1}/theatres/{{theatre_id}}/prices", THEATRE_MANAGERS, with_body(prices_body)),
    Row("POST", f"{V1}/theatres/{{theatre_id}}/screens", THEATRE_MANAGERS, with_body(screen_body)),
    Row("PUT", f"{V1}/screens/{{screen_id}}/prices", THEATRE_MANAGERS, with_body(prices_body)),
    Row(
        "PUT",
        f"{V1}/shows/{{show_id}}/prices",
        THEATRE_MANAGERS,
        with_body(lambda _w: [{"seat_type": "GOLD", "amount": 36000}]),
    ),
    Row(
        "PUT",
        f"{V1}/screens/{{screen_id}}/layout",
        THEATRE_MANAGERS,  # refused callers try the screen with bookings: 403 before 409
        fresh_for_allowed("screen_id", fresh_screen, {"rows": DEFAULT_ROWS}),
    ),
    Row("POST", f"{V1}/movies", OPERATORS, with_body(movie_body)),
    Row(
        "PATCH",
        f"{V1}/movies/{{movie_id}}",
        OPERATORS,
        with_body(lambda _w: {"language": "Hindi"}),
    ),
    Row("PUT", f"{V1}/movies/{{movie_id}}/poster", OPERATORS, upload_call),
    Row("POST", f"{V1}/shows", THEATRE_MANAGERS, with_body(show_body)),
    Row(
        "POST",
        f"{V1}/shows/batch",
        THEATRE_MANAGERS,
        with_body(lambda w: {"shows": [show_body(w), show_body(w)]}),
    ),
    Row("GET", f"{V1}/shows/{{show_id}}/blocks", THEATRE_MANAGERS),
    Row(  # refused callers try the world's show, which must stay unqueued
        "PUT",
        f"{V1}/shows/{{show_id}}/queue",
        THEATRE_MANAGERS,
        queue_call,
    ),
    Row(
        "DELETE",
        f"{V1}/shows/{{show_id}}/queue",
        THEATRE_MANAGERS,
        fresh_for_allowed("show_id", World.fresh_show),
    ),
    # On-sales: every show's theatre run by the caller (an admin's span theatres).
    Row("POST", f"{V1}/onsales", THEATRE_MANAGERS, onsale_create_call),
    Row("POST", f"{V1}/onsales/{{onsale_id}}/shows", THEATRE_MANAGERS, onsale_add_call),
    Row(
        "DELETE",
        f"{V1}/onsales/{{onsale_id}}/shows/{{show_id}}",
        THEATRE_MANAGERS,
        onsale_remove_call,
    ),
    Row("DELETE", f"{V1}/onsales/{{onsale_id}}", THEATRE_MANAGERS, onsale_lift_call),
    Row("POST", f"{V1}/shows/{{show_id}}/blocks", THEATRE_MANAGERS, block_call),
    Row(
        "DELETE",
        f"{V1}/shows/{{show_id}}/blocks",
        THEATRE_MANAGERS,
        with_body(lambda w: {"seat_ids": [w.free_seats[0]]}),
    ),
    # The world's show has free seats: every signed-in caller is told to hold them (409), but a
    # guest with no contact email (422).
    Row(
        "POST",
        f"{V1}/shows/{{show_id}}/waitlist",
        {**dict.fromkeys(ROLES, 409), "anonymous": 401, "guest": 422},
        with_body(lambda _w: {"party": 1}),
    ),
    Row("GET", f"{V1}/shows/{{show_id}}/waitlist", THEATRE_MANAGERS),
    Row("GET", f"{V1}/waitlist/{{entry_id}}", OWNER_OR_ADMIN, entry_call),
    Row(
        "POST",
        f"{V1}/waitlist/{{entry_id}}/decline",
        {**OWNER_OR_ADMIN, "customer": 409, "admin": 409},  # no offer to decline
        entry_call,
    ),
    # -- destructive, last; allowed callers get objects of their own -------------------------
    Row(
        "POST",
        f"{V1}/bookings/{{booking_id}}/cancel",
        OWNER_OR_ADMIN,
        fresh_for_allowed("booking_id", World.fresh_booking),
    ),
    Row(
        "POST",
        f"{V1}/shows/{{show_id}}/cancel",
        THEATRE_MANAGERS,
        fresh_for_allowed("show_id", World.fresh_show),
    ),
    Row(
        "DELETE",
        f"{V1}/movies/{{movie_id}}/poster",
        OPERATORS,
        fresh_for_allowed("movie_id", World.movie_with_poster),
    ),
    Row(
        "DELETE",
        f"{V1}/movies/{{movie_id}}",
        ADMIN_ONLY,  # refused callers try the movie with shows: 403 before 409
        fresh_for_allowed("movie_id", lambda w: str(create_movie(w.client, w.admin)["id"])),
    ),
    Row("POST", f"{V1}/counter/sales/{{booking_id}}/refund", THEATRE_MANAGERS, counter_refund_call),
    Row("POST", f"{V1}/counter/shifts/{{shift_id}}/close", NOT_FOUND_BUT_RUNNERS, shift_call),
    Row("DELETE", f"{V1}/waitlist/{{entry_id}}", OWNER_OR_ADMIN, fresh_entry_call),
    Row("POST", f"{V1}/auth/logout-all", ACCOUNTS_ONLY),  # access tokens live on: nothing after
]


def build_world(client: httpx.Client, db: Any) -> World:
    admin = make_admin(client, db)
    customer_email = f"customer-{uuid.uuid4().hex[:8]}@example.com"
    customer = register(client, customer_email, CUSTOMER_PASSWORD)
    other = register(client)
    guest_response = client.post("/api/v1/auth/guest")
    assert guest_response.status_code in (200, 201), guest_response.text
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"])
    movie = create_movie(client, admin)
    show = create_show(
        client, admin, movie["id"], screen["id"], future(datetime.now().astimezone(), days=2)
    )
    seats = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    held = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": seats[:2]}, headers=customer
    )
    assert held.status_code == 201, held.text
    soon = create_show(
        client,
        admin,
        movie["id"],
        screen["id"],
        (datetime.now().astimezone() + timedelta(minutes=60)).replace(microsecond=0),
    )
    staff = client.post("/api/v1/admin/staff", json=staff_body_for(theatre["id"]), headers=admin)
    assert staff.status_code == 201, staff.text
    elsewhere = create_theatre(client, admin, name="Elsewhere")
    managers = {}
    for role, managed in (("manager", theatre), ("outsider", elsewhere)):
        made = client.post(
            "/api/v1/admin/managers", json=staff_body_for(managed["id"]), headers=admin
        )
        assert made.status_code == 201, made.text
        managers[role] = login(client, made.json()["email"], "staff-password-1")
    return World(
        client=client,
        admin=admin,
        customer=customer,
        customer_email=customer_email,
        other=other,
        guest=bearer(guest_response.json()["access_token"]),
        staff=login(client, staff.json()["email"], "staff-password-1"),
        manager=managers["manager"],
        outsider=managers["outsider"],
        soon_show_id=soon["id"],
        theatre_id=theatre["id"],
        screen_id=screen["id"],
        movie_id=movie["id"],
        show_id=show["id"],
        booking_id=held.json()["id"],
        free_seats=seats[2:],
    )


def matches(expected: int | str, status: int) -> bool:
    return 200 <= status < 300 if expected == OK else status == expected


def test_the_matrix_covers_every_route(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    tabled = {(row.method, row.path) for row in MATRIX}
    assert sorted(documented - tabled) == [], "routes with no row in MATRIX: add their rules"
    assert sorted(tabled - documented) == [], "rows for routes the API does not serve"
    assert all(set(row.expect) == set(ROLES) for row in MATRIX)


def test_every_route_answers_each_role_as_the_table_says(client: httpx.Client, db: Any) -> None:
    world = build_world(client, db)
    wrong: list[str] = []
    for row in MATRIX:
        for role in ROLES:
            expected = row.expect[role]
            call = row.build(world, role, expected == OK)
            url = row.path.format(**call.path_params) if call.path_params else row.path
            request = client.build_request(
                row.method,
                url,
                json=call.json,
                params=call.params,
                content=call.content,
                headers={**world.headers(role), **call.headers},
            )
            response = client.send(request, stream=row.endless)
            if row.endless and response.status_code == 200:
                response.close()  # the stream opened: that is all this row asks
            else:
                response.read()
            if not matches(expected, response.status_code):
                wrong.append(
                    f"{row.method} {row.path} as {role}: expected {expected}, "
                    f"got {response.status_code} {response.text[:160]}"
                )
            elif response.status_code >= 400 and not response.headers.get(
                "content-type", ""
            ).startswith("application/problem+json"):
                wrong.append(f"{row.method} {row.path} as {role}: refusal is not problem+json")
    assert not wrong, "\n".join(["authorisation matrix mismatches:", *wrong])

    # Refused callers changed nothing: the shared booking and show are as they were.
    booking = client.get(f"/api/v1/bookings/{world.booking_id}", headers=world.customer).json()
    assert booking["status"] == "PENDING", booking
    show = client.get(f"/api/v1/shows/{world.show_id}").json()
    assert show["status"] == "SCHEDULED", show
    shared_ticket = world.ticket(world.shared_paid())
    assert shared_ticket["status"] == "VALID", shared_ticket  # refused scans admitted no one
    layout = client.get(f"/api/v1/screens/{world.screen_id}").json()
    assert len(layout["seats"]) == 16  # DEFAULT_ROWS: 4 + 6 + 6, untouched by refused callers
    movie = client.get(f"/api/v1/movies/{world.movie_id}").json()
    assert movie["poster_url"] is not None  # refused callers took no poster down


def test_a_spent_or_wrong_kind_of_token_is_401(client: httpx.Client, db: Any) -> None:
    """A refresh token is not an access token; garbage and another secret's tokens are not
    tokens; a guest token spent by linking answers 401 (SPEC "Guests")."""
    world = build_world(client, db)
    refresh = world.refresh_token()
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    for headers in (
        bearer(refresh),
        bearer("not-a-jwt"),
        bearer(forged),
        {"Authorization": "Basic eA=="},
    ):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, (headers, response.text)
    guest_response = client.post("/api/v1/auth/guest")
    token = guest_response.json()["access_token"]
    register(client, guest_token=token)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_the_sandbox_api_wants_its_own_keys_whatever_token_is_shown(
    client: httpx.Client, db: Any
) -> None:
    """The sandbox stands in for Razorpay: its REST API takes its key id and secret (basic
    auth), never a Boxoffice token, admin's included. (With real keys it is not there at all:
    tests/payments/test_sandbox_mode.py.)"""
    world = build_world(client, db)
    routes = sorted(
        (method, "/_sandbox/razorpay" + route.path.replace("{", "x_").replace("}", ""))
        for route in sandbox_api.routes
        for method in getattr(route, "methods", ())
    )
    assert len(routes) >= 8
    for role in ROLES:
        for method, path in routes:
            response = client.request(method, path, json={}, headers=world.headers(role))
            assert response.status_code == 401, (role, method, path, response.text)
            assert response.json()["error"]["code"] == "BAD_REQUEST_ERROR"


def test_metrics_answer_only_the_metrics_token(client: httpx.Client, db: Any) -> None:
    world = build_world(client, db)
    token = "scraper-token-" + uuid.uuid4().hex
    with running_app(db.url, metrics_token=token) as server, loopback_client() as http:
        for role in ROLES:
            refused = http.get(f"{server.url}/metrics", headers=world.headers(role))
            assert refused.status_code == 401, role
            assert refused.headers["content-type"] == "application/problem+json"
        scraper = http.get(f"{server.url}/metrics", headers=bearer(token))
        assert scraper.status_code == 200
