"""Reads what lead scoring knows of a lead (crmgraph.domain.scoring.facts): its fields,
touchpoints, the communications and calendar events about it; and the tenant's rules."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped, tenant_of
from crmgraph.domain.scoring import DEFAULT_RULES, LeadFacts, ScoringRules, checked_rules
from crmgraph.domain.scoring.facts import LeadFields, Message, Touch, facts_of
from crmgraph.domain.scoring.rules import rules_json, rules_of


async def lead_facts(session: AsyncSession, scope: Scope, lead: models.Lead) -> LeadFacts:
    tp, comm, ev = models.Touchpoint, models.Communication, models.Event
    touches = await session.execute(
        scoped(select(tp.landing_page, tp.utm_medium, tp.channel), tp, scope)
        .where(tp.lead_id == lead.id)
    )  # fmt: skip
    messages = await session.execute(
        scoped(select(comm.type, comm.direction, comm.occurred_at), comm, scope)
        .where(comm.related_type == "LEAD", comm.related_id == lead.id)
    )  # fmt: skip
    events = await session.scalar(
        scoped(select(func.count()).select_from(ev), ev, scope)
        .where(ev.related_type == "LEAD", ev.related_id == lead.id)
    )  # fmt: skip
    return facts_of(
        LeadFields(lead.job_title, lead.source, lead.custom_fields),
        [Touch(*row) for row in touches],
        [Message(*row) for row in messages],
        events or 0,
    )


async def tenant_rules(session: AsyncSession, scope: Scope) -> ScoringRules:
    """The tenant's rules, or the default when it set none."""
    r = models.LeadScoringRules
    row = await session.scalar(scoped(select(r), r, scope))
    return DEFAULT_RULES if row is None else rules_of(row.rules)


async def set_rules(session: AsyncSession, scope: Scope, rules: ScoringRules) -> ScoringRules:
    """Store the tenant's rules (validated first: nothing changes when they are bad)."""
    rules = checked_rules(rules)
    r = models.LeadScoringRules
    row = await session.scalar(scoped(select(r), r, scope).with_for_update())
    if row is None:
        row = r(tenant_id=tenant_of(scope))
        session.add(row)
    row.rules = rules_json(rules)
    await session.flush()
    return rules
