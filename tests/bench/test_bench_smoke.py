"""`make bench` in miniature: every scenario at tiny sizes against real `boxoffice serve`
processes on the test database. It asserts that the bench runs and that its audits pass
(no seat in two live bookings, every expired hold swept once, every payment taking effect
once); it never asserts a timing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.run import Config, run_bench
from tests.api import ADMIN_PASSWORD, make_admin

pytestmark = pytest.mark.postgres_only

ADMIN = "bench-smoke-admin@example.com"


def test_bench_runs_and_its_audits_pass(client: httpx.Client, db: Any, tmp_path: Path) -> None:
    make_admin(client, db, email=ADMIN)
    lines: list[str] = []
    results = run_bench(
        Config.smoke(),
        database_url=db.url,
        out_dir=tmp_path,
        admin=(ADMIN, ADMIN_PASSWORD),
        log=lines.append,
    )
    report = "\n".join(lines)
    print(report)  # shown with -s, or when an assertion fails
    assert results["audits_ok"], report
    assert results["server_log_problems"] == [], report
    assert results["sell_out"]["holds_granted"] > 0, report
    assert results["sell_out_best"]["seats_granted"] == results["sell_out_best"]["seats"], report
    assert results["expiry_sweep"]["swept"] == Config.smoke().sweep_holds, report
    assert results["webhooks"]["statuses"] == {"200": results["webhooks"]["deliveries"]}, report
    assert results["hold_storm"][0]["hold"]["count"] > 0, report
    # The purchase storm: whole purchases through a standalone sandbox, webhooks and all.
    purchases = results["checkout"]
    assert purchases["completed"] > 0 and purchases["errors_5xx"] == 0, report
    assert purchases["audit"]["webhooks_undelivered"] == 0, report
    assert set(purchases["cpu_ms_per_purchase"]) >= {"api_ms", "postgres_ms", "sandbox_ms"}
    # The sell-out race with payment: every seat ends BOOKED, each winner paid once.
    paid_sale = results["sell_out_paid"]
    assert paid_sale["sold_and_paid"] and paid_sale["errors_5xx"] == 0, report
    # Every delivery again, all applied before: each answered 200, nothing applied twice.
    replayed = results["webhooks"]["replayed"]
    assert replayed["statuses"] == {"200": results["webhooks"]["deliveries"]}, report
    # The raw claim is called as the app calls it (its arguments follow the function's).
    limits = [row for key, row in results["db_limit"].items() if key.isdigit()]
    assert limits and all(row["failures"] == {} for row in limits), report
    assert all(row["holds_per_s"] > 0 for row in limits), report
    assert results["statements"]["hold"]["status"] == 201, report
    # The purchases' confirmations, copied to a burst, sent by one worker: SMTP and .eml.
    burst = results["emails"]
    for way in ("smtp", "eml"):
        assert burst[way]["emails"] == Config.smoke().email_burst, report
        assert burst[way]["not_sent"] == 0, report
    assert burst["smtp"]["received"] == burst["eml"]["files"] == Config.smoke().email_burst
    assert Path(results["path"]).is_file()
