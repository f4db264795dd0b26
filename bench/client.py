"""The load generator's HTTP side (aiohttp; see /work/shared/BENCHMARKING.md for why not httpx)
and the set-up of a catalogue through the public API (SPEC.md "Exact shapes")."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

Headers = dict[str, str]
JSON_HEADERS = {"Content-Type": "application/json"}


def new_session(limit: int = 0, keepalive_timeout: float = 15.0) -> aiohttp.ClientSession:
    """Keep-alive connections, no client-side cap unless asked (the tasks are the cap).
    `keepalive_timeout` under uvicorn's 5 s for clients that may leave a connection idle that
    long: else a request can go out on a connection the server is closing (ClientOSError)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=limit,
            ttl_dns_cache=None,
            enable_cleanup_closed=True,
            keepalive_timeout=keepalive_timeout,
        ),
        timeout=aiohttp.ClientTimeout(total=30),
        skip_auto_headers=("User-Agent",),
    )


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    body: Any = None,
    data: bytes | None = None,
    headers: Headers | None = None,
) -> tuple[int | str, bytes, Any]:
    """One request; transport failures come back as status "exc:<Name>" instead of raising."""
    if body is not None:
        data = json.dumps(body).encode()
        headers = {**JSON_HEADERS, **(headers or {})}
    try:
        async with session.request(method, url, data=data, headers=headers) as response:
            return response.status, await response.read(), response.headers
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return f"exc:{type(exc).__name__}", b"", {}


class SetupError(RuntimeError):
    pass


@dataclass
class Api:
    session: aiohttp.ClientSession
    base: str

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Headers | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        status, raw, _ = await request(
            self.session, method, self.base + path, body=body, headers=headers
        )
        if status not in ok:
            raise SetupError(f"{method} {path} -> {status}: {raw[:600]!r}")
        return json.loads(raw) if raw else None


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def token_subject(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


@dataclass
class Customer:
    headers: Headers
    id: str


async def login(api: Api, email: str, password: str) -> Headers:
    answer = await api.call("POST", "/api/v1/auth/login", {"email": email, "password": password})
    return bearer(answer["access_token"])


async def guests(api: Api, count: int, concurrency: int) -> list[Customer]:
    """`count` guest identities (POST /api/v1/auth/guest), `concurrency` at a time."""
    made: list[Customer] = []
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            token = (await api.call("POST", "/api/v1/auth/guest"))["access_token"]
            made.append(Customer(bearer(token), token_subject(token)))

    await asyncio.gather(*(one() for _ in range(count)))
    return made


def row_label(index: int) -> str:
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = chr(ord("A") + rest) + label
    return label


def layout(rows: int, per_row: int) -> list[dict[str, Any]]:
    types = ["VIP"] * max(1, rows // 5) + ["GOLD"] * max(1, rows * 3 // 10)
    types += ["SILVER"] * (rows - len(types))
    aisles = [a for a in (per_row // 5, per_row - per_row // 5) if 0 < a < per_row]
    return [
        {"label": row_label(r), "seat_type": types[r], "seats": per_row, "aisles_after": aisles}
        for r in range(rows)
    ]


PRICES = {"VIP": 50000, "GOLD": 35000, "SILVER": 20000}


@dataclass
class Catalogue:
    main_show: str  # hold storm, seat map, sweep-time storm
    sellout_show: str
    best_sellout_show: str  # the same sell-out, buyers asking for best available
    raw_show: str  # the database-limit clients' own show
    main_seats: list[str]
    sellout_seats: list[str]
    best_sellout_seats: list[str]
    raw_seats: list[str]
    big_shows: list[str] = field(default_factory=list)  # sweep shows, then the webhook show
    big_seats: dict[str, list[str]] = field(default_factory=dict)
    checkout_show: str = ""  # the purchase storm's own show (its own screen)
    checkout_seats: int = 0
    queue_show: str = ""  # the on-sale queue's show (the sale screen, after the purchases')
    paid_sellout_show: str = ""  # the sell-out race with payment (a main-screen show)


async def seat_ids(api: Api, show_id: str) -> list[str]:
    seat_map = await api.call("GET", f"/api/v1/shows/{show_id}/seats")
    return [seat["id"] for seat in seat_map["seats"]]


async def build_catalogue(
    api: Api,
    admin: Headers,
    main: tuple[int, int],
    big: tuple[int, int],
    big_shows: int,
    checkout: tuple[int, int] = (1, 2),
) -> Catalogue:
    """A theatre with prices, a main screen (rows x seats) with five shows, a big screen
    with `big_shows` shows and a sale screen with one show, all through the admin API."""
    theatre = await api.call(
        "POST",
        "/api/v1/theatres",
        {
            "name": "Bench Multiplex",
            "city": "Benchpur",
            "address": "1 Load Street",
            "timezone": "Asia/Kolkata",
            "holidays": [],
        },
        admin,
    )
    rules = [
        {"seat_type": seat_type, "day_type": day_type, "amount": amount}
        for seat_type, amount in PRICES.items()
        for day_type in ("WEEKDAY", "WEEKEND", "HOLIDAY")
    ]
    await api.call("PUT", f"/api/v1/theatres/{theatre['id']}/prices", rules, admin)
    screens = []
    for name, (rows, per_row) in (("Audi Main", main), ("Audi Big", big), ("Audi Sale", checkout)):
        screen = await api.call(
            "POST",
            f"/api/v1/theatres/{theatre['id']}/screens",
            {"name": name, "rows": layout(rows, per_row)},
            admin,
        )
        screens.append(screen["id"])
    movie = await api.call(
        "POST",
        "/api/v1/movies",
        {
            "title": "Benchmark Nights",
            "duration_minutes": 120,
            "language": "Hindi",
            "certificate": "UA",
            "genres": ["Drama"],
            "release_date": "2026-01-01",
        },
        admin,
    )
    local = (datetime.now(ZoneInfo("Asia/Kolkata")) + timedelta(days=2)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )

    async def show(screen: str, index: int) -> str:
        starts = local + timedelta(hours=3 * index)
        body = {"movie_id": movie["id"], "screen_id": screen, "starts_at": starts.isoformat()}
        return str((await api.call("POST", "/api/v1/shows", body, admin))["id"])

    main_shows = [await show(screens[0], i) for i in range(5)]
    big_ids = [await show(screens[1], i) for i in range(big_shows)]
    checkout_show = await show(screens[2], 0)
    queue_show = await show(screens[2], 1)
    seats = {s: await seat_ids(api, s) for s in [*main_shows, *big_ids]}
    return Catalogue(
        main_show=main_shows[0],
        sellout_show=main_shows[1],
        best_sellout_show=main_shows[3],
        raw_show=main_shows[2],
        main_seats=seats[main_shows[0]],
        sellout_seats=seats[main_shows[1]],
        best_sellout_seats=seats[main_shows[3]],
        raw_seats=seats[main_shows[2]],
        big_shows=big_ids,
        big_seats={s: seats[s] for s in big_ids},
        checkout_show=checkout_show,
        checkout_seats=checkout[0] * checkout[1],
        queue_show=queue_show,
        paid_sellout_show=main_shows[4],
    )


def new_event_id() -> str:
    return f"evt_bench{uuid.uuid4().hex[:14]}"
