"""Query fields of the leads subgraph."""

from __future__ import annotations

from datetime import date

import strawberry

from crmgraph.auth.read_needs import may_see_step
from crmgraph.db import models
from crmgraph.domain.journey_reads import check_readable_subject, readable_steps
from crmgraph.domain.lead_scoring_facts import tenant_rules
from crmgraph.domain.revenue_report import request_of, revenue_report
from crmgraph.gql.connections import Connection, PaginationInput, page_args
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.lists import root_connection
from crmgraph.gql.memory_pages import memory_connection
from subgraphs.leads.attribution import RevenueAttribution
from subgraphs.leads.inputs import LeadFilter, LeadSort, lead_filter, lead_sort
from subgraphs.leads.journey import CustomerJourneyStep, step_key
from subgraphs.leads.marketing import Campaign
from subgraphs.leads.marketing_inputs import (
    CampaignFilter,
    CampaignSort,
    campaign_filter,
    campaign_sort,
)
from subgraphs.leads.scoring import LeadScoringRules
from subgraphs.leads.types import Lead, LeadScore


@strawberry.type
class Query:
    @strawberry.field(description="One lead by id.")
    async def lead(self, info: Info, id: strawberry.ID) -> Lead | None:
        return await Lead.resolve_reference(info, id)

    @strawberry.field(
        description="Leads matching filter, oldest first unless sorted.",
    )
    async def leads(
        self,
        info: Info,
        filter: LeadFilter | None = None,
        sort: LeadSort | None = None,
        pagination: PaginationInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Lead]:
        args = page_args(first, after, last, before, pagination)
        spec, order = lead_filter(filter), lead_sort(sort)
        return await root_connection(info.context, models.Lead, Lead.from_row, args, spec, order)

    @strawberry.field(description="The tenant's lead scoring rules (README: Lead scoring).")
    async def lead_scoring_rules(self, info: Info) -> LeadScoringRules:
        context = info.context
        async with context.session() as session:
            return LeadScoringRules.of(await tenant_rules(session, context.scope))

    @strawberry.field(
        description="A lead's score, why (breakdown, key factors, adjustments), its "
        "qualification, recommendations and next best action, and its latest change."
    )
    async def lead_scoring(self, info: Info, lead_id: strawberry.ID) -> LeadScore | None:
        loaders = info.context.loaders
        key = parse_id(lead_id, field="leadId")
        lead = await loaders.lead_by_id.load(key)
        if lead is None:
            return None
        history = await loaders.score_history_by_lead.load(key)
        return LeadScore.of(lead, history[0] if history else None)

    @strawberry.field(description="One campaign by id.")
    async def campaign(self, info: Info, id: strawberry.ID) -> Campaign | None:
        row = await info.context.loaders.campaign_by_id.load(parse_id(id))
        return None if row is None else Campaign.from_row(row)

    @strawberry.field(description="Campaigns matching filter, oldest first unless sorted.")
    async def campaigns(
        self,
        info: Info,
        filter: CampaignFilter | None = None,
        sort: CampaignSort | None = None,
        pagination: PaginationInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Campaign]:
        args = page_args(first, after, last, before, pagination)
        spec, order = campaign_filter(filter), campaign_sort(sort)
        return await root_connection(
            info.context, models.Campaign, Campaign.from_row, args, spec, order
        )

    @strawberry.field(
        description="Revenue of the deals won between startDate and endDate (both included) "
        "split over their touchpoints. model: first_touch, last_touch, linear, time_decay, "
        "position_based, w_shaped, full_path, j_shaped, inverse_j or data_driven; groupBy: "
        "campaign, source, medium or channel. README: Revenue attribution models."
    )
    async def revenue_attribution(
        self,
        info: Info,
        start_date: date,
        end_date: date,
        model: str = "linear",
        group_by: str = "campaign",
        include_indirect: bool = True,
        min_revenue: float = 0,
        half_life_days: float | None = None,
    ) -> RevenueAttribution:
        request = request_of(
            start_date=start_date,
            end_date=end_date,
            model=model,
            group_by=group_by,
            include_indirect=include_indirect,
            min_revenue=min_revenue,
            half_life_days=half_life_days,
        )
        context = info.context
        async with context.session() as session:
            report = await revenue_report(context.graph, session, context.scope.tenant_id, request)
        return RevenueAttribution.of(request, report)

    @strawberry.field(
        description="The ordered path of a contact or an account (pass one): touchpoints, "
        "activities, deals opened and closed, stage moves; only the steps whose rows the "
        "caller may read."
    )
    async def customer_journey(
        self,
        info: Info,
        contact_id: strawberry.ID | None = None,
        account_id: strawberry.ID | None = None,
        pagination: PaginationInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CustomerJourneyStep]:
        args = page_args(first, after, last, before, pagination)
        context = info.context
        contact = parse_optional_id(contact_id, field="contactId")
        account = parse_optional_id(account_id, field="accountId")
        # Sessions open no connection for a caller reading tenant-wide (no statement), and
        # none is held while the graph answers.
        async with context.session() as session:
            await check_readable_subject(
                session, context.scope, contact_id=contact, account_id=account
            )
        steps = await context.graph.customer_journey(
            context.scope.tenant_id, contact_id=contact, account_id=account
        )
        held = context.scope.permissions
        kinds = [s for s in steps if may_see_step(held, s.kind.value)]
        async with context.session() as session:
            visible = await readable_steps(session, context.scope, kinds)
        max_size = context.runtime.settings.max_page_size
        return memory_connection(
            visible, step_key, CustomerJourneyStep.of, args, max_size, name="customer-journey"
        )
