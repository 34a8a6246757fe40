"""The executor every subgraph schema runs operations with (graphql-core's, via Strawberry's).

graphql-core 3.3.2 runs each event of a subscription on a shallow copy of the subscription's
executor (build_per_event_executor), so every event shares the subscription's memo of
collected subfields. That memo is keyed by the identity of the event's field lists and keeps
them alive, and each event collects new lists: one more entry per object field per event,
until the subscription ends (about 2 KiB per delivered event; the soak's deals subgraph grew
without levelling off). Here each event gets a memo of its own, dropped with the event."""

from __future__ import annotations

from typing import Any

from graphql.execution import Executor
from graphql.pyutils import RefMap
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class PerEventExecutor(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: object) -> Executor[Any]:
        executor = super().build_per_event_executor(payload)
        # The memos are per execution: within one event they still save the work for the
        # items of a list; across events they only grow.
        executor._relevant_sub_fields = {}
        executor._stream_usages = RefMap()
        return executor
