"""A tenant's customer health weights: read (the defaults when it set none) and set."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped, tenant_of
from crmgraph.domain.health import DEFAULT_WEIGHTS, Weights, checked_weights


async def tenant_weights(session: AsyncSession, scope: Scope) -> Weights:
    w = models.HealthWeights
    row = await session.scalar(scoped(select(w), w, scope))
    if row is None:
        return DEFAULT_WEIGHTS
    return Weights(row.support, row.financial, row.delivery, row.engagement)


async def set_weights(session: AsyncSession, scope: Scope, weights: Weights) -> Weights:
    """Store the tenant's weights (validated first: nothing changes when they are bad)."""
    weights = checked_weights(weights.support, weights.financial, weights.delivery,
                              weights.engagement)  # fmt: skip
    w = models.HealthWeights
    row = await session.scalar(scoped(select(w), w, scope).with_for_update())
    if row is None:
        row = w(tenant_id=tenant_of(scope))
        session.add(row)
    row.support, row.financial = weights.support, weights.financial
    row.delivery, row.engagement = weights.delivery, weights.engagement
    await session.flush()
    return weights
