"""One delivery attempt: re-check the target (DNS may have changed since registration), sign
the body, POST it, and keep what the receiver answered (bounded)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx

from crmgraph import __version__
from crmgraph.webhooks import addresses, signing

# How much of a receiver's answer is kept.
RESPONSE_EXCERPT = 1000
# The same on every attempt of one event to one subscription: a receiver drops repeats by it.
DELIVERY_ID_HEADER = "X-CRM-Delivery-ID"


def delivery_id(subscription_id: uuid.UUID, event_id: uuid.UUID) -> uuid.UUID:
    """The id of the delivery of event_id to subscription_id: derived, not stored, so every
    attempt (by any process, after any crash) carries the same."""
    return uuid.uuid5(subscription_id, str(event_id))


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to: succeeded is a 2xx answer."""

    succeeded: bool
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int
    refused: bool = False  # the target was not allowed (SSRF rules): nothing was sent

    def outcome(self, *, disabled: bool = False) -> str:
        """Its label in crmgraph_webhook_deliveries_total (rest.metrics.WEBHOOK_OUTCOMES);
        disabled: this failure disabled its subscription."""
        if self.succeeded:
            return "delivered"
        if disabled:
            return "disabled"
        return "refused" if self.refused else "failed"


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    secret: str,
    body: bytes,
    event_id: str,
    delivery: uuid.UUID,
    topic: str,
    wait: float,
    allow_private: bool,
) -> Attempt:
    """POST body to url, signed with secret, waiting at most `wait` seconds for the answer;
    never raises for the receiver's faults.
    Redirects are not followed: a 3xx could point anywhere, past the target check."""
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        await addresses.check_target(url, allow_private=allow_private)
    except addresses.TargetRefused as exc:
        return Attempt(False, None, None, f"target refused: {exc}", took(), refused=True)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"crmgraph-webhooks/{__version__}",
        signing.HEADER: signing.sign(secret, body),
        "X-CRM-Event": topic,
        "X-CRM-Event-ID": event_id,
        DELIVERY_ID_HEADER: str(delivery),
    }
    try:
        async with client.stream(
            "POST", url, content=body, headers=headers, timeout=wait, follow_redirects=False
        ) as response:
            excerpt = await _excerpt(response)
    except httpx.TimeoutException:
        return Attempt(False, None, None, f"no answer within {wait:g} s", took())
    except httpx.HTTPError as exc:
        return Attempt(False, None, None, f"{type(exc).__name__}: {exc}"[:500], took())
    ok = 200 <= response.status_code < 300
    error = None if ok else f"the receiver answered HTTP {response.status_code}"
    return Attempt(ok, response.status_code, excerpt, error, took())


async def _excerpt(response: httpx.Response) -> str:
    """The first RESPONSE_EXCERPT characters of the answer, reading no more than needed."""
    chunks = bytearray()
    async for chunk in response.aiter_bytes():
        chunks += chunk
        if len(chunks) >= RESPONSE_EXCERPT * 4:  # up to 4 bytes a character in UTF-8
            break
    return chunks.decode("utf-8", errors="replace")[:RESPONSE_EXCERPT]
