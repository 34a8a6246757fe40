"""The pub/sub bus (broadcaster): Redis in full mode, in-memory in embedded mode."""

from __future__ import annotations

from broadcaster import Broadcast
from redis.asyncio import Redis

from crmgraph.config import mask_url
from crmgraph.errors import ServiceUnavailable


def channel_for(tenant_id: str, topic: str) -> str:
    """The one place channel names are made: events never cross tenants by name."""
    return f"crmgraph:{tenant_id}:{topic}"


def create_broadcast(url: str) -> Broadcast:
    return Broadcast(url)


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
