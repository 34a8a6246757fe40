"""A tenant's role overrides are read once however many callers want them at once: when the
cache lapses, every open subscription's credential re-check asks together."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from crmgraph.auth.authenticate import Authenticator
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine, create_session_factory


async def test_concurrent_callers_share_one_read_of_the_overrides(
    pg_settings: Settings, tenant: str
) -> None:
    engine = create_engine(pg_settings, pool_size=2)
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("SELECT") and "FROM tenant_roles" in statement:
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            session.add(models.TenantRole(tenant_id=tenant, role="sales_rep",
                                          permissions=["deals:read"]))  # fmt: skip
        authenticator = Authenticator(pg_settings, sessions)
        found = await asyncio.gather(*(authenticator.role_overrides(tenant) for _ in range(50)))
    finally:
        await engine.dispose()
    assert found == [{"sales_rep": ("deals:read",)}] * 50
    assert len(reads) == 1
