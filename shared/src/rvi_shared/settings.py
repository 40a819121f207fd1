"""Settings: a prefix per service (RVI_SCHEDULING_...) over the common RVI_ ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/rvi"
DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092"
DEV_JWT_SECRET = "rvi-local-development-secret-change-me-0123456789"


def _common(name: str, service_prefix: str) -> AliasChoices:
    return AliasChoices(f"{service_prefix}{name}", f"RVI_{name}")


class ServiceSettings(BaseSettings):
    """Base settings. Subclasses set `service_name`; each field reads
    RVI_<SERVICE>_<FIELD> first, then the common RVI_<FIELD>."""

    service_name: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8000

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = DEFAULT_DATABASE_URL
    kafka_bootstrap: str = DEFAULT_KAFKA_BOOTSTRAP
    host: str = "127.0.0.1"
    port: int = 0
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "rvi"
    jwt_audience: str = "rvi"
    # A bearer token valid for longer than this (exp - now, or exp - iat) is refused.
    jwt_max_lifetime_s: float = 24 * 3600
    clock_file: str | None = None
    log_level: str = "INFO"
    # Requests wait for a pooled connection rather than open and close one each under load.
    db_pool_size: int = 20
    outbox_poll_interval_s: float = 1.0
    outbox_retention_s: float = 7 * 24 * 3600
    outbox_check_interval_s: float = 5.0
    consumer_max_retries: int = 3
    consumer_retry_backoff_s: float = 0.2
    # The embedded broker holds a fetch for its whole max wait even when records arrive;
    # a short wait keeps an event hop short (README, Benchmarks).
    consumer_fetch_max_wait_ms: int = 20
    # After this long without a record the consumer fetches with the longer wait: an idle stack
    # does not keep the broker and itself busy (the first event after a quiet spell waits longer).
    consumer_idle_after_s: float = 2.0
    consumer_idle_fetch_max_wait_ms: int = 250
    consumers_enabled: bool = True
    topic_partitions: int = 6
    # Browser origins allowed to call the API (the console on its own origin), comma-separated;
    # empty allows none (no CORS headers at all).
    cors_origins: str = ""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: object) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        prefix = f"RVI_{cls.service_name.upper().replace('-', '_')}_"
        for name, field in cls.model_fields.items():
            field.validation_alias = _common(name.upper(), prefix)
        cls.model_rebuild(force=True)

    @property
    def schema(self) -> str:
        return self.service_name.replace("-", "_")

    @property
    def cors_allow_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def listen_port(self) -> int:
        return self.port or self.default_port


def field_env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


__all__ = ["ServiceSettings", "Field", "field_env", "DEV_JWT_SECRET"]
