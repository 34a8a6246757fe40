"""Multi-touch revenue attribution: pure functions over journeys, no I/O.

Inputs (frozen dataclasses, journeys.py), built by a PostgreSQL or Neo4j reader:
- `Touchpoint(id, occurred_at, campaign_id, utm_source, utm_medium, utm_campaign,
  utm_content, utm_term, referrer, landing_page, channel)`: one recorded interaction.
- `Journey(id, touchpoints, converted, revenue, deal_id, lead_id, lead_created_at,
  qualified_at, opportunity_created_at, closed_at)`: one deal's path (or a lead's, without a
  deal). `converted` = closed-won, which needs `closed_at`; `revenue` the deal's value.
  The lead-creation and opportunity-creation touches are found from the times (the last touch
  at or before each), as HubSpot defines its key conversion points; touches after `closed_at`
  are dropped and the rest ordered by (occurred_at, id).
- `Campaign(id, name, type, budget)`: names and budgets for the report.
Ids are strings, times timezone-aware, money `Decimal` in whole cents.

`attribute(journeys, model=, group_by=, half_life=)` gives each journey's credit per touch,
to the cent, summing exactly to its revenue (largest remainder); a journey without touches
puts its revenue in `unattributed`. `revenue_attribution(...)` groups that into a `Report`
(summary, per-group attribution with funnel metrics and journeys, insights). The README's
"Revenue attribution models" section gives each model's formula and a worked example.
"""

from __future__ import annotations

from crmgraph.domain.attribution.credit import JourneyAttribution, TouchCredit, attribute
from crmgraph.domain.attribution.groups import GroupBy, channel_of, key_of
from crmgraph.domain.attribution.journeys import Campaign, Journey, Touchpoint
from crmgraph.domain.attribution.markov import RemovalEffects, removal_effects
from crmgraph.domain.attribution.report import (
    Funnel,
    GroupAttribution,
    GroupJourney,
    Report,
    Summary,
    revenue_attribution,
)
from crmgraph.domain.attribution.rules import DEFAULT_HALF_LIFE, Model

__all__ = [
    "DEFAULT_HALF_LIFE",
    "Campaign",
    "Funnel",
    "GroupAttribution",
    "GroupBy",
    "GroupJourney",
    "Journey",
    "JourneyAttribution",
    "Model",
    "RemovalEffects",
    "Report",
    "Summary",
    "TouchCredit",
    "Touchpoint",
    "attribute",
    "channel_of",
    "key_of",
    "removal_effects",
    "revenue_attribution",
]
