"""Mutation fields of the leads subgraph."""

from __future__ import annotations

from uuid import UUID

import strawberry

from crmgraph.domain import lead_conversion, lead_scoring, leads, marketing
from crmgraph.domain.lead_scoring_facts import set_rules
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import DeletePayload
from subgraphs.leads.inputs import (
    ConvertLeadInput,
    CreateLeadInput,
    QualifyLeadInput,
    ScoringFactorInput,
    UpdateLeadInput,
)
from subgraphs.leads.marketing import Campaign, Touchpoint
from subgraphs.leads.marketing_inputs import (
    CreateCampaignInput,
    RecordTouchpointInput,
    UpdateCampaignInput,
)
from subgraphs.leads.scoring import AdjustLeadScoreInput, LeadScoringRules, LeadScoringRulesInput
from subgraphs.leads.types import Account, Contact, Deal, Lead, LeadScore


@strawberry.type
class LeadPayload:
    lead: Lead


@strawberry.type(description="The converted lead and what it became (null: not made).")
class ConvertLeadPayload:
    lead: Lead
    contact: Contact | None
    account: Account | None
    deal: Deal | None


@strawberry.type
class CampaignPayload:
    campaign: Campaign


@strawberry.type
class TouchpointPayload:
    touchpoint: Touchpoint


def _id(value: UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a lead.")
    async def create_lead(self, info: Info, input: CreateLeadInput) -> LeadPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: leads.create_lead(session, scope=scope, data=data)
        )
        return LeadPayload(lead=Lead.from_row(row))

    @strawberry.mutation(
        description="Change the given fields of a lead.",
    )
    async def update_lead(
        self, info: Info, id: strawberry.ID, input: UpdateLeadInput
    ) -> LeadPayload:
        lead_id, changes = parse_id(id), input.to_domain()
        row = await info.context.write(
            lambda session, scope: leads.update_lead(
                session, scope=scope, lead_id=lead_id, changes=changes
            )
        )
        return LeadPayload(lead=Lead.from_row(row))

    @strawberry.mutation(
        description="Delete a lead; contacts converted from it stay.",
    )
    async def delete_lead(self, info: Info, id: strawberry.ID) -> DeletePayload:
        lead_id = parse_id(id)
        await info.context.write(
            lambda session, scope: leads.delete_lead(session, scope=scope, lead_id=lead_id)
        )
        return DeletePayload(id=id)

    @strawberry.mutation(
        description="Mark a lead QUALIFIED, with notes and a new score.",
    )
    async def qualify_lead(
        self, info: Info, lead_id: strawberry.ID, input: QualifyLeadInput
    ) -> LeadPayload:
        key, data = parse_id(lead_id, field="leadId"), input.to_domain()
        row = await info.context.write(
            lambda session, scope: leads.qualify_lead(session, scope=scope, lead_id=key, data=data)
        )
        return LeadPayload(lead=Lead.from_row(row))

    @strawberry.mutation(
        description="Set a lead's score and record why in its history.",
    )
    async def update_lead_score(
        self,
        info: Info,
        lead_id: strawberry.ID,
        score: int,
        scoring_factors: list[ScoringFactorInput] | None = None,
    ) -> LeadScore:
        key = parse_id(lead_id, field="leadId")
        factors = tuple(f.to_domain() for f in scoring_factors or ())
        lead, history = await info.context.write(
            lambda session, scope: lead_scoring.update_lead_score(
                session, scope=scope, lead_id=key, score=score, factors=factors
            )
        )
        return LeadScore.of(lead, history)

    @strawberry.mutation(
        description="Adjust a lead's score by hand: points on a factor, kept with the reason "
        "(0 points takes the factor's adjustment back); the score follows at once."
    )
    async def adjust_lead_score(
        self, info: Info, lead_id: strawberry.ID, input: AdjustLeadScoreInput
    ) -> LeadScore:
        key = parse_id(lead_id, field="leadId")
        lead, history = await info.context.write(
            lambda session, scope: lead_scoring.adjust_lead_score(
                session, scope=scope, lead_id=key, factor=input.factor, points=input.points,
                reason=input.reason,
            )
        )  # fmt: skip
        if history is None:
            async with info.context.session() as session:
                history = await lead_scoring.latest_change(session, info.context.scope, key)
        return LeadScore.of(lead, history)

    @strawberry.mutation(
        description="Replace the tenant's lead scoring rules (validated; README: Lead "
        "scoring). Leads are rescored with them at their next change."
    )
    async def set_lead_scoring_rules(
        self, info: Info, input: LeadScoringRulesInput
    ) -> LeadScoringRules:
        data = input.to_domain()
        rules = await info.context.write(lambda session, scope: set_rules(session, scope, data))
        return LeadScoringRules.of(rules)

    @strawberry.mutation(
        description="Turn a lead into a contact, an account and optionally a deal, atomically.",
    )
    async def convert_lead(
        self, info: Info, lead_id: strawberry.ID, input: ConvertLeadInput
    ) -> ConvertLeadPayload:
        key, data = parse_id(lead_id, field="leadId"), input.to_domain()
        done = await info.context.write(
            lambda session, scope: lead_conversion.convert_lead(
                session, scope=scope, lead_id=key, data=data
            )
        )
        return ConvertLeadPayload(
            lead=Lead.from_row(done.lead),
            contact=None if done.contact is None else Contact(id=_id(done.contact.id)),
            account=None if done.account is None else Account(id=_id(done.account.id)),
            deal=None if done.deal is None else Deal(id=_id(done.deal.id)),
        )

    @strawberry.mutation(description="Create a marketing campaign.")
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> CampaignPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: marketing.create_campaign(session, scope=scope, data=data)
        )
        return CampaignPayload(campaign=Campaign.from_row(row))

    @strawberry.mutation(description="Change the given fields of a campaign.")
    async def update_campaign(
        self, info: Info, id: strawberry.ID, input: UpdateCampaignInput
    ) -> CampaignPayload:
        key, changes = parse_id(id), input.to_domain()
        row = await info.context.write(
            lambda session, scope: marketing.update_campaign(
                session, scope=scope, campaign_id=key, changes=changes
            )
        )
        return CampaignPayload(campaign=Campaign.from_row(row))

    @strawberry.mutation(
        description="Record a marketing touch (a visit with its utm parameters, an email "
        "click...) of a lead or a contact."
    )
    async def record_touchpoint(
        self, info: Info, input: RecordTouchpointInput
    ) -> TouchpointPayload:
        data = input.to_domain()
        row = await info.context.write(
            lambda session, scope: marketing.record_touchpoint(session, scope=scope, data=data)
        )
        return TouchpointPayload(touchpoint=Touchpoint.from_row(row))
