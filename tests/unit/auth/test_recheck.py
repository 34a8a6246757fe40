"""rechecked(): a stream's credentials are checked on a timer, also while no item arrives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from crmgraph.auth.recheck import rechecked
from crmgraph.errors import DomainError, ErrorCode, dependency_down


class Credential:
    """A credential that can be revoked; counts its checks."""

    def __init__(self) -> None:
        self.revoked = False
        self.checks = 0

    async def check(self) -> None:
        self.checks += 1
        if self.revoked:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "API key revoked")


async def items(queue: asyncio.Queue[int], closed: asyncio.Event) -> AsyncIterator[int]:
    try:
        while True:
            yield await queue.get()
    finally:
        closed.set()


async def test_a_silent_stream_ends_once_its_credential_is_revoked() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    closed = asyncio.Event()
    credential = Credential()
    stream = rechecked(items(queue, closed), credential.check, every=0.05)
    queue.put_nowait(1)
    assert await anext(stream) == 1

    credential.revoked = True
    with pytest.raises(DomainError) as raised:
        async with asyncio.timeout(2):
            await anext(stream)

    assert raised.value.code is ErrorCode.UNAUTHENTICATED
    assert "revoked" in raised.value.message
    assert closed.is_set()  # the source was closed (its bus subscription ends)


async def test_items_pass_and_a_valid_credential_is_checked_on_the_timer() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    credential = Credential()
    stream = rechecked(items(queue, asyncio.Event()), credential.check, every=0.05)

    async def feed() -> None:
        for n in range(5):
            await asyncio.sleep(0.03)
            queue.put_nowait(n)

    feeding = asyncio.create_task(feed())
    received = [await anext(stream) for _ in range(5)]
    await feeding
    await stream.aclose()  # type: ignore[attr-defined]

    assert received == [0, 1, 2, 3, 4]  # none lost across the checks in between
    assert credential.checks >= 1


async def test_other_errors_pass_unchanged_and_the_end_of_the_source_ends_it() -> None:
    async def denied() -> None:
        raise DomainError(ErrorCode.FORBIDDEN, "Insufficient permissions")

    async def two() -> AsyncIterator[int]:
        yield 1
        yield 2

    assert [n async for n in rechecked(two(), denied, every=10)] == [1, 2]
    with pytest.raises(DomainError) as raised:
        async for _ in rechecked(items(asyncio.Queue(), asyncio.Event()), denied, every=0.01):
            pass
    assert raised.value.code is ErrorCode.FORBIDDEN


async def test_a_check_that_cannot_run_is_no_verdict_and_the_stream_goes_on() -> None:
    """The database down (SERVICE_UNAVAILABLE): checked again an interval later; a
    revocation is still seen once a check can run."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    closed = asyncio.Event()
    credential = Credential()
    unreachable = True

    async def check() -> None:
        if unreachable:
            credential.checks += 1
            raise dependency_down("PostgreSQL")
        await credential.check()

    stream = rechecked(items(queue, closed), check, every=0.02)
    pending = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.15)  # several checks fail meanwhile
    queue.put_nowait(1)
    assert await pending == 1
    assert credential.checks >= 3 and not closed.is_set()

    unreachable = False
    credential.revoked = True
    with pytest.raises(DomainError) as raised:
        async with asyncio.timeout(2):
            await anext(stream)
    assert raised.value.code is ErrorCode.UNAUTHENTICATED
    assert closed.is_set()
