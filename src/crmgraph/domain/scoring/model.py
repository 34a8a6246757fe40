"""The lead scoring model: a lead's facts through a tenant's rules give points per factor,
a score per component (cut to its cap) and the total with the manual adjustments, 0-100."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crmgraph.domain.scoring.facts import LeadFacts
from crmgraph.domain.scoring.rules import Component, Kind, Rule, ScoringRules


@dataclass(frozen=True)
class FactorScore:
    factor: str
    component: Component
    points: int
    value: str | None  # the fact as text; None: unknown
    reason: str


@dataclass(frozen=True)
class ComponentScore:
    component: Component
    score: int  # the factors' sum cut to 0..cap
    cap: int
    factors: tuple[FactorScore, ...]


@dataclass(frozen=True)
class Adjustment:
    """A manual adjustment as in the Zoho spec's `manual_adjustments`: points on a factor."""

    factor: str
    points: int
    reason: str | None = None


@dataclass(frozen=True)
class Scored:
    score: int  # model + adjustments, cut to 0..100
    model_score: int  # the components' sum
    components: tuple[ComponentScore, ...]
    adjustments: tuple[Adjustment, ...]
    confidence: float  # the share of the rules whose fact is known

    @property
    def factors(self) -> tuple[FactorScore, ...]:
        return tuple(f for c in self.components for f in c.factors)


def _text(value: float | str | bool | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def score_factor(rule: Rule, value: float | str | bool | None) -> FactorScore:
    """The points a rule gives a fact, and why in words."""
    shown = _text(value)
    name = rule.factor.replace("_", " ")
    points, reason = 0, f"{name} unknown" if value is None else f"{name} {shown}: no rule matched"
    if rule.kind is Kind.FLAG and value is True:
        points, reason = rule.points, f"{name}: yes"
    elif rule.kind is Kind.FLAG and value is not None:
        reason = f"{name}: no"
    elif (
        rule.kind is Kind.NUMBER and isinstance(value, int | float) and not isinstance(value, bool)
    ):
        band = next((b for b in rule.bands if b.holds(float(value))), None)
        if band is not None:
            points, reason = band.points, f"{name} {shown} ({band.describe()})"
    elif rule.kind is Kind.TEXT and isinstance(value, str):
        for match in rule.matches:
            word = match.holds(value)
            if word is not None:
                points, reason = match.points, f"{name} {shown!r} (matches {word!r})"
                break
    return FactorScore(rule.factor, rule.component, points, shown, reason)


def score_lead(
    facts: LeadFacts, rules: ScoringRules, adjustments: Sequence[Adjustment] = ()
) -> Scored:
    factors = [score_factor(rule, facts.value(rule.factor)) for rule in rules.rules]
    components = []
    for component in Component:
        mine = tuple(f for f in factors if f.component is component)
        cap = rules.caps[component]
        total = min(max(sum(f.points for f in mine), 0), cap)
        components.append(ComponentScore(component, total, cap, mine))
    model = sum(c.score for c in components)
    score = min(max(model + sum(a.points for a in adjustments), 0), 100)
    known = sum(1 for f in factors if f.value is not None)
    confidence = round(known / len(factors), 2) if factors else 0.0
    return Scored(score, model, tuple(components), tuple(adjustments), confidence)
