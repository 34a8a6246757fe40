"""crmgraph.events.stream.FirstArrivals: every subscriber of a process takes exactly one
arrival of an event id, the one its bus connection delivered first, however the subscribers'
queues interleave; a table per connection."""

from __future__ import annotations

import uuid

from broadcaster import Broadcast, Event

from crmgraph.events.stream import FirstArrivals, first_arrivals


def arrival(message: str = "m") -> Event:
    return Event(channel="tenant:t:deal.updated", message=message)


def test_each_subscriber_takes_the_first_arrival_and_drops_the_republication() -> None:
    table = FirstArrivals()
    key, first, again = uuid.uuid4(), arrival(), arrival()
    # Two subscribers' queues both hold [first, again]: each takes one, the same one.
    taken = [
        [table.first(key, a) for a in (first, again)],
        [table.first(key, a) for a in (first, again)],
    ]
    assert taken == [[True, False], [True, False]]


def test_a_late_joiner_that_sees_only_the_republication_first_agrees_with_the_others() -> None:
    table = FirstArrivals()
    key, first, again = uuid.uuid4(), arrival(), arrival()
    assert table.first(key, again)  # joined between the two: its queue holds `again` only
    # An earlier subscriber, slower, holds both: it takes `again`, not a second copy.
    assert [table.first(key, a) for a in (first, again)] == [False, True]


def test_the_window_is_bounded() -> None:
    table = FirstArrivals(size=2)
    keys = [uuid.uuid4() for _ in range(3)]
    for key in keys:
        assert table.first(key, arrival())
    assert table.first(keys[0], arrival())  # forgotten: taken as a first arrival again
    assert not table.first(keys[2], arrival())


def test_each_bus_connection_has_its_own_table() -> None:
    one, other = Broadcast("memory://"), Broadcast("memory://")
    assert first_arrivals(one) is first_arrivals(one)
    assert first_arrivals(one) is not first_arrivals(other)
    key = uuid.uuid4()
    assert first_arrivals(one).first(key, arrival())
    assert first_arrivals(other).first(key, arrival())
