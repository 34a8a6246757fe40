"""The payloads of the leads subgraph's events: leads (scored, qualified, converted),
campaigns and the touchpoints recorded on leads and contacts (crmgraph.events.payloads
imports this module so that PAYLOADS holds them, and names each class as its own)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from crmgraph.events import states
from crmgraph.events.payloads import Payload
from crmgraph.events.topics import Topic

# Leads


@dataclass(frozen=True, kw_only=True)
class LeadEvent(Payload):
    lead: states.LeadState


@dataclass(frozen=True, kw_only=True)
class LeadCreated(LeadEvent):
    TOPIC = Topic.LEAD_CREATED


@dataclass(frozen=True, kw_only=True)
class LeadUpdated(LeadEvent):
    TOPIC = Topic.LEAD_UPDATED


@dataclass(frozen=True, kw_only=True)
class LeadDeleted(LeadEvent):
    TOPIC = Topic.LEAD_DELETED


@dataclass(frozen=True, kw_only=True)
class LeadQualified(LeadEvent):
    TOPIC = Topic.LEAD_QUALIFIED


@dataclass(frozen=True, kw_only=True)
class ScoreFactor:
    factor: str
    points: int | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class LeadScored(LeadEvent):
    TOPIC = Topic.LEAD_SCORED
    previous_score: int
    new_score: int
    factors: list[ScoreFactor]


@dataclass(frozen=True, kw_only=True)
class Conversion:
    """What the conversion linked or made; None where it made nothing."""

    contact_id: UUID | None
    account_id: UUID | None
    deal_id: UUID | None


@dataclass(frozen=True, kw_only=True)
class LeadConverted(LeadEvent):
    TOPIC = Topic.LEAD_CONVERTED
    conversion: Conversion


# Marketing: campaigns and the touchpoints recorded on leads and contacts


@dataclass(frozen=True, kw_only=True)
class CampaignEvent(Payload):
    campaign: states.CampaignState


@dataclass(frozen=True, kw_only=True)
class CampaignCreated(CampaignEvent):
    TOPIC = Topic.CAMPAIGN_CREATED


@dataclass(frozen=True, kw_only=True)
class CampaignUpdated(CampaignEvent):
    TOPIC = Topic.CAMPAIGN_UPDATED


@dataclass(frozen=True, kw_only=True)
class TouchpointRecorded(Payload):
    TOPIC = Topic.TOUCHPOINT_RECORDED
    touchpoint: states.TouchpointState
