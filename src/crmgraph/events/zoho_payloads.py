"""The payloads of Zoho inbound events (kept apart from crmgraph.events.payloads, which
imports this module so that PAYLOADS holds them)."""

from __future__ import annotations

from dataclasses import dataclass

from crmgraph.events import states
from crmgraph.events.payloads import Payload
from crmgraph.events.topics import Topic


@dataclass(frozen=True, kw_only=True)
class ZohoRecordReceived(Payload):
    """A Zoho webhook event was stored: the row a mapper turns into our entities."""

    TOPIC = Topic.ZOHO_RECORD_RECEIVED
    zoho_inbound_event: states.ZohoInboundEventState
