"""Settings: mode from the URLs, passwords masked in messages."""

from __future__ import annotations

from crmgraph.config import Mode, Settings, mask_url


def test_mode_follows_database_url() -> None:
    assert Settings(database_url="sqlite+aiosqlite:///x.db").mode is Mode.EMBEDDED
    assert Settings(database_url="postgresql+asyncpg://u:p@h/db").mode is Mode.FULL


def test_mask_url_hides_only_the_password() -> None:
    assert mask_url("postgresql+asyncpg://crm:s3cret@db:5432/crm") == (
        "postgresql+asyncpg://crm:***@db:5432/crm"
    )
    assert mask_url("redis://localhost:6379/0") == "redis://localhost:6379/0"
