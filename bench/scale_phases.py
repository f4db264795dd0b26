"""The phases of `make bench-scale`, timed on one database: each request sent one at a time to an
in-process app (`create_app`, httpx's ASGI transport, as bench/statements.py does), the median
of a few rounds after two warm-up rounds. One at a time on purpose: the question is how each
request's own cost grows with the data, not how much a 2-core machine serves (that is `make
bench`); the sweeper runs as `boxoffice worker --once` (bench/scenarios.py).

`run` loads an empty database of the same chain (its days still to come only, sold as they
are: no year behind them) beside the full one, runs the phases on both and prints full/empty.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench import infra, scale_load, scenarios

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@scale.example", "scale-admin-password-1"
TARGET_RATIO = 1.3
YEAR_REPORT_LIMIT_MS = 1000
EXPIRING_HOLDS = 10_000
CONTROL = "seat map 304"


async def _median(rounds: int, work: Callable[[], Awaitable[Any]]) -> float:
    timings = []
    for _ in range(rounds + 2):
        started = time.perf_counter()
        await work()
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings[2:]), 2)


def _ok(response: httpx.Response, *codes: int) -> httpx.Response:
    if response.status_code not in (codes or (200,)):
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response


async def phases(
    url: str, jwt_secret: str, rounds: int = 15, admin: bool = True
) -> dict[str, float]:
    """Milliseconds per phase (the sweep: seconds of the worker's pass) on `url`'s chain."""
    from boxoffice.app import create_app
    from boxoffice.config import Settings

    env = infra.base_env(url, jwt_secret)
    if admin:
        infra.run_cli(["create-admin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD], env)
    db = await asyncpg.connect(url)
    try:
        # The regular customer signs in with the admin's password (its hash, copied).
        await db.execute(
            "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = $1)"
            " WHERE email = $2",
            ADMIN_EMAIL,
            scale_load.REGULAR_EMAIL,
        )
        theatre = await db.fetchrow("SELECT id, city FROM theatres ORDER BY name LIMIT 1")
        soon = datetime.now(UTC) + timedelta(hours=1)
        coming = await db.fetch(
            "SELECT id, starts_at, theatre_id FROM shows WHERE starts_at > $1"
            " ORDER BY starts_at, id LIMIT 200",
            soon,
        )
        future = [str(r["id"]) for r in coming]
        past_show = await db.fetchval(
            "SELECT id FROM shows WHERE starts_at < now() ORDER BY starts_at DESC LIMIT 1"
        )
    finally:
        await db.close()
    settings = Settings(
        database_url=url,
        jwt_secret=jwt_secret,
        rate_limit_enabled=False,
        razorpay_sandbox=True,
        log_level="WARNING",
        db_pool_size=2,
        db_max_overflow=0,
    )
    app = create_app(settings)
    figures: dict[str, float] = {}
    today = datetime.now(UTC).date()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://scale") as http:
            guest = _ok(await http.post("/api/v1/auth/guest"), 200, 201).json()["access_token"]
            as_guest = {"Authorization": f"Bearer {guest}"}

            async def login(email: str) -> dict[str, str]:
                answer = await http.post(
                    "/api/v1/auth/login", json={"email": email, "password": ADMIN_PASSWORD}
                )
                return {"Authorization": f"Bearer {_ok(answer).json()['access_token']}"}

            as_admin = await login(ADMIN_EMAIL)
            as_regular = await login(scale_load.REGULAR_EMAIL)
            show = future[0]
            seats = [
                s["id"]
                for s in _ok(await http.get(f"/api/v1/shows/{show}/seats")).json()["seats"]
                if s["status"] == "AVAILABLE"
            ]
            turn = iter(range(10**6))

            async def hold_cancel(who: dict[str, str], body: dict[str, Any]) -> None:
                held = _ok(await http.post("/api/v1/bookings", json=body, headers=who), 201)
                cancel = f"/api/v1/bookings/{held.json()['id']}/cancel"
                _ok(await http.post(cancel, headers=who))

            async def hold() -> None:
                k = next(turn) % (len(seats) // 2)
                await hold_cancel(as_guest, {"show_id": show, "seat_ids": seats[2 * k : 2 * k + 2]})

            async def best() -> None:
                await hold_cancel(as_guest, {"show_id": show, "quantity": 2})

            async def regular_hold() -> None:
                k = next(turn) % (len(seats) // 2)
                body = {"show_id": show, "seat_ids": seats[2 * k : 2 * k + 2]}
                await hold_cancel(as_regular, body)

            async def regular_list() -> None:
                _ok(await http.get("/api/v1/me/bookings?limit=20", headers=as_regular))

            maps = iter(future[1:40] * 100)

            async def seat_map_cold() -> None:
                _ok(await http.get(f"/api/v1/shows/{next(maps)}/seats"))

            tags: list[str] = []

            async def seat_map_304() -> None:
                if not tags:  # taken once the holds before it are done
                    tags.append(_ok(await http.get(f"/api/v1/shows/{show}/seats")).headers["etag"])
                known = {"If-None-Match": tags[0]}
                _ok(await http.get(f"/api/v1/shows/{show}/seats", headers=known), 304)

            async def shows_list() -> None:
                when = (today + timedelta(days=1)).isoformat()
                _ok(await http.get(f"/api/v1/shows?city={theatre['city']}&date={when}"))

            async def show_report() -> None:
                _ok(await http.get(f"/api/v1/admin/shows/{past_show}/report", headers=as_admin))

            def sales(days: int) -> Callable[[], Awaitable[None]]:
                async def report() -> None:
                    query = (
                        f"theatre_id={theatre['id']}&from={today - timedelta(days=days - 1)}"
                        f"&to={today}"
                    )
                    _ok(await http.get(f"/api/v1/admin/reports/sales?{query}", headers=as_admin))

                return report

            async def gst() -> None:
                query = f"theatre_id={theatre['id']}&month={today:%Y-%m}"
                _ok(await http.get(f"/api/v1/admin/reports/gst?{query}", headers=as_admin))

            for name, work, n in (
                ("hold + cancel", hold, rounds),
                ("best available + cancel", best, rounds),
                ("seat map 200 (not cached)", seat_map_cold, rounds),
                ("seat map 304", seat_map_304, rounds),
                (
                    f"customer of {scale_load.REGULAR_BOOKINGS} bookings: hold + cancel",
                    regular_hold,
                    rounds,
                ),
                ("customer: list bookings", regular_list, rounds),
                ("/shows?city=&date=", shows_list, rounds),
                ("show report", show_report, rounds),
                ("sales report, a month", sales(30), 5),
                ("sales report, a year", sales(365), 3),
                ("GST report, a month", gst, 5),
            ):
                figures[name] = await _median(n, work)
            figures["check-in"] = await _check_in(http, app, as_admin, coming[0], rounds)
    finally:
        await app.state.engine.dispose()
    db = await asyncpg.connect(url)
    try:
        guest_id = await db.fetchval("SELECT id FROM guests LIMIT 1")
        await scenarios.insert_expired_holds(db, future[1:], str(guest_id), EXPIRING_HOLDS)
    finally:
        await db.close()
    swept = await scenarios.run_worker_once(env)
    figures[f"sweeper, {EXPIRING_HOLDS:,} expiring holds (s)"] = swept["pass_seconds"]
    return figures


async def _check_in(
    http: httpx.AsyncClient, app: Any, admin: dict[str, str], show: Any, rounds: int
) -> float:
    """A ticket scanned at the door by the theatre's staff (`POST /checkin`), each scan a new
    ticket: sold at the counter beforehand (not timed), found by its booking's code as at the
    door, then scanned with the app's clock moved to half an hour before the show (a ticket
    opens the door 3 hours before it)."""
    email = f"door-{uuid.uuid4().hex[:8]}@scale.example"
    staff = {
        "email": email,
        "password": ADMIN_PASSWORD,
        "name": "Door",
        "theatre_ids": [str(show["theatre_id"])],
        "permissions": ["counter"],
    }
    _ok(await http.post("/api/v1/admin/staff", json=staff, headers=admin), 201)
    signed_in = {"email": email, "password": ADMIN_PASSWORD}

    async def sign_in() -> dict[str, str]:
        answer = await http.post("/api/v1/auth/login", json=signed_in)
        return {"Authorization": f"Bearer {_ok(answer).json()['access_token']}"}

    as_staff = await sign_in()
    shift = {"theatre_id": str(show["theatre_id"]), "float": 0}
    _ok(await http.post("/api/v1/counter/shifts", json=shift, headers=as_staff), 201)
    codes: list[str] = []
    for _ in range((rounds + 3) // 2):
        sale = {"show_id": str(show["id"]), "quantity": 2, "payment": {"method": "CASH"}}
        sold = _ok(await http.post("/api/v1/counter/sales", json=sale, headers=as_staff), 201)
        codes.append(sold.json()["code"])
    qrs = []
    for code in codes:
        door = _ok(await http.get(f"/api/v1/bookings/code/{code}", headers=as_staff))
        qrs += [ticket["qr"] for ticket in door.json()["tickets"]]
    clock = app.state.clock
    clock.advance(show["starts_at"] - timedelta(minutes=30) - clock.now())
    as_staff = await sign_in()  # the token signed before the clock moved may have expired
    tickets = iter(qrs)

    async def scan() -> None:
        body = {"qr": next(tickets), "gate": "G1"}
        _ok(await http.post("/api/v1/checkin", json=body, headers=as_staff))

    try:
        return await _median(rounds, scan)
    finally:
        clock.offset = timedelta(0)


def run(url: str, jwt_secret: str, chain: scale_load.Chain) -> dict[str, Any]:
    """The phases on an empty database of the chain, then on the loaded one at `url`."""
    # A month behind it (the month reports read the same month on both) and the days to come.
    empty_chain = replace(chain, days=min(chain.days, chain.future + 31))
    with infra.fresh_database() as empty_url:
        from bench.scale import load_chain

        print(f"empty: {empty_chain}")
        load_chain(empty_url, jwt_secret, empty_chain)
        # Twice each, interleaved, the lower figure kept: neither pays alone for the first
        # run's cold process and caches.
        first = asyncio.run(phases(empty_url, jwt_secret))
        full = asyncio.run(phases(url, jwt_secret))
        empty = asyncio.run(phases(empty_url, jwt_secret, admin=False))
        empty = {k: min(v, first[k]) for k, v in empty.items()}
    again = asyncio.run(phases(url, jwt_secret, admin=False))
    full = {k: min(v, again[k]) for k, v in full.items()}
    # The control: a 304 from the process's memory reads no database, so its ratio is the
    # machine's load then against now (other sessions share the cores), not the data's; each
    # phase's ratio is also given divided by it, and judged on that.
    control = full[CONTROL] / empty[CONTROL] if empty[CONTROL] else 1.0
    print(f"\ncontrol ({CONTROL}): full/empty {control:.2f} (the machine's load, not the data)")
    print(f"{'phase':<52} {'empty':>8} {'full':>8} {'ratio':>6} {'÷ctl':>6}")
    rows = {}
    for (name, e), f in zip(empty.items(), full.values(), strict=True):
        ratio = round(f / e, 2) if e else None
        adjusted = round(ratio / control, 2) if ratio is not None else None
        limit = "< 1 s" if "a year" in name else f"<= {TARGET_RATIO}"
        met = (f < YEAR_REPORT_LIMIT_MS) if "a year" in name else (adjusted or 0) <= TARGET_RATIO
        print(
            f"{name:<52} {e:>8} {f:>8} {ratio!s:>6} {adjusted!s:>6}  {limit} "
            f"{'MET' if met else 'MISS'}"
        )
        rows[name] = {"empty": e, "full": f, "ratio": ratio, "adjusted": adjusted, "met": met}
    return rows
