"""Settings, read once from the environment (and an optional `.env`) and validated at start."""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode

from limits import parse as parse_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_SQLITE_PATH = Path("var/boxoffice.db")
# Where a server with the sandbox on mounts it, and where the SDK then calls (it adds `/v1`).
SANDBOX_PATH = "/_sandbox/razorpay"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # PostgreSQL topology (README "Production topology"). DATABASE_URL may name several hosts
    # (postgresql://u@h1:5432,h2:5432/db?target_session_attrs=read-write): each new connection
    # goes to whichever is the primary now.
    # `pgbouncer`: DATABASE_URL is a pgbouncer in transaction mode, so no prepared statement
    # outlives its transaction and no session setting is sent at connect.
    database_pooler: Literal["none", "pgbouncer"] = "none"
    # LISTEN needs a session of its own on the primary, which pgbouncer in transaction mode
    # cannot give: a direct URL (multi-host) when DATABASE_URL is a pooler. Default DATABASE_URL.
    database_listen_url: str | None = None
    # A standby for reads that may be a little stale: catalogue lists, show pages, reports.
    database_read_url: str | None = None
    # Connections per process. N processes x pool must fit PostgreSQL's max_connections.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=5, ge=0, le=200)
    # Sale-path requests (holds, cancels) waiting for a database slot before the process sheds
    # new ones with 429 (boxoffice.db.admission).
    max_waiting_sale_requests: int = Field(default=2000, ge=1, le=100_000)

    jwt_secret: SecretStr
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=60)
    guest_token_ttl_seconds: int = Field(default=7 * 86_400, ge=60)

    # argon2id cost of password hashes. The defaults are RFC 9106's "low memory" choice (t=3,
    # 64 MiB, p=4): ~0.1 s of CPU a hash. Hashes made with other costs are re-made at login.
    password_hash_time_cost: int = Field(default=3, ge=1, le=20)
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=1024, le=4 * 1024 * 1024)

    hold_ttl_seconds: int = Field(default=600, ge=1, le=3600)
    max_seats_per_booking: int = Field(default=10, ge=1, le=100)
    # The waiting list (issue 29, `boxoffice.waitlist`): how long an offer's hold lasts; how many
    # times a later, smaller party may be offered seats before an entry that does not fit yet,
    # after which the seats that come back are kept for it; how often the worker looks at a show
    # with a waiting list when nothing wakes it (a hold given up on its own, a block lifted).
    waitlist_offer_minutes: int = Field(default=15, ge=1, le=24 * 60)
    waitlist_pass_over_limit: int = Field(default=3, ge=0, le=1000)
    waitlist_recheck_seconds: float = Field(default=10.0, gt=0, le=3600)
    # Best available chooses from the process's read of the show's free seats this recent,
    # instead of reading again (the claim decides; a lost race reads afresh). 0: always read.
    best_available_read_reuse_seconds: float = Field(default=0.25, ge=0, le=1)
    # Live seat stream: a comment line at least this often; events a subscriber may have queued
    # before it is dropped as too slow; the least time between two reads of a show's seats.
    seat_stream_heartbeat_seconds: float = Field(default=15.0, gt=0, le=15)
    seat_stream_queue_events: int = Field(default=64, ge=1, le=10_000)
    seat_stream_coalesce_seconds: float = Field(default=0.25, ge=0, le=1)
    # What one process spends on streams (issue 22): open streams per client address (IPv4, or
    # IPv6 /64; lifted with the rate limits) and in all, shows with a live feed, a stream's
    # lifetime (clients resume with Last-Event-ID), the file descriptors streams never take (the
    # process's limit less these bounds the streams too), and the pooled connections the feeds
    # may read with at once (the rest are the sale path's and /health's).
    seat_streams_per_address: int = Field(default=20, ge=1, le=100_000)
    seat_streams_per_process: int = Field(default=2000, ge=1, le=1_000_000)
    seat_stream_shows_per_process: int = Field(default=100, ge=1, le=100_000)
    seat_stream_max_seconds: float = Field(default=900.0, ge=1, le=86_400)
    seat_stream_fd_reserve: int = Field(default=512, ge=16, le=1_000_000)
    # `boxoffice archive` without --before: shows that ended more than this many days ago lose
    # their seat rows. None (the default): keep everything.
    retention_days: int | None = Field(default=None, ge=1)
    seat_stream_db_connections: int = Field(default=2, ge=1, le=200)
    max_pending_bookings_per_customer: int = Field(default=3, ge=1, le=100)
    # The fair on-sale queue (`boxoffice.queue`): visitors admitted per second, the pace a
    # queued show's sale can take (README "Fair on-sale queue": a whole purchase is ~60 holds;
    # `make bench` measured ~13 purchases/s on 2 cores, so 10/s keeps the admitted under it);
    # how long an admission lets its visitor hold seats; how often a waiting page's stream
    # sends its place.
    queue_admit_per_second: float = Field(default=10.0, gt=0, le=10_000)
    queue_admission_ttl_seconds: int = Field(default=600, ge=10, le=86_400)
    queue_stream_tick_seconds: float = Field(default=2.0, gt=0, le=60)
    cancellation_cutoff_minutes: int = Field(default=60, ge=0)
    show_cleaning_gap_minutes: int = Field(default=15, ge=0, le=600)
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_poster_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)  # before re-encoding
    default_currency: str = Field(default="INR", pattern=r"^[A-Z]{3}$")

    razorpay_key_id: str | None = None
    razorpay_key_secret: SecretStr | None = None
    razorpay_webhook_secret: SecretStr | None = None
    razorpay_base_url: str | None = None
    razorpay_sandbox_webhook_url: str | None = None
    razorpay_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The offline sandbox (never on by accident: see the SPEC's "Razorpay sandbox").
    razorpay_sandbox: bool = False
    # Attempts at the provider for one refund before it stays FAILED (README "Refunds that fail").
    refund_max_attempts: int = Field(default=6, ge=1, le=50)
    # Bookings cancelled per transaction when a show is cancelled.
    show_cancel_batch_size: int = Field(default=200, ge=1, le=5000)

    # base64url of a 32-byte Ed25519 private key; unset, signing keys live in the database.
    ticket_signing_key: SecretStr | None = None
    # base64url of a 32-byte AES key that seals the database's signing keys at rest (AES-GCM);
    # unset, they are stored as they are. Keep it apart from the database and its backups.
    ticket_key_encryption_key: SecretStr | None = None
    # smtp://host:port (smtps:// for implicit TLS; user:password@ for AUTH, which then requires
    # TLS: smtps://, or STARTTLS); unset, the worker writes each email as a .eml file under
    # OUTBOX_DIR. SMTP_CA_FILE: the CA certificates (PEM) that sign the server's certificate,
    # when it is not one the system trusts (a private relay).
    smtp_url: SecretStr | None = None
    smtp_ca_file: Path | None = None
    smtp_from: str = "Boxoffice <tickets@boxoffice.local>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    outbox_dir: Path = Path("var/outbox")

    rate_limit_enabled: bool = True
    redis_url: str | None = None
    # Rate limits, in the `limits` notation ("10/minute", "20 per hour"). Generous enough for a
    # family or an office behind one address, tight enough to make guessing and hoarding slow.
    rate_limit_auth: str = "30/minute"  # login, register and refresh, per client address
    # Wrong passwords (sign-in, password change) per account and client, and per account from
    # anywhere: the second is looser, so guesses from elsewhere do not lock the owner out.
    rate_limit_login_per_account_and_address: str = "10 per 15 minutes"
    rate_limit_login_per_account: str = "50 per 15 minutes"
    rate_limit_guest_tokens: str = "20/hour"  # new guest identities per client address
    # Password reset emails asked for, per client address and per email address.
    rate_limit_password_reset: str = "10/hour"  # noqa: S105 (a rate)
    rate_limit_password_reset_per_account: str = "3/hour"  # noqa: S105 (a rate)
    rate_limit_holds: str = "120/minute"  # POST /bookings per customer
    # POST /bookings/{id}/cancel per customer, and per client address (a family, an office).
    rate_limit_cancels: str = "60/minute"
    rate_limit_cancels_per_address: str = "300/minute"
    # Places taken in on-sale queues per client address: generous (a campus, a carrier's NAT
    # behind one address), since a place buys little more than a hold, which the per-address
    # seat caps bound anyway.
    rate_limit_queue_joins: str = "600/minute"
    # Sale-path requests (holds, cancels) in flight in one process at once, per customer and
    # per client address (with the rate limits; 0 turns either off): no one client can fill
    # the admission gate (`max_waiting_sale_requests`) and shut the others out.
    max_sale_requests_in_flight_per_customer: int = Field(default=8, ge=0, le=100_000)
    max_sale_requests_in_flight_per_address: int = Field(default=200, ge=0, le=100_000)
    # Seats held (PENDING, not run out) at once: per customer over all shows, and per client
    # address in one show (the second applies with the rate limits; 0 turns either off).
    max_held_seats_per_customer: int = Field(default=30, ge=0, le=10_000)
    max_held_seats_per_address_per_show: int = Field(default=40, ge=0, le=10_000)
    # And at most this share of a show's seats held unpaid at once from one address (an IPv6
    # client: its /64), whatever the cap above says (with the rate limits too).
    max_held_share_per_address: float = Field(default=0.2, gt=0, le=1)
    # Addresses (or CIDR networks) of the load balancers whose X-Forwarded-For is believed,
    # comma-separated. Empty: the peer address is the client's.
    trusted_proxies: str = ""
    # Bearer token that GET /metrics requires; unset, /metrics answers 404.
    metrics_token: SecretStr | None = None
    # A refresh token presented again this soon after its rotation (two tabs refreshing at
    # once) gets the same new pair instead of revoking the session.
    refresh_reuse_grace_seconds: int = Field(default=30, ge=0, le=300)

    public_base_url: str = "http://127.0.0.1:8000"
    # Named in GET /health when set: whoever started this process (a supervisor, a test) can
    # tell that it reached this process and not another one on the same address.
    instance_id: str | None = Field(default=None, max_length=100)
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    log_json: bool = True

    @field_validator("jwt_secret")
    @classmethod
    def _jwt_secret_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return value

    @field_validator(
        "rate_limit_auth",
        "rate_limit_login_per_account",
        "rate_limit_login_per_account_and_address",
        "rate_limit_guest_tokens",
        "rate_limit_password_reset",
        "rate_limit_password_reset_per_account",
        "rate_limit_holds",
        "rate_limit_cancels",
        "rate_limit_cancels_per_address",
        "rate_limit_queue_joins",
    )
    @classmethod
    def _rate_limit_notation(cls, value: str) -> str:
        try:
            parse_limit(value)
        except ValueError:
            raise ValueError('must be a rate like "30/minute" or "20 per hour"') from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @cached_property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        parts = (part.strip() for part in self.trusted_proxies.split(","))
        return tuple(ipaddress.ip_network(part, strict=False) for part in parts if part)

    @field_validator("ticket_signing_key", "ticket_key_encryption_key")
    @classmethod
    def _ticket_key_is_32_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        text = value.get_secret_value().strip()
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except ValueError:
            raw = b""
        if len(raw) != 32:
            # Never echo the value: it is a secret key.
            raise ValueError("must be base64url of a 32-byte key")
        return SecretStr(text)

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("must be an smtp://host:port or smtps://host:port URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("postgresql", "postgres://", "sqlite")):
            raise ValueError("must be a postgresql:// or sqlite:/// URL")
        return value

    @field_validator("database_listen_url", "database_read_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @model_validator(mode="after")
    def _topology_needs_postgres(self) -> Settings:
        if self.is_sqlite and (
            self.database_listen_url or self.database_read_url or self.database_pooler != "none"
        ):
            raise ValueError(
                "DATABASE_LISTEN_URL, DATABASE_READ_URL and DATABASE_POOLER need a PostgreSQL "
                "DATABASE_URL"
            )
        return self

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @cached_property
    def async_database_url(self) -> str:
        """The URL with the async driver the app uses, whatever form the operator wrote."""
        url = self.database_url
        if url.startswith("sqlite"):
            return "sqlite+aiosqlite" + url[url.index(":") :]
        return sqlalchemy_url(url)

    @cached_property
    def listen_dsn(self) -> str:
        """Where this process LISTENs (the driver's form): never through a transaction pooler."""
        return driver_url(self.database_listen_url or self.database_url)

    @cached_property
    def async_read_url(self) -> str | None:
        return sqlalchemy_url(self.database_read_url) if self.database_read_url else None

    @model_validator(mode="after")
    def _razorpay_keys_complete(self) -> Settings:
        real = [self.razorpay_key_id, self.razorpay_key_secret, self.razorpay_webhook_secret]
        if any(real) and not all(real):
            raise ValueError(
                "RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET and RAZORPAY_WEBHOOK_SECRET go together: "
                "set all three for real Razorpay"
            )
        return self

    @property
    def payments_mode(self) -> Literal["razorpay", "sandbox"]:
        """Where payments go, as /health and /config say it."""
        return "sandbox" if self.razorpay_sandbox else "razorpay"

    def payments_problem(self) -> str | None:
        """Why this configuration must not take payments, or None. Checked by every process that
        does (the server, the worker): a server without keys must not quietly take payments into
        a sandbox, so the sandbox is something an operator asks for by name."""
        if self.razorpay_keys is None and not self.razorpay_sandbox:
            return (
                "payments are not configured: set RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET and "
                "RAZORPAY_WEBHOOK_SECRET for Razorpay, or RAZORPAY_SANDBOX=true for the "
                "offline sandbox (demos and tests only)"
            )
        return None

    @cached_property
    def razorpay_keys(self) -> RazorpayCredentials | None:
        """The configured Razorpay keys; None in sandbox mode without keys, where the sandbox's
        own per-database credentials are used (`boxoffice.sandbox.store`)."""
        if not (self.razorpay_key_id and self.razorpay_key_secret and self.razorpay_webhook_secret):
            return None
        return RazorpayCredentials(
            key_id=self.razorpay_key_id,
            key_secret=self.razorpay_key_secret.get_secret_value(),
            webhook_secret=self.razorpay_webhook_secret.get_secret_value(),
        )


@dataclass(frozen=True)
class RazorpayCredentials:
    key_id: str
    key_secret: str = field(repr=False)
    webhook_secret: str = field(repr=False)


def driver_url(url: str) -> str:
    """A PostgreSQL URL in libpq's form, which asyncpg takes as it is (several hosts too)."""
    return "postgresql://" + url.split("://", 1)[1]


def sqlalchemy_url(url: str) -> str:
    """A PostgreSQL URL for SQLAlchemy's asyncpg dialect, which spells libpq's several hosts
    (`u@h1:5432,h2:5432/db`) as `u@/db?host=h1:5432&host=h2:5432`."""
    rest = driver_url(url).removeprefix("postgresql://")
    authority, _, tail = rest.partition("/")
    user, at, hosts = authority.rpartition("@")
    if "," in hosts:
        database, _, query = tail.partition("?")
        pairs = [("host", host) for host in hosts.split(",")] + parse_qsl(query)
        rest = f"{user}{at}/{database}?{urlencode(pairs, safe=':')}"
    return "postgresql+asyncpg://" + rest
