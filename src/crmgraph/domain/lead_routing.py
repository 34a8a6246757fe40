"""Lead routing (README "Lead routing", 000's sales_assignment and qualification_ticket): a
lead whose score reaches the tenant's qualified threshold goes, once, to the sales rep
whose specializations best match it (crmgraph.domain.rep_choice), with a qualification task.

route_lead() is the one path: the lead-router consumer calls it with the lead locked. It
writes through the domain's own paths, so their events fire: update_lead (the owner, when
the lead has none: lead.updated) and create_task (activity.created); the routing row's
unique lead makes a second routing of the lead fail rather than happen."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.db.types import utcnow
from crmgraph.domain.activities import NewTask, RelatedRef, create_task
from crmgraph.domain.contacts import full_name
from crmgraph.domain.lead_scoring_facts import tenant_rules
from crmgraph.domain.leads import LeadChanges, update_lead
from crmgraph.domain.rep_choice import Rep, choose_rep, lead_facts, specializations_of

REP_ROLES = ("sales_rep",)  # the users a lead may be routed to
OPEN_LEADS = ("NEW", "CONTACTED", "QUALIFIED")  # a rep's load: leads it owns in these
OPEN_TASKS = ("PENDING", "IN_PROGRESS")  # and tasks assigned to it in these
TASK_DUE = timedelta(hours=24)
MAX_CAMPAIGNS = 20  # campaign tags read of one lead


async def _counts(
    session: AsyncSession,
    scope: Scope,
    model: type[models.Lead] | type[models.Task],
    by: InstrumentedAttribute[UUID | None],
    ids: list[UUID],
    statuses: tuple[str, ...],
) -> dict[UUID, int]:
    """Rows of model in statuses, grouped by the user column by, for users ids."""
    stmt = scoped(select(by, func.count()), model, scope)
    stmt = stmt.where(by.in_(ids), model.status.in_(statuses)).group_by(by)
    return {user: n for user, n in await session.execute(stmt) if user is not None}


async def reps_of(session: AsyncSession, scope: Scope) -> list[Rep]:
    """The tenant's sales reps with their load (two grouped counts, not a query per rep)."""
    u, lead, task = models.User, models.Lead, models.Task
    users = list(await session.scalars(scoped(select(u), u, scope).where(u.role.in_(REP_ROLES))))
    ids = [user.id for user in users]
    leads = await _counts(session, scope, lead, lead.owner_id, ids, OPEN_LEADS)
    tasks = await _counts(session, scope, task, task.assigned_to_id, ids, OPEN_TASKS)
    return [
        Rep(
            id=user.id,
            name=user.name,
            email=user.email,
            specializations=tuple(user.specializations or ()),
            open_leads=leads.get(user.id, 0),
            pending_tasks=tasks.get(user.id, 0),
        )
        for user in users
    ]


async def campaigns_of(session: AsyncSession, scope: Scope, lead_id: UUID) -> list[str]:
    """The utm_campaign of the lead's touchpoints and the names of the campaigns they name."""
    tp, c = models.Touchpoint, models.Campaign
    utm = await session.scalars(
        scoped(select(tp.utm_campaign), tp, scope)
        .where(tp.lead_id == lead_id, tp.utm_campaign.is_not(None))
        .distinct().limit(MAX_CAMPAIGNS)
    )  # fmt: skip
    names = await session.scalars(
        scoped(select(c.name).join(tp, tp.campaign_id == c.id), c, scope)
        .where(tp.lead_id == lead_id)
        .distinct().limit(MAX_CAMPAIGNS)
    )  # fmt: skip
    return [str(v) for v in (*utm, *names) if v]


async def route_lead(
    session: AsyncSession, scope: Scope, lead: models.Lead, *, event_id: str
) -> models.LeadRouting | None:
    """Route the (locked) lead if its score reaches the qualified threshold and it was never
    routed: the chosen rep becomes its owner when it has none and gets a HIGH qualification
    task due in 24 hours; without a sales rep the task is unassigned. None: nothing to do."""
    if lead.status == "CONVERTED":
        return None
    if lead.score < (await tenant_rules(session, scope)).qualified_threshold:
        return None
    r = models.LeadRouting
    if await session.scalar(scoped(select(r.id), r, scope).where(r.lead_id == lead.id)):
        return None
    facts = lead_facts(lead.source, lead.custom_fields, await campaigns_of(session, scope, lead.id))
    choice = choose_rep(facts, await reps_of(session, scope))
    rep_id = None if choice.rep is None else choice.rep.id
    if rep_id is not None and lead.owner_id is None:
        await update_lead(
            session, scope=scope, lead_id=lead.id, changes=LeadChanges(owner_id=rep_id)
        )
    task = await create_task(
        session,
        scope=scope,
        data=NewTask(
            title=f"Qualify lead {full_name(lead.first_name, lead.last_name)}",
            description=choice.reason,
            due_date=utcnow() + TASK_DUE,
            priority="HIGH",
            assigned_to_id=rep_id,
            related_to=RelatedRef(type="LEAD", id=lead.id),
        ),
    )
    await session.flush()
    row = r(
        tenant_id=scope.tenant_id,
        lead_id=lead.id,
        rep_id=rep_id,
        task_id=task.id,
        matched=list(choice.matched),
        reason=choice.reason,
        score=lead.score,
        event_id=event_id,
    )
    session.add(row)
    await session.flush()
    return row


async def set_specializations(
    session: AsyncSession, *, scope: Scope, user_id: UUID, specializations: list[str]
) -> models.User:
    """Replace the user's specializations (validated first: nothing changes when bad)."""
    tags = specializations_of(specializations)
    user = await get_scoped(session, models.User, user_id, scope=scope, field="userId")
    user.specializations = list(tags)
    await session.flush()
    return user
