"""/metrics with `boxoffice serve --workers 2` (issue 15): whichever worker answers the scrape,
it counts the requests that both workers served."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.conftest import METRICS, TEST_JWT_SECRET, TEST_METRICS_TOKEN, TestDatabase
from tests.support.http import loopback_client
from tests.support.servers import launched, server_env

pytestmark = pytest.mark.postgres_only  # two processes on one database

REQUESTS = 40
_HEALTH = re.compile(r'^boxoffice_http_requests_total\{[^}]*route="/health"[^}]*\} (\S+)$', re.M)


def test_every_scrape_counts_the_requests_of_both_workers(db: TestDatabase, tmp_path: Path) -> None:
    env = server_env(
        db.url,
        TEST_JWT_SECRET,
        METRICS_TOKEN=TEST_METRICS_TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_999999.db").write_bytes(b"a previous run's")  # wiped
    with launched(env, tmp_path / "server.log", "--workers", "2") as server:
        url = server.wait_until_up(120)  # two processes importing everything
        before = _health_count(url)
        for _ in range(REQUESTS):
            with loopback_client() as fresh:  # a new connection each: either worker may take it
                assert fresh.get(f"{url}/health").status_code == 200
        for _ in range(6):  # scrapes land on either worker: each sees the total
            assert _health_count(url) == before + REQUESTS


def _health_count(url: str) -> float:
    with loopback_client() as fresh:
        text = fresh.get(f"{url}/metrics", headers=METRICS).text
    return sum(float(value) for value in _HEALTH.findall(text))
