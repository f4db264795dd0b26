"""Prometheus metrics. With several worker processes, set PROMETHEUS_MULTIPROC_DIR."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
