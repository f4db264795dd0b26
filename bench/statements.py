"""SQL statements per request on the hold path, counted inside an in-process copy of the app.

The app is built with `boxoffice.app.create_app(settings)` in this process and driven through
httpx's ASGI transport. Round trips are counted at the driver: asyncpg's query logger, attached
to each connection while the pool lends it, sees every query sent, BEGIN and COMMIT included,
whether SQLAlchemy built it or the sale path sent it on the driver directly. SQLAlchemy's own
`before_cursor_execute` lists the ORM's statements beside them. No code is added to src/.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import event

_TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


@dataclass
class Tally:
    statements: list[str] = field(default_factory=list)
    control: Counter[str] = field(default_factory=Counter)
    sent: list[str] = field(default_factory=list)  # every query the driver sent

    def reset(self) -> None:
        self.statements.clear()
        self.control.clear()
        self.sent.clear()

    def snapshot(self) -> dict[str, Any]:
        return {
            "statements": len([q for q in self.sent if not _TRANSACTION_CONTROL.match(q)]),
            "begin": self.control["begin"],
            "commit": self.control["commit"],
            "rollback": self.control["rollback"],
            "pre_ping": self.control["ping"],
            "round_trips": len(self.sent),
            "sql": [_shorten(s) for s in self.sent],
        }


def _shorten(sql: str) -> str:
    return " ".join(sql.split())[:140]


def instrument(engine: Any) -> Tally:
    """Counts on an AsyncEngine's sync engine; returns the live tally."""
    tally = Tally()
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _TRANSACTION_CONTROL.match(statement):
            tally.control[statement.split()[0].lower()] += 1
        else:
            tally.statements.append(statement)

    for name in ("begin", "commit", "rollback"):

        def _control(_conn: Any, _name: str = name) -> None:
            tally.control[_name] += 1

        event.listen(sync_engine, name, _control)

    def logged(record: Any) -> None:
        tally.sent.append(record.query)

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(logged)

    def checkin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.remove_query_logger(logged)

    event.listen(sync_engine.pool, "checkout", checkout)
    event.listen(sync_engine.pool, "checkin", checkin)

    dialect = sync_engine.dialect
    original = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> Any:
        tally.control["ping"] += 1
        return original(dbapi_connection)

    dialect.do_ping = counting_ping
    return tally


async def count(
    database_url: str, jwt_secret: str, show_id: str, seat_ids: list[str], rounds: int = 10
) -> dict[str, Any]:
    from boxoffice.app import create_app
    from boxoffice.config import Settings

    settings = Settings(
        database_url=database_url,
        jwt_secret=jwt_secret,
        rate_limit_enabled=False,
        razorpay_sandbox=True,
        log_level="WARNING",
        db_pool_size=1,
        db_max_overflow=0,
    )
    app = create_app(settings)
    engine = app.state.engine
    tally = instrument(engine)
    per_request: dict[str, list[dict[str, Any]]] = {}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            guest = (await http.post("/api/v1/auth/guest")).json()["access_token"]
            who = {"Authorization": f"Bearer {guest}"}

            async def measured(name: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
                tally.reset()
                response = await http.request(method, url, **kwargs)
                per_request.setdefault(name, []).append(
                    {"status": response.status_code, **tally.snapshot()}
                )
                return response

            for index in range(rounds + 2):  # the first two warm caches and the pool
                pair = seat_ids[2 * index : 2 * index + 2]
                hold = await measured(
                    "hold",
                    "POST",
                    "/api/v1/bookings",
                    json={"show_id": show_id, "seat_ids": pair},
                    headers=who,
                )
                if hold.status_code != 201:
                    raise RuntimeError(f"in-process hold failed: {hold.status_code} {hold.text}")
                booking = hold.json()["id"]
                await measured("cancel", "POST", f"/api/v1/bookings/{booking}/cancel", headers=who)
                # A refused hold: the same seats, held by another booking of this guest.
                again = await http.post(
                    "/api/v1/bookings", json={"show_id": show_id, "seat_ids": pair}, headers=who
                )
                await measured(
                    "hold_conflict",
                    "POST",
                    "/api/v1/bookings",
                    json={"show_id": show_id, "seat_ids": pair},
                    headers=who,
                )
                await http.post(f"/api/v1/bookings/{again.json()['id']}/cancel", headers=who)
                chosen = await measured(
                    "best_hold",
                    "POST",
                    "/api/v1/bookings",
                    json={"show_id": show_id, "quantity": 2},
                    headers=who,
                )
                await http.post(f"/api/v1/bookings/{chosen.json()['id']}/cancel", headers=who)
                await measured("seat_map", "GET", f"/api/v1/shows/{show_id}/seats")
    finally:
        await engine.dispose()
    summary: dict[str, Any] = {}
    for name, samples in per_request.items():
        steady = samples[2:] or samples
        counts = Counter(s["statements"] for s in steady)
        typical = counts.most_common(1)[0][0]
        example = next(s for s in steady if s["statements"] == typical)
        summary[name] = {
            "statements": typical,
            "statements_seen": dict(counts),
            "begin": example["begin"],
            "commit": example["commit"],
            "rollback": example["rollback"],
            "pre_ping": example["pre_ping"],
            "round_trips": example["round_trips"],
            "status": example["status"],
            "sql": example["sql"],
        }
    return summary
