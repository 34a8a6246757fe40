"""Lead scoring: a lead's score, the history of its changes and the factors behind each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped
from crmgraph.domain import bounds, validation
from crmgraph.events import outbox, payloads


@dataclass(frozen=True, kw_only=True)
class ScoringFactor:
    factor: str
    points: int | None = None
    reason: str | None = None


async def update_lead_score(
    session: AsyncSession,
    *,
    scope: Scope,
    lead_id: UUID,
    score: int,
    factors: tuple[ScoringFactor, ...] = (),
) -> tuple[models.Lead, models.LeadScoreHistory]:
    """Always records a history row, even when the score stays the same."""
    validation.at_most(factors, bounds.SCORING_FACTORS, field="scoringFactors")
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope, field="leadId")
    validation.percentage(score, field="score")
    for i, f in enumerate(factors):
        validation.required_text(f.factor, field=f"scoringFactors.{i}.factor")
    row = await _rescore(session, scope, lead, score, factors=factors, always=True)
    assert row is not None
    return lead, row


def factors_json(factors: tuple[ScoringFactor, ...]) -> dict[str, Any]:
    # The column holds a JSON object, so the list sits under one key.
    return {"factors": [{"factor": f.factor.strip(), "points": f.points, "reason": f.reason}
                        for f in factors]}  # fmt: skip


def factors_of(row: models.LeadScoreHistory) -> list[ScoringFactor]:
    # Rows other clients wrote are cut to the bound the router prices this list by.
    raw = ((row.factors or {}).get("factors") or [])[: bounds.SCORING_FACTORS]
    return [ScoringFactor(factor=str(f["factor"]), points=f.get("points"),
                          reason=f.get("reason")) for f in raw]  # fmt: skip


async def _rescore(
    session: AsyncSession,
    scope: Scope,
    lead: models.Lead,
    score: int,
    *,
    factors: tuple[ScoringFactor, ...] | None,
    always: bool,
) -> models.LeadScoreHistory | None:
    """Set the score; a change (or always) leaves a history row and a lead.scored event."""
    if score == lead.score and not always:
        return None
    factors_data = factors_json(factors or ())
    extra = {"previous_score": lead.score, "new_score": score, **factors_data}
    row = models.LeadScoreHistory(
        tenant_id=scope.tenant_id,
        lead_id=lead.id,
        previous_score=lead.score,
        new_score=score,
        factors=factors_data,
    )
    lead.score = score
    session.add(row)
    await outbox.record(session, scope=scope, event=payloads.LeadScored, row=lead, extra=extra)
    return row
