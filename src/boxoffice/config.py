"""Settings, read once from the environment (and an optional `.env`) and validated at start."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var/boxoffice.db")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Connections per process. N processes x pool must fit PostgreSQL's max_connections.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=5, ge=0, le=200)

    jwt_secret: SecretStr
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=60)
    guest_token_ttl_seconds: int = Field(default=7 * 86_400, ge=60)

    hold_ttl_seconds: int = Field(default=600, ge=1, le=3600)
    max_seats_per_booking: int = Field(default=10, ge=1, le=100)
    max_pending_bookings_per_customer: int = Field(default=3, ge=1, le=100)
    cancellation_cutoff_minutes: int = Field(default=60, ge=0)
    show_cleaning_gap_minutes: int = Field(default=15, ge=0, le=600)
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    default_currency: str = Field(default="INR", pattern=r"^[A-Z]{3}$")

    razorpay_key_id: str | None = None
    razorpay_key_secret: SecretStr | None = None
    razorpay_webhook_secret: SecretStr | None = None
    razorpay_base_url: str | None = None
    razorpay_sandbox_webhook_url: str | None = None
    razorpay_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    # base64url of a 32-byte Ed25519 private key; unset, signing keys live in the database.
    ticket_signing_key: SecretStr | None = None
    # smtp://host:port (smtps:// for implicit TLS; user:password@ for AUTH); unset, the worker
    # writes each email as a .eml file under OUTBOX_DIR.
    smtp_url: SecretStr | None = None
    smtp_from: str = "Boxoffice <tickets@boxoffice.local>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    outbox_dir: Path = Path("var/outbox")

    rate_limit_enabled: bool = True
    redis_url: str | None = None

    public_base_url: str = "http://127.0.0.1:8000"
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    log_json: bool = True

    @field_validator("jwt_secret")
    @classmethod
    def _jwt_secret_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return value

    @field_validator("ticket_signing_key")
    @classmethod
    def _ticket_key_is_ed25519(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        text = value.get_secret_value().strip()
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except ValueError:
            raw = b""
        if len(raw) != 32:
            # Never echo the value: it is a private key.
            raise ValueError("must be base64url of a 32-byte Ed25519 private key")
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

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @cached_property
    def async_database_url(self) -> str:
        """The URL with the async driver the app uses, whatever form the operator wrote."""
        url = self.database_url
        if url.startswith("sqlite"):
            return "sqlite+aiosqlite" + url[url.index(":") :]
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        scheme, rest = url.split("://", 1)
        return (
            "postgresql+asyncpg://" + rest
            if "+" not in scheme
            else url.replace(scheme, "postgresql+asyncpg", 1)
        )

    @model_validator(mode="after")
    def _razorpay_keys_complete(self) -> Settings:
        real = [self.razorpay_key_id, self.razorpay_key_secret, self.razorpay_webhook_secret]
        if any(real) and not all(real):
            raise ValueError(
                "RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET and RAZORPAY_WEBHOOK_SECRET go together: "
                "set all three for real Razorpay, or none for the sandbox"
            )
        return self

    @cached_property
    def razorpay_sandboxed(self) -> bool:
        """No real keys: the SDK talks to the in-project sandbox with its well-known test keys."""
        return self.razorpay_key_id is None

    @cached_property
    def razorpay(self) -> RazorpayCredentials:
        if self.razorpay_sandboxed:
            return SANDBOX_CREDENTIALS
        assert self.razorpay_key_id and self.razorpay_key_secret and self.razorpay_webhook_secret
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


# Public, fixed test keys of the offline sandbox; they open nothing outside this project.
SANDBOX_CREDENTIALS = RazorpayCredentials(
    key_id="rzp_test_boxoffice_sandbox",
    key_secret="boxoffice-sandbox-key-secret",  # noqa: S106
    webhook_secret="boxoffice-sandbox-webhook-secret",  # noqa: S106
)
