"""What every compiled object type shares: a field as the JSON text of its column (Column),
an object's members in selection order (columns), another subgraph's entity as its key
(entity_key), and an entity along an @provides path (provided). The types' own columns are
in deal_fields, contact_fields and account_fields."""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type

from crmgraph.auth import read_needs
from crmgraph.compiled import jsontext as j
from crmgraph.compiled.plan import Compiler
from crmgraph.compiled.selection import Field, Unknown, written_names
from crmgraph.db.scoping import tenant_sql

Column = Callable[[str], str]  # row alias -> JSON text expression
# The JSON of an object in a row alias, as a selection asks: (compiler, type, field, row).
NodeCompiler = Callable[[Compiler, GraphQLObjectType, Field, str], str]

# Python's str.strip() removes these besides the space PostgreSQL's btrim removes; a name
# starting or ending with one is left to the resolvers.
OTHER_SPACES = (
    r"[\t\n\v\f\r\u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def stripped(expr: str) -> str:
    """The JSON of Python's expr.strip() (crmgraph.domain.contacts.full_name)."""
    trimmed = f"btrim({expr}, ' ')"
    edges = f"'^{OTHER_SPACES}|{OTHER_SPACES}$'"
    return f"(CASE WHEN {trimmed} ~ {edges} THEN NULL ELSE {j.escaped(trimmed)} END)"


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
    holder: str,
    key: str,
    table: str,
    members_of: Callable[[str], list[tuple[str, str]]],
    card_fields: tuple[str, ...],
) -> str:
    """An entity along an @provides path (crmgraph.gql.provided.card), keyed by column key
    of row alias holder: its key alone unless the query writes a provided field below, then
    its row (joined beside holder), read with the owner's permission."""
    id_expr = f"{holder}.{key}"
    if written_names(wanted.selection_sets(), c.fragments).isdisjoint(card_fields):
        return entity_key(c, type_, wanted, id_expr)
    if not read_needs.may_resolve(c.scope.permissions, type_.name):
        raise Unknown(f"{type_.name}: the resolvers refuse it")
    tenant = c.tenant()
    row = c.left_join(holder, table, lambda r: f"{r}.id = {id_expr} AND {tenant_sql(r, tenant)}")
    # A key whose row is missing (or another tenant's): NULL, the resolvers answer.
    return (
        f"(CASE WHEN {id_expr} IS NULL THEN {j.NULL_JSON} WHEN {row}.id IS NULL THEN NULL "
        f"ELSE {j.obj(members_of(row))} END)"
    )


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


def no_relations(_: Field) -> str | None:
    return None
