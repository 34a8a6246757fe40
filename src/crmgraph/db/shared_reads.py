"""A read that the callers of one process share: one answer per key, kept until it is older
than the age the asking caller accepts, and while it is being read, every caller asking for
that key waits for the same read instead of starting its own.

Open streams re-check things at the same moment: a cached answer lapses for all of them at
once. A soak with 200 subscriptions saw 200 identical reads queued on a pool of two until
checks and writes timed out waiting for a connection (role overrides), and each
subscription re-read its team every 2 s, about 100 statements a second (team members). Both
now read through here: crmgraph.auth.authenticate (a tenant's role overrides) and
crmgraph.db.scoping.LiveTeam (a team's users).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Keys are tenants or (tenant, team) pairs: bounded in practice, but never unbounded here.
MAX_KEYS = 10_000


class SharedReads(Generic[K, V]):
    def __init__(self, read: Callable[[K], Awaitable[V]], *, max_keys: int = MAX_KEYS) -> None:
        self._read = read
        self._max_keys = max_keys
        self._answers: dict[K, tuple[float, V]] = {}
        self._reading: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, max_age: float) -> V:
        """The answer for key, read at most max_age seconds ago (0: read now, or join the
        read of key already under way)."""
        cached = self._answers.get(key)
        if cached is not None and time.monotonic() - cached[0] < max_age:
            return cached[1]
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read_and_keep(key))
            self._reading[key] = reading
            reading.add_done_callback(lambda _: self._reading.pop(key, None))
        # shield: a caller that goes away does not cancel the read the others wait for.
        return await asyncio.shield(reading)

    async def _read_and_keep(self, key: K) -> V:
        started = time.monotonic()
        answer = await self._read(key)
        if len(self._answers) >= self._max_keys and key not in self._answers:
            self._answers.clear()
        # Aged from when the read started: a change committed during the read may be missing.
        self._answers[key] = (started, answer)
        return answer
