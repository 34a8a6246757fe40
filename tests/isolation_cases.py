"""The tenant isolation matrix: a full tenant's data set, operations built from the supergraph,
and a table giving every Query and Mutation field the arguments that aim at another tenant."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    Lexer,
    OperationDefinitionNode,
    Source,
    StringValueNode,
    TokenKind,
    build_schema,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    parse,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import (
    accounts,
    activities,
    automation_rules,
    contacts,
    deals,
    lead_conversion,
    lead_scoring,
    leads,
    marketing,
    pipelines,
)
from tests.router_limits import declared_sizes, ts_constant
from tests.stack import ROUTER_KIND

SUPERGRAPH_PATH = Path(__file__).resolve().parents[1] / "schema" / "supergraph.graphql"
# Fields that follow the clock, left out of before/after snapshots.
VOLATILE = frozenset(
    {"daysInStage", "daysSinceCreated", "daysUntilDue", "isOverdue", "isRecent", "isUpcoming",
     "averageTimeInStage", "averageSalesCycle", "health"}
)  # fmt: skip
LATER = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)


def load_supergraph(path: Path = SUPERGRAPH_PATH) -> GraphQLSchema:
    return build_schema(path.read_text())


def root_fields(schema: GraphQLSchema) -> set[tuple[str, str]]:
    roots = {"query": schema.query_type, "mutation": schema.mutation_type}
    return {(kind, name) for kind, t in roots.items() if t is not None for name in t.fields}


# Ids and names of one tenant's data set ----------------------------------------------------


@dataclass(frozen=True)
class Ids:
    """Every string of a tenant's data set contains its token; ids are str(UUID)."""

    token: str
    user: str
    pipeline: str
    empty_pipeline: str
    stage: str  # first stage of pipeline
    next_stage: str  # the stage deal was moved to
    empty_stage: str  # stage of empty_pipeline
    parent_account: str
    account: str  # child of parent_account
    partner_account: str
    relationship: str
    contact: str
    contact2: str
    lead: str
    converted_lead: str
    converted_contact: str
    converted_account: str
    converted_deal: str
    deal: str
    deal2: str
    task: str
    lead_task: str
    event: str
    communication: str
    contact_name: str
    contact_email: str
    lead_email: str
    account_name: str
    pipeline_name: str
    api_key: str = ""  # an API key's id, when the supergraph has them
    webhook: str = ""  # a webhook subscription's id, likewise
    campaign: str = ""  # a campaign's id, when the supergraph has them

    def faked(self) -> Ids:
        """The same shape with fresh ids and another token: ids no tenant has."""
        token = f"ghost{uuid.uuid4().hex[:8]}"
        values: dict[str, str] = {}
        for f in fields(self):
            value: str = getattr(self, f.name)
            try:
                uuid.UUID(value)
                values[f.name] = str(uuid.uuid4())
            except ValueError:
                values[f.name] = value.replace(self.token, token)
        return replace(self, **values)

    def strings(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


async def seed_tenant(session: AsyncSession, tenant: str, token: str) -> Ids:
    """A full data set through the domain functions: a pipeline with stages and automation,
    accounts with a parent and a relationship, contacts, leads (one scored, one converted),
    deals moved between stages, tasks, an event and a communication."""
    user = models.User(tenant_id=tenant, email=f"owner.{token}@crm.test", name=f"Olga {token}")
    session.add(user)
    await session.flush()
    scope = Scope(tenant_id=tenant, user_id=user.id)
    rule = automation_rules.AutomationRule(
        trigger="stage_entered", action="create_task", parameters={"title": f"Call {token}"}
    )
    pipeline, stages = await pipelines.create_pipeline(
        session,
        scope=scope,
        data=pipelines.NewPipeline(
            name=f"Sales {token}",
            description=f"Main {token}",
            stages=(
                pipelines.NewStage(name=f"Lead {token}", order=1, probability=10),
                pipelines.NewStage(
                    name=f"Proposal {token}", order=2, probability=50, automation_rules=(rule,)
                ),
                pipelines.NewStage(name=f"Won {token}", order=3, probability=100),
            ),
        ),
    )
    empty, (empty_stage,) = await pipelines.create_pipeline(
        session,
        scope=scope,
        data=pipelines.NewPipeline(
            name=f"Unused {token}",
            stages=(pipelines.NewStage(name=f"Only {token}", order=1, probability=20),),
        ),
    )
    parent = await accounts.create_account(
        session, scope=scope, data=accounts.NewAccount(name=f"Holdings {token}", industry="Tech")
    )
    child = await accounts.create_account(
        session,
        scope=scope,
        data=accounts.NewAccount(
            name=f"Subsidiary {token}",
            website=f"https://{token}.example",
            parent_account_id=parent.id,
        ),
    )
    partner = await accounts.create_account(
        session, scope=scope, data=accounts.NewAccount(name=f"Partner {token}", type="PARTNER")
    )
    relationship = await accounts.create_account_relationship(
        session,
        scope=scope,
        data=accounts.NewRelationship(
            account_id=child.id, related_account_id=partner.id, relationship_type="PARTNER"
        ),
    )
    contact = await contacts.create_contact(
        session,
        scope=scope,
        data=contacts.NewContact(
            first_name="Ada", last_name=f"Lovelace{token}", email=f"ada.{token}@crm.test",
            company=f"Subsidiary {token}", account_id=child.id,
        ),
    )  # fmt: skip
    contact2 = await contacts.create_contact(
        session,
        scope=scope,
        data=contacts.NewContact(
            first_name="Grace", last_name=f"Hopper{token}", email=f"grace.{token}@crm.test",
            account_id=parent.id,
        ),
    )  # fmt: skip
    lead = await leads.create_lead(
        session,
        scope=scope,
        data=leads.NewLead(
            first_name="Linus", last_name=f"Lead{token}", email=f"linus.{token}@crm.test",
            source="web", company=f"Prospect {token}", score=40,
        ),
    )  # fmt: skip
    await lead_scoring.update_lead_score(
        session, scope=scope, lead_id=lead.id, score=55,
        factors=(lead_scoring.ScoringFactor(factor=f"visited {token}", points=15),),
    )  # fmt: skip
    to_convert = await leads.create_lead(
        session,
        scope=scope,
        data=leads.NewLead(
            first_name="Carla", last_name=f"Convert{token}", email=f"carla.{token}@crm.test",
            source="event", company=f"Converted {token}",
        ),
    )  # fmt: skip
    converted = await lead_conversion.convert_lead(
        session,
        scope=scope,
        lead_id=to_convert.id,
        data=lead_conversion.Conversion(
            create_deal=True, deal_title=f"From lead {token}", deal_value=900
        ),
    )
    assert converted.contact and converted.account and converted.deal
    deal = await deals.create_deal(
        session,
        scope=scope,
        data=deals.NewDeal(
            title=f"Engine {token}", value=50000, pipeline_id=pipeline.id, stage_id=stages[0].id,
            contact_id=contact.id, expected_close_date=LATER,
        ),
    )  # fmt: skip
    await deals.move_deal_stage(
        session, scope=scope, deal_id=deal.id, stage_id=stages[1].id, reason=f"demo {token}"
    )
    deal2 = await deals.create_deal(
        session,
        scope=scope,
        data=deals.NewDeal(title=f"Mill {token}", value=7000, account_id=parent.id),
    )
    task = await activities.create_task(
        session,
        scope=scope,
        data=activities.NewTask(
            title=f"Follow up {token}", due_date=LATER, assigned_to_id=user.id,
            related_to=activities.RelatedRef(type="DEAL", id=deal.id),
        ),
    )  # fmt: skip
    lead_task = await activities.create_task(
        session,
        scope=scope,
        data=activities.NewTask(
            title=f"Call lead {token}", related_to=activities.RelatedRef(type="LEAD", id=lead.id)
        ),
    )
    event = await activities.create_event(
        session,
        scope=scope,
        data=activities.NewEvent(
            title=f"Demo {token}", start_time=LATER, end_time=LATER + timedelta(hours=1),
            location=f"Room {token}", attendee_ids=(user.id,),
            related_to=activities.RelatedRef(type="ACCOUNT", id=child.id),
        ),
    )  # fmt: skip
    communication = await activities.log_communication(
        session,
        scope=scope,
        data=activities.NewCommunication(
            type="EMAIL", direction="OUTBOUND", subject=f"Offer {token}",
            content=f"Dear Ada {token}", timestamp=datetime.now(UTC) - timedelta(days=1),
            participant_ids=(contact.id, contact2.id),
            related_to=activities.RelatedRef(type="CONTACT", id=contact.id),
        ),
    )  # fmt: skip
    campaign = await marketing.create_campaign(
        session, scope=scope, data=marketing.NewCampaign(name=f"Campaign {token}", budget=100)
    )
    for where in ({"lead_id": lead.id}, {"contact_id": contact.id},
                  {"lead_id": to_convert.id}):  # fmt: skip
        await marketing.record_touchpoint(session, scope=scope, data=marketing.NewTouchpoint(
            campaign_id=campaign.id, utm_campaign=f"utm {token}",
            occurred_at=datetime.now(UTC) - timedelta(days=3), **where))  # fmt: skip
    return Ids(
        token=token,
        campaign=str(campaign.id),
        user=str(user.id),
        pipeline=str(pipeline.id),
        empty_pipeline=str(empty.id),
        stage=str(stages[0].id),
        next_stage=str(stages[1].id),
        empty_stage=str(empty_stage.id),
        parent_account=str(parent.id),
        account=str(child.id),
        partner_account=str(partner.id),
        relationship=str(relationship.id),
        contact=str(contact.id),
        contact2=str(contact2.id),
        lead=str(lead.id),
        converted_lead=str(to_convert.id),
        converted_contact=str(converted.contact.id),
        converted_account=str(converted.account.id),
        converted_deal=str(converted.deal.id),
        deal=str(deal.id),
        deal2=str(deal2.id),
        task=str(task.id),
        lead_task=str(lead_task.id),
        event=str(event.id),
        communication=str(communication.id),
        contact_name=f"Ada Lovelace{token}",
        contact_email=contact.email or "",
        lead_email=lead.email,
        account_name=child.name,
        pipeline_name=pipeline.name,
    )


# Selections generated from the supergraph ---------------------------------------------------


def _graphs(directives: Any, name: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for d in directives or ():
        if d.name.value == name:
            args = {a.name.value: str(getattr(a.value, "value", "")).lower() for a in d.arguments}
            out.append((args.get("graph", "").upper(), args))
    return out


def in_graph(owner: GraphQLNamedType, field: GraphQLField, graph: str | None) -> bool:
    """Whether the subgraph `graph` (None: the router) resolves this field itself."""
    if graph is None:
        return True
    joined = _graphs(field.ast_node and field.ast_node.directives, "join__field")
    if not joined:
        return graph in {g for g, _ in _graphs(owner.ast_node and owner.ast_node.directives,
                                                "join__type")}  # fmt: skip
    return any(g == graph and args.get("external") != "true" for g, args in joined)


def selection(
    schema: GraphQLSchema,
    type_: GraphQLNamedType,
    depth: int,
    *,
    graph: str | None = None,
    skip: frozenset[str] = frozenset(),
    omit: frozenset[str] = frozenset(),
    claimed: dict[str, str] | None = None,
) -> str:
    """Every field of type_ (but `skip` at any level and `omit` at the top) down to `depth`
    object levels, connections and edges not counting; nested lists take `first: 3`. With
    `graph`, only what that subgraph resolves itself."""
    if isinstance(type_, GraphQLUnionType):
        # Members' fields of one name must have one type (Contact.email is String, Lead.email
        # String!): the first member to select a name decides its type.
        claims: dict[str, str] = {}
        members = [
            f"... on {m.name} "
            + selection(schema, m, depth, graph=graph, skip=skip, omit=omit, claimed=claims)
            for m in type_.types
        ]
        return "{ __typename " + " ".join(members) + " }"
    assert isinstance(type_, GraphQLObjectType), type_
    parts = ["__typename"]
    for name, field in type_.fields.items():
        if name in skip or name in omit or not in_graph(type_, field, graph):
            continue
        if claimed is not None and claimed.setdefault(name, str(field.type)) != str(field.type):
            continue
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            parts.append(name)
            continue
        free = inner.name.endswith(("Connection", "Edge"))
        if depth <= 0 and not free:
            continue
        args = "(first: 3)" if "first" in field.args else ""
        sub = selection(schema, inner, depth if free else depth - 1, graph=graph, skip=skip)
        parts.append(f"{name}{args} {sub}")
    return "{ " + " ".join(parts) + " }"


# The router refuses documents over 2000 tokens, 12 levels deep or costing over 8000
# (router-config/limits.ts); a little below, so a render that fits is never at the edge.
MAX_TOKENS, MAX_DEPTH, MAX_COST, PAGE = 1900, 10, 7000, 20
if ROUTER_KIND == "hive-router":
    # Hive Router prices a list of another subgraph for 20 parents where these renders ask
    # for 3 (router-config/README.md, Limits): up to 20/3 times what _cost estimates.
    MAX_COST = MAX_COST * 3 // 20


def _cost(schema: GraphQLSchema, node: Any, parent: GraphQLNamedType, factor: int) -> int:
    """The router's estimate: each object costs 1 times the page sizes of the lists around
    it (a connection's `first`, else 20; a plain list its LIST_SIZES entry); wrappers and
    scalars cost 0."""
    cost = 0
    for sel in node.selection_set.selections if node.selection_set else ():
        if isinstance(sel, InlineFragmentNode):
            cost += _cost(schema, sel, schema.type_map[sel.type_condition.name.value], factor)
            continue
        fields_ = getattr(parent, "fields", {})
        if sel.name.value.startswith("__") or sel.name.value not in fields_:
            continue
        field = fields_[sel.name.value]
        named, size = get_named_type(field.type), 1
        if {"first", "last", "pagination"} & set(field.args):
            given = [
                int(a.value.value)
                for a in sel.arguments or ()
                if a.name.value in ("first", "last") and isinstance(a.value, IntValueNode)
            ]
            size = max(given, default=PAGE)
        elif is_list_type(get_nullable_type(field.type)):
            declared = declared_sizes().get(
                f"{parent.name}.{sel.name.value}", ts_constant("MAX_PAGE_SIZE")
            )
            size = 1 if parent.name.endswith("Connection") else declared
        inner = factor * size
        wrapper = named.name == "PageInfo" or named.name.endswith(("Connection", "Edge"))
        if not is_leaf_type(named) and not wrapper:
            cost += inner
        cost += _cost(schema, sel, named, inner)
    return cost


def _depth(node: Any) -> int:
    selections = getattr(getattr(node, "selection_set", None), "selections", None) or ()
    inner = max((_depth(s) for s in selections), default=0)
    return inner + (1 if isinstance(node, FieldNode) else 0)


def fitted(schema: GraphQLSchema, render: Callable[[int], str]) -> str:
    """The deepest rendering (object levels 2, 1, 0) within the router's abuse limits."""
    for depth in (2, 1, 0):
        document = render(depth)
        lexer, tokens = Lexer(Source(document)), 0
        while lexer.advance().kind is not TokenKind.EOF:
            tokens += 1
        op = parse(document).definitions[0]
        assert isinstance(op, OperationDefinitionNode)
        root = schema.query_type if op.operation.value == "query" else schema.mutation_type
        assert root is not None
        if (
            tokens <= MAX_TOKENS
            and _depth(op) <= MAX_DEPTH
            and _cost(schema, op, root, 1) <= MAX_COST
        ):
            return document
    raise AssertionError(f"no selection fits the router's limits: {render(0)}")


def operation(
    schema: GraphQLSchema, kind: str, name: str, arguments: dict[str, Any], *, shallow: bool = False
) -> str:
    """The field with every field below it that fits the router's limits; shallow: only
    __typename below it (so that no other field's permission check runs)."""
    root = schema.query_type if kind == "query" else schema.mutation_type
    assert root is not None
    field = root.fields[name]
    defs = ", ".join(f"${a}: {field.args[a].type}" for a in arguments)
    uses = ", ".join(f"{a}: ${a}" for a in arguments)
    head = f"{kind}({defs})" if defs else kind
    call = f"{name}({uses})" if uses else name
    inner = get_named_type(field.type)
    if is_leaf_type(inner):
        return f"{head} {{ {call} }}"
    if shallow:
        return f"{head} {{ {call} {{ __typename }} }}"
    return fitted(schema, lambda depth: f"{head} {{ {call} {selection(schema, inner, depth)} }}")


def entity_types(schema: GraphQLSchema) -> dict[str, list[str]]:
    """Entity type -> the subgraphs that resolve references to it."""
    out: dict[str, list[str]] = {}
    for name, t in schema.type_map.items():
        if isinstance(t, GraphQLObjectType) and t.ast_node is not None:
            graphs = [
                g
                for g, args in _graphs(t.ast_node.directives, "join__type")
                if "key" in args and args.get("resolvable") != "false"
            ]
            if graphs:
                out[name] = graphs
    return out


def graph_urls(schema: GraphQLSchema) -> dict[str, str]:
    """join__Graph enum value (ACCOUNTS) -> subgraph name (accounts)."""
    graph_enum = schema.type_map["join__Graph"]
    out = {}
    for value_name, value in graph_enum.values.items():  # type: ignore[attr-defined]
        for d in value.ast_node.directives:
            if d.name.value == "join__graph":
                arg = next(a for a in d.arguments if a.name.value == "name")
                assert isinstance(arg.value, StringValueNode)
                out[value_name] = arg.value.value
    return out


# The table ---------------------------------------------------------------------------------


class Expect(Enum):
    NOTHING = "null, an empty list, totalCount 0 or NOT_FOUND"
    REFUSED = "NOT_FOUND (VALIDATION_ERROR where allowed), data null"
    OWN = "no errors and only the caller's own rows"
    CREATED = "created in the caller's tenant"


@dataclass(frozen=True)
class Variant:
    args: Callable[[Ids, Ids], dict[str, Any]]  # (A's ids, B's own ids) -> arguments
    expect: Expect
    codes: frozenset[str] = frozenset({"NOT_FOUND"})
    undo: str | None = None  # the mutation(id) that deletes what a CREATED variant made
    comparable: bool = True  # False: the answer holds random values (a new API key's secret)


Args = Callable[[Ids, Ids], dict[str, Any]]


WIDE = {"start": "2020-01-01", "end": "2029-12-31"}  # a report period holding everything


def nothing(*args: Args) -> list[Variant]:
    return [Variant(a, Expect.NOTHING) for a in args]


def refused(*args: Args, codes: tuple[str, ...] = ("NOT_FOUND",)) -> list[Variant]:
    return [Variant(a, Expect.REFUSED, frozenset(codes)) for a in args]


def own() -> Variant:
    return Variant(lambda a, b: {}, Expect.OWN)


def related(kind: str, id_: str) -> dict[str, str]:
    return {"type": kind, "id": id_}


def relations(a: Ids) -> list[dict[str, str]]:
    return [related("CONTACT", a.contact), related("LEAD", a.lead),
            related("ACCOUNT", a.account), related("DEAL", a.deal)]  # fmt: skip


STAGE = ("NOT_FOUND", "VALIDATION_ERROR")  # a stage of another tenant is not in the pipeline
Q, M = "query", "mutation"

CASES: dict[tuple[str, str], list[Variant]] = {
    # accounts
    (Q, "account"): nothing(lambda a, b: {"id": a.account}, lambda a, b: {"id": a.parent_account}),
    (Q, "accountHierarchy"): nothing(
        lambda a, b: {"accountId": a.account}, lambda a, b: {"accountId": a.parent_account}
    ),
    (Q, "accounts"): [
        own(),
        *nothing(
            lambda a, b: {"filter": {"id": {"in": [a.account, a.parent_account]}}},
            lambda a, b: {"filter": {"id": {"eq": a.partner_account}}},
            lambda a, b: {"filter": {"parentAccountId": {"eq": a.parent_account}}},
            lambda a, b: {"filter": {"name": {"eq": a.account_name}}},
        ),
    ],
    (Q, "user"): nothing(lambda a, b: {"id": a.user}),
    (M, "createAccount"): refused(
        lambda a, b: {"input": {"name": f"Child {b.token}", "parentAccountId": a.parent_account}}
    ),
    (M, "updateAccount"): refused(
        lambda a, b: {"id": a.account, "input": {"name": f"Taken {b.token}"}},
        lambda a, b: {"id": b.account, "input": {"parentAccountId": a.parent_account}},
    ),
    (M, "deleteAccount"): refused(lambda a, b: {"id": a.account}),
    (Q, "apiKeys"): [own()],
    (M, "createApiKey"): [
        # No id to aim at another tenant: the key must simply be the caller's.
        Variant(
            lambda a, b: {"input": {"name": f"Key {b.token}"}},
            Expect.CREATED,
            undo="revokeApiKey",
            comparable=False,
        )
    ],
    (M, "revokeApiKey"): refused(lambda a, b: {"id": a.api_key}),
    (M, "setUserSpecializations"): refused(
        lambda a, b: {"userId": a.user, "specializations": ["cloud_migration"]}
    ),
    (Q, "webhookSubscriptions"): [own()],
    (M, "createWebhookSubscription"): [
        Variant(
            lambda a, b: {
                "input": {"url": f"http://127.0.0.1:9/{b.token}", "events": ["deal.created"]}
            },
            Expect.CREATED,
            undo="deleteWebhookSubscription",
            comparable=False,
        )
    ],
    (M, "deleteWebhookSubscription"): refused(lambda a, b: {"id": a.webhook}),
    (M, "createAccountRelationship"): refused(
        *(
            (
                lambda a, b, x=x, y=y: {
                    "input": {
                        "accountId": x(a, b),
                        "relatedAccountId": y(a, b),
                        "relationshipType": "PARTNER",
                    }
                }
            )
            for x, y in [
                (lambda a, b: a.account, lambda a, b: a.partner_account),
                (lambda a, b: b.account, lambda a, b: a.partner_account),
                (lambda a, b: a.account, lambda a, b: b.partner_account),
            ]
        )
    ),
    (M, "deleteAccountRelationship"): refused(lambda a, b: {"id": a.relationship}),
    # activities
    (Q, "activity"): nothing(
        lambda a, b: {"id": a.task},
        lambda a, b: {"id": a.event},
        lambda a, b: {"id": a.communication},
    ),
    (Q, "activities"): [
        own(),
        *nothing(
            *((lambda a, b, i=i: {"filter": {"relatedTo": relations(a)[i]}}) for i in range(4)),
            lambda a, b: {"filter": {"assignedTo": {"eq": a.user}}},
            lambda a, b: {"filter": {"assignedTo": {"in": [a.user]}}},
        ),
    ],
    (Q, "activityTimeline"): nothing(
        *((lambda a, b, i=i: {"relatedTo": relations(a)[i]}) for i in range(4))
    ),
    (M, "createTask"): refused(
        *(
            (lambda a, b, i=i: {"input": {"title": f"T {b.token}", "relatedTo": relations(a)[i]}})
            for i in range(4)
        ),
        lambda a, b: {"input": {"title": f"T {b.token}", "assignedTo": a.user}},
    ),
    (M, "updateTask"): refused(
        lambda a, b: {"id": a.task, "input": {"title": f"Taken {b.token}"}},
        lambda a, b: {"id": b.task, "input": {"relatedTo": related("DEAL", a.deal)}},
        lambda a, b: {"id": b.task, "input": {"assignedTo": a.user}},
    ),
    (M, "completeTask"): refused(lambda a, b: {"id": a.task}),
    (M, "deleteTask"): refused(lambda a, b: {"id": a.task}, lambda a, b: {"id": a.lead_task}),
    (M, "createEvent"): refused(
        *(
            (
                lambda a, b, extra=extra: {
                    "input": {
                        "title": f"E {b.token}",
                        "startTime": "2030-01-01T10:00:00Z",
                        "endTime": "2030-01-01T11:00:00Z",
                        **extra(a),
                    }
                }
            )
            for extra in [
                lambda a: {"attendees": [a.user]},
                lambda a: {"relatedTo": related("DEAL", a.deal)},
                lambda a: {"relatedTo": related("LEAD", a.lead)},
            ]
        )
    ),
    (M, "updateEvent"): refused(
        lambda a, b: {"id": a.event, "input": {"title": f"Taken {b.token}"}},
        lambda a, b: {"id": b.event, "input": {"attendees": [a.user]}},
        lambda a, b: {"id": b.event, "input": {"relatedTo": related("ACCOUNT", a.account)}},
    ),
    (M, "deleteEvent"): refused(lambda a, b: {"id": a.event}),
    (M, "logCommunication"): refused(
        *(
            (
                lambda a, b, extra=extra: {
                    "input": {
                        "type": "NOTE",
                        "direction": "INBOUND",
                        "content": f"C {b.token}",
                        **extra(a, b),
                    }
                }
            )
            for extra in [
                lambda a, b: {"participants": [a.contact]},
                lambda a, b: {"participants": [b.contact, a.contact2]},
                lambda a, b: {"relatedTo": related("ACCOUNT", a.account)},
                lambda a, b: {"relatedTo": related("DEAL", a.deal)},
            ]
        )
    ),
    # contacts
    (Q, "contact"): nothing(
        lambda a, b: {"id": a.contact}, lambda a, b: {"id": a.converted_contact}
    ),
    (Q, "contacts"): [
        own(),
        *nothing(
            lambda a, b: {"filter": {"id": {"in": [a.contact, a.contact2]}}},
            lambda a, b: {"filter": {"accountId": {"eq": a.account}}},
            lambda a, b: {"filter": {"email": {"eq": a.contact_email}}},
            lambda a, b: {"filter": {"lastName": {"contains": a.token}}},
        ),
    ],
    (Q, "searchContacts"): nothing(
        lambda a, b: {"query": a.contact_name},
        lambda a, b: {"query": a.contact_email},
        lambda a, b: {"query": a.token},
        lambda a, b: {"query": "Ada", "filters": {"accountId": {"eq": a.account}}},
    ),
    (Q, "customerHealth"): nothing(
        lambda a, b: {"accountId": a.account}, lambda a, b: {"accountId": a.parent_account}
    ),
    # No id to aim at another tenant: the caller's own weights, read and set.
    (Q, "customerHealthWeights"): [Variant(lambda a, b: {}, Expect.CREATED)],
    (M, "setCustomerHealthWeights"): [
        Variant(
            lambda a, b: {"input": {"support": 1, "financial": 2, "delivery": 3, "engagement": 4}},
            Expect.CREATED,
        )
    ],
    (Q, "customerOverview"): nothing(
        lambda a, b: {"customerId": a.contact}, lambda a, b: {"customerId": a.account}
    ),
    (M, "createContact"): refused(
        lambda a, b: {"input": {"firstName": "X", "lastName": b.token, "accountId": a.account}}
    ),
    (M, "updateContact"): refused(
        lambda a, b: {"id": a.contact, "input": {"firstName": f"Taken {b.token}"}},
        lambda a, b: {"id": b.contact, "input": {"accountId": a.account}},
    ),
    (M, "deleteContact"): refused(lambda a, b: {"id": a.contact}),
    # deals
    (Q, "deal"): nothing(lambda a, b: {"id": a.deal}, lambda a, b: {"id": a.converted_deal}),
    (Q, "deals"): [
        own(),
        *nothing(
            lambda a, b: {"filter": {"id": {"in": [a.deal, a.deal2, a.converted_deal]}}},
            lambda a, b: {"filter": {"accountId": {"eq": a.account}}},
            lambda a, b: {"filter": {"contactId": {"eq": a.contact}}},
            lambda a, b: {"filter": {"pipelineId": {"eq": a.pipeline}}},
            lambda a, b: {"filter": {"stageId": {"in": [a.stage, a.next_stage]}}},
            lambda a, b: {"filter": {"ownerId": {"eq": a.user}}},
            lambda a, b: {"filter": {"account": {"id": {"eq": a.account}}}},
            lambda a, b: {"filter": {"account": {"parentAccountId": {"eq": a.parent_account}}}},
            lambda a, b: {"filter": {"account": {"name": {"eq": a.account_name}}}},
            lambda a, b: {"filter": {"contact": {"email": {"eq": a.contact_email}}}},
            lambda a, b: {"filter": {"contact": {"accountId": {"eq": a.account}}}},
            lambda a, b: {"filter": {"title": {"contains": a.token}}},
            lambda a, b: {"filter": {"stage": {"in": [f"Proposal {a.token}"]}}},
        ),
    ],
    (M, "createDeal"): [
        *refused(
            lambda a, b: {"input": {"title": f"D {b.token}", "value": 1, "pipelineId": a.pipeline}},
            lambda a, b: {"input": {"title": f"D {b.token}", "value": 1, "contactId": a.contact}},
            lambda a, b: {"input": {"title": f"D {b.token}", "value": 1, "accountId": a.account}},
        ),
        *refused(
            lambda a, b: {"input": {"title": f"D {b.token}", "value": 1, "stageId": a.stage}},
            lambda a, b: {
                "input": {"title": f"D {b.token}", "value": 1, "stage": f"Lead {a.token}"}
            },
            lambda a, b: {
                "input": {
                    "title": f"D {b.token}",
                    "value": 1,
                    "pipelineId": b.pipeline,
                    "stageId": a.stage,
                }
            },
            codes=STAGE,
        ),
    ],
    (M, "updateDeal"): refused(
        lambda a, b: {"id": a.deal, "input": {"title": f"Taken {b.token}"}},
        lambda a, b: {"id": b.deal, "input": {"contactId": a.contact}},
        lambda a, b: {"id": b.deal, "input": {"accountId": a.account}},
    ),
    (M, "moveDealStage"): [
        *refused(
            lambda a, b: {"dealId": a.deal, "stageId": a.stage},
            lambda a, b: {"dealId": a.deal, "stageId": b.next_stage},
        ),
        *refused(lambda a, b: {"dealId": b.deal, "stageId": a.stage}, codes=STAGE),
    ],
    (M, "deleteDeal"): refused(lambda a, b: {"id": a.deal}),
    # leads
    (Q, "lead"): nothing(lambda a, b: {"id": a.lead}, lambda a, b: {"id": a.converted_lead}),
    (Q, "leads"): [
        own(),
        *nothing(
            lambda a, b: {"filter": {"id": {"in": [a.lead, a.converted_lead]}}},
            lambda a, b: {"filter": {"email": {"eq": a.lead_email}}},
            lambda a, b: {"filter": {"company": {"contains": a.token}}},
        ),
    ],
    (Q, "leadScoring"): nothing(lambda a, b: {"leadId": a.lead}),
    (M, "createLead"): [
        # Same email as A's lead: no uniqueness across tenants may reveal it.
        Variant(
            lambda a, b: {
                "input": {"firstName": "L", "lastName": "L", "email": a.lead_email, "source": "web"}
            },
            Expect.CREATED,
            undo="deleteLead",
        )
    ],
    (M, "updateLead"): refused(lambda a, b: {"id": a.lead, "input": {"score": 99}}),
    (M, "deleteLead"): refused(lambda a, b: {"id": a.lead}, lambda a, b: {"id": a.converted_lead}),
    (M, "qualifyLead"): refused(lambda a, b: {"leadId": a.lead, "input": {"score": 90}}),
    (M, "updateLeadScore"): refused(lambda a, b: {"leadId": a.lead, "score": 1}),
    (M, "adjustLeadScore"): refused(
        lambda a, b: {"leadId": a.lead, "input": {"factor": "budget", "points": 5}}
    ),
    # No id to aim at another tenant: the caller's own scoring rules, read and set.
    (Q, "leadScoringRules"): [Variant(lambda a, b: {}, Expect.CREATED)],
    (M, "setLeadScoringRules"): [
        Variant(
            lambda a, b: {"input": {"rules": [{"factor": "demo_requested", "points": 50}]}},
            Expect.CREATED,
        )
    ],
    (M, "convertLead"): [
        *refused(
            lambda a, b: {"leadId": a.lead, "input": {}},
            lambda a, b: {"leadId": b.lead, "input": {"contactId": a.contact}},
            lambda a, b: {"leadId": b.lead, "input": {"accountId": a.account}},
            lambda a, b: {
                "leadId": b.lead,
                "input": {"createDeal": True, "pipelineId": a.pipeline},
            },
        ),
        *refused(
            lambda a, b: {"leadId": b.lead, "input": {"createDeal": True, "stageId": a.stage}},
            codes=STAGE,
        ),
    ],
    # marketing
    (Q, "campaign"): nothing(lambda a, b: {"id": a.campaign}),
    (Q, "campaigns"): [
        own(),
        *nothing(
            lambda a, b: {"filter": {"id": {"in": [a.campaign]}}},
            lambda a, b: {"filter": {"name": {"contains": a.token}}},
        ),
    ],
    (Q, "revenueAttribution"): [
        Variant(lambda a, b: {"startDate": "2020-01-01", "endDate": "2029-12-31"}, Expect.OWN)
    ],
    (Q, "customerJourney"): nothing(
        lambda a, b: {"contactId": a.contact},
        lambda a, b: {"contactId": a.converted_contact},
        lambda a, b: {"accountId": a.account},
    ),
    (M, "createCampaign"): [
        # B's own words: no delete to undo it, and a campaign named after A's token would
        # show up in B's campaigns list as a (false) leak when that case runs later.
        Variant(lambda a, b: {"input": {"name": f"Campaign {b.token}"}}, Expect.CREATED)
    ],
    (M, "updateCampaign"): refused(
        lambda a, b: {"id": a.campaign, "input": {"name": f"Taken {b.token}"}}
    ),
    (M, "recordTouchpoint"): refused(
        lambda a, b: {"input": {"leadId": a.lead}},
        lambda a, b: {"input": {"contactId": a.converted_contact}},
        lambda a, b: {"input": {"leadId": b.lead, "campaignId": a.campaign}},
    ),
    # pipelines
    (Q, "pipeline"): nothing(
        lambda a, b: {"id": a.pipeline}, lambda a, b: {"id": a.empty_pipeline}
    ),
    (Q, "pipelines"): [own()],
    (Q, "pipelineAnalytics"): nothing(
        lambda a, b: {"pipelineId": a.pipeline, "period": "ALL_TIME"},
        lambda a, b: {"pipelineId": a.empty_pipeline, "period": "LAST_30_DAYS"},
    ),
    # Reports: B's own figures, never A's; A's user or pipeline narrows B's report to nothing.
    (Q, "salesReport"): [
        Variant(lambda a, b: {"filter": {"period": WIDE}}, Expect.OWN),
        Variant(lambda a, b: {"filter": {"period": WIDE, "userId": a.user}}, Expect.OWN),
        Variant(lambda a, b: {"filter": {"period": WIDE, "pipelineIds": [a.pipeline]}}, Expect.OWN),
    ],
    (Q, "performanceMetrics"): nothing(lambda a, b: {"userId": a.user, "period": "YEAR"}),
    (Q, "salesDashboard"): nothing(lambda a, b: {"userId": a.user}),
    (Q, "dashboardData"): [Variant(lambda a, b: {"dashboardId": "sales"}, Expect.OWN)],
    (Q, "pipelineReport"): nothing(
        lambda a, b: {"pipelineId": a.pipeline}, lambda a, b: {"pipelineId": a.empty_pipeline}
    ),
    (Q, "dealForecast"): nothing(
        lambda a, b: {"pipelineId": a.pipeline, "period": "QUARTER"},
        lambda a, b: {"pipelineId": a.empty_pipeline, "period": "MONTH", "year": 2030},
    ),
    (Q, "automationRuns"): [
        own(),
        *nothing(
            lambda a, b: {"pipelineId": a.pipeline},
            lambda a, b: {"stageId": a.next_stage},
            lambda a, b: {"dealId": a.deal},
        ),
    ],
    (M, "createPipeline"): [
        Variant(
            lambda a, b: {
                "input": {
                    "name": a.pipeline_name,
                    "stages": [{"name": "S", "order": 1, "probability": 5}],
                }
            },
            Expect.CREATED,
            undo="deletePipeline",
        )
    ],
    (M, "updatePipeline"): refused(
        lambda a, b: {"id": a.pipeline, "input": {"name": f"Taken {b.token}"}}
    ),
    # A's main pipeline has deals (deleting it is a CONFLICT for A), the other has none.
    (M, "deletePipeline"): refused(
        lambda a, b: {"id": a.pipeline}, lambda a, b: {"id": a.empty_pipeline}
    ),
    (M, "addPipelineStage"): refused(
        lambda a, b: {
            "pipelineId": a.pipeline,
            "input": {"name": f"S {b.token}", "order": 9, "probability": 5},
        }
    ),
    (M, "updatePipelineStage"): [
        *refused(
            lambda a, b: {
                "pipelineId": a.pipeline,
                "stageId": a.stage,
                "input": {"name": f"Taken {b.token}"},
            }
        ),
        *refused(
            lambda a, b: {
                "pipelineId": b.pipeline,
                "stageId": a.stage,
                "input": {"probability": 1},
            },
            lambda a, b: {
                "pipelineId": a.pipeline,
                "stageId": b.stage,
                "input": {"probability": 1},
            },
            codes=STAGE,
        ),
    ],
    (M, "removePipelineStage"): [
        *refused(
            lambda a, b: {"pipelineId": a.empty_pipeline, "stageId": a.empty_stage},
            lambda a, b: {"pipelineId": a.pipeline, "stageId": a.stage},
        ),
        *refused(
            lambda a, b: {"pipelineId": b.pipeline, "stageId": a.stage},
            lambda a, b: {"pipelineId": a.pipeline, "stageId": b.empty_stage},
            codes=STAGE,
        ),
    ],
}

# The subgraph that loads each entity's row; the others only extend it with fields.
OWNERS = {
    "Account": "ACCOUNTS", "User": "ACCOUNTS", "Contact": "CONTACTS",
    "CustomerOverview": "CONTACTS", "Deal": "DEALS", "Lead": "LEADS", "Task": "ACTIVITIES",
    "Event": "ACTIVITIES", "Communication": "ACTIVITIES", "Pipeline": "PIPELINES",
    "PipelineStage": "PIPELINES", "PipelineReport": "PIPELINES",
}  # fmt: skip

ENTITY_IDS: dict[str, Callable[[Ids], list[str]]] = {
    "Account": lambda a: [a.account, a.parent_account, a.converted_account],
    "User": lambda a: [a.user],
    "Contact": lambda a: [a.contact, a.converted_contact],
    "CustomerOverview": lambda a: [a.contact, a.account],
    "Deal": lambda a: [a.deal, a.converted_deal],
    "PipelineReport": lambda a: [a.pipeline, a.empty_pipeline],
    "Lead": lambda a: [a.lead, a.converted_lead],
    "Task": lambda a: [a.task, a.lead_task],
    "Event": lambda a: [a.event],
    "Communication": lambda a: [a.communication],
    "Pipeline": lambda a: [a.pipeline, a.empty_pipeline],
    "PipelineStage": lambda a: [a.stage, a.next_stage, a.empty_stage],
}
