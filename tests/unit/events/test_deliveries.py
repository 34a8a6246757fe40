"""The rules of a delivery's retries, with no database: backoff, dead letters, lock keys,
the registry and the Prometheus text of the metrics."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crmgraph.db.models import OutboxDelivery
from crmgraph.events import bus, deliveries
from crmgraph.events.consumer_topics import WANTS
from crmgraph.events.consumers import CONSUMERS, Consumer, consumer_names
from crmgraph.events.consumers.metrics import ConsumerLag, prometheus_text

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class Flaky(Consumer):
    name: ClassVar[str] = "flaky"
    max_attempts: ClassVar[int] = 3
    retry_backoff: ClassVar[float] = 0.5
    max_backoff: ClassVar[float] = 3.0

    async def handle(self, event: bus.BusEvent) -> None:
        raise NotImplementedError


def test_backoff_doubles_from_the_first_retry_up_to_its_cap() -> None:
    assert [Flaky().backoff_ceiling(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [Flaky().backoff(n, lambda: 1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_waits_at_least_half_its_ceiling() -> None:
    assert [Flaky().backoff(n, lambda: 0.0) for n in range(1, 6)] == [0.25, 0.5, 1.0, 1.5, 1.5]


def test_backoff_is_jittered_over_the_upper_half_of_its_ceiling() -> None:
    waits = [Flaky().backoff(3) for _ in range(200)]

    assert all(1.0 <= wait <= 2.0 for wait in waits)
    assert len(set(waits)) > 100  # spread, not one instant for every worker
    assert min(waits) < 1.25 and max(waits) > 1.75


def test_a_failed_attempt_is_retried_later_until_the_last_one_makes_a_dead_letter() -> None:
    delivery = OutboxDelivery(consumer="flaky", outbox_id=1, state="pending", attempts=0)
    outcomes = [
        deliveries.failed(delivery, ValueError(f"bad {n}"), now=NOW, retry_in=2.0, max_attempts=3)
        for n in (1, 2, 3)
    ]

    assert outcomes == [False, False, True]
    assert (delivery.state, delivery.attempts) == ("dead", 3)
    assert delivery.last_error == "ValueError: bad 3"
    assert delivery.next_attempt_at == NOW + timedelta(seconds=2)  # set by the 2nd, kept


def test_without_max_attempts_a_delivery_never_dies() -> None:
    delivery = OutboxDelivery(consumer="x", outbox_id=1, state="pending", attempts=99)

    assert not deliveries.failed(delivery, OSError("down"), now=NOW, retry_in=1, max_attempts=None)
    assert (delivery.state, delivery.attempts) == ("pending", 100)


def test_a_long_error_is_cut() -> None:
    delivery = OutboxDelivery(consumer="x", outbox_id=1, state="pending", attempts=0)
    deliveries.failed(delivery, ValueError("x" * 10_000), now=NOW, retry_in=1, max_attempts=5)

    assert len(delivery.last_error or "") == deliveries.MAX_ERROR_CHARS


def test_lock_keys_are_stable_signed_64_bit_and_differ_by_consumer() -> None:
    key = deliveries.lock_key("redis-publisher")

    assert key == deliveries.lock_key("redis-publisher")
    assert -(2**63) <= key < 2**63
    assert key != deliveries.lock_key("neo4j-projection")


def test_registered_consumers_have_unique_short_names() -> None:
    names = consumer_names()

    assert names[0] == "redis-publisher"
    assert len(set(names)) == len(names) == len(CONSUMERS)
    assert all(0 < len(name) <= 64 for name in names)


@pytest.mark.parametrize("lag", [ConsumerLag("a", 3, 12.5, 1), ConsumerLag("b", 0, 0.0, 0)])
def test_prometheus_text_has_each_gauge_per_consumer(lag: ConsumerLag) -> None:
    samples = {
        sample.name: (sample.labels, sample.value)
        for family in text_string_to_metric_families(prometheus_text([lag]).decode())
        for sample in family.samples
    }

    assert samples == {
        "crmgraph_consumer_pending_events": ({"consumer": lag.consumer}, lag.pending),
        "crmgraph_consumer_oldest_pending_seconds": (
            {"consumer": lag.consumer},
            lag.oldest_pending_seconds,
        ),
        "crmgraph_consumer_dead_letters": ({"consumer": lag.consumer}, lag.dead),
        "crmgraph_outbox_lag_seconds": ({}, lag.oldest_pending_seconds),
    }


def test_the_outbox_lag_is_its_oldest_pending_event_of_any_consumer() -> None:
    lags = [ConsumerLag("a", 3, 12.5, 1), ConsumerLag("b", 1, 40.0, 0), ConsumerLag("c", 0, 0, 0)]
    text = prometheus_text(lags).decode()

    (family,) = [
        f for f in text_string_to_metric_families(text) if f.name.startswith("crmgraph_outbox")
    ]
    assert [(s.name, s.value) for s in family.samples] == [("crmgraph_outbox_lag_seconds", 40.0)]


def test_enqueueing_imports_no_consumer() -> None:
    # The write path (outbox.record -> deliveries.enqueue) must not import the consumers:
    # they import the domain code that records events, a cycle. Run in a fresh interpreter,
    # where nothing has imported them yet.
    script = """
import sys
from sqlalchemy.ext.asyncio import AsyncSession
from crmgraph.db.models import OutboxEvent
from crmgraph.events import deliveries
session = AsyncSession()
event = OutboxEvent(tenant_id="t", topic="zoho.record_received", aggregate_type="zoho",
                    aggregate_id=None, sequence=1, payload={})
deliveries.enqueue(session, event)
print(sorted(d.consumer for d in session.new if d is not event))
print(sorted(m for m in sys.modules if m.startswith("crmgraph.events.consumers")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    names, imported = done.stdout.splitlines()
    assert names == str(sorted(consumer_names("zoho.record_received")))
    assert imported == "[]"


def test_the_topic_table_names_the_registered_consumers() -> None:
    assert [consumer.name for consumer in CONSUMERS] == list(WANTS)
    assert consumer_names("zoho.record_received") == ["redis-publisher", "webhooks", "zoho-mapper"]
    assert consumer_names("deal.updated") == [
        "redis-publisher", "webhooks", "graph-projection", "automation"
    ]  # fmt: skip


def test_the_graph_projection_gets_every_event_of_a_row_the_graph_holds() -> None:
    from crmgraph.graph.changes import TOPICS

    assert WANTS["graph-projection"] == TOPICS
