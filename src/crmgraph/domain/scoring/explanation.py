"""A lead's score explained: what leadScoring answers and what is kept beside the score
(lead_score_explanations) each time the score is computed, so the answer to "why is this
87?" always adds up to the score stored."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from crmgraph.domain.scoring import advice
from crmgraph.domain.scoring.facts import LeadFacts
from crmgraph.domain.scoring.model import (
    Adjustment,
    ComponentScore,
    FactorScore,
    Scored,
    score_lead,
)
from crmgraph.domain.scoring.rules import Component, ScoringRules


@dataclass(frozen=True)
class Explanation:
    scored: Scored
    qualification: advice.Qualification
    key_factors: tuple[advice.KeyFactor, ...]
    recommendations: tuple[str, ...]
    next_action: advice.NextAction
    computed_at: datetime

    @property
    def score(self) -> int:
        return self.scored.score


def explain(
    facts: LeadFacts, rules: ScoringRules, adjustments: tuple[Adjustment, ...], at: datetime
) -> Explanation:
    scored = score_lead(facts, rules, adjustments)
    status = advice.qualification(scored.score, rules)
    return Explanation(
        scored=scored,
        qualification=status,
        key_factors=tuple(advice.key_factors(scored)),
        recommendations=tuple(advice.recommendations(scored, status)),
        next_action=advice.next_best_action(scored, status, at),
        computed_at=at,
    )


def explanation_json(e: Explanation) -> dict[str, Any]:
    s = e.scored
    return {
        "score": s.score,
        "model_score": s.model_score,
        "confidence": s.confidence,
        "components": [
            {
                "component": str(c.component),
                "score": c.score,
                "cap": c.cap,
                "factors": [{**asdict(f), "component": str(f.component)} for f in c.factors],
            }
            for c in s.components
        ],
        "adjustments": [asdict(a) for a in s.adjustments],
        "qualification": str(e.qualification),
        "key_factors": [asdict(k) for k in e.key_factors],
        "recommendations": list(e.recommendations),
        "next_action": {
            "action": e.next_action.action,
            "priority": e.next_action.priority,
            "suggested_time": e.next_action.suggested_time.isoformat(),
        },
        "computed_at": e.computed_at.isoformat(),
    }


def explanation_of(data: dict[str, Any]) -> Explanation:
    components = tuple(
        ComponentScore(
            Component(c["component"]),
            c["score"],
            c["cap"],
            tuple(
                FactorScore(**{**f, "component": Component(f["component"])}) for f in c["factors"]
            ),
        )
        for c in data["components"]
    )
    scored = Scored(
        data["score"],
        data["model_score"],
        components,
        tuple(Adjustment(**a) for a in data["adjustments"]),
        data["confidence"],
    )
    nxt = data["next_action"]
    return Explanation(
        scored=scored,
        qualification=advice.Qualification(data["qualification"]),
        key_factors=tuple(advice.KeyFactor(**k) for k in data["key_factors"]),
        recommendations=tuple(data["recommendations"]),
        next_action=advice.NextAction(
            nxt["action"], nxt["priority"], datetime.fromisoformat(nxt["suggested_time"])
        ),
        computed_at=datetime.fromisoformat(data["computed_at"]),
    )
