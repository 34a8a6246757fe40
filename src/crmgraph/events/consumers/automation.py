"""The automation consumer: runs the stage automation rules each deal event triggers.

It wants the topics of the registered triggers (crmgraph.domain.automation_triggers; a unit
test holds consumer_topics.WANTS to them) and hands each event to
crmgraph.domain.automation_runs.run_rules in a savepoint of the batch's own transaction
(base.batch_session): the runs, the rules' writes (tasks, deal changes) and their own
outbox events commit with the batch's deletion of the delivery, and a failing event takes
back only its own. Runs are keyed on (event id, rule id), so an event handled again changes
nothing: every rule runs exactly once per triggering event.

Unordered: each event names the deal and stage it is about, so workers share the events.
"""

from __future__ import annotations

from typing import ClassVar

from crmgraph.domain.automation_runs import run_rules
from crmgraph.events.bus import BusEvent
from crmgraph.events.consumers.base import Consumer, batch_session
from crmgraph.events.envelope import Envelope


class AutomationConsumer(Consumer):
    name: ClassVar[str] = "automation"
    batch_size: ClassVar[int] = 50

    async def handle(self, event: BusEvent) -> None:
        session = batch_session()
        async with session.begin_nested():
            await run_rules(session, Envelope.of(event))
