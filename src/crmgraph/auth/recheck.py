"""Long-lived streams (subscriptions, SSE) re-check their credentials while they run.

A credential checked once when a stream opens would outlive its revocation for as long as the
client stays connected. rechecked() passes a stream's items on and, every `every` seconds
(whether or not items arrive), awaits `check`; when check finds the credentials no longer
valid, the stream ends with credential_revoked(): the caller turns that into its protocol's
error (a GraphQL error, an SSE error event). A check that cannot run (SERVICE_UNAVAILABLE:
the database is down) is no verdict: the stream goes on and is checked again an interval
later. A revocation is written to that database, so none can be missed while it is down;
one made as it comes back is seen at the next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar, cast

from crmgraph.errors import DomainError, ErrorCode

T = TypeVar("T")
_END = object()


def credential_revoked(reason: DomainError) -> DomainError:
    return DomainError(
        ErrorCode.UNAUTHENTICATED,
        f"credential revoked or no longer valid ({reason.message}); the stream has ended",
    )


async def rechecked(
    stream: AsyncIterator[T], check: Callable[[], Awaitable[object]], every: float
) -> AsyncIterator[T]:
    """stream's items; DomainError (credential_revoked) once check raises UNAUTHENTICATED.
    SERVICE_UNAVAILABLE from check is retried an interval later; other failures of check
    propagate as they are."""

    async def following() -> object:
        try:
            return await anext(stream)
        except StopAsyncIteration:
            return _END

    # One pending read that survives the timer: cancelling a read would end the stream.
    pending: asyncio.Task[object] | None = None
    due = time.monotonic() + every
    try:
        while True:
            if pending is None:
                pending = asyncio.create_task(following())
            await asyncio.wait({pending}, timeout=max(0.0, due - time.monotonic()))
            if time.monotonic() >= due:
                try:
                    await check()
                except DomainError as exc:
                    if exc.code is ErrorCode.UNAUTHENTICATED:
                        raise credential_revoked(exc) from exc
                    if exc.code is not ErrorCode.SERVICE_UNAVAILABLE:
                        raise
                    # Not checked (the database is down): no verdict, so the stream goes on
                    # and checks again in `every` seconds.
                due = time.monotonic() + every
            if pending.done():
                item = pending.result()
                pending = None
                if item is _END:
                    return
                yield cast(T, item)
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pending
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
