from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.api import Headers, make_admin, register


@pytest.fixture
def admin(client: httpx.Client, db: Any) -> Headers:
    return make_admin(client, db)


@pytest.fixture
def customer(client: httpx.Client) -> Headers:
    return register(client)
