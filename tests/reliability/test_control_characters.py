"""Control characters in free text are a 422 at the door, never a 503 from the database (issue
22, item 7): a NUL in a check-in's `gate` or `nonce` used to reach PostgreSQL, which cannot
store it. Every string a request body or query takes is audited here, from the app's own routes,
so a field added later without the shared `Printable` type fails this test."""

from __future__ import annotations

from typing import Annotated, Any, get_args

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from tests.api import Headers, problem
from tests.conftest import make_settings
from tests.tickets.helpers import booked, make_staff, scan, show_soon, tickets

from boxoffice.app import create_app

CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x85"]
# The Razorpay sandbox is a test double of someone else's API, not ours (its hooks: phase 2).
SANDBOX = "boxoffice.sandbox"
# Taken as typed and only ever compared with its hash: an old password may hold anything.
EXEMPT = {("LoginRequest", "password"), ("PasswordChange", "current_password")}


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The request models an annotation holds (a model, a list of models, an optional one)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models(arg)]


def _routes() -> list[APIRoute]:
    """Every API route of the app, through the routers it includes."""
    found, pending = [], list(create_app(make_settings("sqlite:///unused.db")).routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            if not route.endpoint.__module__.startswith(SANDBOX):
                found.append(route)
        elif (included := getattr(route, "original_router", None)) is not None:
            pending.extend(included.routes)
    return found


def _body_fields() -> list[tuple[str, str, TypeAdapter[Any]]]:
    """(model, field, its validator) of every field of every request body, nested ones too."""
    pending = [
        model
        for route in _routes()
        for param in route.dependant.body_params
        for model in _models(param.field_info.annotation)
    ]
    seen: set[type[BaseModel]] = set()
    fields = []
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            pending.extend(_models(info.annotation))
            annotated = Annotated[info.annotation, *info.metadata] if info.metadata else None
            fields.append((model.__name__, name, TypeAdapter(annotated or info.annotation)))
    return fields


def _accepts(adapter: TypeAdapter[Any], value: Any) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_no_request_field_takes_a_control_character(control: str) -> None:
    fields = _body_fields()
    assert {"CheckinRequest", "ScreenCreate"} <= {model for model, _, _ in fields}
    accepting = [
        f"{model}.{name}"
        for model, name, adapter in fields
        if (model, name) not in EXEMPT
        and (_accepts(adapter, f"a{control}b") or _accepts(adapter, [f"a{control}b"]))
    ]
    assert accepting == []


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_no_query_parameter_takes_a_control_character(control: str) -> None:
    accepting = []
    for route in _routes():
        for param in route.dependant.query_params:
            _, errors = param.validate(f"a{control}b", {}, loc=("query", param.alias))
            if not errors:
                accepting.append(f"{route.path}?{param.alias}")
    assert accepting == []


def test_a_nul_in_a_check_in_gate_or_nonce_is_422_and_checks_nothing_in(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_soon(client, admin)
    staff = make_staff(client, admin, [show["theatre_id"]])
    ticket = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])[0]

    for fields in ({"gate": "G\x001"}, {"nonce": "scan\x00-1"}, {"gate": "G1", "nonce": "n\x1b"}):
        body = problem(
            client.post("/api/v1/checkin", json={"qr": ticket["qr"], **fields}, headers=staff), 422
        )
        assert "control characters" in str(body["errors"])

    assert tickets(client, customer, ticket["booking_id"])[0]["status"] == "VALID"
    assert scan(client, staff, ticket["qr"], gate="G1").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "POST",
            "/api/v1/payments/razorpay/verify",
            {
                "razorpay_order_id": "order_\x00",
                "razorpay_payment_id": "pay_1",
                "razorpay_signature": "0" * 64,
            },
        ),
        ("PATCH", "/api/v1/me", {"name": "Ann\x00"}),
        ("GET", "/api/v1/theatres?city=Pune%00", None),
        ("GET", "/api/v1/movies?q=a%C2%85b", None),
    ],
)
def test_control_characters_anywhere_else_are_422_too(
    client: httpx.Client, customer: Headers, method: str, path: str, body: Any
) -> None:
    problem(client.request(method, path, json=body, headers=customer), 422)
