"""Migrations 0030-0031 down and up again over queues in use: a show's own queue, drawn; an
on-sale of two shows with visitors; a queue lifted before its draw. Down, a show's queue goes
back to the show (its draw and places kept), the on-sale of two leaves its shows queued on their
own without its visitors; up, each queue is an on-sale again whose id is its show's, with the
same draw, the same places, the same answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from tests.api import Headers
from tests.db.test_migrations import _on, application_steps
from tests.queue.test_onsales import made_onsale, three_shows
from tests.queue.test_queue import HOUR, join, place

from boxoffice.clock import Clock

BEFORE = "0029"


def _keys(db: Any, table: str) -> set[tuple[str, ...]]:
    """The table's unique and foreign keys: (name, columns..., referred table)."""
    inspector = sa.inspect(db.sync_engine)
    found = {
        (str(uc["name"]), *uc["column_names"]) for uc in inspector.get_unique_constraints(table)
    }
    for fk in inspector.get_foreign_keys(table):
        found.add((str(fk["name"]), *fk["constrained_columns"], fk["referred_table"]))
    return found


def test_the_queue_tables_keys_go_to_onsales_and_back(db: Any) -> None:
    visitors, draws = "queue_visitors", "queue_draws"
    on_sales = {
        ("uq_queue_visitors_onsale_id", "onsale_id", "position"),
        ("fk_queue_visitors_onsale_id_onsales", "onsale_id", "onsales"),
    }
    assert _keys(db, visitors) == on_sales
    assert _keys(db, draws) == {("fk_queue_draws_onsale_id_onsales", "onsale_id", "onsales")}
    _on(db.url, application_steps(("downgrade", BEFORE)))
    try:
        assert _keys(db, visitors) == {
            ("uq_queue_visitors_show_id", "show_id", "position"),
            ("fk_queue_visitors_show_id_shows", "show_id", "shows"),
        }
        assert _keys(db, draws) == {("fk_queue_draws_show_id_shows", "show_id", "shows")}
    finally:
        _on(db.url, application_steps(("upgrade", "head")))
    assert _keys(db, visitors) == on_sales


def _rows(db: Any, sql: str, **params: object) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in db.query(sql, **params))


def test_queues_go_down_to_shows_and_up_to_onsales_with_their_draws_and_places(
    client: httpx.Client, admin: Headers, clock: Clock, db: Any
) -> None:
    drawn, pair_one, pair_two = three_shows(client, admin)
    lifted = three_shows(client, admin)[0]
    opens_at = (clock.now() + HOUR).replace(microsecond=0)
    for show in (drawn, lifted):
        queued = client.put(
            f"/api/v1/shows/{show['id']}/queue",
            json={"opens_at": opens_at.isoformat()},
            headers=admin,
        )
        assert queued.status_code == 200, queued.text
    pair = made_onsale(client, admin, [pair_one["id"], pair_two["id"]], opens_at + HOUR)
    visitors = [join(client, drawn["id"]) for _ in range(3)]
    pair_visitors = [join(client, pair_one["id"]), join(client, pair_two["id"])]
    left = join(client, lifted["id"])
    assert client.delete(f"/api/v1/shows/{lifted['id']}/queue", headers=admin).status_code == 200

    clock.offset = HOUR + timedelta(minutes=5)  # the show's own queue is drawn; the pair's not
    before = {v["visitor_id"]: place(client, drawn["id"], v["visitor_token"]) for v in visitors}
    draw = client.get(f"/api/v1/shows/{drawn['id']}/queue/draw").json()
    assert draw["drawn"] == 3

    _on(db.url, application_steps(("downgrade", BEFORE)))
    show = db.id(drawn["id"])
    kept = _rows(db, "SELECT show_id, position FROM queue_visitors WHERE show_id = :s", s=show)
    assert [position for _, position in kept] == [1, 2, 3]
    assert _rows(db, "SELECT seed FROM queue_draws WHERE show_id = :s", s=show) == [(draw["seed"],)]
    pair_ids = [db.id(pair_one["id"]), db.id(pair_two["id"])]
    count = "SELECT count(*) FROM queue_visitors WHERE show_id = :s"
    for show_id in pair_ids:  # queued on their own, without the pair's visitors
        assert _rows(db, count, s=show_id) == [(0,)]
        assert db.query("SELECT queue_opens_at FROM shows WHERE id = :s", s=show_id)[0][0]
    assert _rows(db, count, s=db.id(lifted["id"])) == [(1,)]  # a lifted queue's visitor stays

    _on(db.url, application_steps(("upgrade", "head")))
    carried = _rows(db, "SELECT id, lifted_at IS NOT NULL FROM onsales WHERE id = :s", s=show)
    assert carried == [(show, False)]
    again = client.get(f"/api/v1/shows/{drawn['id']}/queue/draw").json()
    assert again["seed"] == draw["seed"] and again["onsale_id"] == drawn["id"]
    for visitor in visitors:  # the same place, by the show's door, with the token of before
        now = place(client, drawn["id"], visitor["visitor_token"])
        assert now["position"] == before[visitor["visitor_id"]]["position"]
    assert place(client, lifted["id"], left["visitor_token"])["state"] == "OPEN"
    for show_id in (pair_one["id"], pair_two["id"]):
        assert client.get(f"/api/v1/shows/{show_id}/onsale").json()["id"] == show_id
    problem_pair = client.get(f"/api/v1/onsales/{pair['id']}")
    assert problem_pair.status_code == 404  # an on-sale of two had no equal before 0030
    assert all(visitor["visitor_id"] for visitor in pair_visitors)
