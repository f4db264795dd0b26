"""A theatre's money terms on PATCH/GET /theatres/{id} (SPEC "Money", "Where they are set"), and
prices that, GST included, no slab fits: refused where prices are set, with the band named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.api import (
    ADMIN_PASSWORD,
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

from boxoffice.clock import Clock

REGISTRATION = {
    "legal_name": "PLZ Cinemas Pvt Ltd",
    "gstin": "27AAPFU0939F1ZV",
    "state_code": "27",
    "sac": "999614",
    "invoice_prefix": "PLZ",
}
FEE = [{"up_to": 10000, "amount": 1000}, {"up_to": None, "rate_bp": 1000}]
POLICY = [
    {"until_minutes_before": 120, "refund_bp": 7500},
    {"until_minutes_before": 20, "refund_bp": 5000},
]
BAND = {"from": 10501, "to": 11800}  # ₹105.01 to ₹118.00 under 5 % / 18 % since 2025-09-22
TERMS = (*REGISTRATION, "prices_include_tax", "convenience_fee", "cancellation_policy")


def patch(client: httpx.Client, admin: Headers, theatre_id: str, **body: Any) -> httpx.Response:
    return client.patch(f"/api/v1/theatres/{theatre_id}", json=body, headers=admin)


def terms(client: httpx.Client, theatre_id: str) -> dict[str, Any]:
    theatre = client.get(f"/api/v1/theatres/{theatre_id}").json()
    return {name: theatre[name] for name in TERMS}


def test_a_new_theatre_is_unregistered_inclusive_without_fee_on_the_default_policy(
    client: httpx.Client, admin: Headers
) -> None:
    theatre = create_theatre(client, admin)
    assert terms(client, theatre["id"]) == {
        "legal_name": None,
        "gstin": None,
        "state_code": None,
        "sac": None,
        "invoice_prefix": "INV",
        "prices_include_tax": True,
        "convenience_fee": [],
        # CANCELLATION_CUTOFF_MINUTES (60) is the default policy's one tier.
        "cancellation_policy": [{"until_minutes_before": 60, "refund_bp": 10000}],
    }


def test_a_manager_sets_the_terms_and_get_shows_them(client: httpx.Client, admin: Headers) -> None:
    theatre = create_theatre(client, admin)
    response = patch(
        client,
        admin,
        theatre["id"],
        **{**REGISTRATION, "gstin": " 27aapfu0939f1zv "},
        prices_include_tax=False,
        convenience_fee=FEE,
        cancellation_policy=POLICY,
    )
    assert response.status_code == 200, response.text
    expected = {
        **REGISTRATION,
        "prices_include_tax": False,
        "convenience_fee": [
            {"up_to": 10000, "amount": 1000, "rate_bp": None},
            {"up_to": None, "amount": None, "rate_bp": 1000},
        ],
        "cancellation_policy": POLICY,
    }
    assert {name: response.json()[name] for name in TERMS} == expected
    assert terms(client, theatre["id"]) == expected
    # An empty fee schedule: no fee.
    assert patch(client, admin, theatre["id"], convenience_fee=[]).json()["convenience_fee"] == []


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({**REGISTRATION, "gstin": "27AAPFU0939F1ZW"}, "wrong check character"),
        ({**REGISTRATION, "gstin": "27AAPFU0939F1Z"}, "15 characters"),
        ({"gstin": "27AAPFU0939F1ZV"}, "needs legal_name, state_code, sac"),
        ({**REGISTRATION, "state_code": "29"}, "not the GSTIN's state (27)"),
        ({**REGISTRATION, "sac": "998311"}, "9996"),
        ({**REGISTRATION, "invoice_prefix": "PLZ/X"}, "invoice prefix"),
        ({"state_code": "00"}, "GST state code"),
        ({"prices_include_tax": "yes"}, "boolean"),
        ({"convenience_fee": [{"up_to": None, "amount": 1000, "rate_bp": 500}]}, "exactly one"),
        ({"convenience_fee": [{"up_to": None}]}, "exactly one"),
        (
            {"convenience_fee": [{"up_to": 500, "amount": 5}, {"up_to": 400, "amount": 4}]},
            "open top",
        ),
        (
            {
                "convenience_fee": [
                    {"up_to": 500, "amount": 5},
                    {"up_to": 400, "amount": 4},
                    {"up_to": None, "amount": 3},
                ]
            },
            "ascending",
        ),
        ({"cancellation_policy": POLICY[::-1]}, "descending in until_minutes_before"),
        (
            {"cancellation_policy": [POLICY[0], {**POLICY[1], "refund_bp": 7500}]},
            "descending in refund_bp",
        ),
        ({"cancellation_policy": [{"until_minutes_before": -1, "refund_bp": 100}]}, "greater"),
        ({"cancellation_policy": None}, "cannot be null"),
    ],
)
def test_bad_terms_are_refused_and_change_nothing(
    client: httpx.Client, admin: Headers, body: dict[str, Any], why: str
) -> None:
    theatre = create_theatre(client, admin)
    before = terms(client, theatre["id"])
    refused = problem(patch(client, admin, theatre["id"], **body), 422)
    assert why in str(refused)
    assert terms(client, theatre["id"]) == before


def test_registering_completes_over_several_patches(client: httpx.Client, admin: Headers) -> None:
    theatre = create_theatre(client, admin)
    for name in ("legal_name", "state_code", "sac"):
        assert patch(client, admin, theatre["id"], **{name: REGISTRATION[name]}).status_code == 200
    response = patch(client, admin, theatre["id"], gstin=REGISTRATION["gstin"])
    assert response.status_code == 200, response.text
    # The state can no longer move away from the GSTIN's.
    problem(patch(client, admin, theatre["id"], state_code="29"), 422)


def registered(client: httpx.Client, admin: Headers, prices: dict[str, int]) -> dict[str, Any]:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"], prices)
    assert patch(client, admin, theatre["id"], **REGISTRATION).status_code == 200
    return theatre


def put_prices(
    client: httpx.Client, admin: Headers, path: str, prices: dict[str, int]
) -> httpx.Response:
    rules = [
        {"seat_type": seat_type, "day_type": "WEEKDAY", "amount": amount}
        for seat_type, amount in prices.items()
    ]
    return client.put(f"/api/v1/{path}/prices", json=rules, headers=admin)


def test_an_inclusive_price_no_slab_fits_is_refused_naming_the_band(
    client: httpx.Client, admin: Headers
) -> None:
    theatre = registered(client, admin, {"VIP": 50000, "GOLD": 35000, "SILVER": 20000})
    before = client.get(f"/api/v1/theatres/{theatre['id']}/prices").json()
    refused = problem(
        put_prices(client, admin, f"theatres/{theatre['id']}", {"GOLD": 11000, "SILVER": 10501}),
        422,
    )
    assert refused["type"].endswith("price-fits-no-tax-slab")
    assert refused["bands"] == [BAND] and refused["inconsistent_prices"] == [10501, 11000]
    assert "₹105.01 to ₹118.00" in refused["detail"]
    assert client.get(f"/api/v1/theatres/{theatre['id']}/prices").json() == before
    # Either side of the band is fine: ₹105 is 5 %, ₹118.01 is 18 %.
    fine = put_prices(client, admin, f"theatres/{theatre['id']}", {"GOLD": 11801, "SILVER": 10500})
    assert fine.status_code == 200, fine.text

    screen = create_screen(client, admin, theatre["id"])
    problem(put_prices(client, admin, f"screens/{screen['id']}", {"VIP": 11800}), 422)
    movie = create_movie(client, admin)
    show = {
        "movie_id": movie["id"],
        "screen_id": screen["id"],
        "starts_at": future(datetime.now(UTC)).isoformat(),
    }
    overrides = [{"seat_type": "VIP", "amount": 11500}]
    problem(
        client.post("/api/v1/shows", json={**show, "price_overrides": overrides}, headers=admin),
        422,
    )
    assert client.get("/api/v1/shows", params={"theatre_id": theatre["id"]}).json()["items"] == []


def test_prices_outside_tax_or_tax_inclusive_pricing_are_never_refused(
    client: httpx.Client, admin: Headers
) -> None:
    unregistered = create_theatre(client, admin)
    assert (
        put_prices(client, admin, f"theatres/{unregistered['id']}", {"GOLD": 11000}).status_code
        == 200
    )
    exclusive = create_theatre(client, admin)
    patch(client, admin, exclusive["id"], **REGISTRATION, prices_include_tax=False)
    assert (
        put_prices(client, admin, f"theatres/{exclusive['id']}", {"GOLD": 11000}).status_code == 200
    )


def test_prices_that_become_tax_inclusive_must_fit_a_slab(
    client: httpx.Client, admin: Headers
) -> None:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"], {"VIP": 50000, "GOLD": 35000, "SILVER": 20000})
    screen = create_screen(client, admin, theatre["id"])
    movie = create_movie(client, admin)
    create_show(
        client,
        admin,
        movie["id"],
        screen["id"],
        future(datetime.now(UTC)),
        price_overrides=[{"seat_type": "SILVER", "amount": 11200}],
    )
    before = terms(client, theatre["id"])
    refused = problem(patch(client, admin, theatre["id"], **REGISTRATION), 422)
    assert refused["inconsistent_prices"] == [11200] and refused["bands"] == [BAND]
    assert terms(client, theatre["id"]) == before

    patch(client, admin, theatre["id"], **REGISTRATION, prices_include_tax=False)
    problem(patch(client, admin, theatre["id"], prices_include_tax=True), 422)
    assert terms(client, theatre["id"])["prices_include_tax"] is False


def test_the_rule_in_force_on_the_theatres_date_decides(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    theatre = registered(client, admin, {"VIP": 50000, "GOLD": 35000, "SILVER": 20000})
    # From 2027-02-01 (an invented version): 12 % up to ₹100, 18 % above; its band starts at
    # ₹112.01, so ₹110 fits (at 12 %) and ₹115 does not.
    version = {
        "category": "ADMISSION",
        "effective_from": "2027-02-01",
        "slabs": [{"up_to": 10000, "rate_bp": 1200}, {"up_to": None, "rate_bp": 1800}],
    }
    assert client.post("/api/v1/admin/tax-rules", json=version, headers=admin).status_code == 201
    path = f"theatres/{theatre['id']}"
    # 31 Jan 18:00 UTC is 23:30 in Kolkata, 19:00 UTC is 1 Feb 00:30 there: in force.
    clock.offset = datetime(2027, 1, 31, 18, 0, tzinfo=UTC) - datetime.now(UTC)
    admin = login(client, "admin@example.com", ADMIN_PASSWORD)  # tokens of the real time expired
    assert put_prices(client, admin, path, {"GOLD": 11000}).status_code == 422
    clock.offset += timedelta(hours=1)
    admin = login(client, "admin@example.com", ADMIN_PASSWORD)
    assert put_prices(client, admin, path, {"GOLD": 11000}).status_code == 200
    refused = problem(put_prices(client, admin, path, {"GOLD": 11500}), 422)
    assert refused["bands"] == [{"from": 11201, "to": 11800}]
