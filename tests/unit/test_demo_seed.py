"""The demo seed's integrations (crmgraph.demo_integrations): in the local embedded demo a
Zoho organisation with the README's secret, one received event mapped, one dead letter that
a replay maps, and a webhook with attempts; anywhere else none of these known secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crmgraph import demo_integrations as demo
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine
from crmgraph.db.models import Base
from crmgraph.db.scoping import Scope
from crmgraph.demo import DEMO_TENANT, load_demo
from crmgraph.domain import webhooks
from crmgraph.events.consumers.zoho_mapper import ZohoMapper, record_of
from crmgraph.events.deliveries import DEAD
from crmgraph.events.topics import Topic
from crmgraph.zoho import orgs, replay
from crmgraph.zoho.formats import spec000
from crmgraph.zoho.mapping import Outcome, apply_record

SYSTEM = Scope(tenant_id=DEMO_TENANT, kind="system")


def settings_at(path: Path, host: str = "127.0.0.1") -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", host=host)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings_at(tmp_path / "demo.db"))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def mapper_state(session: AsyncSession, row: models.ZohoInboundEvent) -> str | None:
    o, d = models.OutboxEvent, models.OutboxDelivery
    return await session.scalar(
        select(d.state).join(o, o.id == d.outbox_id)
        .where(o.aggregate_id == row.id, d.consumer == ZohoMapper.name)
    )  # fmt: skip


async def test_embedded_demo_has_a_zoho_org_events_and_a_webhook(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    assert await load_demo(sessions, settings_at(tmp_path / "demo.db")) is True

    async with sessions() as session:
        found = await orgs.find_keys(session, demo.DEMO_ZOHO_ORG)
        events = {e.record_id: e for e in await session.scalars(select(models.ZohoInboundEvent))}
        contact = await session.scalar(
            select(models.Contact).where(models.Contact.zoho_id == demo.MAPPED_CONTACT)
        )
        dead = events[demo.DEAD_DEAL]
        dead_state = await mapper_state(session, dead)
        mapped_state = await mapper_state(session, events[demo.MAPPED_CONTACT])
        hooks = await webhooks.list_subscriptions(session, scope=SYSTEM)
        attempts = await webhooks.list_deliveries(session, scope=SYSTEM, webhook_id=hooks[0].id)
        lines = await demo.describe(session, DEMO_TENANT)

    assert found is not None
    tenant, keys = found
    assert (tenant, keys.secret, keys.tokens) == (
        DEMO_TENANT, demo.DEMO_ZOHO_SECRET, (demo.DEMO_ZOHO_TOKEN,))  # fmt: skip
    assert set(events) == {demo.MAPPED_CONTACT, demo.DEAD_DEAL}
    assert {e.source_format for e in events.values()} == {spec000.FORMAT.name}
    assert events[demo.MAPPED_CONTACT].outcome == Outcome.CREATED.value
    assert contact is not None and (contact.first_name, contact.last_name) == ("Hedy", "Lamarr")
    assert mapped_state is None  # handled: the mapper has nothing left to do
    assert dead.processed_at is None and dead_state == DEAD
    hook = (demo.DEMO_WEBHOOK_URL, demo.DEMO_WEBHOOK_SECRET, [Topic.DEAL_STAGE_CHANGED.value])
    assert [(h.url, h.secret, h.events) for h in hooks] == [hook]
    assert sorted((a.attempt, a.succeeded) for a in attempts) == [(1, False), (2, True)]
    assert f".venv/bin/crmgraph webhooks replay {dead.id}" in "\n".join(lines)


async def test_the_demo_dead_letter_maps_once_replayed(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    # The deal came before the demo's pipeline; now that there is one, a replay maps it.
    await load_demo(sessions, settings_at(tmp_path / "demo.db"))
    async with sessions() as session, session.begin():
        dead = await session.scalar(
            select(models.ZohoInboundEvent).where(
                models.ZohoInboundEvent.record_id == demo.DEAD_DEAL)
        )  # fmt: skip
        assert dead is not None
        again = await replay.replay(session, scope=SYSTEM, event_id=dead.id)
        state = await mapper_state(session, dead)
        applied = await apply_record(session, SYSTEM, record_of(dead))

    assert (again.was, state) == (DEAD, "pending")
    assert applied.outcome is Outcome.CREATED


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3"])
async def test_the_seed_leaves_known_secrets_out_off_loopback(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path, host: str
) -> None:
    settings = settings_at(tmp_path / "demo.db", host=host)

    assert await load_demo(sessions, settings) is True
    async with sessions() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (models.ZohoOrg, models.ZohoInboundEvent, models.WebhookSubscription)
        ]
        deals = await session.scalar(select(func.count()).select_from(models.Deal))
        with pytest.raises(demo.KnownSecretsRefused):
            await demo.receive_early(session, SYSTEM, settings)
        with pytest.raises(demo.KnownSecretsRefused):
            await demo.receive_late(session, SYSTEM, settings)

    assert counts == [0, 0, 0]
    assert deals  # the rest of the demo is there


def test_only_the_embedded_mode_on_loopback_is_the_local_demo() -> None:
    full = Settings(database_url="postgresql://crm@db.example/crm", host="127.0.0.1")
    sqlite = "sqlite+aiosqlite:///x.db"

    assert Settings(database_url=sqlite, host="127.0.0.1").is_local_demo
    assert Settings(database_url=sqlite, host="::1").is_local_demo
    assert not Settings(database_url=sqlite, host="0.0.0.0").is_local_demo
    assert not full.is_local_demo
    assert not demo.allowed(full)


async def test_the_demo_proposal_rule_reviews_a_deal_moved_into_it(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    from crmgraph.domain import deals
    from crmgraph.domain.automation_runs import run_rules
    from crmgraph.events.bus import BusEvent
    from crmgraph.events.envelope import Envelope

    assert await load_demo(sessions, settings_at(tmp_path / "demo.db")) is True
    async with sessions() as session, session.begin():
        deal = await session.scalar(
            select(models.Deal).where(models.Deal.title == "Helpdesk outsourcing")
        )
        proposal = await session.scalar(
            select(models.PipelineStage).where(models.PipelineStage.name == "Proposal")
        )
        rep = await session.scalar(select(models.User).where(models.User.role == "sales_rep"))
        assert deal is not None and proposal is not None and rep is not None
        await deals.move_deal_stage(session, scope=SYSTEM, deal_id=deal.id,
                                    stage_id=proposal.id, reason="demo")  # fmt: skip
        await session.flush()
        o = models.OutboxEvent
        row = await session.scalar(
            select(o).where(o.aggregate_id == deal.id).order_by(o.sequence.desc()).limit(1)
        )
        assert row is not None

        [run] = await run_rules(session, Envelope.of(BusEvent.from_row(row)))

        assert run.outcome == "SUCCEEDED"
        assert [a["type"] for a in run.actions] == ["assign_user", "create_task"]
        assert deal.owner_id == rep.id
