"""Running stage automation rules for one outbox event, exactly once, and recording each run.

For each trigger the event fires (automation_triggers), the rules of that trigger on the
stage it names, read in the event's tenant only, run in order. Each rule's run is a row of
automation_runs written before its actions, in the caller's transaction (the automation
consumer's batch): its unique (event_id, rule_id) is the idempotency key, so an event handled
again (a worker killed before its batch committed, a delivery set back to pending) finds the
run and does nothing, and the actions commit with the run or not at all.

A run is SUCCEEDED (every action done, listed in `actions`), SKIPPED (its conditions did not
hold) or FAILED (an action was refused by the domain rules, or the stored rule is no longer
valid: `error` says why, and none of its actions stay). Any other failure (the database)
raises, so the event is retried.

Loops: the events of a rule's actions carry the run's cause (payloads.RuleCause). A rule never
fires on a change it made itself, and a chain of rules firing on each other's changes stops
after MAX_CHAIN runs, so two rules that undo each other's update_field end.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import Any
from uuid import UUID

from msgspec import UnsetType
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import automation_triggers
from crmgraph.domain.automation_actions import Run, run_action
from crmgraph.domain.automation_conditions import rule_applies
from crmgraph.domain.automation_rules import AutomationRule, rules_from_json, rules_to_json
from crmgraph.domain.automation_triggers import Fired
from crmgraph.errors import DomainError
from crmgraph.events import outbox, payloads
from crmgraph.events.envelope import Envelope

MAX_CHAIN = 3


class Outcome(StrEnum):
    """How a rule's run ended (stored in automation_runs.outcome)."""

    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


async def run_rules(
    session: AsyncSession, event: Envelope[payloads.Payload]
) -> list[models.AutomationRun]:
    """Run the rules event triggers, each at most once; the runs made now (none for a rule
    that already ran for this event)."""
    cause = event.payload.automation
    depth = 0 if isinstance(cause, UnsetType) else cause.depth
    if depth >= MAX_CHAIN:
        return []
    scope = Scope(tenant_id=event.tenant_id, kind="system", subject="automation")
    runs: list[models.AutomationRun] = []
    for fired in automation_triggers.fired(event.topic, event.payload):
        stage_query = select(models.PipelineStage).where(models.PipelineStage.id == fired.stage_id)
        stage = await session.scalar(scoped(stage_query, models.PipelineStage, scope))
        if stage is None:  # removed since, or not this tenant's
            continue
        for index, rule in enumerate(rules_from_json(stage.automation_rules)):
            if automation_triggers.canonical(rule.trigger) != fired.trigger:
                continue
            rule_id = rule_id_of(rule, stage.id, index)
            if not isinstance(cause, UnsetType) and cause.rule_id == rule_id:
                continue  # its own change
            run = await _run_once(session, scope, event, fired, stage, rule, rule_id, depth)
            if run is not None:
                runs.append(run)
    return runs


def rule_id_of(rule: AutomationRule, stage_id: UUID, index: int) -> UUID:
    """A rule's id; one written without (by another client) is known by its place."""
    return rule.id or uuid.uuid5(stage_id, f"rule-{index}")


async def _run_once(
    session: AsyncSession,
    scope: Scope,
    event: Envelope[payloads.Payload],
    fired: Fired,
    stage: models.PipelineStage,
    rule: AutomationRule,
    rule_id: UUID,
    depth: int,
) -> models.AutomationRun | None:
    r = models.AutomationRun
    done = select(r.id).where(r.event_id == event.event_id, r.rule_id == rule_id)
    if await session.scalar(scoped(done, r, scope)) is not None:
        return None
    run = r(tenant_id=scope.tenant_id, event_id=event.event_id, rule_id=rule_id,
            trigger=fired.trigger, pipeline_id=stage.pipeline_id, stage_id=stage.id,
            deal_id=fired.deal_id, outcome=Outcome.SKIPPED, actions=[])  # fmt: skip
    try:
        async with session.begin_nested():
            session.add(run)
            await session.flush()
    except IntegrityError:  # another worker ran it meanwhile (its delivery was reset)
        return None
    try:
        rules_to_json([rule], field="rule")  # a stored rule may predate today's checks
    except DomainError as exc:
        run.outcome, run.error = Outcome.FAILED, f"the rule is not valid: {exc.message}"
        return run
    if not rule_applies(conditions_of(rule), rule.match, facts_of(event.payload, fired, stage)):
        return run
    steps, taken = rule.steps(), []
    context = Run(session=session, scope=scope, deal_id=fired.deal_id, rule_id=rule_id,
                  event_id=event.event_id, at=event.created_at)  # fmt: skip
    cause = payloads.RuleCause(rule_id=rule_id, event_id=event.event_id, depth=depth + 1)
    current = ""
    try:
        async with session.begin_nested():
            with outbox.caused_by(cause):
                for action in steps:
                    current = action.type
                    taken.append(await run_action(context, action.type, action.parameters))
    except DomainError as exc:  # its actions are taken back; the run says why
        run.outcome, run.error = Outcome.FAILED, f"{current}: {exc.message}"
        return run
    run.outcome, run.actions = Outcome.SUCCEEDED, taken
    return run


def conditions_of(rule: AutomationRule) -> Sequence[tuple[str, str, Any]]:
    return [(c.field, c.operator, c.value) for c in rule.conditions]


def facts_of(
    payload: payloads.Payload, fired: Fired, stage: models.PipelineStage
) -> dict[str, Any]:
    """What conditions read: the deal as the event carries it, the stage's name, and what
    the trigger adds (the stage left, the value before)."""
    deal = getattr(payload, "deal", None)
    facts = {} if deal is None else automation_triggers.deal_facts(deal)
    return {**facts, "stage": stage.name, **fired.facts}
