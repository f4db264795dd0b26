from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.api import Headers, make_admin, ready_show, seat_ids


@pytest.fixture
def admin(client: httpx.Client, db: Any) -> Headers:
    return make_admin(client, db)


@pytest.fixture
def show(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    return ready_show(client, admin)


@pytest.fixture
def seats(client: httpx.Client, show: dict[str, Any]) -> list[str]:
    return seat_ids(client, show["id"])
