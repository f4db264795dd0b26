"""The manager role (SPEC "Back office"): an admin makes one for some theatres; it runs those as
an admin runs all (settings and money terms, screens, shows, prices, reports, their staff) and
gets 403 at any other; movies are shared (managers create and edit them, only admins delete).
Every route's answer for every role is tests/reliability/test_authorisation_matrix.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    login,
    problem,
    set_theatre_prices,
)

PASSWORD = "manager-password-1"


def make_manager(
    client: httpx.Client, admin: Headers, theatre_ids: list[str]
) -> tuple[dict[str, Any], Headers]:
    body: dict[str, Any] = {
        "email": f"manager-{uuid.uuid4().hex[:8]}@example.com",
        "password": PASSWORD,
        "name": "Theatre Manager",
        "theatre_ids": theatre_ids,
    }
    made = client.post("/api/v1/admin/managers", json=body, headers=admin)
    assert made.status_code == 201, made.text
    return made.json(), login(client, body["email"], PASSWORD)


@pytest.fixture
def theatres(client: httpx.Client, admin: Headers) -> list[dict[str, Any]]:
    made = [create_theatre(client, admin, name=name) for name in ("Mine", "Also mine", "Theirs")]
    for theatre in made:
        set_theatre_prices(client, admin, theatre["id"])
    return made


def test_an_admin_makes_a_manager_who_signs_in_and_sees_its_theatres(
    client: httpx.Client, admin: Headers, theatres: list[dict[str, Any]]
) -> None:
    ids = [theatres[0]["id"], theatres[1]["id"]]
    made, manager = make_manager(client, admin, [*ids, ids[0]])
    assert made["role"] == "manager" and made["theatre_ids"] == ids
    me = client.get("/api/v1/me", headers=manager).json()
    assert me["role"] == "manager" and sorted(me["theatre_ids"]) == sorted(ids)
    assert client.get("/api/v1/me", headers=admin).json()["theatre_ids"] is None

    body = {"email": "x@example.com", "password": PASSWORD, "name": "X"}
    unknown = {**body, "theatre_ids": [str(uuid.uuid4())]}
    problem(client.post("/api/v1/admin/managers", json=unknown, headers=admin), 422)
    problem(
        client.post("/api/v1/admin/managers", json={**body, "theatre_ids": []}, headers=admin), 422
    )
    taken = {**body, "email": made["email"], "theatre_ids": ids}
    problem(client.post("/api/v1/admin/managers", json=taken, headers=admin), 409)
    # Managers make staff, never managers.
    problem(
        client.post("/api/v1/admin/managers", json={**body, "theatre_ids": ids}, headers=manager),
        403,
    )


def test_a_manager_runs_its_theatres_and_no_other(
    client: httpx.Client, admin: Headers, theatres: list[dict[str, Any]]
) -> None:
    mine, also, theirs = (t["id"] for t in theatres)
    _, manager = make_manager(client, admin, [mine, also])
    policy = [{"until_minutes_before": 120, "refund_bp": 7500}]
    for theatre_id in (mine, also):
        patched = client.patch(
            f"/api/v1/theatres/{theatre_id}",
            json={"holidays": ["2027-01-26"], "cancellation_policy": policy},
            headers=manager,
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["cancellation_policy"] == policy
    problem(client.patch(f"/api/v1/theatres/{theirs}", json={"city": "Goa"}, headers=manager), 403)
    problem(client.post("/api/v1/theatres", json={"name": "New"}, headers=manager), 403)

    screen = create_screen(client, manager, mine)
    movie = create_movie(client, manager, title="A Manager's Film")
    starts = future(datetime.now().astimezone())
    show = create_show(client, manager, movie["id"], screen["id"], starts)
    report = client.get(f"/api/v1/admin/shows/{show['id']}/report", headers=manager)
    assert report.status_code == 200, report.text

    their_screen = create_screen(client, admin, theirs)
    their_show = create_show(client, admin, movie["id"], their_screen["id"], starts)
    body = {
        "movie_id": movie["id"],
        "screen_id": their_screen["id"],
        "starts_at": starts.isoformat(),
    }
    problem(client.post("/api/v1/shows", json=body, headers=manager), 403)
    for method, path in (
        ("POST", f"/api/v1/shows/{their_show['id']}/cancel"),
        ("GET", f"/api/v1/admin/shows/{their_show['id']}/report"),
        ("GET", f"/api/v1/admin/shows/{their_show['id']}/bookings"),
        ("PUT", f"/api/v1/screens/{their_screen['id']}/prices"),
        ("POST", f"/api/v1/theatres/{theirs}/screens"),
    ):
        json: Any = [] if method == "PUT" else {"name": "Audi 9", "rows": []}
        if method == "GET":
            json = None
        problem(client.request(method, path, json=json, headers=manager), 403)
    sales = {"theatre_id": theirs, "from": "2026-12-01", "to": "2026-12-02"}
    problem(client.get("/api/v1/admin/reports/sales", params=sales, headers=manager), 403)
    assert client.get(f"/api/v1/shows/{their_show['id']}").json()["status"] == "SCHEDULED"

    cancelled = client.post(f"/api/v1/shows/{show['id']}/cancel", headers=manager)
    assert cancelled.status_code == 200, cancelled.text


def test_a_manager_makes_staff_for_its_theatres_only(
    client: httpx.Client, admin: Headers, theatres: list[dict[str, Any]]
) -> None:
    mine, _, theirs = (t["id"] for t in theatres)
    _, manager = make_manager(client, admin, [mine])

    def staff(theatre_ids: list[str]) -> httpx.Response:
        body = {
            "email": f"door-{uuid.uuid4().hex[:8]}@example.com",
            "password": "staff-password-1",
            "name": "Door",
            "theatre_ids": theatre_ids,
        }
        return client.post("/api/v1/admin/staff", json=body, headers=manager)

    made = staff([mine])
    assert made.status_code == 201, made.text
    assert made.json()["theatre_ids"] == [mine]
    problem(staff([mine, theirs]), 403)
    problem(staff([str(uuid.uuid4())]), 403)  # no theatre is its to name


def test_movies_are_shared_and_only_an_admin_deletes_one(
    client: httpx.Client, admin: Headers, theatres: list[dict[str, Any]]
) -> None:
    _, manager = make_manager(client, admin, [theatres[0]["id"]])
    _, other_manager = make_manager(client, admin, [theatres[2]["id"]])
    movie = create_movie(client, manager, title="Shared")
    edited = client.patch(
        f"/api/v1/movies/{movie['id']}", json={"certificate": "A"}, headers=other_manager
    )
    assert edited.status_code == 200, edited.text
    problem(client.delete(f"/api/v1/movies/{movie['id']}", headers=manager), 403)

    screen = create_screen(client, admin, theatres[0]["id"])
    create_show(client, admin, movie["id"], screen["id"], future(datetime.now().astimezone()))
    problem(client.delete(f"/api/v1/movies/{movie['id']}", headers=admin), 409)
    unused = create_movie(client, manager, title="Never shown")
    waiver = {
        "movie_id": unused["id"],
        "state_code": "27",
        "from": "2027-01-01",
        "to": "2027-01-31",
    }
    exemptions = "/api/v1/admin/tax-exemptions"
    assert client.post(exemptions, json=waiver, headers=admin).status_code == 201
    assert client.delete(f"/api/v1/movies/{unused['id']}", headers=admin).status_code == 204
    listed = client.get(exemptions, params={"movie_id": unused["id"]}).json()
    assert listed["items"] == []  # its waiver went with it
    problem(client.get(f"/api/v1/movies/{unused['id']}"), 404)
    problem(client.delete(f"/api/v1/movies/{unused['id']}", headers=admin), 404)
