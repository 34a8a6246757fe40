"""Test data made through the domain functions (the same path as the API), keyword-only."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts, contacts, deals, pipelines

STAGES = (("Lead", 10), ("Qualification", 25), ("Proposal", 50), ("Negotiation", 75),
          ("Closed Won", 100))  # fmt: skip


async def make_pipeline(
    session: AsyncSession, scope: Scope, *, name: str = "Sales"
) -> tuple[models.Pipeline, dict[str, models.PipelineStage]]:
    pipeline, stages = await pipelines.create_pipeline(
        session,
        scope=scope,
        data=pipelines.NewPipeline(
            name=name,
            stages=tuple(
                pipelines.NewStage(name=n, order=i + 1, probability=p)
                for i, (n, p) in enumerate(STAGES)
            ),
        ),
    )
    return pipeline, {stage.name: stage for stage in stages}


async def make_deal_world(
    sessions: async_sessionmaker[AsyncSession], tenant: str, *, deals_count: int, seed: int = 7
) -> list[uuid.UUID]:
    """Deals spread over values, stages, close dates, industries and contact email domains,
    so that GetDealsWithComplexFilter selects some and rejects others on every condition."""
    rng = random.Random(seed)
    scope = Scope(tenant_id=tenant)
    ids = []
    async with sessions() as session, session.begin():
        _, stages = await make_pipeline(session, scope)
        account_ids = []
        for i, industry in enumerate(
            ["Technology", "Technology", "Finance", "Technology", "Technology"]
        ):
            account = await accounts.create_account(
                session, scope=scope, data=accounts.NewAccount(name=f"A{i}", industry=industry)
            )
            account_ids.append(account.id)
        contact_ids = []
        for i in range(10):
            domain = [
                "enterprise.com",
                "ENTERPRISE.COM",
                "other.org",
                "enterprise.com",
                "enterprise.co",
            ][i % 5]
            contact = await contacts.create_contact(
                session,
                scope=scope,
                data=contacts.NewContact(
                    first_name=f"F{i}",
                    last_name=f"L{i}",
                    email=f"p{i}@{domain}",
                    account_id=account_ids[i % len(account_ids)],
                ),
            )
            contact_ids.append(contact.id)
        start = datetime(2024, 12, 1, tzinfo=UTC)
        for i in range(deals_count):
            contact_id = rng.choice([*contact_ids, None])
            deal = await deals.create_deal(
                session,
                scope=scope,
                data=deals.NewDeal(
                    title=f"Deal {i}",
                    value=Decimal(rng.choice([5000, 10000, 25000, 50000, 50000, 100000, 150000])),
                    stage_id=stages[
                        rng.choice(["Qualification", "Proposal", "Proposal", "Lead"])
                    ].id,
                    contact_id=contact_id,
                    account_id=None if contact_id else rng.choice(account_ids),
                    expected_close_date=rng.choice(
                        [None, *(start + timedelta(days=d) for d in range(0, 150, 5))]
                    ),
                ),
            )
            ids.append(deal.id)
    return ids


async def make_user(session: AsyncSession, scope: Scope, *, name: str = "Una") -> models.User:
    """A user of the tenant's directory (no domain function writes users: they come from
    the identity provider)."""
    user = models.User(
        tenant_id=scope.tenant_id, email=f"{uuid.uuid4().hex[:10]}@crm.test", name=name
    )
    session.add(user)
    await session.flush()
    return user


async def make_account(
    session: AsyncSession, scope: Scope, *, name: str = "Acme"
) -> models.Account:
    account = await accounts.create_account(
        session, scope=scope, data=accounts.NewAccount(name=name)
    )
    await session.flush()
    return account


async def make_contact(
    session: AsyncSession, scope: Scope, *, first_name: str = "Cora"
) -> models.Contact:
    contact = await contacts.create_contact(
        session, scope=scope, data=contacts.NewContact(first_name=first_name, last_name="Lind")
    )
    await session.flush()
    return contact
