"""API keys' rules: what createApiKey refuses (run on SQLite), the stored secret and the IP
allow-list. tests/e2e/test_api_keys.py shows a refusal and the allow-list through the router."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import api_keys
from crmgraph.errors import DomainError

SCOPE = Scope(tenant_id="t_keys", subject="admin")


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"rate_limit_tier": "gold"}, "rateLimitTier"),
        ({"ip_allowlist": ("10.0.0.0/8", "not-an-ip")}, "ipWhitelist.1"),
        ({"expires_at": datetime.now(UTC) - timedelta(seconds=1)}, "expiresAt"),
        ({"permissions": ("deals:read", "*")}, "permissions.1"),
        ({"permissions": ("everything",)}, "permissions.0"),
        # A key is no user: an own-level read passed every ownerless field (all deals).
        ({"permissions": ("contacts:read", "deals:read:own")}, "permissions.1"),
        ({"permissions": ("users:team:read",)}, "permissions.0"),
        ({"name": "  "}, "name"),
    ],
)
async def test_invalid_key_input_names_its_field_and_writes_nothing(
    session: AsyncSession, given: dict[str, object], field: str
) -> None:
    data = api_keys.NewApiKey(**{"name": "k", **given})  # type: ignore[arg-type]

    with pytest.raises(DomainError) as raised:
        await api_keys.create_api_key(session, scope=SCOPE, data=data)

    assert (raised.value.code.value, raised.value.field) == ("VALIDATION_ERROR", field)
    assert await session.scalar(select(func.count()).select_from(models.ApiKey)) == 0


async def test_a_key_stores_only_a_hash_of_its_secret(session: AsyncSession) -> None:
    data = api_keys.NewApiKey(name=" k ", rate_limit_tier="premium_integration",
                              permissions=("deals:read",), ip_allowlist=("10.0.0.1",))  # fmt: skip

    key, secret = await api_keys.create_api_key(session, scope=SCOPE, data=data)

    assert (key.name, key.created_by, key.key[:7]) == ("k", "admin", "ck_pre_")
    assert secret.startswith("cs_") and secret not in key.secret_hash
    assert api_keys.secret_matches(secret, key.secret_hash)
    assert not api_keys.secret_matches(secret + "x", key.secret_hash)


@pytest.mark.parametrize(
    ("allowlist", "client", "allowed"),
    [
        (None, None, True),
        ([], "1.2.3.4", True),
        (["10.0.0.0/8"], "10.9.9.9", True),
        (["10.0.0.0/8"], "11.0.0.1", False),
        (["10.0.0.1"], "10.0.0.1", True),
        (["2001:db8::/32"], "2001:db8::1", True),
        (["10.0.0.0/8"], None, False),
        (["10.0.0.0/8"], "not-an-ip", False),
    ],
)
def test_the_allow_list_admits_only_its_networks(
    allowlist: list[str] | None, client: str | None, allowed: bool
) -> None:
    assert api_keys.ip_allowed(allowlist, client) is allowed
