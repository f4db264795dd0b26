"""The purchase storm (`checkout` phase, issue 27): C buyers at once, each a whole purchase as
an on-sale crowd makes it, through every API process and a standalone `boxoffice sandbox`:

1. sets a contact email (`PATCH /me`: a guest pays with one);
2. holds 2 best-available seats (`POST /bookings {"show_id", "quantity": 2}`);
3. creates the Razorpay order (`POST /bookings/{id}/payments`: the server calls the sandbox);
4. pays at the sandbox's Checkout (`POST <sandbox>/checkout/{order}`), which sends the
   `payment.captured` and `order.paid` webhooks to the API on its own, after its answer;
5. verifies (`POST /payments/razorpay/verify`): the booking is BOOKED.

Each buyer is a guest of its own, made before the clock starts. The phase ends when its time
is up or the show is sold out, and its CPU is counted until the sandbox has delivered every
webhook of its purchases: CPU per purchase covers all their requests and webhooks.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from typing import Any

import aiohttp

from bench.client import Api, guests, new_session, request
from bench.scenarios import Context, paid_once_audit, paid_once_ok, seat_audit
from bench.stats import MAX_ITERATIONS, Recorder

STEPS = ("email", "hold", "order", "checkout", "verify")
WEBHOOKS_WITHIN_S = 60.0  # bound on waiting for the sandbox's last deliveries
HOLD_TRIES = 20  # a buyer whose 2 best seats were taken in a race asks again


async def purchase_storm(
    ctx: Context,
    sandbox_url: str,
    show_id: str,
    seats: int,
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    buyers_wanted = seats // 2
    whole = Recorder()
    completed: list[tuple[str, str]] = []  # (booking id, order id)
    orders: list[str] = []
    sold_out = False
    # A buyer's next request to a process can come seconds after its last (the sandbox sees
    # each buyer once a purchase): idle connections are dropped before the server drops them.
    async with new_session(keepalive_timeout=3.0) as http:
        buyers = await guests(Api(http, ctx.url(0)), buyers_wanted, 32)
        queue = iter(range(len(buyers)))
        deadline = time.monotonic() + seconds

        step = Steps(http, STEPS)

        async def purchase(index: int, base: str) -> bool | None:
            """True: BOOKED; False: failed on the way; None: sold out."""
            who = buyers[index].headers
            api = f"{base}/api/v1"
            began = time.perf_counter()
            status, _ = await step(
                "email", "PATCH", f"{api}/me", {"email": f"buyer{index}@example.com"}, who
            )
            if status != 200:
                return False
            for _ in range(HOLD_TRIES):
                status, hold = await step(
                    "hold", "POST", f"{api}/bookings", {"show_id": show_id, "quantity": 2}, who
                )
                if status != 409:
                    break
                # Seats taken in a race: ask again; fewer than 2 left: the show is sold out.
                if hold is not None and hold.get("available", 2) < 2:
                    return None
            if status != 201 or hold is None:
                return False
            order_id = await pay_for(step, api, sandbox_url, who, hold["id"], index, orders)
            if order_id is None:
                return False
            whole.add(200, time.perf_counter() - began)
            completed.append((hold["id"], order_id))
            return True

        async def buyer(client: int) -> None:
            nonlocal sold_out
            base = ctx.url(client)
            for _ in range(MAX_ITERATIONS):
                if sold_out or time.monotonic() >= deadline:
                    return
                index = next(queue, None)
                if index is None:
                    return
                if await purchase(index, base) is None:
                    sold_out = True

        ctx.cpu.start()
        started = time.monotonic()
        await asyncio.gather(*(buyer(i) for i in range(concurrency)))
        elapsed = time.monotonic() - started
        undelivered = await _wait_for_webhooks(ctx, orders)
        total_seconds = time.monotonic() - started
        usage = ctx.cpu.stop()
    audit = await _audit(ctx, show_id, completed, orders, undelivered)
    done = len(completed)
    per_purchase = {
        f"{group}_ms": round(usage.get(group, 0.0) * 10 * total_seconds / done, 2) if done else None
        for group in ("api", "postgres", "pg_ended", "sandbox", "generator")
    }
    errors = sum(recorder.errors() for recorder in step.recorders.values())
    return {
        "concurrency": concurrency,
        "seats": seats,
        "buyers": len(buyers),
        "seconds": round(elapsed, 2),
        "seconds_until_webhooks_delivered": round(total_seconds, 2),
        "completed": done,
        "sold_out": sold_out,
        "purchases_per_s": round(done / elapsed, 1) if elapsed else None,
        "purchase": whole.summary(elapsed),
        "steps": {name: recorder.summary(elapsed) for name, recorder in step.recorders.items()},
        "errors_5xx": errors,
        "audit": audit,
        "audit_ok": audit["ok"],
        "cpu": usage,
        "cpu_ms_per_purchase": per_purchase,
    }


class Steps:
    """The steps of purchases, each timed and counted under its name; an answer is parsed, or
    None when it failed (a hold's 409 is parsed too: how many are left, or which were taken)."""

    def __init__(self, http: aiohttp.ClientSession, names: tuple[str, ...]) -> None:
        self.http = http
        self.recorders = {name: Recorder() for name in names}

    async def __call__(
        self, name: str, method: str, url: str, body: Any, headers: dict[str, str] | None
    ) -> tuple[int | str, Any]:
        began = time.perf_counter()
        status, raw, _ = await request(self.http, method, url, body=body, headers=headers)
        self.recorders[name].add(status, time.perf_counter() - began)
        if name == "hold" and status == 409:
            return status, json.loads(raw)
        if status not in (200, 201):
            self.recorders[name].note(f"{status} {raw[:200]!r}")
            return status, None
        return status, json.loads(raw)


async def pay_for(
    step: Steps,
    api: str,
    sandbox_url: str,
    who: dict[str, str],
    booking_id: str,
    index: int,
    orders: list[str],
) -> str | None:
    """A held booking paid as a customer pays it: the order, the sandbox's Checkout (which sends
    the webhooks on its own), then verify. The order id once BOOKED, else None."""
    _, order = await step("order", "POST", f"{api}/bookings/{booking_id}/payments", None, who)
    if order is None:
        return None
    orders.append(order["order_id"])
    _, paid = await step(
        "checkout",
        "POST",
        f"{sandbox_url}/checkout/{order['order_id']}",
        {"outcome": "success", "email": f"buyer{index}@example.com"},
        None,
    )
    if paid is None:
        return None
    _, booking = await step("verify", "POST", f"{api}/payments/razorpay/verify", paid, who)
    if booking is None or booking.get("status") != "BOOKED":
        return None
    return str(order["order_id"])


PAID_SELL_OUT_STEPS = ("hold", "order", "checkout", "verify")


async def paid_sell_out(
    ctx: Context,
    sandbox_url: str,
    show_id: str,
    seats: int,
    clients: int,
    seed: int = 99,
) -> dict[str, Any]:
    """The sell-out race with payment (issue 27): `clients` customers at once, each wanting 1-4
    seats of a `seats`-seat show by best available (told that only N are left, it asks for N,
    and stops at 0), and every winner pays at once: the order, the sandbox's Checkout, verify,
    the webhooks following. Each customer is a guest with an email, made before the clock.

    The clock stops when the last winner's verify answers BOOKED; the audit then wants every
    seat in a BOOKED booking, each winner's booking BOOKED once with one captured payment, no
    refund, every webhook answered 200 and no seat in two live bookings."""
    winners: list[tuple[str, str]] = []  # (booking id, order id)
    orders: list[str] = []
    booked_at: list[float] = []
    async with new_session(keepalive_timeout=3.0) as http:
        api = Api(http, ctx.url(0))
        customers = await guests(api, clients, concurrency=min(clients, 256))
        gate = asyncio.Semaphore(256)

        async def with_email(index: int) -> None:
            async with gate:
                email = {"email": f"buyer{index}@example.com"}
                await api.call("PATCH", "/api/v1/me", email, customers[index].headers)

        await asyncio.gather(*(with_email(i) for i in range(clients)))
        step = Steps(http, PAID_SELL_OUT_STEPS)

        async def customer(index: int) -> None:
            rng = random.Random(seed + index)
            want, who = rng.randint(1, 4), customers[index].headers
            base = f"{ctx.url(index)}/api/v1"
            for _ in range(HOLD_TRIES):
                if want == 0:
                    return
                status, hold = await step(
                    "hold", "POST", f"{base}/bookings", {"show_id": show_id, "quantity": want}, who
                )
                if status == 201:
                    break
                if status != 409 or hold is None:
                    return
                want = min(want, hold.get("available", want))
            else:
                return
            order_id = await pay_for(step, base, sandbox_url, who, hold["id"], index, orders)
            if order_id is not None:
                winners.append((hold["id"], order_id))
                booked_at.append(time.perf_counter() - started)

        ctx.cpu.start()
        started = time.perf_counter()
        await asyncio.gather(*(customer(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
        undelivered = await _wait_for_webhooks(ctx, orders)
        usage = ctx.cpu.stop()
    audit = await _audit(ctx, show_id, winners, orders, undelivered)
    seats_booked: int = await ctx.db.fetchval(
        "SELECT count(*) FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id"
        " WHERE b.show_id = $1 AND b.status = 'BOOKED'",
        uuid.UUID(show_id),
    )
    errors = sum(recorder.errors() for recorder in step.recorders.values())
    return {
        "clients": clients,
        "seats": seats,
        "winners": len(winners),
        "seats_booked": seats_booked,
        "sold_and_paid": seats_booked == seats,
        "seconds_to_last_booked": round(max(booked_at), 2) if booked_at else None,
        "seconds": round(elapsed, 2),
        "steps": {name: r.summary(elapsed) for name, r in step.recorders.items()},
        "errors_5xx": errors,
        "audit": audit,
        "audit_ok": audit["ok"] and seats_booked == seats,
        "cpu": usage,
    }


def describe_paid_sell_out(row: dict[str, Any]) -> str:
    return (
        f"{row['clients']} clients, {row['seats']} seats: {row['winners']} winners, "
        f"{row['seats_booked']} seats BOOKED, the last at {row['seconds_to_last_booked']} s; "
        f"5xx {row['errors_5xx']}; "
        + "; ".join(
            f"{name} p50/p99 {step['p50_ms']}/{step['p99_ms']} ms {step['statuses']}"
            for name, step in row["steps"].items()
        )
        + f"; audit {row['audit']} ok {row['audit_ok']}"
    )


async def _wait_for_webhooks(ctx: Context, orders: list[str]) -> int:
    """Polls (bounded) until the sandbox has sent every event of these orders at least once;
    returns how many were still unsent when the bound ran out."""
    deadline = time.monotonic() + WEBHOOKS_WITHIN_S
    while True:
        left: int = await ctx.db.fetchval(
            "SELECT count(*) FROM razorpay_sandbox_events"
            " WHERE order_id = ANY($1::text[]) AND deliveries = 0",
            orders,
        )
        if left == 0 or time.monotonic() >= deadline:
            return left
        await asyncio.sleep(0.05)


async def _audit(
    ctx: Context,
    show_id: str,
    completed: list[tuple[str, str]],
    orders: list[str],
    undelivered: int,
) -> dict[str, Any]:
    """Every completed purchase BOOKED once with one captured payment, no refund, every webhook
    answered 200, no seat in two live bookings."""
    bookings = [uuid.UUID(booking) for booking, _ in completed]
    paid_once = await paid_once_audit(ctx.db, bookings)
    hooks = await ctx.db.fetch(
        "SELECT coalesce(last_status::text, 'none') AS status, count(*) AS n"
        " FROM razorpay_sandbox_events WHERE order_id = ANY($1::text[]) GROUP BY 1",
        orders,
    )
    webhook_statuses = {row["status"]: row["n"] for row in hooks}
    seats = await seat_audit(ctx.db, show_id)
    done = len(completed)
    ok = (
        paid_once_ok(paid_once, done)
        and undelivered == 0
        and set(webhook_statuses) <= {"200"}
        and seats["seats_in_two_live_bookings"] == 0
        and seats["live_booking_seats_not_owned"] == 0
    )
    return {
        **paid_once,
        "webhooks_undelivered": undelivered,
        "webhook_last_statuses": webhook_statuses,
        "seats": seats,
        "ok": ok,
    }
