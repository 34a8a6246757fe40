"""The activity feed (UNION ALL of tasks, events, communications) and the activity writes on
PostgreSQL and SQLite: keyset pages, per-parent batches, last/next, validation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.pagination import PageArgs, Sort
from crmgraph.db.scoping import Scope
from crmgraph.domain import activities, contacts
from crmgraph.errors import DomainError, ErrorCode
from subgraphs.activities.feed import ActivitySpec, occurred_at
from subgraphs.activities.loaders import RelatedCount, RelatedPage
from subgraphs.loaders import Loaders

HOUR = timedelta(hours=1)
T0 = datetime(2030, 1, 1, tzinfo=UTC)
NEWEST = Sort(column="occurred_at", descending=True)


@pytest.fixture
def scope(tenant: str) -> Scope:
    return Scope(tenant_id=tenant)


async def make_contact(session: AsyncSession, scope: Scope, name: str) -> models.Contact:
    data = contacts.NewContact(first_name=name, last_name="X")
    return await contacts.create_contact(session, scope=scope, data=data)


async def add_three_kinds(
    session: AsyncSession, scope: Scope, ref: activities.RelatedRef | None, at: datetime
) -> list[UUID]:
    """A task due, an event starting and a communication at the same instant `at`."""
    made: list[models.Task | models.Event | models.Communication] = [
        await activities.create_task(
            session, scope=scope, data=activities.NewTask(title="T", due_date=at, related_to=ref)
        ),
        await activities.create_event(
            session,
            scope=scope,
            data=activities.NewEvent(title="E", start_time=at, end_time=at, related_to=ref),
        ),
        await activities.log_communication(
            session,
            scope=scope,
            data=activities.NewCommunication(
                type="CALL", direction="INBOUND", content="c", timestamp=at, related_to=ref
            ),
        ),
    ]
    return [row.id for row in made]


async def test_feed_pages_by_occurrence_visit_ties_once_both_ways(
    sessions: async_sessionmaker[AsyncSession], scope: Scope
) -> None:
    async with sessions() as session, session.begin():
        for i in range(5):  # three kinds share each instant: only the id breaks the tie
            await add_three_kinds(session, scope, None, T0 + i * HOUR)
    loaders = Loaders(sessions, scope, 100)

    forward: list[UUID] = []
    after = None
    while True:
        page = await loaders.activity_page(PageArgs(first=4, after=after), ActivitySpec(), NEWEST)
        forward += [row.id for row in page.rows]
        if not page.has_next:
            break
        after = page.cursors[-1]
    backward: list[UUID] = []
    before = None
    while True:
        page = await loaders.activity_page(PageArgs(last=4, before=before), ActivitySpec(), NEWEST)
        backward = [row.id for row in page.rows] + backward
        if not page.has_previous:
            break
        before = page.cursors[0]

    assert len(forward) == len(set(forward)) == 15
    assert backward == forward
    assert await loaders.activity_count(ActivitySpec()) == 15


async def test_pages_last_and_next_of_many_parents_come_from_one_batch(
    sessions: async_sessionmaker[AsyncSession], scope: Scope
) -> None:
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        people = [await make_contact(session, scope, f"C{i}") for i in range(3)]
        for i, person in enumerate(people[:2]):
            ref = activities.RelatedRef(type="CONTACT", id=person.id)
            await add_three_kinds(session, scope, ref, now - (i + 1) * HOUR)
            await add_three_kinds(session, scope, ref, now + (i + 1) * HOUR)
    loaders = Loaders(sessions, scope, 100)
    types = ("CONTACT",)
    past = ActivitySpec(past_at=loaders.activity_now)
    pending = ActivitySpec(pending_from=loaders.activity_now)
    ids = [p.id for p in people]

    engine = sessions.kw["bind"]
    statements: list[int] = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    pages, lasts, nexts, counts = await asyncio.gather(
        asyncio.gather(*(loaders.activities_by_related.load(RelatedPage(types, i)) for i in ids)),
        asyncio.gather(
            *(
                loaders.activities_by_related.load(RelatedPage(types, i, PageArgs(1), past, NEWEST))
                for i in ids
            )
        ),
        asyncio.gather(
            *(
                loaders.activities_by_related.load(RelatedPage(types, i, PageArgs(1), pending))
                for i in ids
            )
        ),
        loaders.activity_count_by_related.load_many([RelatedCount(types, i) for i in ids]),
    )
    event.remove(engine.sync_engine, "before_cursor_execute", count)

    # One feed statement per page shape (3), one count, one by-id load per kind (3), for any
    # number of parents.
    assert statements == [7]
    assert [len(p.rows) for p in pages] == [6, 6, 0]
    assert counts == [6, 6, 0]
    assert [[occurred_at(r) for r in p.rows] for p in lasts] == [[now - HOUR], [now - 2 * HOUR], []]
    assert [[occurred_at(r) for r in p.rows] for p in nexts] == [[now + HOUR], [now + 2 * HOUR], []]
    # Communications are never pending: the next activity is a task or an event.
    assert all(isinstance(p.rows[0], models.Task | models.Event) for p in nexts[:2])


async def test_participants_of_another_tenant_are_not_found(
    sessions: async_sessionmaker[AsyncSession], scope: Scope
) -> None:
    async with sessions() as session, session.begin():
        theirs = await make_contact(session, Scope(tenant_id=f"{scope.tenant_id}_other"), "O")
    data = activities.NewCommunication(
        type="EMAIL", direction="OUTBOUND", content="hi", participant_ids=(theirs.id,)
    )
    with pytest.raises(DomainError) as raised:
        async with sessions() as session, session.begin():
            await activities.log_communication(session, scope=scope, data=data)

    assert (raised.value.code, raised.value.field) == (ErrorCode.NOT_FOUND, "participants")
