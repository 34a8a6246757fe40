"""Settings: the only place that reads the environment; the mode follows from the URLs."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

RUN_DIR = Path(".run")

# Development-only HS256 key: `make run` sets JWT_SECRET to it, and `crmgraph token` signs
# with it when no key is configured. Production configures JWT_JWKS_URL or JWT_PUBLIC_KEY.
DEV_JWT_SECRET = "crmgraph-local-development-key-not-for-production"
# The router's secret (CRMGRAPH_ROUTER_SECRET): router-config/gateway.config.ts checks the same.
MIN_ROUTER_SECRET = 32
MAKE_SECRET = "make one with: openssl rand -hex 32"
MAKE_KEY = "make one with: openssl rand -base64 32 | tr '+/' '-_'"


class Mode(StrEnum):
    EMBEDDED = "embedded"
    FULL = "full"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    database_url: str = Field(default=f"sqlite+aiosqlite:///{RUN_DIR}/crmgraph.db")
    redis_url: str = Field(default="memory://")
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""

    # HS256 tokens are accepted only when this is set.
    jwt_secret: str | None = None
    # Accepted `iss` values, comma-separated; tokens crmgraph issues carry the first.
    jwt_issuer: str = "crmgraph-dev"
    jwt_audience: str = "crm-api"
    jwt_leeway_seconds: int = 30
    # The identity provider's keys: a JWKS URL, or one PEM public key (text or a file path).
    jwt_jwks_url: str | None = None
    jwt_public_key: str | None = None
    # crmgraph's own signing key for integration tokens (RS256, PEM text or path).
    jwt_private_key: str | None = None
    jwt_key_id: str = "crmgraph-1"
    # When set, requests without credentials act as a tenant admin of this tenant. `make run`
    # sets it to `demo` so GraphiQL works out of the box; refused outside the embedded mode
    # on loopback (see _anonymous_only_in_the_local_demo).
    anonymous_tenant: str | None = None

    # How long a tenant's role overrides and a verified token are cached per process, in seconds.
    auth_cache_seconds: float = 10.0
    # An API key's state (revoked, expired, allow-list) is re-read after this many seconds, for
    # X-API-Key requests and the tokens /oauth2/token issued; open subscriptions and SSE
    # streams re-check their credentials this often.
    credential_check_seconds: float = Field(default=2.0, gt=0, le=10)
    # The REST shim believes X-Forwarded-For only from these peers (a reverse proxy in front of
    # it); comma-separated addresses. Subgraphs believe the router's by its secret instead.
    trusted_proxies: str = ""
    # Shared by the router and the Python services: subgraphs refuse every request (but
    # /health) without it in x-router-secret, and the REST shim's /internal/introspect answers
    # only requests that carry it. No default: `crmgraph serve` refuses to start subgraphs
    # without it; unset, introspection answers nobody.
    router_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CRMGRAPH_ROUTER_SECRET", "router_secret"),
        repr=False,
    )
    # Encrypts stored secrets (webhook and Zoho secrets and tokens; crmgraph.secrets_at_rest):
    # Fernet keys, comma-separated, the first encrypts and all decrypt (rotation). Required
    # outside the embedded demo, which keeps a generated one beside its SQLite file.
    secrets_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CRMGRAPH_SECRETS_KEY", "secrets_key"),
        repr=False,
    )

    host: str = "127.0.0.1"
    rest_port: int = 8000
    # Request bodies larger than this get 413 from the REST shim (the router has its own,
    # CRMGRAPH_MAX_BODY_BYTES).
    rest_max_body_bytes: int = Field(default=1_048_576, gt=0)
    # The same for Zoho webhooks (POST /webhooks/zoho/{module}).
    zoho_webhook_max_body_bytes: int = Field(default=1_048_576, gt=0)
    # Zoho CRM's REST API (notification callbacks carry ids: crmgraph.zoho.crm_api): the
    # accounts server of organisations registered without one, the API domain when the token
    # call names none, and the time one call may take.
    zoho_accounts_url: str = "https://accounts.zoho.com"
    zoho_api_domain: str = "https://www.zohoapis.com"
    zoho_api_timeout_seconds: float = Field(default=10.0, gt=0)
    # Zoho CRM notification channels (crmgraph.zoho.channels): the REST shim's public address,
    # which `crmgraph zoho watch` gives Zoho (<it>/webhooks/zoho/crm?org_id=...), and how often
    # the consumers' process looks for channels to renew.
    zoho_notify_base_url: str | None = None
    zoho_watch_check_seconds: float = Field(default=300.0, gt=0)
    sql_echo: bool = False
    debug: bool = False
    # Server processes also run the outbox consumers (crmgraph.events.consumers): `make run`
    # and the tests. Off where `crmgraph worker` processes run them instead.
    consumers_in_process: bool = True
    # Graceful shutdown (crmgraph.server, README: Health and shutdown). On SIGTERM a process
    # answers /readyz with 503 for SHUTDOWN_DELAY_SECONDS while still serving (so a load
    # balancer stops sending first), closes its WebSockets with 1001, stops accepting, and
    # gives in-flight requests and outbox batches SHUTDOWN_DRAIN_SECONDS to finish.
    shutdown_delay_seconds: float = Field(default=0.0, ge=0, le=300)
    shutdown_drain_seconds: float = Field(default=20.0, gt=0, le=3600)
    # `crmgraph worker`'s /livez and /readyz listener (on HOST); 0: a port the kernel picks.
    worker_health_port: int = Field(default=8010, ge=0, le=65535)
    # Per process: the read pool holds at most this many PostgreSQL connections, the write pool
    # half as many (at least 2); a process running the consumers adds the runner's pool and
    # one to LISTEN (crmgraph.runtime.connection_budget: 12, or 24, with the default 8). A
    # request holds one only while a query runs and waits for one when all are busy: the
    # pools never grow, so the processes' budgets must sum under PostgreSQL's max_connections.
    db_pool_size: int = Field(default=8, gt=0)
    max_page_size: int = 100
    # Subgraph reads the compiler knows are answered by one PostgreSQL statement that builds
    # the JSON (crmgraph.compiled; README: Compiled reads); off, every read runs the
    # resolvers. Never on SQLite (the embedded mode), whatever this says.
    compiled_reads: bool = True
    # Webhook targets that are, or resolve to, loopback, private, link-local, multicast or
    # reserved addresses are refused (SSRF) unless this is true (crmgraph.webhooks.addresses).
    webhook_allow_private_targets: bool = False
    # A dispatcher that took a delivery holds it for the webhook's timeout_seconds plus this;
    # if its process dies meanwhile, another sends it again once that has passed.
    webhook_lease_slack_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Browser origins allowed by CORS, comma-separated; `*` stands for one host label
    # (`https://*.example.com`). The router reads the same CRMGRAPH_CORS_ORIGINS.
    cors_origins: str = Field(
        default="http://localhost:3000,https://localhost:3000,http://localhost:4000,http://127.0.0.1:4000",
        validation_alias=AliasChoices("CRMGRAPH_CORS_ORIGINS", "cors_origins"),
    )

    # Rate limits (REST shim; the router reads the same variables): JSON shaped like the
    # design's tiers, merged over its defaults, e.g. {"authenticated_user": {"burst_limit": 3}}.
    rate_limits: str | None = Field(
        default=None, validation_alias=AliasChoices("CRMGRAPH_RATE_LIMITS", "rate_limits")
    )
    rate_limits_enabled: bool = Field(
        default=True,
        validation_alias=AliasChoices("CRMGRAPH_RATE_LIMITS_ENABLED", "rate_limits_enabled"),
    )
    # Where the native router's rate-limit plugin (crmgraph.native_router writes it) asks who a
    # caller is: the REST shim's /internal/introspect, as Hive Gateway's rate limiter does.
    auth_url: str = Field(
        default="http://127.0.0.1:8000/internal/introspect",
        validation_alias=AliasChoices("CRMGRAPH_AUTH_URL", "auth_url"),
    )

    @field_validator("database_url")
    @classmethod
    def _database_driver(cls, url: str) -> str:
        """Plain postgresql:// URLs get the asyncpg driver; anything else unknown is refused."""
        for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            return url
        if url.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        raise ValueError("must be a postgresql:// or sqlite+aiosqlite:// URL")

    @field_validator("redis_url")
    @classmethod
    def _pubsub_scheme(cls, url: str) -> str:
        if not url.startswith(("redis://", "rediss://", "memory://")):
            raise ValueError("must be a redis://, rediss:// or memory:// URL")
        return url

    @field_validator("neo4j_uri")
    @classmethod
    def _neo4j_scheme(cls, url: str | None) -> str | None:
        schemes = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
        if url and not url.startswith(schemes):
            raise ValueError("must be a bolt:// or neo4j:// URI")
        return url or None

    @model_validator(mode="after")
    def _anonymous_only_in_the_local_demo(self) -> Settings:
        """Anonymous requests act as a tenant admin: acceptable for the demo on one's own
        machine, never where anyone else can connect or on a shared database."""
        if self.anonymous_tenant and not self.is_local_demo:
            raise ValueError(
                "ANONYMOUS_TENANT is only for the embedded demo on this machine (a SQLite "
                "DATABASE_URL and HOST 127.0.0.1, ::1 or localhost); here the mode is "
                f"{_mode_of(self.database_url)} and HOST {self.host}. Unset ANONYMOUS_TENANT "
                "and send a token"
            )
        return self

    @field_validator("secrets_key")
    @classmethod
    def _fernet_keys(cls, keys: str | None) -> str | None:
        for key in (k.strip() for k in (keys or "").split(",")):
            try:
                valid = len(base64.urlsafe_b64decode(key.encode())) == 32 and len(key) == 44
            except (ValueError, binascii.Error):
                valid = False
            if key and not valid:
                raise ValueError(f"each key must be 32 bytes in URL-safe base64 ({MAKE_KEY})")
        return keys if keys and keys.strip(" ,") else None

    @model_validator(mode="after")
    def _secrets_key_outside_the_demo(self) -> Settings:
        if not self.secrets_key and _mode_of(self.database_url) is not Mode.EMBEDDED:
            raise ValueError(
                "CRMGRAPH_SECRETS_KEY is required with PostgreSQL: it encrypts the stored "
                f"webhook and Zoho secrets ({MAKE_KEY})"
            )
        return self

    @property
    def secrets_keys(self) -> list[str]:
        return [k.strip() for k in (self.secrets_key or "").split(",") if k.strip()]

    @field_validator("router_secret")
    @classmethod
    def _long_secret(cls, secret: str | None) -> str | None:
        """The router's own rule: long, and sendable as a header value as it is."""
        if secret and not re.fullmatch(rf"[\x21-\x7a|~]{{{MIN_ROUTER_SECRET},}}", secret):
            raise ValueError(
                f"must be at least {MIN_ROUTER_SECRET} printable characters without spaces or "
                f"braces ({MAKE_SECRET})"
            )
        return secret or None

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def jwt_issuers(self) -> list[str]:
        return [i.strip() for i in self.jwt_issuer.split(",") if i.strip()]

    def jwt_public_key_pem(self) -> str | None:
        return _pem(self.jwt_public_key)

    def jwt_private_key_pem(self) -> str | None:
        return _pem(self.jwt_private_key)

    @property
    def is_local_demo(self) -> bool:
        """The embedded mode listening on loopback only: where the demo's conveniences
        (ANONYMOUS_TENANT, demo data with known secrets) are allowed, and nowhere else."""
        return _mode_of(self.database_url) is Mode.EMBEDDED and is_loopback(self.host)

    @cached_property
    def mode(self) -> Mode:
        return _mode_of(self.database_url)

    @property
    def graph_backend(self) -> str:
        return "neo4j" if self.neo4j_uri else "sql"


def _mode_of(database_url: str) -> Mode:
    return Mode.EMBEDDED if database_url.startswith("sqlite") else Mode.FULL


def is_loopback(host: str) -> bool:
    """Does listening on `host` keep every other machine out?"""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _pem(value: str | None) -> str | None:
    """PEM text as given, or read from the file it names."""
    if not value:
        return None
    if "-----BEGIN" in value:
        return value
    return Path(value).read_text()


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0].split(":", 1)[0] + ":***"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{netloc[1]}"))


def load_settings() -> Settings:
    return Settings()
