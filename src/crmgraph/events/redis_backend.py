"""A broadcaster backend for Redis pub/sub that survives Redis restarts.

broadcaster's own `redis://` backend lets its listener task die on the first connection
error, after which every subscriber of the process waits forever. This one reconnects with
backoff and subscribes again to every channel that still has subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, cast

from broadcaster import BroadcastBackend, Event
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger("crmgraph.events.bus")

# Always subscribed, so the pub/sub connection is listened to even with no subscribers.
_KEEPALIVE_CHANNEL = "crmgraph:bus:keepalive"
MAX_RECONNECT_DELAY = 0.5
CONNECT_WAIT = 5.0


class ResilientRedisBackend(BroadcastBackend):
    def __init__(self, url: str, client_name: str = "crmgraph-bus") -> None:
        # Both connections carry client_name (Redis's CLIENT LIST shows whose they are).
        self._conn: Redis = Redis.from_url(url, socket_connect_timeout=2, client_name=client_name)
        self._channels: set[str] = set()
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    async def connect(self) -> None:
        """Returns once listening (a subscription made after it is live), or after
        CONNECT_WAIT seconds with Redis down; the listener keeps trying either way."""
        self._listener = asyncio.create_task(self._listen(), name="crmgraph-bus-listener")
        with contextlib.suppress(TimeoutError):  # asyncio.timeout: see events.consumers.runner
            async with asyncio.timeout(CONNECT_WAIT):
                await self.connected.wait()
        # The connection publish() uses, opened now rather than at a process's first publish
        # (which may come hours later, when a worker takes the publisher's turn): a process
        # holds its two bus connections from the start, and a count of them that grows
        # means a leak (make soak). With Redis down the pool opens it at the first publish.
        with contextlib.suppress(RedisError, OSError):
            await cast(Awaitable[bool], self._conn.ping())  # redis-py types sync and async

    async def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._conn.aclose()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        if self._pubsub is not None:
            # On failure the listener reconnects and subscribes to every channel again.
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self._conn.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def _listen(self) -> None:
        delay = 0.05
        down = False
        while True:
            pubsub = self._conn.pubsub(ignore_subscribe_messages=True)
            try:
                self._pubsub = pubsub
                # No await between taking the set and publishing self._pubsub: a channel
                # added from now on is subscribed by subscribe() itself.
                await pubsub.subscribe(_KEEPALIVE_CHANNEL, *self._channels)
                self.connected.set()
                if down:
                    log.warning("pub/sub connection to Redis restored")
                    down = False
                delay = 0.05
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "message":
                        await self._queue.put(
                            Event(message["channel"].decode(), message["data"].decode())
                        )
            except (RedisError, OSError) as exc:
                self.connected.clear()
                if not down:
                    log.warning("pub/sub connection to Redis lost (%s); reconnecting", exc)
                    down = True
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RECONNECT_DELAY)
