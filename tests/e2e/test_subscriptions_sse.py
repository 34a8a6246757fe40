"""GET /sse/activity-feed on the REST shim: live events, then resuming from Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.e2e.test_subscriptions import bearer, mutate
from tests.e2e.test_subscriptions_more import CREATE_TASK, make_user
from tests.stack import Stack


class Feed:
    def __init__(self, lines: AsyncIterator[str]) -> None:
        self.lines = lines

    async def next(self, within: float = 3.0) -> tuple[int, dict[str, Any]]:
        """The next event's id and data, skipping comments."""
        event_id, data = None, None
        async with asyncio.timeout(within):
            async for line in self.lines:
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and data is not None:
                    assert event_id is not None
                    return event_id, data
        raise AssertionError("the stream ended")


@asynccontextmanager
async def feed(
    stack: Stack,
    tenant: str,
    user: str,
    last_id: int | None = None,
    credentials: dict[str, str] | None = None,
    **token: Any,
) -> AsyncIterator[Feed]:
    """user's feed, asked with credentials, else a token of stack.token(tenant, **token) (a
    tenant admin's)."""
    headers = credentials or bearer(stack, tenant, **token)
    if last_id is not None:
        headers["last-event-id"] = str(last_id)
    async with (
        httpx.AsyncClient(base_url=stack.rest_url, timeout=10) as client,
        client.stream(
            "GET", "/sse/activity-feed", params={"user_id": user}, headers=headers
        ) as response,  # fmt: skip
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert await anext(lines) == ": connected"
        yield Feed(lines)


async def test_activity_feed_streams_then_resumes_from_last_event_id(
    stack: Stack, tenant: str
) -> None:
    ada, bob = make_user(stack, tenant, "ada"), make_user(stack, tenant, "bob")
    async with feed(stack, tenant, ada) as live:
        await mutate(stack, tenant, CREATE_TASK, input={"title": "Bob's", "assignedTo": bob})
        await mutate(stack, tenant, CREATE_TASK, input={"title": "Call", "assignedTo": ada})
        first_id, first = await live.next()
    missed = {"title": "Missed", "assignedTo": ada, "priority": "HIGH"}
    created = await mutate(stack, tenant, CREATE_TASK, input=missed)

    async with feed(stack, tenant, ada, last_id=first_id) as resumed:
        again_id, again = await resumed.next()

    assert first["type"] == "activity.created"
    assert first["data"]["title"] == "Call"
    assert again_id > first_id
    assert again == {
        "type": "activity.created",
        "data": {
            "activity_id": created["createTask"]["task"]["id"],
            "title": "Missed",
            "priority": "HIGH",
            "status": "PENDING",
        },
    }


async def test_activity_feed_needs_a_token(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.rest_url) as client:
        response = await client.get(
            "/sse/activity-feed", params={"user_id": "00000000-0000-0000-0000-000000000001"}
        )

    assert response.status_code == 401
