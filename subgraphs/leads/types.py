"""GraphQL types of the leads subgraph."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from crmgraph.db import models
from crmgraph.domain import lead_scoring
from crmgraph.domain.contacts import full_name
from crmgraph.domain.leads import QUALIFIED_SCORE
from crmgraph.domain.scoring.explanation import explanation_of
from crmgraph.gql.context import Info
from crmgraph.gql.entities import by_ids
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import REFERENCE_ONLY, json_out
from subgraphs.leads.marketing import Touchpoint, latest_touches
from subgraphs.leads.routing import LeadRouting
from subgraphs.leads.scoring import (
    LeadQualificationStatus,
    LeadScoreAdjustment,
    LeadScoreComponent,
    LeadScoreKeyFactor,
    NextBestAction,
    ScoreExplanation,
)


@strawberry.enum
class LeadStatus(Enum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    QUALIFIED = "QUALIFIED"
    UNQUALIFIED = "UNQUALIFIED"
    CONVERTED = "CONVERTED"


@strawberry.federation.type(keys=REFERENCE_ONLY)
class User:
    id: strawberry.ID


@strawberry.federation.type(keys=REFERENCE_ONLY)
class Account:
    id: strawberry.ID


@strawberry.federation.type(keys=REFERENCE_ONLY)
class Deal:
    id: strawberry.ID


def _ref_id(value: UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="One reason a lead's score changed.")
class ScoringFactor:
    factor: str
    points: int | None
    reason: str | None

    @classmethod
    def from_domain(cls, factor: lead_scoring.ScoringFactor) -> ScoringFactor:
        return cls(factor=factor.factor, points=factor.points, reason=factor.reason)


@strawberry.type(description="One change of a lead's score.")
class LeadScoreHistory:
    id: strawberry.ID
    previous_score: int
    new_score: int
    scoring_factors: list[ScoringFactor]
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.LeadScoreHistory) -> LeadScoreHistory:
        return cls(
            id=strawberry.ID(str(row.id)),
            previous_score=row.previous_score,
            new_score=row.new_score,
            scoring_factors=[ScoringFactor.from_domain(f) for f in lead_scoring.factors_of(row)],
            created_at=row.created_at,
        )


@strawberry.federation.type(keys=["id"], description="A prospect not yet converted.")
class Lead:
    id: strawberry.ID
    first_name: str
    last_name: str
    email: str
    phone: str | None
    company: str | None
    job_title: str | None
    source: str
    status: LeadStatus
    score: int
    custom_fields: JSON | None
    qualification_notes: str | None = strawberry.field(description="Set by qualifyLead.")
    next_action: str | None = strawberry.field(description="Set by qualifyLead.")
    converted_at: datetime | None = strawberry.field(description="When convertLead ran.")
    created_at: datetime
    updated_at: datetime
    owner_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: models.Lead) -> Lead:
        return cls(
            id=strawberry.ID(str(row.id)),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            phone=row.phone,
            company=row.company,
            job_title=row.job_title,
            source=row.source,
            status=LeadStatus(row.status),
            score=row.score,
            custom_fields=json_out(row.custom_fields),
            qualification_notes=row.qualification_notes,
            next_action=row.next_action,
            converted_at=row.converted_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            owner_id=row.owner_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Lead | None:
        row = await info.context.loaders.lead_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[Lead | None]:
        return await by_ids(info.context.loaders.lead_by_id, ids, cls.from_row)

    @strawberry.field(description="The user who owns the lead.")
    def owner(self) -> User | None:
        owner_id = _ref_id(self.owner_id)
        return None if owner_id is None else User(id=owner_id)

    @strawberry.field(description="The latest 100 score changes, newest first.")
    async def scoring_history(self, info: Info) -> list[LeadScoreHistory]:
        rows = await info.context.loaders.score_history_by_lead.load(parse_id(self.id))
        return [LeadScoreHistory.from_row(row) for row in rows]

    @strawberry.field(
        description="The sales rep and qualification task the lead was routed to when its "
        "score reached the qualified threshold; null until then."
    )
    async def routing(self, info: Info) -> LeadRouting | None:
        rows = await info.context.loaders.routing_by_lead.load(parse_id(self.id))
        return LeadRouting.from_row(rows[0]) if rows else None

    @strawberry.field(description="First and last name.")
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @strawberry.field(description="The latest 100 touchpoints recorded on the lead, newest first.")
    async def touchpoints(self, info: Info) -> list[Touchpoint]:
        return latest_touches(
            await info.context.loaders.touchpoints_by_lead.load(parse_id(self.id))
        )

    @strawberry.field(description=f"QUALIFIED or CONVERTED, or a score of {QUALIFIED_SCORE}+.")
    def is_qualified(self) -> bool:
        return self.status in (LeadStatus.QUALIFIED, LeadStatus.CONVERTED) or (
            self.score >= QUALIFIED_SCORE
        )

    @strawberry.field(description="Whole days since the lead was created.")
    def days_since_created(self) -> int:
        return (datetime.now(UTC) - self.created_at).days


@strawberry.type(description="A lead's current score and its latest change.")
class LeadScore:
    lead: Lead
    score: int = strawberry.field(description="The score now.")
    new_score: int = strawberry.field(description="The same as score (leadScoreChanged's name).")
    previous_score: int | None = strawberry.field(description="Before the latest change.")
    scoring_factors: list[ScoringFactor] = strawberry.field(
        description="Why the latest change happened."
    )
    timestamp: datetime | None = strawberry.field(
        description="When the latest change happened; null for a lead never rescored."
    )

    async def explained(self, info: Info) -> ScoreExplanation | None:
        """The explanation kept with the score; None until the model has scored the lead."""
        loader = info.context.loaders.score_explanation_by_lead
        row = await loader.load(parse_id(self.lead.id))
        return None if row is None else ScoreExplanation.of(explanation_of(row.explanation))

    @strawberry.field(description="The scoring model's points, before manual adjustments.")
    async def model_score(self, info: Info) -> int | None:
        e = await self.explained(info)
        return None if e is None else e.model_score

    @strawberry.field(description="The share of the rules whose fact is known, 0..1.")
    async def confidence(self, info: Info) -> float | None:
        e = await self.explained(info)
        return None if e is None else e.confidence

    @strawberry.field(description="Demographic, behavioral and engagement: points per factor.")
    async def breakdown(self, info: Info) -> list[LeadScoreComponent]:
        e = await self.explained(info)
        return [] if e is None else e.breakdown

    @strawberry.field(description="The factors and adjustments that moved the score most.")
    async def key_factors(self, info: Info) -> list[LeadScoreKeyFactor]:
        e = await self.explained(info)
        return [] if e is None else e.key_factors

    @strawberry.field(description="The manual adjustments in force (adjustLeadScore).")
    async def adjustments(self, info: Info) -> list[LeadScoreAdjustment]:
        e = await self.explained(info)
        return [] if e is None else e.adjustments

    @strawberry.field(description="By the tenant's thresholds, at the latest scoring.")
    async def qualification_status(self, info: Info) -> LeadQualificationStatus | None:
        e = await self.explained(info)
        return None if e is None else e.qualification_status

    @strawberry.field(description="What the sales team should do, by plain rules.")
    async def recommendations(self, info: Info) -> list[str]:
        e = await self.explained(info)
        return [] if e is None else e.recommendations

    @strawberry.field(description="The one thing to do next.")
    async def next_best_action(self, info: Info) -> NextBestAction | None:
        e = await self.explained(info)
        return None if e is None else e.next_best_action

    @strawberry.field(description="When the model last scored the lead.")
    async def computed_at(self, info: Info) -> datetime | None:
        e = await self.explained(info)
        return None if e is None else e.computed_at

    @classmethod
    def of(cls, lead: models.Lead, latest: models.LeadScoreHistory | None) -> LeadScore:
        if latest is None:
            return cls(
                lead=Lead.from_row(lead),
                score=lead.score,
                new_score=lead.score,
                previous_score=None,
                scoring_factors=[],
                timestamp=None,
            )
        return cls(
            lead=Lead.from_row(lead),
            score=lead.score,
            new_score=latest.new_score,
            previous_score=latest.previous_score,
            scoring_factors=[ScoringFactor.from_domain(f) for f in lead_scoring.factors_of(latest)],
            timestamp=latest.created_at,
        )


@strawberry.federation.type(keys=["id"])
class Contact:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Contact:
        return cls(id=id)

    @strawberry.field(
        description="The lead this contact was converted from.",
    )
    async def lead_source(self, info: Info) -> Lead | None:
        loaders = info.context.loaders
        contact = await loaders.contact_by_id.load(parse_id(self.id))
        if contact is None or contact.lead_id is None:
            return None
        row = await loaders.lead_by_id.load(contact.lead_id)
        return None if row is None else Lead.from_row(row)

    @strawberry.field(
        description="The latest 100 touchpoints of the contact and of the lead it was converted "
        "from, newest first.",
    )
    async def touchpoints(self, info: Info) -> list[Touchpoint]:
        loaders = info.context.loaders
        key = parse_id(self.id)
        contact = await loaders.contact_by_id.load(key)
        if contact is None:
            return []
        own = await loaders.touchpoints_by_contact.load(key)
        lead = (
            []
            if contact.lead_id is None
            else await loaders.touchpoints_by_lead.load(contact.lead_id)
        )
        return latest_touches(own, lead)
