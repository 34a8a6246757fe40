"""Every domain event's topic: the one place a topic name is written.

A topic is `<aggregate>.<verb>`; the aggregate part names what the event is about and picks
the permission a listener needs (crmgraph.auth.read_needs.EVENTS). Each topic has exactly one
payload class (crmgraph.events.payloads).
"""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    """The topics of the outbox and the bus (their values are the wire names)."""

    ACCOUNT_CREATED = "account.created"
    ACCOUNT_UPDATED = "account.updated"
    ACCOUNT_DELETED = "account.deleted"
    ACCOUNT_RELATIONSHIP_CREATED = "account.relationship_created"
    ACCOUNT_RELATIONSHIP_DELETED = "account.relationship_deleted"
    ACTIVITY_CREATED = "activity.created"
    ACTIVITY_UPDATED = "activity.updated"
    ACTIVITY_DELETED = "activity.deleted"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    CAMPAIGN_CREATED = "campaign.created"
    CAMPAIGN_UPDATED = "campaign.updated"
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    CONTACT_DELETED = "contact.deleted"
    DEAL_CREATED = "deal.created"
    DEAL_UPDATED = "deal.updated"
    DEAL_STAGE_CHANGED = "deal.stage_changed"
    DEAL_DELETED = "deal.deleted"
    DEAL_AUTOMATION = "deal.automation"
    LEAD_CREATED = "lead.created"
    LEAD_UPDATED = "lead.updated"
    LEAD_DELETED = "lead.deleted"
    LEAD_QUALIFIED = "lead.qualified"
    LEAD_SCORED = "lead.scored"
    LEAD_CONVERTED = "lead.converted"
    PIPELINE_CREATED = "pipeline.created"
    PIPELINE_UPDATED = "pipeline.updated"
    PIPELINE_CHANGED = "pipeline.changed"
    PIPELINE_DELETED = "pipeline.deleted"
    TASK_COMPLETED = "task.completed"
    TASK_DUE = "task.due"
    TOUCHPOINT_RECORDED = "touchpoint.recorded"
    ZOHO_RECORD_RECEIVED = "zoho.record_received"

    @property
    def aggregate(self) -> str:
        """What the event is about: `deal` for deal.stage_changed."""
        return self.value.split(".", 1)[0]
