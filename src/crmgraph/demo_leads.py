"""The demo tenant's leads, with what lead scoring reads (job titles, company facts in custom
fields, pages visited, an answered email), and their computed scores (README "Lead scoring":
Dennis Ritchie 86, qualified, a demo to schedule); its sales reps' specializations and the
routing of the qualified lead (README "Lead routing": Dennis goes to Grace Hopper)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import activities, leads, marketing
from crmgraph.domain.lead_routing import route_lead
from crmgraph.domain.lead_scoring import rescore_lead

# (first, last, email, company, source, job title, custom fields)
LEADS: tuple[tuple[str, str, str, str, str, str, dict[str, Any]], ...] = (
    (
        "Margaret",
        "Hamilton",
        "margaret@apollo.example",
        "Apollo Guidance",
        "Website Form",
        "CTO",
        {"companySize": 1200, "industry": "Aerospace software"},
    ),
    (
        "Dennis",
        "Ritchie",
        "dennis@bell.example",
        "Bell Systems",
        "Referral",
        "Head of Engineering",
        {
            "companySize": 300,
            "industry": "Technology",
            "decisionMaker": True,
            "budget": 60000,
            "urgency": "high",
        },
    ),
    (
        "Frances",
        "Allen",
        "frances@optimize.example",
        "Optimize Inc",
        "Trade Show",
        "Engineering Manager",
        {"companySize": 80, "industry": "Manufacturing"},
    ),
    (
        "John",
        "Backus",
        "john@fortran.example",
        "Fortran Works",
        "Zoho One",
        "Developer",
        {"companySize": "small"},
    ),
)
# Sales reps besides Sam Seller (demo.py): (name, email, specializations).
REPS = (
    ("Grace Hopper", "grace@demo.example", ["technology", "enterprise_sales", "cloud_migration"]),
    ("Linus Care", "linus@demo.example", ["healthcare"]),
)
PAGES = ("https://demo.example/pricing", "https://demo.example/demo")  # Dennis's visits


async def load_leads(session: AsyncSession, scope: Scope) -> None:
    for first, last, email, company, source, title, custom in LEADS:
        await leads.create_lead(
            session,
            scope=scope,
            data=leads.NewLead(
                first_name=first,
                last_name=last,
                email=email,
                company=company,
                source=source,
                job_title=title,
                custom_fields=custom,
            ),
        )
    dennis = await lead_id(session, scope, "dennis@bell.example")
    now = datetime.now(UTC).replace(microsecond=0)
    for days, page in zip((3, 2), PAGES, strict=True):
        await marketing.record_touchpoint(
            session,
            scope=scope,
            data=marketing.NewTouchpoint(
                lead_id=dennis,
                utm_source="google",
                utm_medium="organic",
                landing_page=page,
                occurred_at=now - timedelta(days=days),
            ),
        )
    ref = activities.RelatedRef(type="LEAD", id=dennis)
    sent = now - timedelta(days=1)
    for direction, at, text in (
        ("OUTBOUND", sent, "Thanks for your interest"),
        ("INBOUND", sent + timedelta(minutes=90), "Demo next week?"),
    ):
        await activities.log_communication(
            session,
            scope=scope,
            data=activities.NewCommunication(
                type="EMAIL", direction=direction, content=text, timestamp=at, related_to=ref
            ),
        )


async def score_leads(session: AsyncSession, scope: Scope) -> None:
    """Score every demo lead now, through the path the lead-scorer consumer takes (which then
    finds nothing to change), so the demo shows scores without waiting for it."""
    stmt = scoped(select(models.Lead), models.Lead, scope).order_by(models.Lead.created_at)
    for lead in list(await session.scalars(stmt)):
        await rescore_lead(session, scope, lead)


async def route_leads(session: AsyncSession, scope: Scope) -> None:
    """Add the reps and route every qualified demo lead now, through the path the
    lead-router consumer takes (which then finds them routed)."""
    session.add_all(
        models.User(tenant_id=scope.tenant_id, name=name, email=email, specializations=specs)
        for name, email, specs in REPS
    )
    stmt = scoped(select(models.Lead), models.Lead, scope).order_by(models.Lead.created_at)
    for lead in list(await session.scalars(stmt)):
        await route_lead(session, scope, lead, event_id="demo")


async def lead_id(session: AsyncSession, scope: Scope, email: str) -> Any:
    stmt = scoped(select(models.Lead.id), models.Lead, scope).where(models.Lead.email == email)
    return await session.scalar(stmt)
