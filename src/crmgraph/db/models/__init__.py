"""SQLAlchemy models of the six CRM domains; every row carries tenant_id.

One module per domain; this package re-exports every model, so `models.Deal` and
`from crmgraph.db.models import Deal` work, and importing it registers every table on
`Base.metadata` (what Alembic's env.py compares the migrations with).
"""

from __future__ import annotations

from crmgraph.db.models.access import ApiKey, TenantRole
from crmgraph.db.models.accounts import Account, AccountRelationship, User
from crmgraph.db.models.activities import Communication, Event, Task
from crmgraph.db.models.automation import AutomationRun
from crmgraph.db.models.base import (
    NAMING_CONVENTION,
    Base,
    Money,
    RelatedTo,
    TenantRow,
    UserRef,
    ZohoLinked,
)
from crmgraph.db.models.contacts import Contact
from crmgraph.db.models.deals import Deal, DealStageChange, DealStay
from crmgraph.db.models.health import HealthWeights
from crmgraph.db.models.leads import Lead, LeadScoreHistory
from crmgraph.db.models.marketing import Campaign, Touchpoint
from crmgraph.db.models.outbox import OutboxDelivery, OutboxEvent
from crmgraph.db.models.pipelines import Pipeline, PipelineStage
from crmgraph.db.models.routing import LeadRouting
from crmgraph.db.models.scoring import LeadScoreAdjustment, LeadScoreExplanation, LeadScoringRules
from crmgraph.db.models.webhooks import WebhookDelivery, WebhookJob, WebhookSubscription
from crmgraph.db.models.zoho import (
    ZohoAccessToken,
    ZohoInboundEvent,
    ZohoOrg,
    ZohoWatchChannel,
)

__all__ = [
    "NAMING_CONVENTION",
    "Account",
    "AccountRelationship",
    "ApiKey",
    "AutomationRun",
    "Base",
    "Campaign",
    "Communication",
    "Contact",
    "Deal",
    "DealStageChange",
    "DealStay",
    "Event",
    "HealthWeights",
    "Lead",
    "LeadRouting",
    "LeadScoreAdjustment",
    "LeadScoreExplanation",
    "LeadScoreHistory",
    "LeadScoringRules",
    "Money",
    "OutboxDelivery",
    "OutboxEvent",
    "Pipeline",
    "PipelineStage",
    "RelatedTo",
    "Task",
    "TenantRole",
    "TenantRow",
    "Touchpoint",
    "User",
    "UserRef",
    "WebhookDelivery",
    "WebhookJob",
    "WebhookSubscription",
    "ZohoAccessToken",
    "ZohoInboundEvent",
    "ZohoLinked",
    "ZohoOrg",
    "ZohoWatchChannel",
]
