"""Running stage automation rules for an event (crmgraph.domain.automation_runs) on the
embedded database: the actions through the domain functions, once per event and rule, runs
recorded, no endless loops, and never another tenant's rules."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import automation_rules, deals, pipelines
from crmgraph.domain.automation_rules import AutomationRule, RuleAction, RuleCondition
from crmgraph.domain.automation_runs import MAX_CHAIN, run_rules
from crmgraph.events import payloads
from crmgraph.events.bus import BusEvent
from crmgraph.events.envelope import Envelope
from tests.factories import make_pipeline, make_user


def tenant() -> Scope:
    return Scope(tenant_id=f"t_{uuid.uuid4().hex[:10]}")


async def set_rules(
    session: AsyncSession, scope: Scope, stage: models.PipelineStage, *rules: AutomationRule
) -> None:
    await pipelines.update_pipeline_stage(
        session, scope=scope, pipeline_id=stage.pipeline_id, stage_id=stage.id,
        changes=pipelines.StageChanges(automation_rules=rules),
    )  # fmt: skip


async def last_event(session: AsyncSession, deal_id: uuid.UUID) -> Envelope[payloads.Payload]:
    e = models.OutboxEvent
    await session.flush()
    row = await session.scalar(
        select(e).where(e.aggregate_id == deal_id).order_by(e.sequence.desc()).limit(1)
    )
    assert row is not None
    return Envelope.of(BusEvent.from_row(row))


async def count(session: AsyncSession, model: type[Any], scope: Scope) -> int:
    stmt = scoped(select(func.count()).select_from(model), model, scope)
    return int(await session.scalar(stmt) or 0)


HIGH_VALUE = RuleCondition(field="value", operator="greater_than", value=10000)


async def test_entering_a_stage_runs_its_rule_once_per_event(session: AsyncSession) -> None:
    scope = tenant()
    _, stages = await make_pipeline(session, scope)
    senior = await make_user(session, scope, name="Senior")
    await set_rules(session, scope, stages["Proposal"], AutomationRule(
        trigger="deal_entered_stage", conditions=(HIGH_VALUE,),
        actions=(RuleAction(type="assign_user", parameters={"userId": str(senior.id)}),
                 RuleAction(type="create_task", parameters={"title": "Review",
                                                            "dueInHours": 24})),
    ))  # fmt: skip
    deal = await deals.create_deal(
        session, scope=scope, data=deals.NewDeal(title="Big", value=Decimal(20000))
    )
    await deals.move_deal_stage(session, scope=scope, deal_id=deal.id,
                                stage_id=stages["Proposal"].id, reason=None)  # fmt: skip
    moved = await last_event(session, deal.id)

    [run] = await run_rules(session, moved)
    again = await run_rules(session, moved)

    assert again == []
    assert (run.outcome, run.trigger, run.error) == ("SUCCEEDED", "stage_entered", None)
    task = await session.scalar(scoped(select(models.Task), models.Task, scope))
    assert task is not None
    assert (task.title, task.related_type, task.related_id) == ("Review", "DEAL", deal.id)
    assert task.due_date == moved.created_at + timedelta(hours=24)
    assert task.assigned_to_id == senior.id  # the owner the action before it assigned
    assert deal.owner_id == senior.id
    assert run.actions == [
        {"type": "assign_user", "userId": str(senior.id)},
        {"type": "create_task", "taskId": str(task.id), "dueDate": task.due_date.isoformat(),
         "assignedTo": str(senior.id)},
    ]  # fmt: skip
    assert await count(session, models.Task, scope) == 1
    assert await count(session, models.AutomationRun, scope) == 1
    # The rule's changes went out as events, like any other, saying which rule made them.
    updated = await last_event(session, deal.id)
    assert updated.topic == "deal.updated"
    assert isinstance(updated.payload.automation, payloads.RuleCause)
    assert updated.payload.automation.rule_id == run.rule_id


async def test_conditions_that_do_not_hold_skip_the_rule_and_say_so(session: AsyncSession) -> None:
    scope = tenant()
    _, stages = await make_pipeline(session, scope)
    await set_rules(session, scope, stages["Lead"], AutomationRule(
        trigger="deal_created", conditions=(HIGH_VALUE,), action="create_task",
        parameters={"title": "Review"},
    ))  # fmt: skip
    deal = await deals.create_deal(
        session, scope=scope, data=deals.NewDeal(title="Small", value=Decimal(500))
    )

    [run] = await run_rules(session, await last_event(session, deal.id))

    assert (run.outcome, run.actions) == ("SKIPPED", [])
    assert await count(session, models.Task, scope) == 0


async def test_a_refused_action_fails_the_run_and_takes_back_its_actions(
    session: AsyncSession,
) -> None:
    scope = tenant()
    _, stages = await make_pipeline(session, scope)
    leaving = await make_user(session, scope, name="Leaving")
    await set_rules(session, scope, stages["Lead"], AutomationRule(
        trigger="deal_created", actions=(
            RuleAction(type="create_task", parameters={"title": "First"}),
            RuleAction(type="assign_user", parameters={"userId": str(leaving.id)}),
        ),
    ))  # fmt: skip
    await session.delete(leaving)  # gone from the directory after the rule was written
    deal = await deals.create_deal(
        session, scope=scope, data=deals.NewDeal(title="D", value=Decimal(5))
    )

    [run] = await run_rules(session, await last_event(session, deal.id))

    assert run.outcome == "FAILED"
    assert run.error == f"assign_user: User {leaving.id} not found"
    assert (run.actions, deal.owner_id) == ([], None)
    assert await count(session, models.Task, scope) == 0


def set_value(value: int) -> AutomationRule:
    return AutomationRule(trigger="deal_value_changed", action="update_field",
                          parameters={"field": "value", "value": value})  # fmt: skip


async def run_until_quiet(
    session: AsyncSession, deal_id: uuid.UUID
) -> list[Envelope[payloads.Payload]]:
    """Hand the deal's last event, and every event its rules write, to run_rules, as the
    consumer would; every event seen (at most 100)."""
    pending, seen = [await last_event(session, deal_id)], []
    e = models.OutboxEvent
    while pending and len(seen) < 100:
        event = pending.pop(0)
        seen.append(event)
        before = (await last_event(session, deal_id)).sequence
        await run_rules(session, event)
        await session.flush()
        newer = select(e).where(e.aggregate_id == deal_id, e.sequence > before)
        rows = await session.scalars(newer.order_by(e.sequence))
        pending += [Envelope.of(BusEvent.from_row(row)) for row in rows]
    return seen


async def runs_of(session: AsyncSession, scope: Scope) -> list[models.AutomationRun]:
    stmt = scoped(select(models.AutomationRun), models.AutomationRun, scope)
    return list(await session.scalars(stmt))


async def test_a_rule_never_fires_on_its_own_update(session: AsyncSession) -> None:
    scope = tenant()
    _, stages = await make_pipeline(session, scope)
    await set_rules(session, scope, stages["Lead"], set_value(500))
    deal = await deals.create_deal(
        session, scope=scope, data=deals.NewDeal(title="D", value=Decimal(5))
    )
    await deals.update_deal(session, scope=scope, deal_id=deal.id,
                            changes=deals.DealChanges(value=100))  # fmt: skip

    seen = await run_until_quiet(session, deal.id)

    assert [(event.topic, event.payload.previous_value) for event in seen] == [  # type: ignore[attr-defined]
        ("deal.updated", Decimal("5.00")),
        ("deal.updated", Decimal("100.00")),  # the rule's own: it does not fire again
    ]
    [run] = await runs_of(session, scope)
    assert (run.outcome, deal.value) == ("SUCCEEDED", Decimal("500.00"))


async def test_rules_undoing_each_other_stop_after_max_chain(session: AsyncSession) -> None:
    scope = tenant()
    _, stages = await make_pipeline(session, scope)
    await set_rules(session, scope, stages["Lead"], set_value(500), set_value(600))
    deal = await deals.create_deal(
        session, scope=scope, data=deals.NewDeal(title="D", value=Decimal(5))
    )
    await deals.update_deal(session, scope=scope, deal_id=deal.id,
                            changes=deals.DealChanges(value=100))  # fmt: skip

    seen = await run_until_quiet(session, deal.id)

    assert len(seen) < 100
    depths = [e.payload.automation.depth for e in seen
              if isinstance(e.payload.automation, payloads.RuleCause)]  # fmt: skip
    assert max(depths) == MAX_CHAIN
    runs = await runs_of(session, scope)
    assert {run.rule_id for run in runs} == {rule.id for rule in await rules_of(session, stages)}
    causes = {e.event_id: e.payload.automation for e in seen}
    for run in runs:  # no rule ran for its own change
        cause = causes[run.event_id]
        assert not isinstance(cause, payloads.RuleCause) or cause.rule_id != run.rule_id


async def rules_of(
    session: AsyncSession, stages: dict[str, models.PipelineStage]
) -> list[AutomationRule]:
    stage = await session.get(models.PipelineStage, stages["Lead"].id)
    assert stage is not None
    return automation_rules.rules_from_json(stage.automation_rules)


async def test_an_event_never_runs_another_tenants_rules(session: AsyncSession) -> None:
    ours, theirs = tenant(), tenant()
    _, their_stages = await make_pipeline(session, theirs)
    await set_rules(session, theirs, their_stages["Lead"], AutomationRule(
        trigger="deal_created", action="create_task", parameters={"title": "Theirs"},
    ))  # fmt: skip
    their_deal = await deals.create_deal(
        session, scope=theirs, data=deals.NewDeal(title="D", value=Decimal(5))
    )
    created = await last_event(session, their_deal.id)
    # The same event claimed for our tenant (a forged or misrouted one): it names their stage.
    forged = replace(created, tenant_id=ours.tenant_id, event_id=uuid.uuid4())

    assert await run_rules(session, forged) == []
    assert await count(session, models.Task, theirs) == 0
    assert await count(session, models.Task, ours) == 0
    assert len(await run_rules(session, created)) == 1  # theirs, for their own event
