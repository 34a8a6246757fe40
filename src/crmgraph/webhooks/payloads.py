"""The body of a webhook delivery, shaped as the API design's "Webhook Payload Examples":
`{"event_id", "event_type", "timestamp", "tenant_id", "data"}`, `data` holding the row the
event is about under its name (`deal`, `lead`, ...) as the outbox payload carries it (ids,
money and times as strings), plus what the event adds: `change_info` (who, and for a stage
move why), the stage names of a move, the result of a lead conversion."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from crmgraph.events.bus import BusEvent
from crmgraph.events.topics import Topic

PING = "ping"
JSON = dict[str, Any]


def _iso(moment: str | datetime) -> str:
    text = moment.isoformat() if isinstance(moment, datetime) else moment
    return text.replace("+00:00", "Z")


def _by(actor: Any) -> JSON | None:
    return None if actor is None else {"id": actor}


def _stage_changed(payload: JSON) -> JSON:
    deal = {
        **payload["deal"],
        "previous_stage": payload.get("from_stage_name"),
        "current_stage": payload.get("to_stage_name"),
        "previous_stage_id": payload.get("from_stage_id"),
        "current_stage_id": payload.get("to_stage_id"),
    }
    change = {"changed_by": _by(payload.get("actor_id")), "reason": payload.get("reason")}
    return {"deal": deal, "change_info": change}


def _lead_converted(payload: JSON) -> JSON:
    lead = payload["lead"]
    made = payload.get("conversion") or {}
    result = {
        f"{kind}_created": None if made.get(f"{kind}_id") is None else {"id": made[f"{kind}_id"]}
        for kind in ("contact", "account", "deal")
    }
    return {
        "lead": {
            **lead,
            "name": f"{lead.get('first_name', '')} {lead.get('last_name', '')}".strip(),
        },
        "conversion_result": result,
        "conversion_info": {
            "converted_by": _by(payload.get("actor_id")),
            "qualification_notes": lead.get("qualification_notes"),
        },
    }


def _generic(payload: JSON) -> JSON:
    data = {k: v for k, v in payload.items() if k not in ("version", "actor_id")}
    return {**data, "change_info": {"changed_by": _by(payload.get("actor_id"))}}


SHAPES = {
    Topic.DEAL_STAGE_CHANGED.value: _stage_changed,
    Topic.LEAD_CONVERTED.value: _lead_converted,
}


def event_body(event: BusEvent) -> JSON:
    """The delivery body of an outbox event."""
    shape = SHAPES.get(event.topic, _generic)
    return {
        "event_id": event.event_id,
        "event_type": event.topic,
        "timestamp": _iso(event.created_at),
        "tenant_id": event.tenant_id,
        "data": shape(event.payload),
    }


def ping_body(event_id: str, tenant_id: str, webhook_id: str, now: datetime) -> JSON:
    """What POST /api/v1/webhooks/{id}/test sends."""
    return {
        "event_id": event_id,
        "event_type": PING,
        "timestamp": _iso(now),
        "tenant_id": tenant_id,
        "data": {"webhook_id": webhook_id, "message": "a test delivery from crmgraph"},
    }


def encode(body: JSON) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
