"""`crmgraph secrets reencrypt` (crmgraph.db.reseal) on both databases: after a new key is put
first, every sealed column is written again with it, so the old key can leave the list."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.migrate import upgrade
from crmgraph.db.models import ZohoOrg
from crmgraph.db.reseal import reencrypt
from crmgraph.db.scoping import Scope
from crmgraph.secrets_at_rest import SecretsKeyError, new_key
from crmgraph.zoho import orgs


async def read_org(settings: Settings, org_id: str) -> ZohoOrg:
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            org = await session.scalar(select(ZohoOrg).where(ZohoOrg.org_id == org_id))
            assert org is not None
            return org
    finally:
        await engine.dispose()


async def test_reencrypt_moves_every_secret_to_the_first_key(
    empty_database: Settings, tenant: str
) -> None:
    old, new = new_key(), new_key()
    before = empty_database.model_copy(update={"secrets_key": old})
    await upgrade(before)
    org_id = f"org{uuid.uuid4().int % 10**12}"
    engine = create_engine(before)
    async with create_session_factory(engine)() as session, session.begin():
        await orgs.add_org(session, scope=Scope(tenant_id=tenant), org_id=org_id,
                           secret="org-secret-0123456789", tokens=["token-000000001"])  # fmt: skip
    await engine.dispose()

    rotating = before.model_copy(update={"secrets_key": f"{new},{old}"})
    engine = create_engine(rotating)
    async with create_session_factory(engine)() as session, session.begin():
        counts = await reencrypt(session)
    await engine.dispose()

    assert counts["zoho_orgs"] >= 1 and "webhook_subscriptions" in counts
    after = await read_org(before.model_copy(update={"secrets_key": new}), org_id)
    assert (after.secret, after.tokens) == ("org-secret-0123456789", ["token-000000001"])
    with pytest.raises(SecretsKeyError):
        await read_org(before, org_id)
