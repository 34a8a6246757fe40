"""Customer health of a tenant's accounts: their facts (crmgraph.domain.health_facts) and
the tenant's weights (crmgraph.domain.health_weights) read, then assessed by the rules of
crmgraph.domain.health."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.scoping import Scope
from crmgraph.domain.health import DEFAULT_MONTHS, HealthReport, assess, checked_months
from crmgraph.domain.health_facts import load_account_facts, load_facts
from crmgraph.domain.health_weights import tenant_weights


async def accounts_health(
    session: AsyncSession,
    scope: Scope,
    account_ids: Collection[UUID],
    *,
    now: datetime | None = None,
    months: int = DEFAULT_MONTHS,
) -> dict[UUID, HealthReport]:
    """The health of each of the tenant's accounts among account_ids (others left out)."""
    at, months = now or datetime.now(UTC), checked_months(months)
    facts = await load_facts(session, scope, account_ids)
    weights = await tenant_weights(session, scope)
    return {id_: assess(f, at, weights, months) for id_, f in facts.items()}


async def account_health(
    session: AsyncSession,
    scope: Scope,
    account_id: UUID,
    *,
    now: datetime | None = None,
    months: int = DEFAULT_MONTHS,
) -> HealthReport:
    """The health of one account of the tenant, or NOT_FOUND."""
    months = checked_months(months)
    facts = await load_account_facts(session, scope, account_id)
    weights = await tenant_weights(session, scope)
    return assess(facts, now or datetime.now(UTC), weights, months)
