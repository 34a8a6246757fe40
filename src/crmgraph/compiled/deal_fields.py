"""The Deal of the deals subgraph as SQL: each field the JSON text of the resolver's value
(subgraphs/deals/types/deal.py), its stage's name and the contact and account it provides
(subgraphs/deals/types/extended.py) by correlated subqueries. Another subgraph's entity is
its key. A provided entity whose row is missing is NOT_FOUND for the resolvers: NULL here."""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type

from crmgraph.auth import read_needs
from crmgraph.compiled import jsontext as j
from crmgraph.compiled.plan import TENANT, Compiler
from crmgraph.compiled.selection import Field, Unknown, written_names
from crmgraph.db.scoping import tenant_sql

Column = Callable[[str], str]  # row alias -> JSON text expression

# Python's str.strip() removes these besides the space PostgreSQL's btrim removes; a name
# starting or ending with one is left to the resolvers.
OTHER_SPACES = (
    r"[\t\n\v\f\r\u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)

DEAL: dict[str, Column] = {
    "id": lambda d: j.uuid_id(f"{d}.id"),
    "title": lambda d: j.string(f"{d}.title"),
    "value": lambda d: j.float_(f"{d}.value"),
    "currency": lambda d: j.string(f"{d}.currency"),
    "probability": lambda d: j.integer(f"{d}.probability"),
    "status": lambda d: j.string(f"{d}.status"),  # DealStatus: names are the stored values
    "expectedCloseDate": lambda d: j.datetime_(f"{d}.expected_close_date"),
    "actualCloseDate": lambda d: j.datetime_(f"{d}.actual_close_date"),
    "description": lambda d: j.string(f"{d}.description"),
    "createdAt": lambda d: j.datetime_(f"{d}.created_at"),
    "updatedAt": lambda d: j.datetime_(f"{d}.updated_at"),
    # crmgraph.domain.deals: value * probability / 100 exactly, then the nearest float.
    "weightedValue": lambda d: j.float_(f"{d}.value * {d}.probability / 100"),
    "daysInStage": lambda d: j.integer(
        f"greatest(0, floor(extract(epoch FROM now() - {d}.stage_entered_at) / 86400))::int"
    ),
    "isOverdue": lambda d: j.boolean(
        f"{d}.status = 'ACTIVE' AND {d}.expected_close_date IS NOT NULL "
        f"AND {d}.expected_close_date < now()"
    ),
}
CONTACT: dict[str, Column] = {
    "id": lambda c: j.uuid_id(f"{c}.id"),
    "firstName": lambda c: j.string(f"{c}.first_name"),
    "lastName": lambda c: j.string(f"{c}.last_name"),
    "fullName": lambda c: _full_name(f"{c}.first_name || ' ' || {c}.last_name"),
    "email": lambda c: j.string(f"{c}.email"),
    "company": lambda c: j.string(f"{c}.company"),
}
ACCOUNT: dict[str, Column] = {
    "id": lambda a: j.uuid_id(f"{a}.id"),
    "name": lambda a: j.string(f"{a}.name"),
    "industry": lambda a: j.string(f"{a}.industry"),
}
KEYS = {"id", "__typename"}


def _full_name(expr: str) -> str:
    trimmed = f"btrim({expr}, ' ')"
    edges = f"'^{OTHER_SPACES}|{OTHER_SPACES}$'"
    return f"(CASE WHEN {trimmed} ~ {edges} THEN NULL ELSE to_json({trimmed})::text END)"


def object_type(schema: GraphQLSchema, name: str) -> GraphQLObjectType:
    found = schema.type_map[name]
    assert isinstance(found, GraphQLObjectType)
    return found


def child_type(parent: GraphQLObjectType, wanted: Field) -> GraphQLObjectType:
    found = get_named_type(parent.fields[wanted.name].type)
    if not isinstance(found, GraphQLObjectType):
        raise Unknown(f"{parent.name}.{wanted.name} is abstract")
    return found


def entity_key(c: Compiler, type_: GraphQLObjectType, wanted: Field, id_expr: str) -> str:
    """Another subgraph's entity: only its key and __typename are answered here."""
    members = []
    for child in c.fields(type_, wanted.selection_sets()):
        if child.name == "id":
            members.append((child.key, j.uuid_id(id_expr)))
        elif child.name == "__typename":
            members.append((child.key, j.json_literal(type_.name)))
        else:
            raise Unknown(f"{type_.name}.{child.name}")
    return j.nullable(id_expr, j.obj(members))


def provided(
    c: Compiler,
    type_: GraphQLObjectType,
    wanted: Field,
    id_expr: str,
    table: str,
    members_of: Callable[[str], list[tuple[str, str]]],
    card_fields: tuple[str, ...],
) -> str:
    """An entity along an @provides path (crmgraph.gql.provided.card): its key alone unless
    the query writes a provided field below, then its row, read with the owner's permission."""
    if written_names(wanted.selection_sets(), c.fragments).isdisjoint(card_fields):
        return entity_key(c, type_, wanted, id_expr)
    if not read_needs.may_resolve(c.scope.permissions, type_.name):
        raise Unknown(f"{type_.name}: the resolvers refuse it")
    row = c.alias("p")
    found = (
        f"(SELECT {j.obj(members_of(row))} FROM {table} {row} "
        f"WHERE {row}.id = {id_expr} AND {tenant_sql(row, TENANT)})"
    )
    return j.nullable(id_expr, found)


def columns(
    c: Compiler, type_: GraphQLObjectType, wanted: Field, row: str, known: dict[str, Column],
    relations: Callable[[Field], str | None],
) -> list[tuple[str, str]]:  # fmt: skip
    members = []
    for child in c.fields(type_, wanted.selection_sets()):
        if child.name == "__typename":
            members.append((child.key, j.json_literal(type_.name)))
            continue
        column = known.get(child.name)
        value = column(row) if column is not None else relations(child)
        if value is None:
            raise Unknown(f"{type_.name}.{child.name}")
        c.allowed(f"{type_.name}.{child.name}")
        members.append((child.key, value))
    return members


def account_of(c: Compiler, parent: GraphQLObjectType, wanted: Field, id_expr: str) -> str:
    type_ = child_type(parent, wanted)

    def members(row: str) -> list[tuple[str, str]]:
        return columns(c, type_, wanted, row, ACCOUNT, lambda _: None)

    return provided(c, type_, wanted, id_expr, "accounts", members, ("name", "industry"))


def contact_of(c: Compiler, parent: GraphQLObjectType, wanted: Field, id_expr: str) -> str:
    type_ = child_type(parent, wanted)

    def members(row: str) -> list[tuple[str, str]]:
        def relation(child: Field) -> str | None:
            if child.name == "account":
                return account_of(c, type_, child, f"{row}.account_id")
            return None

        return columns(c, type_, wanted, row, CONTACT, relation)

    card = ("firstName", "lastName", "fullName", "email", "company", "account")
    return provided(c, type_, wanted, id_expr, "contacts", members, card)


def deal_object(c: Compiler, type_: GraphQLObjectType, wanted: Field, d: str) -> str:
    """The JSON of the deal in row alias d, as the selection of wanted asks."""

    def relation(child: Field) -> str | None:
        name = child.name
        if name == "stage":
            s = c.alias("s")
            return (
                f"to_json(coalesce((SELECT {s}.name FROM pipeline_stages {s} "
                f"WHERE {s}.id = {d}.stage_id AND {tenant_sql(s, TENANT)}), ''))::text"
            )
        keys = {"pipelineStage": "stage_id", "pipeline": "pipeline_id", "owner": "owner_id"}
        if name in keys:
            return entity_key(c, child_type(type_, child), child, f"{d}.{keys[name]}")
        if name == "contact":
            return contact_of(c, type_, child, f"{d}.contact_id")
        if name == "account":
            return account_of(c, type_, child, f"{d}.account_id")
        return None

    return j.obj(columns(c, type_, wanted, d, DEAL, relation))
