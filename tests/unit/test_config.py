"""Settings: mode from the URLs, passwords masked in messages, ANONYMOUS_TENANT kept local,
secrets and proxies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crmgraph.auth.authenticate import client_ip
from crmgraph.config import Mode, Settings, mask_url


def test_mode_follows_database_url() -> None:
    assert Settings(database_url="sqlite+aiosqlite:///x.db").mode is Mode.EMBEDDED
    assert Settings(database_url="postgresql+asyncpg://u:p@h/db").mode is Mode.FULL


def test_mask_url_hides_only_the_password() -> None:
    assert mask_url("postgresql+asyncpg://crm:s3cret@db:5432/crm") == (
        "postgresql+asyncpg://crm:***@db:5432/crm"
    )
    assert mask_url("redis://localhost:6379/0") == "redis://localhost:6379/0"


def test_anonymous_tenant_is_allowed_only_embedded_on_loopback() -> None:
    demo = {"anonymous_tenant": "demo", "database_url": "sqlite+aiosqlite:///x.db"}
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert Settings(**demo, host=host).anonymous_tenant == "demo"
    for host in ("0.0.0.0", "::", "10.0.0.5", "crm.example.com"):
        with pytest.raises(ValidationError, match="ANONYMOUS_TENANT is only for the embedded"):
            Settings(**demo, host=host)
    with pytest.raises(ValidationError, match=r"the mode is full and HOST 127\.0\.0\.1"):
        Settings(**demo | {"database_url": "postgresql://u:p@h/db"}, host="127.0.0.1")


def test_without_anonymous_tenant_any_host_and_mode_are_fine() -> None:
    settings = Settings(anonymous_tenant="", database_url="postgresql://u:p@h/db", host="0.0.0.0")

    assert settings.mode is Mode.FULL


def test_rest_believes_forwarded_addresses_only_from_configured_proxies() -> None:
    forged = {"x-forwarded-for": "10.9.9.9, 10.0.0.7"}

    assert client_ip(forged, "127.0.0.1", Settings()) == "127.0.0.1"
    behind = Settings(trusted_proxies="192.0.2.10")
    assert client_ip(forged, "192.0.2.10", behind) == "10.0.0.7"
    assert client_ip(forged, "127.0.0.1", behind) == "127.0.0.1"


def test_router_secret_has_no_default_and_no_short_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRMGRAPH_ROUTER_SECRET", raising=False)
    assert Settings().router_secret is None
    assert Settings(router_secret="").router_secret is None
    with pytest.raises(ValidationError, match="at least 32 printable characters"):
        Settings(router_secret="0123456789")
    assert "s3cret" not in repr(Settings(router_secret="s3cret" * 6))
