"""PostgreSQL, Redis and Neo4j each answer through the project's own connection code."""

from __future__ import annotations

import asyncio
import uuid

from crmgraph.config import Settings
from crmgraph.errors import ServiceUnavailable
from crmgraph.events.bus import channel_for, create_broadcast
from crmgraph.runtime import Runtime


async def test_runtime_reaches_postgres_redis_and_neo4j(pg_settings: Settings) -> None:
    runtime = await Runtime.open(pg_settings)
    try:
        health = {h.service: h for h in await runtime.health()}
    finally:
        await runtime.close()

    assert {name: h.ok for name, h in health.items()} == {
        "database": True,
        "pubsub": True,
        "graph": True,
    }
    assert health["database"].detail.startswith("15.")
    assert health["graph"].detail.startswith("5.")
    assert "***" in health["database"].url


async def test_broadcast_delivers_through_real_redis(pg_settings: Settings) -> None:
    broadcast = create_broadcast(pg_settings.redis_url)
    await broadcast.connect()
    # A channel and a message of this run's own: the Redis is shared with other runs, and
    # their "hello" on a fixed channel arrived here too and passed for ours.
    hello = f"hello {uuid.uuid4()}"
    channel = channel_for(f"t_{uuid.uuid4().hex[:12]}", "deal.updated")
    try:
        async with broadcast.subscribe(channel) as subscriber:
            await broadcast.publish(channel, hello)
            event = await asyncio.wait_for(subscriber.get(), timeout=5)
    finally:
        await broadcast.disconnect()

    assert event.message == hello


async def test_unreachable_postgres_names_service_and_masked_url(pg_settings: Settings) -> None:
    bad = pg_settings.model_copy(
        update={"database_url": "postgresql+asyncpg://u:secret@127.0.0.1:1/x"}
    )
    try:
        await Runtime.open(bad)
    except ServiceUnavailable as exc:
        assert exc.service == "PostgreSQL"
        assert "secret" not in str(exc)
        assert "u:***@127.0.0.1:1" in str(exc)
    else:
        raise AssertionError("Runtime.open succeeded against a closed port")
