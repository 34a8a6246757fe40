"""What lead scoring knows of a lead, and how it is derived from the data the system holds:
the lead's own fields and custom fields, its touchpoints and the activities about it (the
mapping README "Lead scoring" lists). Pure: crmgraph.domain.lead_scoring_facts reads the rows."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

# Custom field keys read for each demographic fact, first present wins.
COMPANY_SIZE_KEYS = ("companySize", "company_size", "employees")
INDUSTRY_KEYS = ("industry",)
DECISION_MAKER_KEYS = ("decisionMaker", "decision_maker")
BUDGET_KEYS = ("budget", "estimatedBudget", "estimated_budget")
TIMELINE_KEYS = ("urgency", "timeline")
DEMO_KEYS = ("demoRequested", "demo_requested")
# 000's company sizes in words, as head counts.
SIZE_WORDS = {"small": 10, "medium": 100, "large": 1000, "enterprise": 5000}
# Landing pages (their path contains) that mean a download, the pricing page, a demo request.
DOWNLOAD_PAGES = ("/download", "/whitepaper", "/ebook", "/case-stud")
PRICING_PAGES = ("/pricing",)
DEMO_PAGES = ("/demo",)


@dataclass(frozen=True)
class LeadFacts:
    company_size: float | None = None
    industry: str | None = None
    job_title: str | None = None
    decision_maker: bool | None = None
    budget: float | None = None
    timeline: str | None = None
    email_opens: int = 0
    website_visits: int = 0
    content_downloads: int = 0
    pricing_page_visited: bool = False
    demo_requested: bool = False
    response_time_hours: float | None = None
    meetings: int = 0
    inbound_messages: int = 0
    source: str | None = None

    def value(self, factor: str) -> float | str | bool | None:
        """The fact a factor scores (None: unknown)."""
        return {
            "company_size": self.company_size,
            "industry_fit": self.industry,
            "title_seniority": self.job_title,
            "decision_maker": self.decision_maker,
            "budget": self.budget,
            "timeline_urgency": self.timeline,
            "email_opens": self.email_opens,
            "website_visits": self.website_visits,
            "content_downloads": self.content_downloads,
            "pricing_page_visited": self.pricing_page_visited,
            "demo_requested": self.demo_requested,
            "response_time_hours": self.response_time_hours,
            "meetings": self.meetings,
            "inbound_messages": self.inbound_messages,
            "referral_source": self.source,
        }[factor]


@dataclass(frozen=True)
class LeadFields:
    job_title: str | None
    source: str | None
    custom_fields: Mapping[str, Any] | None


@dataclass(frozen=True)
class Touch:
    landing_page: str | None = None
    utm_medium: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Message:
    """A communication about the lead."""

    type: str  # EMAIL, CALL, MEETING, SMS, CHAT, NOTE
    direction: str  # INBOUND, OUTBOUND
    occurred_at: datetime


def _first(fields: Mapping[str, Any], keys: Sequence[str]) -> Any:
    return next((fields[k] for k in keys if fields.get(k) not in (None, "")), None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        word = SIZE_WORDS.get(value.strip().casefold())
        if word is not None:
            return float(word)
        found = re.search(r"\d+(?:\.\d+)?", value.replace(",", ""))
        return None if found is None else float(found.group())
    return None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in ("true", "yes"):
        return True
    if isinstance(value, str) and value.strip().casefold() in ("false", "no"):
        return False
    return None


def _page(touch: Touch, paths: Sequence[str]) -> bool:
    # The path only: "https://demo.example/cloud" is no demo request.
    path = urlsplit((touch.landing_page or "").strip()).path.casefold()
    return any(p in path for p in paths)


def _by_email(touch: Touch) -> bool:
    return any("email" in (v or "").casefold() for v in (touch.utm_medium, touch.channel))


def response_hours(messages: Sequence[Message]) -> float | None:
    """Hours from our first outbound message to the lead's first inbound one after it."""
    ordered = sorted(messages, key=lambda m: m.occurred_at)
    sent = next((m.occurred_at for m in ordered if m.direction == "OUTBOUND"), None)
    if sent is None:
        return None
    answer = next(
        (m.occurred_at for m in ordered if m.direction == "INBOUND" and m.occurred_at >= sent), None
    )
    return None if answer is None else round((answer - sent).total_seconds() / 3600, 2)


def facts_of(
    lead: LeadFields, touches: Sequence[Touch], messages: Sequence[Message], events: int
) -> LeadFacts:
    """The facts of a lead from its fields, touchpoints, communications and the number of
    calendar events about it."""
    custom = lead.custom_fields or {}
    web = [t for t in touches if not _by_email(t) and t.landing_page]
    return LeadFacts(
        company_size=_number(_first(custom, COMPANY_SIZE_KEYS)),
        industry=_text(_first(custom, INDUSTRY_KEYS)),
        job_title=_text(lead.job_title),
        decision_maker=_flag(_first(custom, DECISION_MAKER_KEYS)),
        budget=_number(_first(custom, BUDGET_KEYS)),
        timeline=_text(_first(custom, TIMELINE_KEYS)),
        email_opens=sum(1 for t in touches if _by_email(t)),
        website_visits=len(web),
        content_downloads=sum(1 for t in touches if _page(t, DOWNLOAD_PAGES)),
        pricing_page_visited=any(_page(t, PRICING_PAGES) for t in touches),
        demo_requested=bool(_flag(_first(custom, DEMO_KEYS)))
        or any(_page(t, DEMO_PAGES) for t in touches),
        response_time_hours=response_hours(messages),
        meetings=events + sum(1 for m in messages if m.type == "MEETING"),
        inbound_messages=sum(1 for m in messages if m.direction == "INBOUND"),
        source=_text(lead.source),
    )
