"""The consumers of the outbox, and the one list that registers them.

Every outbox event gets a delivery row per registered consumer in the writer's transaction
(crmgraph.events.deliveries.enqueue); the runner (runner.py) hands each consumer its events
and deletes a row once handled, so consumers move on independently and resume after a crash.

Adding a consumer (the Neo4j projection, webhooks, Zoho jobs):
1. a module here with a subclass of base.Consumer: a unique `name`, `ordered` if it needs
   events in outbox order, `batch_size`/`max_attempts` if the defaults do not fit,
   `from_runtime()` when it needs the process's resources, and an idempotent
   `async handle(event)` that raises ServiceUnavailable while its backend is down (rows
   it writes go in base.batch_session(); slow work it leaves to a background() loop);
2. its class in CONSUMERS below, and its name with the topics it wants in
   crmgraph.events.consumer_topics.WANTS (None: all; only those get its delivery rows).
Events recorded from then on reach it; for older ones, insert their delivery rows in a
migration. Removing one: take it out of CONSUMERS and WANTS and delete its rows in a
migration (until then they show as lag in the metrics).
"""

from __future__ import annotations

from crmgraph.events.consumer_topics import WANTS, consumer_names
from crmgraph.events.consumers.automation import AutomationConsumer
from crmgraph.events.consumers.base import Consumer
from crmgraph.events.consumers.graph_projection import GraphProjection
from crmgraph.events.consumers.lead_router import LeadRouter
from crmgraph.events.consumers.lead_scorer import LeadScorer
from crmgraph.events.consumers.redis_publisher import RedisPublisher
from crmgraph.events.consumers.webhooks import WebhookConsumer
from crmgraph.events.consumers.zoho_mapper import ZohoMapper

CONSUMERS: tuple[type[Consumer], ...] = (
    RedisPublisher,
    WebhookConsumer,
    ZohoMapper,
    GraphProjection,
    LeadScorer,
    AutomationConsumer,
    LeadRouter,
)

if [consumer.name for consumer in CONSUMERS] != list(WANTS):
    raise RuntimeError("CONSUMERS and consumer_topics.WANTS name different consumers")


__all__ = ["CONSUMERS", "Consumer", "consumer_names"]
