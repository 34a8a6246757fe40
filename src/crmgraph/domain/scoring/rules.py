"""A tenant's lead scoring rules: which factors count, how many points each value earns, the
cap of each component and the qualification thresholds; the documented default and the
validation every stored set passes (README "Lead scoring")."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crmgraph.domain import bounds, validation


class Kind(StrEnum):
    NUMBER = "NUMBER"  # points by bands of the value (the first that holds it)
    TEXT = "TEXT"  # points by the first match whose words the value contains
    FLAG = "FLAG"  # points when the fact is true


class Component(StrEnum):
    DEMOGRAPHIC = "demographic"
    BEHAVIORAL = "behavioral"
    ENGAGEMENT = "engagement"


# Every factor the model knows: its component and the kind of its fact (facts.py reads them).
FACTORS: Mapping[str, tuple[Component, Kind]] = {
    "company_size": (Component.DEMOGRAPHIC, Kind.NUMBER),
    "industry_fit": (Component.DEMOGRAPHIC, Kind.TEXT),
    "title_seniority": (Component.DEMOGRAPHIC, Kind.TEXT),
    "decision_maker": (Component.DEMOGRAPHIC, Kind.FLAG),
    "budget": (Component.DEMOGRAPHIC, Kind.NUMBER),
    "timeline_urgency": (Component.DEMOGRAPHIC, Kind.TEXT),
    "email_opens": (Component.BEHAVIORAL, Kind.NUMBER),
    "website_visits": (Component.BEHAVIORAL, Kind.NUMBER),
    "content_downloads": (Component.BEHAVIORAL, Kind.NUMBER),
    "pricing_page_visited": (Component.BEHAVIORAL, Kind.FLAG),
    "demo_requested": (Component.BEHAVIORAL, Kind.FLAG),
    "response_time_hours": (Component.ENGAGEMENT, Kind.NUMBER),
    "meetings": (Component.ENGAGEMENT, Kind.NUMBER),
    "inbound_messages": (Component.ENGAGEMENT, Kind.NUMBER),
    "referral_source": (Component.ENGAGEMENT, Kind.TEXT),
}

MAX_RULES = bounds.SCORE_RULES
MAX_CHOICES = bounds.SCORE_RULE_CHOICES  # bands or matches of one rule
MAX_WORDS = 20  # words of one match
MAX_POINTS = 100


@dataclass(frozen=True)
class Band:
    """Holds a value v when minimum <= v < maximum (a missing bound: no limit)."""

    points: int
    minimum: float | None = None
    maximum: float | None = None

    def holds(self, value: float) -> bool:
        return (self.minimum is None or value >= self.minimum) and (
            self.maximum is None or value < self.maximum
        )

    def describe(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum:g} to under {self.maximum:g}"
        if self.minimum is not None:
            return f"at least {self.minimum:g}"
        return f"under {self.maximum:g}"


@dataclass(frozen=True)
class Match:
    """Holds a text in which one of words starts a word (case ignored)."""

    points: int
    words: tuple[str, ...]

    def holds(self, value: str) -> str | None:
        # At the start of a word: "cto" is not in "director", "financ" is in "Financial".
        text = value.casefold()
        return next(
            (w for w in self.words if re.search(rf"\b{re.escape(w.casefold())}", text)), None
        )


@dataclass(frozen=True)
class Rule:
    factor: str
    points: int = 0  # FLAG
    bands: tuple[Band, ...] = ()  # NUMBER
    matches: tuple[Match, ...] = ()  # TEXT

    @property
    def component(self) -> Component:
        return FACTORS[self.factor][0]

    @property
    def kind(self) -> Kind:
        return FACTORS[self.factor][1]


@dataclass(frozen=True)
class ScoringRules:
    rules: tuple[Rule, ...]
    # Points a component may give at most (its factors' sum is cut to 0..cap).
    caps: Mapping[Component, int] = field(
        default_factory=lambda: {
            Component.DEMOGRAPHIC: 35,
            Component.BEHAVIORAL: 35,
            Component.ENGAGEMENT: 30,
        }
    )
    qualified_threshold: int = 70
    nurture_threshold: int = 40


def _bands(*pairs: tuple[float | None, float | None, int]) -> tuple[Band, ...]:
    return tuple(Band(points, lo, hi) for lo, hi, points in pairs)


def _matches(*pairs: tuple[int, tuple[str, ...]]) -> tuple[Match, ...]:
    return tuple(Match(points, words) for points, words in pairs)


DEFAULT_RULES = ScoringRules(
    rules=(
        Rule(
            "company_size",
            bands=_bands((1000, None, 12), (200, None, 10), (50, None, 5), (1, None, 2)),
        ),
        Rule(
            "industry_fit",
            matches=_matches(
                (7, ("software", "technology", "saas", "information technology", "it services")),
                (4, ("financ", "healthcare", "manufactur")),
            ),
        ),
        Rule(
            "title_seniority",
            matches=_matches(
                (10, ("chief", "ceo", "cto", "cfo", "coo", "cio", "founder", "president", "owner")),
                (8, ("vp", "vice president", "head of", "director")),
                (4, ("manager", "lead")),
            ),
        ),
        Rule("decision_maker", points=6),
        Rule("budget", bands=_bands((100_000, None, 8), (25_000, None, 6), (5_000, None, 3))),
        Rule(
            "timeline_urgency",
            matches=_matches(
                (6, ("high", "urgent", "immediate", "this quarter")), (3, ("medium",))
            ),
        ),
        Rule("email_opens", bands=_bands((5, None, 8), (3, None, 5), (1, None, 2))),
        Rule("website_visits", bands=_bands((10, None, 6), (5, None, 4), (1, None, 2))),
        Rule("content_downloads", bands=_bands((3, None, 6), (1, None, 3))),
        Rule("pricing_page_visited", points=5),
        Rule("demo_requested", points=15),
        Rule(
            "response_time_hours",
            bands=_bands((None, 1, 15), (None, 4, 12), (None, 24, 8), (None, 72, 4)),
        ),
        Rule("meetings", bands=_bands((2, None, 8), (1, None, 5))),
        Rule("inbound_messages", bands=_bands((3, None, 5), (1, None, 2))),
        Rule(
            "referral_source",
            matches=_matches(
                (15, ("referral", "existing customer", "existing_customer", "partner")),
                (6, ("event", "webinar", "trade show")),
            ),
        ),
    )
)


def _points(value: int, field_name: str) -> int:
    if not -MAX_POINTS <= value <= MAX_POINTS:
        raise validation.invalid(
            field_name, f"points must be between -{MAX_POINTS} and {MAX_POINTS}"
        )
    return value


def _band(band: Band, where: str) -> Band:
    lo, hi = band.minimum, band.maximum
    if lo is None and hi is None:
        raise validation.invalid(where, "a band needs a minimum, a maximum or both")
    if any(b is not None and not math.isfinite(b) for b in (lo, hi)):
        raise validation.invalid(where, "a band's bounds must be finite numbers")
    if lo is not None and hi is not None and lo >= hi:
        raise validation.invalid(where, "a band's minimum must be below its maximum")
    return Band(_points(band.points, f"{where}.points"), lo, hi)


def _match(match: Match, where: str) -> Match:
    validation.at_most(match.words, MAX_WORDS, field=f"{where}.words")
    words = tuple(
        validation.required_text(w, field=f"{where}.words", max_length=100) for w in match.words
    )
    if not words:
        raise validation.invalid(f"{where}.words", "a match needs at least one word")
    return Match(_points(match.points, f"{where}.points"), words)


def _rule(rule: Rule, where: str) -> Rule:
    if rule.factor not in FACTORS:
        raise validation.invalid(
            f"{where}.factor", f"unknown factor {rule.factor!r}; known: {', '.join(FACTORS)}"
        )
    kind = rule.kind
    validation.at_most(rule.bands, MAX_CHOICES, field=f"{where}.bands")
    validation.at_most(rule.matches, MAX_CHOICES, field=f"{where}.matches")
    for name, given, takes in (
        ("bands", bool(rule.bands), Kind.NUMBER),
        ("matches", bool(rule.matches), Kind.TEXT),
        ("points", rule.points != 0, Kind.FLAG),
    ):
        if given and kind is not takes:
            raise validation.invalid(
                f"{where}.{name}", f"{rule.factor} is a {kind} factor: it takes no {name}"
            )
    if kind is Kind.NUMBER and not rule.bands:
        raise validation.invalid(f"{where}.bands", f"{rule.factor} needs at least one band")
    if kind is Kind.TEXT and not rule.matches:
        raise validation.invalid(f"{where}.matches", f"{rule.factor} needs at least one match")
    return Rule(
        rule.factor,
        points=_points(rule.points, f"{where}.points"),
        bands=tuple(_band(b, f"{where}.bands.{i}") for i, b in enumerate(rule.bands)),
        matches=tuple(_match(m, f"{where}.matches.{i}") for i, m in enumerate(rule.matches)),
    )


def checked_rules(rules: ScoringRules) -> ScoringRules:
    """The rules as stored, or a VALIDATION_ERROR naming the first wrong field."""
    validation.at_most(rules.rules, MAX_RULES, field="rules")
    checked = tuple(_rule(r, f"rules.{i}") for i, r in enumerate(rules.rules))
    seen: set[str] = set()
    for i, rule in enumerate(checked):
        if rule.factor in seen:
            raise validation.invalid(f"rules.{i}.factor", f"{rule.factor} has two rules")
        seen.add(rule.factor)
    caps = {c: rules.caps.get(c, DEFAULT_RULES.caps[c]) for c in Component}
    for component, cap in caps.items():
        if not 0 <= cap <= 100:
            raise validation.invalid(f"caps.{component}", "a cap must be between 0 and 100")
    if sum(caps.values()) > 100:
        raise validation.invalid("caps", "the caps may add up to 100 at most")
    nurture, qualified = rules.nurture_threshold, rules.qualified_threshold
    if not 0 <= nurture < qualified <= 100:
        raise validation.invalid(
            "qualifiedThreshold", "thresholds need 0 <= nurture < qualified <= 100"
        )
    return ScoringRules(checked, caps, qualified, nurture)


# Stored as JSON (lead_scoring_rules.rules); read back without validation errors surfacing
# to readers: a stored set was checked when it was written.


def rules_json(rules: ScoringRules) -> dict[str, Any]:
    return {
        "rules": [
            {
                "factor": r.factor,
                "points": r.points,
                "bands": [[b.minimum, b.maximum, b.points] for b in r.bands],
                "matches": [[m.points, list(m.words)] for m in r.matches],
            }
            for r in rules.rules
        ],
        "caps": {str(c): cap for c, cap in rules.caps.items()},
        "qualified_threshold": rules.qualified_threshold,
        "nurture_threshold": rules.nurture_threshold,
    }


def rules_of(data: Mapping[str, Any]) -> ScoringRules:
    raw: Sequence[Mapping[str, Any]] = data["rules"]
    return ScoringRules(
        rules=tuple(
            Rule(
                r["factor"],
                points=r["points"],
                bands=tuple(Band(p, lo, hi) for lo, hi, p in r["bands"]),
                matches=tuple(Match(p, tuple(w)) for p, w in r["matches"]),
            )
            for r in raw
        ),
        caps={Component(c): int(v) for c, v in data["caps"].items()},
        qualified_threshold=int(data["qualified_threshold"]),
        nurture_threshold=int(data["nurture_threshold"]),
    )
