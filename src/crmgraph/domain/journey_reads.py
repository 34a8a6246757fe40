"""Which customer journey (Query.customerJourney) a caller may ask for, and which of its steps
it may see beyond their kinds (crmgraph.auth.read_needs.JOURNEY_STEPS): a caller reading
contacts, accounts, deals, leads or activities only at the own or team level asks only for
the journey of a contact or account it may read (else NOT_FOUND, as for one of another
tenant) and sees only the steps whose every row it may read (the step's deal, activity,
contact and lead), by the rule of every read, crmgraph.db.scoping.visible.

The steps of both graph adapters pass here after the port answered, and the rule runs on the
tables, which are the truth: the Neo4j projection holds no owner of an activity, so Cypher
could not apply it, and a second copy of the rule in Cypher could drift from this one. A
caller reading everything at the tenant level costs no statement here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import OWNED, Scope, limited_reads, visible
from crmgraph.domain.customer_journey import JourneyStep
from crmgraph.errors import DomainError, ErrorCode

Owned = type[models.Deal | models.Contact | models.Lead | models.Task | models.Event
             | models.Communication | models.Account]  # fmt: skip
ACTIVITIES: dict[str, Owned] = {
    "TASK": models.Task,
    "EVENT": models.Event,
    "COMMUNICATION": models.Communication,
}
CHUNK = 500  # ids per statement: SQLite binds at most 999 parameters


async def check_readable_subject(
    session: AsyncSession, scope: Scope, *, contact_id: UUID | None, account_id: UUID | None
) -> None:
    """NOT_FOUND, naming the argument, unless the caller may read the contact (or account)
    whose journey it asks for; nothing to check for a caller reading it tenant-wide."""
    model: Owned = models.Contact if contact_id is not None else models.Account
    id_ = contact_id if contact_id is not None else account_id
    if id_ is None or OWNED[model][0] not in limited_reads(scope):
        return
    if not await _readable(session, scope, model, {id_}):
        what = "contact" if model is models.Contact else "account"
        raise DomainError(ErrorCode.NOT_FOUND, f"{what} not found", field=f"{what}Id")


async def readable_steps(
    session: AsyncSession, scope: Scope, steps: Sequence[JourneyStep]
) -> list[JourneyStep]:
    """steps, less those naming a row the caller may not read, in their order."""
    limited = limited_reads(scope)
    if not limited:
        return list(steps)
    named: dict[Owned, set[UUID]] = defaultdict(set)
    for step in steps:
        for model, id_ in _rows_of(step):
            if OWNED[model][0] in limited:
                named[model].add(id_)
    readable = {model: await _readable(session, scope, model, ids)
                for model, ids in named.items()}  # fmt: skip
    return [step for step in steps
            if all(id_ in readable.get(model, {id_}) for model, id_ in _rows_of(step))]  # fmt: skip


def _rows_of(step: JourneyStep) -> list[tuple[Owned, UUID]]:
    """The owned rows a step names: its deal, contact, lead and activity."""
    rows: list[tuple[Owned, UUID | None]] = [
        (models.Deal, step.deal_id), (models.Contact, step.contact_id),
        (models.Lead, step.lead_id)]  # fmt: skip
    if step.activity_type is not None:
        rows.append((ACTIVITIES[step.activity_type], step.activity_id))
    return [(model, id_) for model, id_ in rows if id_ is not None]


async def _readable(
    session: AsyncSession, scope: Scope, model: Owned, ids: Collection[UUID]
) -> set[UUID]:
    """The ids among ids of rows of model the caller may read."""
    found: set[UUID] = set()
    every = sorted(ids, key=str)
    for start in range(0, len(every), CHUNK):
        chunk = every[start : start + CHUNK]
        stmt = visible(select(model.id), model, scope).where(model.id.in_(chunk))
        found.update(await session.scalars(stmt))
    return found
