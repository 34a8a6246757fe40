"""Lead scoring's GraphQL types and inputs: the explanation of a score (what leadScoring
adds to LeadScore) and a tenant's scoring rules (README "Lead scoring")."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import strawberry

from crmgraph.domain import bounds
from crmgraph.domain.scoring.advice import Qualification
from crmgraph.domain.scoring.explanation import Explanation
from crmgraph.domain.scoring.rules import Band, Component, Match, Rule, ScoringRules
from crmgraph.gql.enums import graphql_enum

LeadQualificationStatus: TypeAlias = Qualification
graphql_enum(
    LeadQualificationStatus,
    name="LeadQualificationStatus",
    description="QUALIFIED at the tenant's qualified threshold (default 70) or "
    "above, NURTURE at its nurture threshold (default 40) or above.",
)


@strawberry.type(description="The points one factor of the model gave, and why.")
class LeadScoreFactor:
    factor: str
    component: str
    points: int
    value: str | None = strawberry.field(description="The fact scored; null: unknown.")
    reason: str


@strawberry.type(description="A component's score: its factors' points, cut to 0..maxScore.")
class LeadScoreComponent:
    name: str
    score: int
    max_score: int
    factors: list[LeadScoreFactor]


@strawberry.type(description="A factor or manual adjustment that moved the score most.")
class LeadScoreKeyFactor:
    factor: str
    points: int
    impact: str = strawberry.field(
        description="high (over 10 points either way), medium (5 to 10), low."
    )
    reason: str
    manual: bool = strawberry.field(description="A manual adjustment, not the model's.")


@strawberry.type(description="Points added to the model's score by hand, and why.")
class LeadScoreAdjustment:
    factor: str
    points: int
    reason: str | None


@strawberry.type(description="What to do next with the lead.")
class NextBestAction:
    action: str = strawberry.field(
        description="schedule_demo, schedule_discovery_call, follow_up or nurture."
    )
    priority: str
    suggested_time: datetime = strawberry.field(
        description="14:00 UTC, 1 (high), 3 (medium) or 7 (low) days after the scoring."
    )


@strawberry.type
class ScoreExplanation:
    """The parts of an Explanation as GraphQL values."""

    model_score: int
    confidence: float
    breakdown: list[LeadScoreComponent]
    key_factors: list[LeadScoreKeyFactor]
    adjustments: list[LeadScoreAdjustment]
    qualification_status: LeadQualificationStatus
    recommendations: list[str]
    next_best_action: NextBestAction
    computed_at: datetime

    @classmethod
    def of(cls, e: Explanation) -> ScoreExplanation:
        s = e.scored
        return cls(
            model_score=s.model_score,
            confidence=s.confidence,
            breakdown=[
                LeadScoreComponent(
                    name=str(c.component),
                    score=c.score,
                    max_score=c.cap,
                    factors=[
                        LeadScoreFactor(
                            factor=f.factor,
                            component=str(f.component),
                            points=f.points,
                            value=f.value,
                            reason=f.reason,
                        )
                        for f in c.factors
                    ][: bounds.SCORE_RULES],
                )
                for c in s.components
            ][: bounds.SCORE_COMPONENTS],
            key_factors=[
                LeadScoreKeyFactor(
                    factor=k.factor,
                    points=k.points,
                    impact=k.impact,
                    reason=k.reason,
                    manual=k.manual,
                )
                for k in e.key_factors
            ][: bounds.KEY_FACTORS],
            adjustments=[
                LeadScoreAdjustment(factor=a.factor, points=a.points, reason=a.reason)
                for a in s.adjustments
            ][: bounds.SCORE_ADJUSTMENTS],
            qualification_status=e.qualification,
            recommendations=list(e.recommendations),
            next_best_action=NextBestAction(
                action=e.next_action.action,
                priority=e.next_action.priority,
                suggested_time=e.next_action.suggested_time,
            ),
            computed_at=e.computed_at,
        )


@strawberry.type(description="Holds a value v with min <= v < max (a missing bound: none).")
class ScoreBand:
    min: float | None
    max: float | None
    points: int


@strawberry.type(description="Holds a text in which one of words starts a word (case ignored).")
class ScoreMatch:
    words: list[str]
    points: int


@strawberry.type(
    description="How one factor earns points: bands (NUMBER), matches (TEXT) "
    "or points (FLAG), the first band or match that holds."
)
class LeadScoringRule:
    factor: str
    component: str
    kind: str
    points: int
    bands: list[ScoreBand]
    matches: list[ScoreMatch]


@strawberry.type(description="The most points each component gives.")
class LeadScoringCaps:
    demographic: int
    behavioral: int
    engagement: int


@strawberry.type(description="A tenant's lead scoring rules (the default until it sets some).")
class LeadScoringRules:
    rules: list[LeadScoringRule]
    caps: LeadScoringCaps
    qualified_threshold: int
    nurture_threshold: int

    @classmethod
    def of(cls, r: ScoringRules) -> LeadScoringRules:
        return cls(
            rules=[
                LeadScoringRule(
                    factor=x.factor,
                    component=str(x.component),
                    kind=str(x.kind),
                    points=x.points,
                    bands=[
                        ScoreBand(min=b.minimum, max=b.maximum, points=b.points) for b in x.bands
                    ],
                    matches=[ScoreMatch(words=list(m.words), points=m.points) for m in x.matches],
                )
                for x in r.rules
            ],
            caps=LeadScoringCaps(
                demographic=r.caps[Component.DEMOGRAPHIC],
                behavioral=r.caps[Component.BEHAVIORAL],
                engagement=r.caps[Component.ENGAGEMENT],
            ),
            qualified_threshold=r.qualified_threshold,
            nurture_threshold=r.nurture_threshold,
        )


@strawberry.input
class ScoreBandInput:
    min: float | None = None
    max: float | None = None
    points: int


@strawberry.input
class ScoreMatchInput:
    words: list[str]
    points: int


@strawberry.input(description="One factor's rule; a factor left out of the set scores 0.")
class LeadScoringRuleInput:
    factor: str
    points: int = 0
    bands: list[ScoreBandInput] | None = None
    matches: list[ScoreMatchInput] | None = None


@strawberry.input
class LeadScoringCapsInput:
    demographic: int = 35
    behavioral: int = 35
    engagement: int = 30


@strawberry.input(description="The whole set: it replaces the tenant's rules.")
class LeadScoringRulesInput:
    rules: list[LeadScoringRuleInput]
    caps: LeadScoringCapsInput | None = None
    qualified_threshold: int = 70
    nurture_threshold: int = 40

    def to_domain(self) -> ScoringRules:
        caps = self.caps or LeadScoringCapsInput()
        return ScoringRules(
            rules=tuple(
                Rule(
                    r.factor,
                    points=r.points,
                    bands=tuple(Band(b.points, b.min, b.max) for b in r.bands or ()),
                    matches=tuple(Match(m.points, tuple(m.words)) for m in r.matches or ()),
                )
                for r in self.rules
            ),
            caps={
                Component.DEMOGRAPHIC: caps.demographic,
                Component.BEHAVIORAL: caps.behavioral,
                Component.ENGAGEMENT: caps.engagement,
            },
            qualified_threshold=self.qualified_threshold,
            nurture_threshold=self.nurture_threshold,
        )


@strawberry.input(description="Points on a factor by hand (0 takes the factor's back).")
class AdjustLeadScoreInput:
    factor: str
    points: int
    reason: str | None = None
