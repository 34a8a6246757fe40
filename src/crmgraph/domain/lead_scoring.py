"""Lead scoring: a lead's score, the history of its changes and the factors behind each.

The score is the model's (crmgraph.domain.scoring, the tenant's rules over the lead's facts)
plus the lead's manual adjustments, 0-100. rescore_lead() is the one path that writes it:
it keeps the explanation beside the score and, when the score changes, a history row and a
lead.scored event. Setting a score by hand (updateLeadScore, createLead/updateLead/qualifyLead
with a score) is the adjustment `manual_score` that makes the total what was asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.db.types import utcnow
from crmgraph.domain import bounds, validation
from crmgraph.domain.lead_scoring_facts import lead_facts, tenant_rules
from crmgraph.domain.scoring import Adjustment, Explanation, explain, score_lead
from crmgraph.domain.scoring.explanation import explanation_json
from crmgraph.events import lead_payloads, outbox

MANUAL_SCORE = "manual_score"  # the adjustment a score set by hand is kept as
MAX_ADJUSTMENT = 100


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
    reason = "; ".join(f.factor.strip() for f in factors) or None
    row = await rescore_lead(
        session, scope, lead, target=score, factors=factors, always=True, reason=reason
    )
    assert row is not None
    return lead, row


async def adjust_lead_score(
    session: AsyncSession,
    *,
    scope: Scope,
    lead_id: UUID,
    factor: str,
    points: int,
    reason: str | None,
) -> tuple[models.Lead, models.LeadScoreHistory | None]:
    """Add (or, with 0 points, take back) the lead's manual adjustment of factor; the
    score follows at once. Every adjustment is kept."""
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope, field="leadId")
    factor = validation.required_text(factor, field="factor", max_length=64)
    if not -MAX_ADJUSTMENT <= points <= MAX_ADJUSTMENT:
        raise validation.invalid(
            "points", f"points must be between -{MAX_ADJUSTMENT} and {MAX_ADJUSTMENT}"
        )
    if reason is not None:
        reason = validation.required_text(reason, field="reason", max_length=500)
    held = {a.factor for a in await adjustments_of(session, scope, lead.id)}
    if factor not in held and points and len(held) >= bounds.SCORE_ADJUSTMENTS:
        raise validation.invalid(
            "factor",
            f"a lead has at most {bounds.SCORE_ADJUSTMENTS} "
            "adjusted factors; set one of them to 0 first",
        )
    _adjust(session, scope, lead, factor, points, reason)
    return lead, await rescore_lead(session, scope, lead)


def _adjust(
    session: AsyncSession,
    scope: Scope,
    lead: models.Lead,
    factor: str,
    points: int,
    reason: str | None,
) -> None:
    session.add(
        models.LeadScoreAdjustment(
            tenant_id=scope.tenant_id,
            lead_id=lead.id,
            factor=factor,
            points=points,
            reason=reason,
            created_by=scope.user_id,
        )
    )


async def adjustments_of(session: AsyncSession, scope: Scope, lead_id: UUID) -> list[Adjustment]:
    """The lead's adjustments in force: the latest of each factor, but those of 0 points."""
    a = models.LeadScoreAdjustment
    rows = await session.scalars(
        scoped(select(a), a, scope).where(a.lead_id == lead_id).order_by(a.created_at, a.id)
    )
    latest = {row.factor: Adjustment(row.factor, row.points, row.reason) for row in rows}
    return [adj for adj in latest.values() if adj.points]


async def explain_lead(
    session: AsyncSession,
    scope: Scope,
    lead: models.Lead,
    *,
    target: int | None = None,
    reason: str | None = None,
) -> Explanation:
    """The lead's score now; with target, after the manual_score adjustment that makes the
    total target (written in session)."""
    facts = await lead_facts(session, scope, lead)
    rules = await tenant_rules(session, scope)
    adjustments = await adjustments_of(session, scope, lead.id)
    if target is not None:
        others = [a for a in adjustments if a.factor != MANUAL_SCORE]
        model = score_lead(facts, rules, others)
        points = target - model.model_score - sum(a.points for a in others)
        held = next((a.points for a in adjustments if a.factor == MANUAL_SCORE), 0)
        why = reason or f"score set to {target} by hand"
        if points != held:
            _adjust(session, scope, lead, MANUAL_SCORE, points, why)
        adjustments = [*others, *([Adjustment(MANUAL_SCORE, points, why)] if points else [])]
    return explain(facts, rules, tuple(adjustments), utcnow())


async def rescore_lead(
    session: AsyncSession,
    scope: Scope,
    lead: models.Lead,
    *,
    target: int | None = None,
    factors: tuple[ScoringFactor, ...] | None = None,
    always: bool = False,
    reason: str | None = None,
) -> models.LeadScoreHistory | None:
    """Compute the lead's score (target: set it by hand) and keep it with its explanation; a
    change (or always) leaves a history row and a lead.scored event, with factors or else the
    scored factors as why."""
    explanation = await explain_lead(session, scope, lead, target=target, reason=reason)
    await _keep_explanation(session, scope, lead.id, explanation)
    if factors is None:  # a score set by hand says why only through its caller's factors
        factors = () if target is not None else _why(explanation)
    why = factors
    return await _rescore(session, scope, lead, explanation.score, factors=why, always=always)


def _why(explanation: Explanation) -> tuple[ScoringFactor, ...]:
    scored = explanation.scored
    found = [
        ScoringFactor(factor=f.factor, points=f.points, reason=f.reason)
        for f in scored.factors
        if f.points
    ]
    found += [
        ScoringFactor(factor=a.factor, points=a.points, reason=a.reason) for a in scored.adjustments
    ]
    return tuple(found[: bounds.SCORING_FACTORS])


async def _keep_explanation(
    session: AsyncSession, scope: Scope, lead_id: UUID, explanation: Explanation
) -> None:
    e = models.LeadScoreExplanation
    row = await session.scalar(scoped(select(e), e, scope).where(e.lead_id == lead_id))
    if row is None:
        row = e(lead_id=lead_id, tenant_id=scope.tenant_id)
        session.add(row)
    row.explanation = explanation_json(explanation)
    row.computed_at = explanation.computed_at


async def latest_change(
    session: AsyncSession, scope: Scope, lead_id: UUID
) -> models.LeadScoreHistory | None:
    h = models.LeadScoreHistory
    stmt = scoped(select(h), h, scope).where(h.lead_id == lead_id)
    return await session.scalar(stmt.order_by(h.created_at.desc(), h.id.desc()).limit(1))


def factors_json(factors: tuple[ScoringFactor, ...]) -> dict[str, Any]:
    # The column holds a JSON object, so the list sits under one key.
    return {
        "factors": [
            {"factor": f.factor.strip(), "points": f.points, "reason": f.reason} for f in factors
        ]
    }


def factors_of(row: models.LeadScoreHistory) -> list[ScoringFactor]:
    # Rows other clients wrote are cut to the bound the router prices this list by.
    raw = ((row.factors or {}).get("factors") or [])[: bounds.SCORING_FACTORS]
    return [
        ScoringFactor(factor=str(f["factor"]), points=f.get("points"), reason=f.get("reason"))
        for f in raw
    ]


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
    await outbox.record(session, scope=scope, event=lead_payloads.LeadScored, row=lead, extra=extra)
    return row
