"""The Redis bus backend's connections, counted by Redis itself (CLIENT LIST): two from
connect() on, one listening and one publishing, however many publishes follow; none after
disconnect(). A process whose count grows later is leaking (make soak counts them)."""

from __future__ import annotations

import asyncio
import os
import uuid

from redis.asyncio import Redis

from crmgraph.events.redis_backend import ResilientRedisBackend


async def _named(admin: Redis, name: str) -> int:
    clients = await admin.client_list()
    return sum(1 for client in clients if client.get("name") == name)


async def test_the_bus_holds_two_connections_from_connect_to_disconnect() -> None:
    url = os.environ["REDIS_URL"]
    name = f"bus-test-{uuid.uuid4().hex[:8]}"
    admin = Redis.from_url(url)
    backend = ResilientRedisBackend(url, client_name=name)
    try:
        await backend.connect()
        assert backend.connected.is_set()
        assert await _named(admin, name) == 2
        await backend.subscribe("crmgraph:test:bus-connections")
        for n in range(20):
            await backend.publish("crmgraph:test:bus-connections", f"m{n}")
        received = [await asyncio.wait_for(backend.next_published(), 5) for _ in range(20)]
        assert [event.message for event in received] == [f"m{n}" for n in range(20)]
        assert await _named(admin, name) == 2
    finally:
        await backend.disconnect()
    for _ in range(50):
        if await _named(admin, name) == 0:
            break
        await asyncio.sleep(0.1)
    assert await _named(admin, name) == 0
    await admin.aclose()
