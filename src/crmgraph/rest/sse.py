"""GET /sse/activity-feed: a user's live notifications as Server-Sent Events (004's format).

Each event is `id: <outbox id>` + `data: {"type": <topic>, "data": {...}}`. A client that
reconnects with Last-Event-ID first gets what it missed, read from the outbox, then the live
events from the bus; an event is never sent twice on one stream. The request's credentials
are checked again every CREDENTIAL_CHECK_SECONDS; once they fail (a key revoked), the stream
ends with an `event: error` carrying the REST error body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from crmgraph.auth.needs import ROUTES
from crmgraph.auth.recheck import rechecked
from crmgraph.db.models import OutboxEvent
from crmgraph.db.scoping import Scope, tenant_filter
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events.bus import BusEvent
from crmgraph.events.stream import readable_events, visible
from crmgraph.rest.auth import scope_of
from crmgraph.rest.errors import error_body
from crmgraph.runtime import Runtime

TOPICS = ("task.due", "activity.created", "deal.updated", "deal.stage_changed", "lead.scored")
KEEP_ALIVE_SECONDS = 15.0
BACKLOG_LIMIT = 500


def for_user(event: BusEvent, user_id: str) -> bool:
    """Activities assigned to, attended or logged by the user; deals and leads they own."""
    data = event.data
    return (
        data.get("assigned_to_id") == user_id
        or data.get("owner_id") == user_id
        or user_id in (data.get("attendee_ids") or [])
        or event.payload.get("actor_id") == user_id
    )


def feed_item(event: BusEvent) -> dict[str, Any]:
    """004's shape: {"type": "task.due", "data": {"task_id": ..., "title": ..., ...}}."""
    data, payload = event.data, event.payload
    kind = event.topic.split(".", 1)[0]
    item: dict[str, Any]
    if kind in ("task", "activity"):
        item = {f"{kind}_id": event.aggregate_id, "title": data.get("title")}
        for key in ("due_date", "start_time", "occurred_at", "priority", "status"):
            if data.get(key) is not None:
                item[key] = data[key]
    elif kind == "deal":
        item = {"deal_id": event.aggregate_id, "title": data.get("title"),
                "value": data.get("value")}  # fmt: skip
        if event.topic == "deal.stage_changed":
            item["from_stage_id"] = payload.get("from_stage_id")
            item["to_stage_id"] = payload.get("to_stage_id")
            item["reason"] = payload.get("reason")
    else:  # lead.scored
        change = int(payload.get("new_score", 0)) - int(payload.get("previous_score", 0))
        item = {"lead_id": event.aggregate_id, "score": payload.get("new_score"),
                "change": f"{change:+d}"}  # fmt: skip
    return {"type": event.topic, "data": item}


def frame(event: BusEvent) -> str:
    return f"id: {event.id}\ndata: {json.dumps(feed_item(event))}\n\n"


async def backlog(runtime: Runtime, tenant_id: str, after: int) -> list[BusEvent]:
    """The tenant's events after outbox id `after`, oldest first (published or not yet)."""
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(
                tenant_filter(OutboxEvent, tenant_id),
                OutboxEvent.id > after,
                OutboxEvent.topic.in_(TOPICS),
            )
            .order_by(OutboxEvent.id)
            .limit(BACKLOG_LIMIT)
        )
        return [BusEvent.from_row(row) for row in rows]


async def feed(
    runtime: Runtime, scope: Scope, user_id: str, last_id: int | None
) -> AsyncIterator[str]:
    """Only events the caller's permissions may read (a deal's need deals:read), live or
    replayed: the same filter as the subscriptions."""
    subscribed = asyncio.Event()
    live = readable_events(runtime.broadcast, scope, TOPICS, ready=subscribed)
    queue: asyncio.Queue[BusEvent] = asyncio.Queue()

    async def listen() -> None:
        async for event in live:
            queue.put_nowait(event)

    listener = asyncio.create_task(listen())
    try:
        # Subscribed before reading the backlog: an event committed in between comes live.
        await subscribed.wait()
        yield ": connected\n\n"
        sent = -1 if last_id is None else last_id
        seen: set[int] = set()
        if last_id is not None:
            for event in await backlog(runtime, scope.tenant_id, last_id):
                seen.add(event.id)
                sent = max(sent, event.id)
                if visible(scope, event) and for_user(event, user_id):
                    yield frame(event)
        while True:
            try:  # asyncio.timeout, not wait_for: see crmgraph.events.consumers.runner
                async with asyncio.timeout(KEEP_ALIVE_SECONDS):
                    event = await queue.get()
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event.id in seen or not for_user(event, user_id):
                continue
            yield frame(event)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await live.aclose()  # type: ignore[attr-defined]


def error_frame(error: DomainError) -> str:
    return f"event: error\ndata: {json.dumps({'type': 'error', 'errors': [error_body(error)]})}\n\n"


async def until_revoked(
    runtime: Runtime, request: Request, frames: AsyncIterator[str]
) -> AsyncIterator[str]:
    """frames while the request's credentials still pass, then an error event."""

    async def check() -> None:
        await scope_of(request, runtime, needs=ROUTES["GET /sse/activity-feed"])

    try:
        async for chunk in rechecked(frames, check, runtime.settings.credential_check_seconds):
            yield chunk
    except DomainError as exc:
        yield error_frame(exc)


def sse_routes(runtime: Runtime) -> list[Route]:
    async def activity_feed(request: Request) -> StreamingResponse:
        scope = await scope_of(request, runtime, needs=ROUTES["GET /sse/activity-feed"])
        user_id = request.query_params.get("user_id", "")
        try:
            user = str(UUID(user_id))
        except ValueError:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "user_id must be a user id",
                              field="user_id") from None  # fmt: skip
        last = request.headers.get("last-event-id")
        last_id = int(last) if last and last.isdigit() else None
        return StreamingResponse(
            until_revoked(runtime, request, feed(runtime, scope, user, last_id)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return [Route("/sse/activity-feed", activity_feed)]
