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
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import StreamingResponse

from crmgraph.auth.recheck import rechecked
from crmgraph.auth.route_needs import ROUTES
from crmgraph.db.models import OutboxEvent
from crmgraph.db.scoping import LiveTeam, Scope, tenant_filter
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events.bus import BusEvent
from crmgraph.events.envelope import Envelope
from crmgraph.events.lead_payloads import LeadEvent, LeadScored
from crmgraph.events.payloads import ActivityEvent, DealEvent, DealStageChanged, Payload, TaskEvent
from crmgraph.events.stream import readable, readable_events, visible
from crmgraph.events.topics import Topic
from crmgraph.rest.auth import scope_of
from crmgraph.rest.errors import error_body
from crmgraph.rest.operations import STRING, UUID_STRING, Operation, Param, Reply
from crmgraph.runtime import Runtime

TOPICS = (Topic.TASK_DUE, Topic.ACTIVITY_CREATED, Topic.DEAL_UPDATED, Topic.DEAL_STAGE_CHANGED,
          Topic.LEAD_SCORED)  # fmt: skip
KEEP_ALIVE_SECONDS = 15.0
BACKLOG_LIMIT = 500
Event = Envelope[Payload]


def subject_of(payload: Payload) -> object:
    """The state of the row a feed event is about (a task, an activity, a deal, a lead)."""
    if isinstance(payload, ActivityEvent):
        return payload.activity
    if isinstance(payload, TaskEvent):
        return payload.task
    if isinstance(payload, DealEvent):
        return payload.deal
    if isinstance(payload, LeadEvent):
        return payload.lead
    return None


def for_user(event: Event, user_id: UUID) -> bool:
    """Activities assigned to, attended or logged by the user; deals and leads they own."""
    subject = subject_of(event.payload)
    return (
        getattr(subject, "assigned_to_id", None) == user_id
        or getattr(subject, "owner_id", None) == user_id
        or str(user_id) in (getattr(subject, "attendee_ids", None) or [])
        or event.payload.actor_id == user_id
    )


def feed_item(event: Event) -> dict[str, Any]:
    """004's shape: {"type": <topic>, "data": {"task_id": ..., "title": ..., ...}}."""
    payload, kind = event.payload, event.topic.aggregate
    subject = subject_of(payload)
    item: dict[str, Any]
    if kind in ("task", "activity"):
        item = {f"{kind}_id": event.aggregate_id, "title": getattr(subject, "title", None)}
        for key in ("due_date", "start_time", "occurred_at", "priority", "status"):
            if getattr(subject, key, None) is not None:
                item[key] = getattr(subject, key)
    elif isinstance(payload, DealEvent):
        item = {"deal_id": event.aggregate_id, "title": payload.deal.title,
                "value": payload.deal.value}  # fmt: skip
        if isinstance(payload, DealStageChanged):
            item["from_stage_id"] = payload.from_stage_id
            item["to_stage_id"] = payload.to_stage_id
            item["reason"] = payload.reason
    else:
        assert isinstance(payload, LeadScored)
        change = payload.new_score - payload.previous_score
        item = {"lead_id": event.aggregate_id, "score": payload.new_score,
                "change": f"{change:+d}"}  # fmt: skip
    return {"type": event.topic.value, "data": item}


def to_json(value: object) -> str:
    """json.dumps's text, but a Decimal is an exact JSON number: as a float prints it when
    that is exact (the bytes this feed always sent), else all its digits."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Decimal):
        as_float = repr(float(value))
        return as_float if Decimal(as_float) == value else format(value, "f")
    if isinstance(value, UUID):
        return json.dumps(str(value))
    if isinstance(value, datetime):
        return json.dumps(value.isoformat())
    return json.dumps(value)


def frame(event: Event) -> str:
    return f"id: {event.id}\ndata: {to_json(feed_item(event))}\n\n"


async def backlog(runtime: Runtime, tenant_id: str, after: int) -> list[Event]:
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
        events = (readable(BusEvent.from_row(row)) for row in rows)
        return [event for event in events if event is not None]


async def feed(
    runtime: Runtime, scope: Scope, user_id: UUID, last_id: int | None
) -> AsyncIterator[str]:
    """Only events the caller's permissions may read (a deal's need deals:read), live or
    replayed: the same filter as the subscriptions."""
    subscribed = asyncio.Event()
    every = runtime.settings.credential_check_seconds
    team = await LiveTeam(runtime.teams, scope, every).fresh()
    live = readable_events(runtime.broadcast, scope, TOPICS, ready=subscribed, team=team)
    queue: asyncio.Queue[Event] = asyncio.Queue()

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
                if visible(scope, event, team) and for_user(event, user_id):
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


def sse_operations(runtime: Runtime) -> list[Operation]:
    async def activity_feed(request: Request) -> StreamingResponse:
        scope = await scope_of(request, runtime, needs=ROUTES["GET /sse/activity-feed"])
        user_id = request.query_params.get("user_id", "")
        try:
            user = UUID(user_id)
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

    return [
        Operation("GET", "/sse/activity-feed", activity_feed, name="activityFeed",
                  summary="A user's live notifications as Server-Sent Events (004's format)",
                  params=(Param.query("user_id", UUID_STRING, required=True),
                          Param.header("Last-Event-ID", STRING,
                                       description="Resume after this event id")),
                  replies={200: Reply("An endless event stream", schema=STRING,
                                      media_type="text/event-stream", enveloped=False)},
                  errors=(400,)),
    ]  # fmt: skip
