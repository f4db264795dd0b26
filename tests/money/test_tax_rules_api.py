"""Tax rules as dated data through the API (SPEC "Money"): the migrated rates of India, new
versions from a future date, a film's state waiver; bad input gets a 4xx and changes nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from tests.api import Headers, create_movie, problem

RULES = "/api/v1/admin/tax-rules"
EXEMPTIONS = "/api/v1/admin/tax-exemptions"
MIGRATED = [
    {
        "category": "ADMISSION",
        "effective_from": "2019-01-01",
        "slabs": [{"up_to": 10000, "rate_bp": 1200}, {"up_to": None, "rate_bp": 1800}],
    },
    {
        "category": "ADMISSION",
        "effective_from": "2025-09-22",
        "slabs": [{"up_to": 10000, "rate_bp": 500}, {"up_to": None, "rate_bp": 1800}],
    },
    {
        "category": "FEE",
        "effective_from": "2017-07-01",
        "slabs": [{"up_to": None, "rate_bp": 1800}],
    },
]
NEXT_YEAR = {
    "category": "ADMISSION",
    "effective_from": "2027-04-01",
    "slabs": [{"up_to": 25000, "rate_bp": 500}, {"up_to": None, "rate_bp": 1200}],
}


def versions(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    response = client.get(RULES, params=params)
    assert response.status_code == 200, response.text
    return [
        {k: v[k] for k in ("category", "effective_from", "slabs")} for v in response.json()["items"]
    ]


def test_indias_rates_are_migrated_and_anyone_reads_them(client: httpx.Client) -> None:
    assert versions(client) == MIGRATED
    assert versions(client, category="FEE") == MIGRATED[2:]


def test_an_admin_adds_a_version_from_a_future_date(client: httpx.Client, admin: Headers) -> None:
    response = client.post(RULES, json=NEXT_YEAR, headers=admin)
    assert response.status_code == 201, response.text
    assert {k: response.json()[k] for k in NEXT_YEAR} == NEXT_YEAR
    assert versions(client, category="ADMISSION") == [*MIGRATED[:2], NEXT_YEAR]

    taken = problem(
        client.post(RULES, json={**NEXT_YEAR, "slabs": MIGRATED[1]["slabs"]}, headers=admin), 409
    )
    assert taken["type"].endswith("tax-rule-date-taken")
    # The other category may share the date.
    fee = {
        "category": "FEE",
        "effective_from": "2027-04-01",
        "slabs": [{"up_to": None, "rate_bp": 500}],
    }
    assert client.post(RULES, json=fee, headers=admin).status_code == 201
    assert versions(client) == [*MIGRATED[:2], NEXT_YEAR, *MIGRATED[2:], fee]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            {
                "slabs": [
                    {"up_to": 20000, "rate_bp": 500},
                    {"up_to": 10000, "rate_bp": 1800},
                    {"up_to": None, "rate_bp": 2800},
                ]
            },
            "ascending",
        ),
        (
            {"slabs": [{"up_to": None, "rate_bp": 500}, {"up_to": None, "rate_bp": 1800}]},
            "open top",
        ),
        ({"slabs": [{"up_to": 10000, "rate_bp": 500}]}, "open top"),
        ({"slabs": [{"up_to": None, "rate_bp": 10001}]}, "less than or equal"),
        ({"slabs": []}, "at least 1"),
        ({"slabs": [{"up_to": None, "rate_bp": "500"}]}, "integer"),
        ({"effective_from": "2026-12-07"}, "not begun"),
        ({"effective_from": "2020-01-01"}, "not begun"),
        ({"effective_from": "2027-04-01T00:00:00"}, "YYYY-MM-DD"),
        ({"category": "GOODS"}, "ADMISSION"),
    ],
)
def test_a_bad_version_is_refused_and_changes_nothing(
    client: httpx.Client, admin: Headers, change: dict[str, Any], why: str
) -> None:
    body = problem(client.post(RULES, json={**NEXT_YEAR, **change}, headers=admin), 422)
    assert why in str(body)
    assert versions(client) == MIGRATED


def test_two_admins_adding_the_same_date_at_once_add_one(
    client: httpx.Client, admin: Headers
) -> None:
    start = threading.Barrier(4)

    def add(rate_bp: int) -> int:
        body = {**NEXT_YEAR, "slabs": [{"up_to": None, "rate_bp": rate_bp}]}
        start.wait(timeout=10)
        return client.post(RULES, json=body, headers=admin).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(add, [100, 200, 300, 400]))
    assert statuses == [201, 409, 409, 409]
    added = [v for v in versions(client) if v["effective_from"] == "2027-04-01"]
    assert len(added) == 1 and len(added[0]["slabs"]) == 1


def test_a_state_waives_its_half_for_a_film(client: httpx.Client, admin: Headers) -> None:
    movie = create_movie(client, admin)
    body = {"movie_id": movie["id"], "state_code": "27", "from": "2026-12-10", "to": "2026-12-31"}
    response = client.post(EXEMPTIONS, json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert {k: response.json()[k] for k in body} == body
    listed = client.get(EXEMPTIONS, params={"movie_id": movie["id"]}).json()["items"]
    assert [{k: e[k] for k in body} for e in listed] == [body]
    assert client.get(EXEMPTIONS, params={"state_code": "29"}).json()["items"] == []


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"movie_id": "00000000-0000-0000-0000-000000000000"}, 422),
        ({"state_code": "39"}, 422),
        ({"state_code": 27}, 422),
        ({"from": "2027-01-01", "to": "2026-12-31"}, 422),
        ({"to": "31-12-2026"}, 422),
        ({"starts_on": "2026-12-10"}, 422),
    ],
)
def test_a_bad_waiver_is_refused_and_changes_nothing(
    client: httpx.Client, admin: Headers, change: dict[str, Any], status: int
) -> None:
    movie = create_movie(client, admin)
    body = {"movie_id": movie["id"], "state_code": "27", "from": "2026-12-10", "to": "2026-12-31"}
    problem(client.post(EXEMPTIONS, json={**body, **change}, headers=admin), status)
    assert client.get(EXEMPTIONS).json()["items"] == []
