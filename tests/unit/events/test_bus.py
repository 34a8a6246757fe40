"""The bus's event format and channel names."""

from __future__ import annotations

from crmgraph.events.bus import BusEvent, channel_for


def test_channel_name_carries_the_tenant() -> None:
    assert channel_for("acme", "deal.updated") == "crmgraph:acme:deal.updated"


def test_bus_event_survives_encoding() -> None:
    event = BusEvent(
        id=7, event_id="e1", topic="deal.updated", tenant_id="acme", aggregate_id="a1",
        sequence=3, payload={"data": {"title": "Big"}}, created_at="2030-01-01T00:00:00+00:00",
    )  # fmt: skip

    assert BusEvent.decode(event.encode()) == event
