"""Handling one claimed batch of a consumer's deliveries: all at once when the consumer
batches, else one by one, recording each failure on its delivery (retry with backoff, a dead
letter after the consumer's max_attempts, a pause while its backend is down). The runner
(crmgraph.events.consumers.runner) owns the transaction around it.
"""

from __future__ import annotations

import logging

from crmgraph.db.types import utcnow
from crmgraph.errors import ServiceUnavailable, TransientFailure
from crmgraph.events import bus, deliveries
from crmgraph.events.consumers.base import Consumer

log = logging.getLogger("crmgraph.events.consumers")


async def handle_claimed(
    consumer: Consumer, claimed: list[deliveries.Claimed]
) -> tuple[list[bus.BusEvent], float | None, float | None]:
    """Handle a batch's events: all at once when the consumer batches and that works,
    else one by one. The events handled, and retry_in and pause as in runner.Batch."""
    if consumer.batches and claimed:
        events = [bus.BusEvent.from_row(item.event) for item in claimed]
        try:
            await consumer.handle_all(events)
            return events, None, None
        except ServiceUnavailable as exc:  # as the first event's handle() would have
            first = claimed[0].delivery
            wait = consumer.backoff(first.attempts + 1)
            deliveries.failed(first, exc, now=utcnow(), retry_in=wait, max_attempts=None)
            return [], None, wait
        except Exception:  # one by one below, so that a bad event fails alone
            log.debug("consumer %s: batch failed, handling its events one by one",
                      consumer.name, exc_info=True)  # fmt: skip
    handled: list[bus.BusEvent] = []
    retry_in: float | None = None
    pause: float | None = None
    for item in claimed:
        event = bus.BusEvent.from_row(item.event)
        try:
            await consumer.handle(event)
        except ServiceUnavailable as exc:  # its backend is down: not the event's fault
            pause = consumer.backoff(item.delivery.attempts + 1)
            deliveries.failed(item.delivery, exc, now=utcnow(), retry_in=pause,
                              max_attempts=None)  # fmt: skip
            break
        except Exception as exc:
            wait = consumer.backoff(item.delivery.attempts + 1)
            # A transient failure is retried for as long as it lasts: never dead.
            limit = None if isinstance(exc, TransientFailure) else consumer.max_attempts
            dead = deliveries.failed(
                item.delivery, exc, now=utcnow(), retry_in=wait, max_attempts=limit
            )
            _log_failure(consumer, event, exc, dead=dead)
            if not dead:
                retry_in = wait if retry_in is None else min(retry_in, wait)
                if consumer.ordered:
                    break  # what follows waits for this one
            continue
        handled.append(event)
    return handled, retry_in, pause


def _log_failure(consumer: Consumer, event: bus.BusEvent, exc: Exception, *, dead: bool) -> None:
    what = "dead letter" if dead else "will retry"
    log.warning("consumer %s failed on event %s (%s): %s", consumer.name, event.event_id, what, exc)
