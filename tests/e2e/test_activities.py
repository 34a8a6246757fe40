"""Activities through the router: communications, the timeline, the union feed, activity
fields on deals, accounts and contacts, validation, and statements per page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts, activities, contacts, deals, leads, pipelines
from tests.stack import Stack

R = TypeVar("R")


@pytest.fixture
def now() -> datetime:
    """This test's "now", in whole seconds: taken when the test runs, not when the module is
    collected, which a long or shuffled run makes minutes earlier."""
    return datetime.now(UTC).replace(microsecond=0)


def ok(stack: Stack, query: str, tenant: str, **variables: Any) -> dict[str, Any]:
    response = stack.graphql(query, variables, tenant=tenant)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("errors") is None, body
    data: dict[str, Any] = body["data"]
    return data


def errors(stack: Stack, query: str, tenant: str, **variables: Any) -> list[tuple[str, str]]:
    body = stack.graphql(query, variables, tenant=tenant).json()
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


def seed(stack: Stack, tenant: str, change: Callable[[AsyncSession, Scope], Awaitable[R]]) -> R:
    scope = Scope(tenant_id=tenant)

    async def run() -> R:
        async with stack.runtime.sessions() as session, session.begin():
            return await change(session, scope)

    return stack.call(run)


def iso(value: datetime) -> str:
    return value.isoformat()


async def make_deal(session: AsyncSession, scope: Scope, title: str = "Deal") -> models.Deal:
    account = await accounts.create_account(
        session, scope=scope, data=accounts.NewAccount(name=f"{title} Inc")
    )
    return await deals.create_deal(
        session, scope=scope, data=deals.NewDeal(title=title, value=10, account_id=account.id)
    )


async def make_pipeline(session: AsyncSession, scope: Scope) -> None:
    stages = (pipelines.NewStage(name="Open", order=1, probability=20),)
    await pipelines.create_pipeline(
        session, scope=scope, data=pipelines.NewPipeline(name="P", stages=stages)
    )


def task(title: str, ref: activities.RelatedRef | None, **kw: Any) -> activities.NewTask:
    return activities.NewTask(title=title, related_to=ref, **kw)


def event(title: str, start: datetime, ref: activities.RelatedRef | None) -> activities.NewEvent:
    return activities.NewEvent(
        title=title, start_time=start, end_time=start + timedelta(minutes=30), related_to=ref
    )


def note(
    subject: str, at: datetime, ref: activities.RelatedRef | None
) -> activities.NewCommunication:
    return activities.NewCommunication(
        type="NOTE",
        direction="OUTBOUND",
        subject=subject,
        content="...",
        timestamp=at,
        related_to=ref,
    )


LOG = """mutation($input: CommunicationInput!) { logCommunication(input: $input) {
  communication { type direction subject content timestamp isRecent
    participants { id fullName } relatedTo { ... on Contact { id } } } } }"""
TIMELINE = """query($id: ID!) { activityTimeline(relatedTo: {type: CONTACT, id: $id}) {
  __typename ... on Task { title } ... on Event { title } ... on Communication { subject } } }"""


def test_log_communication_then_timeline_is_newest_first(
    stack: Stack, tenant: str, now: datetime
) -> None:
    contact = seed(
        stack,
        tenant,
        lambda s, scope: contacts.create_contact(
            s, scope=scope, data=contacts.NewContact(first_name="Ada", last_name="Lovelace")
        ),
    )
    cid = str(contact.id)
    ref = {"type": "CONTACT", "id": cid}
    logged = ok(
        stack,
        LOG,
        tenant,
        input={
            "type": "EMAIL",
            "direction": "OUTBOUND",
            "subject": "Proposal follow-up",
            "content": "Thank you for reviewing our proposal",
            "timestamp": iso(now - timedelta(days=2)),
            "participants": [cid],
            "relatedTo": ref,
        },
    )
    assert logged == {
        "logCommunication": {
            "communication": {
                "type": "EMAIL",
                "direction": "OUTBOUND",
                "subject": "Proposal follow-up",
                "content": "Thank you for reviewing our proposal",
                "timestamp": iso(now - timedelta(days=2)),
                "isRecent": True,
                "participants": [{"id": cid, "fullName": "Ada Lovelace"}],
                "relatedTo": {"id": cid},
            }
        }
    }
    related = activities.RelatedRef(type="CONTACT", id=contact.id)

    async def more(session: AsyncSession, scope: Scope) -> None:
        await activities.create_task(
            session, scope=scope, data=task("Call", related, due_date=now - timedelta(days=1))
        )
        await activities.create_event(
            session, scope=scope, data=event("Demo", now + timedelta(days=1), related)
        )
        await activities.log_communication(
            session, scope=scope, data=note("Old note", now - timedelta(days=9), related)
        )
        await activities.create_task(session, scope=scope, data=task("Elsewhere", None))

    seed(stack, tenant, more)

    assert ok(stack, TIMELINE, tenant, id=cid) == {
        "activityTimeline": [
            {"__typename": "Event", "title": "Demo"},
            {"__typename": "Task", "title": "Call"},
            {"__typename": "Communication", "subject": "Proposal follow-up"},
            {"__typename": "Communication", "subject": "Old note"},
        ]
    }


FEED = """query($first: Int, $after: String, $last: Int, $before: String) {
  activities(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { ... on Task { id } ... on Event { id } ... on Communication { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }"""


def walk(
    stack: Stack, tenant: str, *, forward: bool, on_first_page: Callable[[], None]
) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        if forward:
            page = ok(stack, FEED, tenant, first=7, after=cursor)["activities"]
        else:
            page = ok(stack, FEED, tenant, last=7, before=cursor)["activities"]
        ids = [edge["node"]["id"] for edge in page["edges"]]
        seen.extend(ids if forward else reversed(ids))
        if cursor is None:
            on_first_page()
        info = page["pageInfo"]
        if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
            return seen if forward else seen[::-1]
        cursor = info["endCursor"] if forward else info["startCursor"]


def test_activities_pages_visit_each_activity_once_both_ways(
    stack: Stack, tenant: str, now: datetime
) -> None:
    async def thirty(session: AsyncSession, scope: Scope) -> list[UUID]:
        made: list[UUID] = []
        for i in range(10):
            at = now + timedelta(hours=i)
            made.append(
                (await activities.create_task(session, scope=scope, data=task(f"T{i}", None))).id
            )
            made.append(
                (
                    await activities.create_event(
                        session, scope=scope, data=event(f"E{i}", at, None)
                    )
                ).id
            )
            made.append(
                (
                    await activities.log_communication(
                        session, scope=scope, data=note(f"C{i}", at, None)
                    )
                ).id
            )
        return made

    made = {str(id_) for id_ in seed(stack, tenant, thirty)}
    added: list[str] = []

    def insert_one() -> None:
        row = seed(
            stack,
            tenant,
            lambda s, scope: activities.create_task(s, scope=scope, data=task("New", None)),
        )
        added.append(str(row.id))

    forward = walk(stack, tenant, forward=True, on_first_page=insert_one)
    backward = walk(stack, tenant, forward=False, on_first_page=lambda: None)

    assert len(forward) == len(set(forward)) == 31
    assert set(forward) == made | set(added)
    assert backward == forward
    assert ok(stack, "{ activities(first: 1) { totalCount } }", tenant) == {
        "activities": {"totalCount": 31}
    }


DEAL_ACTIVITIES = """{ deals(first: 5) { edges { node { title activities(first: 5) {
  edges { node { __typename ... on Task { title dueDate isOverdue }
                 ... on Event { title startTime duration } } }
  totalCount } } } } }"""


def test_deal_activities_resolve_through_the_router(
    stack: Stack, tenant: str, now: datetime
) -> None:
    async def setup(session: AsyncSession, scope: Scope) -> None:
        await make_pipeline(session, scope)
        deal = await make_deal(session, scope, "Engine")
        ref = activities.RelatedRef(type="DEAL", id=deal.id)
        due = now - timedelta(days=1)
        await activities.create_task(
            session, scope=scope, data=task("Follow up", ref, due_date=due)
        )
        await activities.create_event(
            session, scope=scope, data=event("Demo", now + timedelta(days=2), ref)
        )
        await activities.log_communication(session, scope=scope, data=note("Sent", now, ref))
        await make_deal(session, scope, "Quiet")

    seed(stack, tenant, setup)

    assert ok(stack, DEAL_ACTIVITIES, tenant) == {
        "deals": {
            "edges": [
                {
                    "node": {
                        "title": "Engine",
                        "activities": {
                            "edges": [
                                {
                                    "node": {
                                        "__typename": "Task",
                                        "title": "Follow up",
                                        "dueDate": iso(now - timedelta(days=1)),
                                        "isOverdue": True,
                                    }
                                },
                                {
                                    "node": {
                                        "__typename": "Event",
                                        "title": "Demo",
                                        "startTime": iso(now + timedelta(days=2)),
                                        "duration": 30,
                                    }
                                },
                                {"node": {"__typename": "Communication"}},
                            ],
                            "totalCount": 3,
                        },
                    }
                },
                {"node": {"title": "Quiet", "activities": {"edges": [], "totalCount": 0}}},
            ]
        }
    }


NEXT_LAST = """query($id: ID!) { deal(id: $id) {
  lastActivity { __typename ... on Task { title } ... on Communication { subject } }
  nextActivity { __typename ... on Task { title } ... on Event { title } }
  account { lastActivity { __typename } nextActivity { ... on Event { title } } } } }"""


def test_next_and_last_activity_of_a_deal(stack: Stack, tenant: str, now: datetime) -> None:
    async def setup(session: AsyncSession, scope: Scope) -> models.Deal:
        await make_pipeline(session, scope)
        deal = await make_deal(session, scope, "Engine")
        ref = activities.RelatedRef(type="DEAL", id=deal.id)
        acc = activities.RelatedRef(type="ACCOUNT", id=deal.account_id)  # type: ignore[arg-type]
        day = timedelta(days=1)
        for data in (
            note("Old call", now - 3 * day, ref),
            task("Overdue", ref, due_date=now - day),
            task("Done soon", ref, due_date=now + day / 2, status="COMPLETED"),
            task("Next", ref, due_date=now + day),
            event("Later", now + 2 * day, ref),
            event("Account review", now + 5 * day, acc),
        ):
            if isinstance(data, activities.NewTask):
                await activities.create_task(session, scope=scope, data=data)
            elif isinstance(data, activities.NewEvent):
                await activities.create_event(session, scope=scope, data=data)
            else:
                await activities.log_communication(session, scope=scope, data=data)
        return deal

    deal = seed(stack, tenant, setup)

    assert ok(stack, NEXT_LAST, tenant, id=str(deal.id)) == {
        "deal": {
            "lastActivity": {"__typename": "Task", "title": "Overdue"},
            "nextActivity": {"__typename": "Task", "title": "Next"},
            "account": {"lastActivity": None, "nextActivity": {"title": "Account review"}},
        }
    }


CREATE_EVENT = """mutation($start: DateTime!, $end: DateTime!) {
  createEvent(input: {title: "Backwards", startTime: $start, endTime: $end}) { event { id } } }"""


def test_event_ending_before_it_starts_is_refused_and_nothing_is_created(
    stack: Stack, tenant: str, now: datetime
) -> None:
    start = now + timedelta(days=1)

    assert errors(
        stack, CREATE_EVENT, tenant, start=iso(start), end=iso(start - timedelta(hours=1))
    ) == [("VALIDATION_ERROR", "endTime")]
    assert ok(stack, "{ activities { totalCount } }", tenant) == {"activities": {"totalCount": 0}}


def test_unknown_references_are_not_found_with_their_field(stack: Stack, tenant: str) -> None:
    """relatedTo and assignedTo are unit tests (tests/unit/domain/test_written_bounds.py)."""
    missing = "00000000-0000-4000-8000-000000000000"
    log = """mutation($input: CommunicationInput!) { logCommunication(input: $input) {
      communication { id } } }"""
    base = {"type": "CALL", "direction": "INBOUND", "content": "Hi"}

    assert errors(stack, log, tenant, input={**base, "participants": [missing]}) == [
        ("NOT_FOUND", "participants")
    ]
    assert ok(stack, "{ activities { totalCount } }", tenant) == {"activities": {"totalCount": 0}}


def test_task_update_complete_delete_and_their_outbox_events(stack: Stack, tenant: str) -> None:
    created = ok(stack, 'mutation { createTask(input: {title: "Call"}) { task { id } } }', tenant)
    tid = created["createTask"]["task"]["id"]
    update = """mutation($id: ID!) {
      updateTask(id: $id, input: {title: "Call back", priority: HIGH})
      { task { title priority status } } }"""
    complete = "mutation($id: ID!) { completeTask(id: $id) { task { status } } }"
    delete = "mutation($id: ID!) { deleteTask(id: $id) { id deleted } }"

    assert ok(stack, update, tenant, id=tid) == {
        "updateTask": {"task": {"title": "Call back", "priority": "HIGH", "status": "PENDING"}}
    }
    assert ok(stack, complete, tenant, id=tid) == {
        "completeTask": {"task": {"status": "COMPLETED"}}
    }
    assert errors(stack, complete, tenant, id=tid) == [("CONFLICT", "id")]
    assert ok(stack, delete, tenant, id=tid) == {"deleteTask": {"id": tid, "deleted": True}}
    assert ok(stack, "query($id: ID!) { activity(id: $id) { __typename } }", tenant, id=tid) == {
        "activity": None
    }

    async def topics(session: AsyncSession, scope: Scope) -> list[str]:
        stmt = select(models.OutboxEvent.topic).where(models.OutboxEvent.aggregate_id == UUID(tid))
        return list(await session.scalars(stmt.order_by(models.OutboxEvent.sequence)))

    assert seed(stack, tenant, topics) == [
        "activity.created",
        "activity.updated",
        "task.completed",
        "activity.deleted",
    ]


def test_event_update_ending_before_start_changes_nothing(
    stack: Stack, tenant: str, now: datetime
) -> None:
    start = now + timedelta(days=1)
    made = ok(stack, CREATE_EVENT, tenant, start=iso(start), end=iso(start + timedelta(hours=1)))
    eid = made["createEvent"]["event"]["id"]
    update = """mutation($id: ID!, $end: DateTime!) { updateEvent(id: $id, input: {
      title: "Moved", endTime: $end}) { event { title } } }"""

    assert errors(stack, update, tenant, id=eid, end=iso(start - timedelta(minutes=1))) == [
        ("VALIDATION_ERROR", "endTime")
    ]
    query = "query($id: ID!) { activity(id: $id) { ... on Event { title endTime duration } } }"
    assert ok(stack, query, tenant, id=eid) == {
        "activity": {
            "title": "Backwards",
            "endTime": iso(start + timedelta(hours=1)),
            "duration": 60,
        }
    }


def test_customer_overview_lists_contact_activities_and_last_interaction(
    stack: Stack, tenant: str, now: datetime
) -> None:
    async def setup(session: AsyncSession, scope: Scope) -> UUID:
        contact = await contacts.create_contact(
            session, scope=scope, data=contacts.NewContact(first_name="A", last_name="B")
        )
        ref = activities.RelatedRef(type="CONTACT", id=contact.id)
        await activities.log_communication(
            session, scope=scope, data=note("Hello", now - timedelta(hours=5), ref)
        )
        await activities.create_event(
            session, scope=scope, data=event("Soon", now + timedelta(days=1), ref)
        )
        return contact.id

    cid = str(seed(stack, tenant, setup))
    query = """query($id: ID!) { customerOverview(customerId: $id) {
      contact { fullName } lastInteraction activities { __typename } } }"""

    assert ok(stack, query, tenant, id=cid) == {
        "customerOverview": {
            "contact": {"fullName": "A B"},
            "lastInteraction": iso(now - timedelta(hours=5)),
            "activities": [{"__typename": "Event"}, {"__typename": "Communication"}],
        }
    }


PAGE = """query($n: Int!) { deals(first: $n) { edges { node {
  activities(first: 5) { edges { node { ... on Task { title } } } } } } } }"""


def test_deal_activities_of_50_deals_run_as_many_statements_as_of_5(
    stack: Stack, tenant: str, now: datetime
) -> None:
    async def setup(session: AsyncSession, scope: Scope) -> None:
        await make_pipeline(session, scope)
        for i in range(50):
            deal = await make_deal(session, scope, f"D{i}")
            ref = activities.RelatedRef(type="DEAL", id=deal.id)
            await activities.create_task(session, scope=scope, data=task(f"T{i}", ref))
            await activities.create_event(session, scope=scope, data=event(f"E{i}", now, ref))

    seed(stack, tenant, setup)
    counts = {}
    for n in (5, 50):
        with stack.counting_statements() as statements:
            body = stack.graphql(PAGE, {"n": n}, tenant=tenant).json()
        assert body.get("errors") is None, body
        edges = body["data"]["deals"]["edges"]
        assert [e["node"]["activities"]["edges"][0]["node"] for e in edges] == [
            {"title": f"T{i}"} for i in range(n)
        ]
        counts[n] = statements[0]

    print(f"SQL statements per page: {counts}")
    assert counts[50] == counts[5], counts


SORTED = """query($filter: ActivityFilter, $first: Int, $after: String, $last: Int,
                 $before: String) {
  activities(filter: $filter, sort: {field: OCCURRED_AT, direction: DESC},
             first: $first, after: $after, last: $last, before: $before) {
    edges { node { ... on Task { title } ... on Communication { subject } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }"""


def titles(page: dict[str, Any]) -> list[str]:
    return [e["node"].get("title") or e["node"]["subject"] for e in page["edges"]]


def test_activities_filter_by_kind_relation_assignee_and_time(
    stack: Stack, tenant: str, now: datetime
) -> None:
    async def setup(session: AsyncSession, scope: Scope) -> tuple[UUID, UUID]:
        user = models.User(tenant_id=tenant, email="rep@example.com", name="Rep")
        session.add(user)
        await make_pipeline(session, scope)
        deal = await make_deal(session, scope, "Engine")
        ref = activities.RelatedRef(type="DEAL", id=deal.id)
        hour = timedelta(hours=1)
        await session.flush()
        for i in range(4):
            mine = user.id if i % 2 else None
            data = task(f"T{i}", ref, due_date=now - i * hour, assigned_to_id=mine)
            await activities.create_task(session, scope=scope, data=data)
            at = now - i * hour - hour / 2
            await activities.log_communication(session, scope=scope, data=note(f"C{i}", at, ref))
        await activities.create_event(session, scope=scope, data=event("Demo", now, ref))
        await activities.create_task(session, scope=scope, data=task("Unrelated", None))
        return deal.id, user.id

    deal_id, user_id = seed(stack, tenant, setup)
    about = {"type": ["TASK", "COMMUNICATION"], "relatedTo": {"type": "DEAL", "id": str(deal_id)}}

    first = ok(stack, SORTED, tenant, filter=about, first=3)["activities"]
    second = ok(stack, SORTED, tenant, filter=about, first=3, after=first["pageInfo"]["endCursor"])
    back = ok(stack, SORTED, tenant, filter=about, last=3, before=first["pageInfo"]["endCursor"])

    assert (titles(first), first["totalCount"]) == (["T0", "C0", "T1"], 8)
    assert titles(second["activities"]) == ["C1", "T2", "C2"]
    assert titles(back["activities"]) == ["T0", "C0"]
    assert back["activities"]["pageInfo"]["hasPreviousPage"] is False
    assigned = {"assignedTo": {"eq": str(user_id)}}
    assert titles(ok(stack, SORTED, tenant, filter=assigned)["activities"]) == ["T1", "T3"]
    assert ok(stack, SORTED, tenant, filter={"type": []})["activities"]["totalCount"] == 0
    recent = {**about, "type": ["TASK"], "occurredAt": {"gte": iso(now - timedelta(minutes=45))}}
    assert titles(ok(stack, SORTED, tenant, filter=recent)["activities"]) == ["T0"]


def test_cursor_of_another_order_is_a_validation_error(stack: Stack, tenant: str) -> None:
    seed(
        stack,
        tenant,
        lambda s, scope: activities.create_task(s, scope=scope, data=task("Only", None)),
    )
    page = ok(stack, SORTED, tenant, first=1)["activities"]
    query = "query($a: String) { activities(after: $a) { totalCount } }"

    assert errors(stack, query, tenant, a=page["pageInfo"]["endCursor"]) == [
        ("VALIDATION_ERROR", "after")
    ]
    assert errors(stack, query, tenant, a="garbage") == [("VALIDATION_ERROR", "after")]


LEAD = """query($id: ID!) { lead(id: $id) { firstName lastActivity { ... on Communication {
  subject isRecent } } activities(first: 1) { totalCount } } }"""


def test_lead_last_activity_and_activities_through_the_router(
    stack: Stack, tenant: str, now: datetime
) -> None:
    async def setup(session: AsyncSession, scope: Scope) -> UUID:
        lead = await leads.create_lead(
            session,
            scope=scope,
            data=leads.NewLead(first_name="Lin", last_name="Lee", email="l@x.io", source="web"),
        )
        ref = activities.RelatedRef(type="LEAD", id=lead.id)
        old = note("Intro", now - timedelta(days=30), ref)
        await activities.log_communication(session, scope=scope, data=old)
        await activities.log_communication(
            session, scope=scope, data=note("Reply", now - timedelta(days=1), ref)
        )
        return lead.id

    lead_id = seed(stack, tenant, setup)

    assert ok(stack, LEAD, tenant, id=str(lead_id)) == {
        "lead": {
            "firstName": "Lin",
            "lastActivity": {"subject": "Reply", "isRecent": True},
            "activities": {"totalCount": 2},
        }
    }


ASSIGNED = """mutation($title: String!) { createTask(input: {title: $title}) {
  task { title assignedTo { id name } } } }"""


def test_new_task_is_assigned_to_the_calling_user_when_the_tenant_knows_them(
    stack: Stack, tenant: str
) -> None:
    async def add_user(session: AsyncSession, scope: Scope) -> UUID:
        user = models.User(tenant_id=tenant, email="rep@example.com", name="Rep")
        session.add(user)
        await session.flush()
        return user.id

    user_id = seed(stack, tenant, add_user)
    as_user = {"authorization": f"Bearer {stack.token(tenant, user_id=user_id)}"}
    stranger = {"authorization": f"Bearer {stack.token(tenant, user_id=UUID(int=7))}"}
    mine = stack.graphql(ASSIGNED, {"title": "Mine"}, headers=as_user).json()
    nobody = stack.graphql(ASSIGNED, {"title": "Nobody's"}, headers=stranger).json()

    assert mine == {
        "data": {
            "createTask": {
                "task": {"title": "Mine", "assignedTo": {"id": str(user_id), "name": "Rep"}}
            }
        }
    }
    assert nobody == {"data": {"createTask": {"task": {"title": "Nobody's", "assignedTo": None}}}}


def test_updating_a_task_to_completed_stamps_and_records_completion(
    stack: Stack, tenant: str
) -> None:
    created = ok(stack, 'mutation { createTask(input: {title: "Call"}) { task { id } } }', tenant)
    tid = created["createTask"]["task"]["id"]
    done = """mutation($id: ID!) { updateTask(id: $id, input: {status: COMPLETED}) {
      task { status completedAt isOverdue } } }"""

    task_ = ok(stack, done, tenant, id=tid)["updateTask"]["task"]

    assert (task_["status"], task_["completedAt"] is not None, task_["isOverdue"]) == (
        "COMPLETED",
        True,
        False,
    )

    async def topics(session: AsyncSession, scope: Scope) -> list[str]:
        stmt = select(models.OutboxEvent.topic).where(models.OutboxEvent.aggregate_id == UUID(tid))
        return list(await session.scalars(stmt.order_by(models.OutboxEvent.sequence)))

    assert seed(stack, tenant, topics) == ["activity.created", "activity.updated", "task.completed"]
