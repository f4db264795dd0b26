"""On-sales (issue 29): several shows behind one fair queue, through the API. One draw, made
once at the opening in the order its published seed gives, one place per visitor whichever show
it came by; an admission that holds seats of any show of the on-sale and of no other; an
on-sale that stands once drawn; managers of another theatre refused, admins spanning theatres."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from tests.api import (
    Headers,
    create_screen,
    create_show,
    future,
    guest,
    login,
    problem,
    ready_show,
    seat_ids,
)
from tests.queue.test_queue import HOUR, drawn_order, hold, join, place, queued_show, statuses

from boxoffice.clock import Clock


def onsale(
    client: httpx.Client, who: Headers, show_ids: list[str], opens_at: datetime
) -> httpx.Response:
    body = {"name": "Opening weekend", "opens_at": opens_at.isoformat(), "show_ids": show_ids}
    return client.post("/api/v1/onsales", json=body, headers=who)


def made_onsale(
    client: httpx.Client, who: Headers, show_ids: list[str], opens_at: datetime
) -> dict[str, Any]:
    response = onsale(client, who, show_ids, opens_at)
    assert response.status_code == 201, response.text
    return dict(response.json())


def three_shows(client: httpx.Client, admin: Headers) -> list[dict[str, Any]]:
    """Three shows of one movie on one screen, a day apart."""
    first = ready_show(client, admin)
    starts = datetime.fromisoformat(first["starts_at"])
    more = [
        create_show(client, admin, first["movie_id"], first["screen_id"], starts + i * DAY)
        for i in (1, 2)
    ]
    return [first, *more]


DAY = timedelta(days=1)


def test_an_onsale_of_three_shows_draws_once_and_admits_to_any_of_them(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    customer, _ = guest(client)  # a guest's token outlives the hour the clock moves
    shows = three_shows(client, admin)
    ids = [show["id"] for show in shows]
    opens_at = (clock.now() + HOUR).replace(microsecond=0)
    sale = made_onsale(client, admin, ids, opens_at)
    assert sorted(sale["show_ids"]) == sorted(ids) and not sale["drawn"]
    for show_id in ids:  # each show tells the shop it is queued, and by which on-sale
        assert client.get(f"/api/v1/shows/{show_id}").json()["queue_opens_at"] is not None
        assert client.get(f"/api/v1/shows/{show_id}/onsale").json()["id"] == sale["id"]
    by_onsale = f"/api/v1/onsales/{sale['id']}/queue"

    # Visitors come by each show's door and by the on-sale's: one queue, one place each.
    doors = [f"/api/v1/shows/{show_id}/queue" for show_id in ids] + [by_onsale]
    joined = []
    for index in range(12):
        door = doors[index % len(doors)]
        response = client.post(door)
        assert response.status_code == 201, response.text
        joined.append((door, response.json()))
    assert {p["state"] for _, p in joined} == {"IN_DRAW"}
    assert {p["onsale_id"] for _, p in joined} == {sale["id"]}
    problem(client.get(by_onsale + "/draw"), 404)

    other_show, _ = queued_show(client, admin, clock)  # a show's own queue, another on-sale
    other = join(client, other_show["id"])

    clock.offset = HOUR + timedelta(minutes=10)  # the draw, and everyone's turn, has come
    places = {}
    for door, joined_place in joined:
        read = client.get(door + "/me", headers={"X-Queue-Visitor": joined_place["visitor_token"]})
        assert read.status_code == 200, read.text
        places[joined_place["visitor_id"]] = read.json()
    draw = client.get(by_onsale + "/draw").json()
    assert draw["drawn"] == 12 and draw["onsale_id"] == sale["id"]
    for show_id in ids:  # the same draw by every door
        by_show = client.get(f"/api/v1/shows/{show_id}/queue/draw").json()
        assert by_show["seed"] == draw["seed"] and by_show["show_id"] == show_id
    expected = drawn_order(draw["seed"], list(places))
    assert [places[v]["position"] for v in expected] == list(range(1, 13))
    listed = client.get(by_onsale + "/draw/places", params={"limit": 100}).json()["items"]
    assert [item["visitor_id"] for item in listed] == expected
    assert client.get(f"/api/v1/onsales/{sale['id']}").json()["drawn"] is True

    # A place is read by any door of its on-sale, and by no other queue's.
    first = joined[0][1]
    mine = {"X-Queue-Visitor": first["visitor_token"]}
    assert client.get(by_onsale + "/me", headers=mine).json()["position"] is not None
    problem(client.get(f"/api/v1/shows/{other_show['id']}/queue/me", headers=mine), 403)
    problem(client.get(by_onsale + "/me", headers={"X-Queue-Visitor": other["visitor_token"]}), 403)

    admitted = places[expected[0]]
    token = admitted["admission_token"]
    assert admitted["state"] == "ADMITTED" and token
    elsewhere = place(client, other_show["id"], other["visitor_token"])["admission_token"]
    assert elsewhere
    seats = {show_id: seat_ids(client, show_id) for show_id in ids}
    refused = {
        "none": hold(client, customer, ids[0], seats[ids[0]][0], None),
        "another on-sale's": hold(client, customer, ids[1], seats[ids[1]][0], elsewhere),
        "forged": hold(client, customer, ids[2], seats[ids[2]][0], token[:-3] + "AAA"),
    }
    for why, response in refused.items():
        assert problem(response, 403)["type"].rsplit("/", 1)[1] in (
            "admission-required",
            "admission-invalid",
        ), why
    for show_id in ids:
        assert statuses(client, show_id) == {"AVAILABLE"}, show_id  # nothing held
    for show_id in ids:  # one admission, every show of the on-sale
        response = hold(client, customer, show_id, seats[show_id][0], token)
        assert response.status_code == 201, response.text
    outside = seat_ids(client, other_show["id"])[0]
    refused_outside = hold(client, customer, other_show["id"], outside, token)
    assert problem(refused_outside, 403)["type"].endswith("/admission-invalid")


def test_an_onsale_changes_before_it_opens_and_stands_once_drawn(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    shows = three_shows(client, admin)
    ids = [show["id"] for show in shows]
    soon = timedelta(minutes=5)  # the admin's access token outlives it
    opens_at = (clock.now() + soon).replace(microsecond=0)
    sale = made_onsale(client, admin, ids[:2], opens_at)
    path = f"/api/v1/onsales/{sale['id']}"

    def unchanged() -> None:
        now = client.get(path).json()
        assert sorted(now["show_ids"]) == sorted(ids), now

    added = client.post(path + "/shows", json={"show_ids": [ids[2]]}, headers=admin)
    assert added.status_code == 200 and len(added.json()["show_ids"]) == 3, added.text
    removed = client.delete(f"{path}/shows/{ids[2]}", headers=admin)
    assert removed.status_code == 200 and ids[2] not in removed.json()["show_ids"], removed.text
    assert client.get(f"/api/v1/shows/{ids[2]}").json()["queue_opens_at"] is None
    again = client.post(path + "/shows", json={"show_ids": [ids[2]]}, headers=admin)
    assert again.status_code == 200, again.text

    # Bad input: a clear problem, nothing changed.
    in_force = onsale(client, admin, [ids[0]], opens_at + HOUR)
    assert problem(in_force, 409)["type"].endswith("/show-in-onsale")
    unknown = client.post(path + "/shows", json={"show_ids": [str(uuid.uuid4())]}, headers=admin)
    problem(unknown, 422)
    problem(onsale(client, admin, [ids[0]], clock.now() - HOUR), 422)
    problem(client.post("/api/v1/onsales", json={"name": "x", "show_ids": []}, headers=admin), 422)
    problem(client.delete(f"{path}/shows/{uuid.uuid4()}", headers=admin), 404)
    problem(client.get(f"/api/v1/onsales/{uuid.uuid4()}"), 404)
    problem(client.post(f"/api/v1/onsales/{uuid.uuid4()}/queue"), 404)
    own = client.put(
        f"/api/v1/shows/{ids[0]}/queue", json={"opens_at": opens_at.isoformat()}, headers=admin
    )
    assert problem(own, 409)["type"].endswith("/show-in-onsale")  # changed through its on-sale
    problem(client.delete(f"/api/v1/shows/{ids[0]}/queue", headers=admin), 409)
    unchanged()

    visitor = join(client, ids[1])
    clock.offset = soon + timedelta(seconds=5)
    assert place(client, ids[1], visitor["visitor_token"])["position"] == 1  # the draw is made
    extra = ready_show(client, admin)
    late = client.post(path + "/shows", json={"show_ids": [extra["id"]]}, headers=admin)
    assert problem(late, 409)["type"].endswith("/queue-opened")
    assert problem(client.delete(f"{path}/shows/{ids[2]}", headers=admin), 409)
    unchanged()
    assert client.get(f"/api/v1/shows/{extra['id']}").json()["queue_opens_at"] is None

    lifted = client.delete(path, headers=admin)  # on sale to all; the draw stays published
    assert lifted.status_code == 200 and lifted.json()["lifted_at"] is not None, lifted.text
    for show_id in ids:
        assert client.get(f"/api/v1/shows/{show_id}").json()["queue_opens_at"] is None
    assert client.get(path + "/queue/draw").status_code == 200
    problem(client.post(path + "/queue"), 409)


def test_an_onsale_whose_shows_were_all_cancelled_takes_no_one(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    """While one show of an on-sale is still on sale, its door takes visitors; once every show
    is cancelled, no door leads into its queue (409 `queue-closed`), whichever the visitor
    takes."""
    ids = [show["id"] for show in three_shows(client, admin)[:2]]
    sale = made_onsale(client, admin, ids, clock.now() + HOUR)
    door = f"/api/v1/onsales/{sale['id']}/queue"

    def closed(path: str) -> None:
        assert problem(client.post(path), 409)["type"].endswith("/queue-closed")

    assert client.post(f"/api/v1/shows/{ids[0]}/cancel", headers=admin).status_code == 200
    closed(f"/api/v1/shows/{ids[0]}/queue")
    assert client.post(door).status_code == 201, "the other show is still on sale"
    assert client.post(f"/api/v1/shows/{ids[1]}/cancel", headers=admin).status_code == 200
    for path in (door, f"/api/v1/shows/{ids[0]}/queue", f"/api/v1/shows/{ids[1]}/queue"):
        closed(path)


def _manager(client: httpx.Client, admin: Headers, theatre_id: str) -> Headers:
    body = {
        "email": f"onsale-{uuid.uuid4().hex[:8]}@example.com",
        "password": "manager-password-1",
        "name": "Manager",
        "theatre_ids": [theatre_id],
    }
    made = client.post("/api/v1/admin/managers", json=body, headers=admin)
    assert made.status_code == 201, made.text
    return login(client, body["email"], body["password"])


def test_a_manager_runs_on_sales_of_its_own_theatres_and_an_admin_spans_theatres(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    mine = ready_show(client, admin)
    theirs = ready_show(client, admin)  # another theatre
    manager = _manager(client, admin, mine["theatre_id"])
    screen = create_screen(client, admin, mine["theatre_id"], name="Screen 2")
    starts = future(clock.now(), days=3)
    also_mine = create_show(client, admin, mine["movie_id"], screen["id"], starts)
    opens_at = clock.now() + HOUR

    spanning = onsale(client, manager, [mine["id"], theirs["id"]], opens_at)
    problem(spanning, 403)
    problem(onsale(client, manager, [theirs["id"]], opens_at), 403)
    for show in (mine, theirs):  # nothing changed
        assert client.get(f"/api/v1/shows/{show['id']}").json()["queue_opens_at"] is None

    path = f"/api/v1/onsales/{made_onsale(client, manager, [mine['id']], opens_at)['id']}"
    problem(client.post(path + "/shows", json={"show_ids": [theirs["id"]]}, headers=manager), 403)
    added = client.post(path + "/shows", json={"show_ids": [also_mine["id"]]}, headers=manager)
    assert added.status_code == 200, added.text
    own = added.json()
    assert client.get(f"/api/v1/shows/{theirs['id']}").json()["queue_opens_at"] is None

    admins = made_onsale(client, admin, [theirs["id"]], opens_at)
    refused = {
        "add to another theatre's": client.post(
            f"/api/v1/onsales/{admins['id']}/shows",
            json={"show_ids": [also_mine["id"]]},
            headers=manager,
        ),
        "remove from": client.delete(
            f"/api/v1/onsales/{admins['id']}/shows/{theirs['id']}", headers=manager
        ),
        "lift": client.delete(f"/api/v1/onsales/{admins['id']}", headers=manager),
    }
    for why, response in refused.items():
        assert response.status_code == 403, (why, response.text)
    assert client.get(f"/api/v1/onsales/{admins['id']}").json()["lifted_at"] is None
    across = client.post(
        f"/api/v1/onsales/{admins['id']}/shows", json={"show_ids": [ids_of(own)[0]]}, headers=admin
    )
    assert problem(across, 409)["type"].endswith("/show-in-onsale")  # still in the manager's
    assert client.delete(path, headers=manager).status_code == 200
    spans = client.post(
        f"/api/v1/onsales/{admins['id']}/shows", json={"show_ids": ids_of(own)}, headers=admin
    )
    assert spans.status_code == 200 and len(spans.json()["show_ids"]) == 3, spans.text


def ids_of(sale: dict[str, Any]) -> list[str]:
    return [str(show_id) for show_id in sale["show_ids"]]
