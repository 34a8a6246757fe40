"""The pub/sub bus (broadcaster): Redis in full mode, in-memory in embedded mode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from broadcaster import Broadcast
from redis.asyncio import Redis

from crmgraph.config import mask_url
from crmgraph.db.models import OutboxEvent
from crmgraph.errors import ServiceUnavailable
from crmgraph.events.redis_backend import ResilientRedisBackend


def channel_for(tenant_id: str, topic: str) -> str:
    """The one place channel names are made: events never cross tenants by name."""
    return f"crmgraph:{tenant_id}:{topic}"


def create_broadcast(url: str) -> Broadcast:
    if urlparse(url).scheme in ("redis", "rediss"):
        return Broadcast(backend=ResilientRedisBackend(url))
    return Broadcast(url)


@dataclass(frozen=True)
class BusEvent:
    """An outbox row as published: `id` is the outbox id (SSE's event id), `event_id` the
    unique id consumers drop duplicates by, `sequence` the per-aggregate order, `payload`
    the JSON of crmgraph.events.codec, passed through as stored. Consumers read it decoded:
    crmgraph.events.envelope.Envelope."""

    id: int
    event_id: str
    topic: str
    tenant_id: str
    aggregate_id: str
    sequence: int
    payload: dict[str, Any]
    created_at: str

    @classmethod
    def from_row(cls, row: OutboxEvent) -> BusEvent:
        return cls(
            id=row.id,
            event_id=str(row.event_id),
            topic=row.topic,
            tenant_id=row.tenant_id,
            aggregate_id=str(row.aggregate_id),
            sequence=row.sequence,
            payload=row.payload,
            created_at=row.created_at.isoformat(),
        )

    def encode(self) -> str:
        return json.dumps(self.__dict__, separators=(",", ":"))

    @classmethod
    def decode(cls, message: str) -> BusEvent:
        data = json.loads(message)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def available(broadcast: Broadcast) -> bool:
    """Whether the bus can take a subscription now: Redis is connected (always in memory)."""
    backend = getattr(broadcast, "_backend", None)
    return not isinstance(backend, ResilientRedisBackend) or backend.connected.is_set()


async def ping(url: str) -> str:
    """The Redis server version, or 'in-memory'; raises ServiceUnavailable naming the URL."""
    if url.startswith("memory://"):
        return "in-memory"
    client = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        info = await client.info("server")
    except Exception as exc:  # any connection or auth failure
        raise ServiceUnavailable("Redis", mask_url(url), str(exc) or type(exc).__name__) from exc
    finally:
        await client.aclose()
    return str(info.get("redis_version", "unknown"))
