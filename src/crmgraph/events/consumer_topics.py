"""Which consumers of the outbox get which events: each registered consumer's name and the
topics it wants (None: every event), in the order they are registered.

deliveries.enqueue(), which every write's outbox.record() calls, reads this to add a delivery
per consumer. It imports nothing but the topics: the consumers themselves import the domain
code that records events, so the registry of their classes
(crmgraph.events.consumers.CONSUMERS) cannot be imported from the write path. That registry
refuses to load unless its classes' names are these, in this order.
"""

from __future__ import annotations

from collections.abc import Mapping

from crmgraph.events.topics import Topic

WANTS: Mapping[str, frozenset[Topic] | None] = {
    "redis-publisher": None,
    "webhooks": None,
    "zoho-mapper": frozenset({Topic.ZOHO_RECORD_RECEIVED}),
    # The events of rows the graph holds (crmgraph.graph.changes.TOPICS, which a test holds
    # equal to this).
    "graph-projection": frozenset(
        {
            Topic.ACCOUNT_CREATED,
            Topic.ACCOUNT_DELETED,
            Topic.ACCOUNT_RELATIONSHIP_CREATED,
            Topic.ACCOUNT_RELATIONSHIP_DELETED,
            Topic.ACCOUNT_UPDATED,
            Topic.ACTIVITY_CREATED,
            Topic.ACTIVITY_DELETED,
            Topic.ACTIVITY_UPDATED,
            Topic.CAMPAIGN_CREATED,
            Topic.CAMPAIGN_UPDATED,
            Topic.CONTACT_CREATED,
            Topic.CONTACT_DELETED,
            Topic.CONTACT_UPDATED,
            Topic.DEAL_CREATED,
            Topic.DEAL_DELETED,
            Topic.DEAL_STAGE_CHANGED,
            Topic.DEAL_UPDATED,
            Topic.LEAD_CONVERTED,
            Topic.LEAD_CREATED,
            Topic.LEAD_DELETED,
            Topic.LEAD_QUALIFIED,
            Topic.LEAD_SCORED,
            Topic.LEAD_UPDATED,
            Topic.PIPELINE_CHANGED,
            Topic.PIPELINE_CREATED,
            Topic.PIPELINE_DELETED,
            Topic.PIPELINE_UPDATED,
            Topic.TASK_COMPLETED,
            Topic.TOUCHPOINT_RECORDED,
        }
    ),
    # What changes a lead's scoring facts (crmgraph.events.consumers.lead_scorer).
    "lead-scorer": frozenset(
        {
            Topic.ACTIVITY_CREATED,
            Topic.ACTIVITY_DELETED,
            Topic.ACTIVITY_UPDATED,
            Topic.LEAD_CREATED,
            Topic.LEAD_UPDATED,
            Topic.TOUCHPOINT_RECORDED,
        }
    ),
    # The topics of the automation triggers (crmgraph.domain.automation_triggers.topics(),
    # which a test holds equal to this).
    "automation": frozenset({Topic.DEAL_CREATED, Topic.DEAL_STAGE_CHANGED, Topic.DEAL_UPDATED}),
    # A score that may qualify a lead (crmgraph.events.consumers.lead_router).
    "lead-router": frozenset({Topic.LEAD_SCORED}),
}


def consumer_names(topic: str | None = None) -> list[str]:
    """The name of every registered consumer, or of those that want events of topic: an
    event gets a delivery for each of these."""
    return [
        name for name, topics in WANTS.items() if topic is None or topics is None or topic in topics
    ]
