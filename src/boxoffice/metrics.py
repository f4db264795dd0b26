"""Prometheus metrics, one picture for all of a server's processes.

`boxoffice serve --workers N` (N > 1) runs prometheus_client's multiprocess mode: every worker
writes its counters to files in PROMETHEUS_MULTIPROC_DIR (a fresh directory unless the operator
names one; emptied at start, as the files of a previous run would be added in), and whichever
worker answers /metrics sums them all. One process alone keeps them in memory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("boxoffice_http_requests_total", "HTTP requests", ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "boxoffice_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
HOLDS = Counter("boxoffice_holds_total", "Seat hold attempts by outcome", ["outcome"])
EXPIRIES_SWEPT = Counter("boxoffice_expired_bookings_swept_total", "Holds swept to EXPIRED")
PAYMENTS = Counter("boxoffice_payments_total", "Payment outcomes", ["outcome"])
REFUNDS = Counter("boxoffice_refunds_total", "Refunds by status", ["status"])
SHED = Counter(
    "boxoffice_requests_shed_total",
    "Sale-path requests refused with 429: the process was saturated",
)
RATE_LIMITED = Counter(
    "boxoffice_rate_limited_total", "Requests refused with 429, by limit scope", ["scope"]
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_SECONDS.labels(method, route).observe(seconds)


CHECKINS = Counter("boxoffice_checkins_total", "Ticket scans by outcome", ["outcome"])
EMAILS = Counter("boxoffice_emails_total", "Outbox emails by outcome", ["outcome"])


def share_between_processes() -> Path:
    """Sets up multiprocess mode for the worker processes about to start (call before they do:
    prometheus_client reads the variable when it is imported)."""
    directory = Path(os.environ.get(MULTIPROC_DIR) or tempfile.mkdtemp(prefix="boxoffice-metrics-"))
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROC_DIR] = str(directory)
    return directory


def exposition() -> bytes:
    """The Prometheus text of every process of this server (just this one's without
    multiprocess mode)."""
    if MULTIPROC_DIR not in os.environ:
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)
