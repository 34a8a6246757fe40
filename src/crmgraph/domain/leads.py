"""Leads: prospects not yet qualified or converted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import validation
from crmgraph.events import outbox

LEAD_STATUSES = ("NEW", "CONTACTED", "QUALIFIED", "UNQUALIFIED", "CONVERTED")
QUALIFIED_SCORE = 70


@dataclass(frozen=True, kw_only=True)
class NewLead:
    first_name: str
    last_name: str
    email: str
    source: str
    phone: str | None = None
    company: str | None = None
    job_title: str | None = None
    status: str = "NEW"
    score: int = 0
    custom_fields: dict[str, Any] | None = None


async def create_lead(session: AsyncSession, *, scope: Scope, data: NewLead) -> models.Lead:
    if data.status == "CONVERTED":
        raise validation.invalid("status", "a lead becomes CONVERTED only through convertLead")
    lead = models.Lead(
        tenant_id=scope.tenant_id,
        first_name=validation.required_text(data.first_name, field="firstName", max_length=100),
        last_name=validation.required_text(data.last_name, field="lastName", max_length=100),
        email=validation.email(data.email),
        source=validation.required_text(data.source, field="source", max_length=100),
        phone=data.phone,
        company=data.company,
        job_title=data.job_title,
        status=data.status,
        score=validation.percentage(data.score, field="score"),
        custom_fields=data.custom_fields,
        owner_id=scope.user_id,
    )
    session.add(lead)
    await outbox.record(session, scope=scope, topic="lead.created", row=lead)
    return lead


def is_qualified(lead: models.Lead) -> bool:
    return lead.status in ("QUALIFIED", "CONVERTED") or lead.score >= QUALIFIED_SCORE
