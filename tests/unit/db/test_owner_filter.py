"""The rule of reads at the own and team level (crmgraph.db.scoping): what visible keeps of
each owned table for each level, on SQLite, and the same rule for a row in hand (events)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, limited_reads, may_read_owner, readable_owners, visible
from tests.factories import make_pipeline

TENANT = f"t_owner_{uuid.uuid4().hex[:8]}"
ADA, BOB, CY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def caller(*permissions: str, team: str | None = "north") -> Scope:
    return Scope(tenant_id=TENANT, user_id=ADA, permissions=frozenset(permissions), team=team)


@pytest.fixture
async def rows(session: AsyncSession) -> None:
    """ada and bob of team north, cy of south; a deal, task, event of each, a communication."""
    for id_, name, team in ((ADA, "ada", "north"), (BOB, "bob", "north"), (CY, "cy", "south")):
        session.add(models.User(id=id_, tenant_id=TENANT, email=f"{name}@x.io", name=name,
                                team=team))  # fmt: skip
    await session.flush()
    pipeline, stages = await make_pipeline(session, Scope(tenant_id=TENANT))
    stage = next(iter(stages.values()))
    for owner, name in ((ADA, "ada"), (BOB, "bob"), (CY, "cy"), (None, "nobody")):
        session.add(models.Deal(tenant_id=TENANT, title=name, value=1, probability=10,
                                pipeline_id=pipeline.id, stage_id=stage.id,
                                owner_id=owner))  # fmt: skip
        session.add(models.Task(tenant_id=TENANT, title=name, assigned_to_id=owner,
                                related_type="DEAL", related_id=uuid.uuid4()))  # fmt: skip
    session.add(models.Communication(tenant_id=TENANT, type="EMAIL", direction="OUTBOUND",
                                     content="c", occurred_at=pipeline.created_at,
                                     related_type="DEAL", related_id=uuid.uuid4()))  # fmt: skip
    await session.flush()


async def names(
    session: AsyncSession, model: type[models.Deal | models.Task], scope: Scope
) -> set[str]:
    return set(await session.scalars(visible(select(model.title), model, scope)))


@pytest.mark.parametrize(
    ("permissions", "team", "seen"),
    [
        (("deals:read",), "north", {"ada", "bob", "cy", "nobody"}),
        (("deals:read:own",), "north", {"ada"}),
        (("deals:read:team",), "north", {"ada", "bob"}),
        (("deals:read:team",), None, {"ada"}),  # no team: its own only, as the single-row check
        (("deals:read:own", "deals:read"), "north", {"ada", "bob", "cy", "nobody"}),  # widest wins
        (("tenant:*",), "north", {"ada", "bob", "cy", "nobody"}),
        ((), "north", {"ada", "bob", "cy", "nobody"}),  # no grant: the field's check refuses
    ],
)
async def test_deals_a_reader_sees_at_each_level(
    session: AsyncSession, rows: None, permissions: tuple[str, ...], team: str | None,
    seen: set[str],
) -> None:  # fmt: skip
    assert await names(session, models.Deal, caller(*permissions, team=team)) == seen


async def test_tasks_by_assignee_communications_by_no_one_users_by_team(
    session: AsyncSession, rows: None
) -> None:
    assert await names(session, models.Task, caller("activities:*:own")) == {"ada"}
    stmt = visible(
        select(models.Communication.id), models.Communication, caller("activities:read:own")
    )
    assert list(await session.scalars(stmt)) == []
    users = visible(select(models.User.name), models.User, caller("users:team:read"))
    assert set(await session.scalars(users)) == {"ada", "bob"}


def test_the_rule_for_a_row_in_hand() -> None:
    team = {ADA, BOB}
    assert may_read_owner(caller("deals:read:own"), "deals", ADA)
    assert not may_read_owner(caller("deals:read:own"), "deals", BOB, team)
    assert may_read_owner(caller("deals:read:team"), "deals", BOB, team)
    assert not may_read_owner(caller("deals:read:team"), "deals", CY, team)
    assert not may_read_owner(caller("deals:read:own"), "deals", None)
    assert may_read_owner(caller("deals:read"), "deals", CY)
    assert limited_reads(caller("deals:read:own", "contacts:read")) == {"deals"}
    # the same rule as a set, for a store matching owners itself (Neo4j)
    assert readable_owners(caller("deals:read:team"), "deals", team) == {ADA, BOB}
    assert readable_owners(caller("deals:read:own"), "deals", team) == {ADA}
    assert readable_owners(caller("deals:read"), "deals", team) is None
    assert readable_owners(TENANT, "deals") is None
    assert limited_reads(caller("tenant:*")) == frozenset()
