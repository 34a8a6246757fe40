"""Which sales rep a qualified lead goes to (README "Lead routing"): the lead's facts as short
tags, a rep's specializations as tags, and the choice: most specializations matching the
lead's facts, then the least load, then name and id. Pure: crmgraph.domain.lead_routing
reads the rows and acts on the choice."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from crmgraph.domain import bounds, validation
from crmgraph.domain.scoring.facts import LeadFields, facts_of

MAX_TAG = 50
# Custom field keys read as the lead's project type and the services it asks for.
PROJECT_TYPE_KEYS = ("projectType", "project_type")
SERVICES_KEYS = ("services",)
# Company size (head count, as lead scoring reads it) from which a lead is in a segment.
SEGMENTS = ((1000, "enterprise"), (100, "mid_market"), (0, "smb"))


def tag(text: str) -> str:
    """A short tag: lower case, every run of other characters than letters and digits one
    underscore ("Software Development" is software_development)."""
    return re.sub(r"[\W_]+", "_", text.casefold()).strip("_")


def specializations_of(values: Sequence[str]) -> tuple[str, ...]:
    """A rep's specializations as stored: tags, each once, at most bounds.SPECIALIZATIONS."""
    if len(values) > bounds.SPECIALIZATIONS:
        raise validation.invalid(
            "specializations", f"a user has at most {bounds.SPECIALIZATIONS} specializations"
        )
    found: list[str] = []
    for i, value in enumerate(values):
        one = tag(value)
        if not one:
            raise validation.invalid(
                f"specializations.{i}", "a specialization must have a letter or digit"
            )
        if len(one) > MAX_TAG:
            raise validation.invalid(
                f"specializations.{i}", f"a specialization is at most {MAX_TAG} characters"
            )
        if one not in found:
            found.append(one)
    return tuple(found)


@dataclass(frozen=True)
class Fact:
    """One thing known of the lead, as a tag: ("industry", "software")."""

    kind: str
    tag: str

    def describe(self) -> str:
        return f"{self.kind.replace('_', ' ')} {self.tag}"


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value[: bounds.SPECIALIZATIONS * 2] if isinstance(v, str)]
    return []


def lead_facts(
    source: str | None, custom_fields: Mapping[str, Any] | None, campaigns: Iterable[str]
) -> tuple[Fact, ...]:
    """The lead's facts a specialization can match: industry, segment (by company size),
    source, campaigns (utm_campaign and the names of campaigns it touched), project type and
    services (custom fields)."""
    fields = custom_fields or {}
    scored = facts_of(LeadFields(None, source, fields), [], [], 0)
    raw: list[tuple[str, str]] = []
    if scored.industry:
        raw.append(("industry", scored.industry))
    if scored.company_size is not None:
        raw.append(("segment", next(s for n, s in SEGMENTS if scored.company_size >= n)))
    if scored.source:
        raw.append(("source", scored.source))
    raw += [("campaign", c) for c in campaigns]
    for kind, keys in (("project_type", PROJECT_TYPE_KEYS), ("service", SERVICES_KEYS)):
        for key in keys:
            raw += [(kind, text) for text in _texts(fields.get(key))]
    facts: list[Fact] = []
    for kind, text in raw:
        fact = Fact(kind, tag(text)[:MAX_TAG])
        if fact.tag and fact not in facts:
            facts.append(fact)
    return tuple(facts)


def matches(specialization: str, fact: str) -> bool:
    """Equal, or one is the other and more words: enterprise_sales matches segment
    enterprise, cloud matches campaign cloud_services_q1."""
    return (
        specialization == fact
        or specialization.startswith(fact + "_")
        or fact.startswith(specialization + "_")
    )


@dataclass(frozen=True)
class Rep:
    id: UUID
    name: str
    email: str
    specializations: tuple[str, ...]
    open_leads: int = 0  # leads it owns that are not converted or unqualified
    pending_tasks: int = 0  # tasks assigned to it, pending or in progress

    @property
    def load(self) -> int:
        return self.open_leads + self.pending_tasks


@dataclass(frozen=True)
class Choice:
    rep: Rep | None
    matched: tuple[str, ...]  # the rep's specializations that match a fact
    reason: str


def matched(rep: Rep, facts: Sequence[Fact]) -> tuple[tuple[str, ...], tuple[Fact, ...]]:
    """The rep's specializations that match a fact of the lead, and those facts."""
    specs = tuple(s for s in rep.specializations if any(matches(s, f.tag) for f in facts))
    hit = tuple(f for f in facts if any(matches(s, f.tag) for s in rep.specializations))
    return specs, hit


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def choose_rep(facts: Sequence[Fact], reps: Sequence[Rep]) -> Choice:
    """The rep with the most specializations matching the lead's facts; among equals the
    least loaded (open leads + pending tasks); then by name, then id."""
    if not reps:
        return Choice(None, (), "No sales rep in the tenant: the qualification task is unassigned")
    best = min(
        reps, key=lambda r: (-len(matched(r, facts)[0]), r.load, r.name.casefold(), str(r.id))
    )
    specs, hit = matched(best, facts)
    load = (
        f"{_plural(best.open_leads, 'open lead')} and {_plural(best.pending_tasks, 'pending task')}"
    )
    if specs:
        why = ", ".join(f.describe() for f in hit)
        reason = f"Best match for {', '.join(specs)} ({why}); {load}"
    else:
        known = ", ".join(f.describe() for f in facts) or "no facts known"
        reason = f"No rep's specializations match the lead ({known}); least loaded: {load}"
    return Choice(best, specs, reason)
