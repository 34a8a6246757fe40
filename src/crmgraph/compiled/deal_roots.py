"""The deals subgraph's root fields as SQL: Query.deal(id), the Query.deals connection
(filter, sort, first/after; Relay cursors as crmgraph.db.pagination makes them) and
`_entities` of Deal in the representations' order. last/before, or a cursor on a nullable
sort column, is left to the resolvers."""

from __future__ import annotations

import json
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, get_named_type
from sqlalchemy import Dialect
from strawberry.federation import Schema

from crmgraph.auth import read_needs
from crmgraph.compiled import jsontext as j
from crmgraph.compiled.deal_fields import deal_object, object_type
from crmgraph.compiled.deal_filter import ROW, filter_sql
from crmgraph.compiled.plan import TENANT, Binding, Compiler, RootCompiler
from crmgraph.compiled.selection import Field, Unknown
from crmgraph.db import models
from crmgraph.db.pagination import PageArgs, Sort, decode_cursor, page_size
from crmgraph.db.scoping import tenant_sql
from crmgraph.gql.filters import sort_of
from crmgraph.gql.ids import parse_id, uuid_or_none
from subgraphs.deals.queries import SORT_COLUMNS

# Sort columns a cursor can start after: never null, so (column, id) compares as a row.
CAST = {
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
    "stage_entered_at": "timestamptz",
    "title": "text",
    "currency": "text",
    "status": "text",
    "value": "numeric",
    "probability": "int",
}
DATES = {"created_at", "updated_at", "stage_entered_at", "expected_close_date", "actual_close_date"}


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def cursor_value(column: str, d: str) -> str:
    """The sort value as crmgraph.db.pagination.cursor_of writes it into the cursor's JSON
    (json.dumps: ASCII only, so other text is left to the resolvers)."""
    col = f"{d}.{column}"
    if column in DATES:
        return j.nullable(col, f"'\"' || {j.iso_datetime(col)} || '\"'")
    if column == "value":
        return f"'\"' || {col}::text || '\"'"
    if column == "probability":
        return f"{col}::text"
    return f"(CASE WHEN {col} ~ '^[ -~]*$' THEN to_json({col})::text END)"


def cursor(sort: Sort, d: str) -> str:
    raw = (
        f"{j.literal('[' + json.dumps(sort.column) + ',')} || {cursor_value(sort.column, d)} "
        f"|| ',\"' || {d}.id::text || '\"]'"
    )
    b64 = f"replace(encode(convert_to({raw}, 'UTF8'), 'base64'), E'\\n', '')"
    return f"rtrim(translate({b64}, '+/', '-_'), '=')"


def deal(c: Compiler, wanted: Field, definition: GraphQLField) -> str:
    args = c.runtime_arguments(definition, wanted.node)
    ident = c.param(lambda b: parse_id(args(b)["id"]), "uuid")
    d = c.alias("d")
    node = deal_object(c, object_type(c.schema, "Deal"), wanted, d)
    return (
        f"(SELECT CASE WHEN count(*) = 0 THEN 'null' ELSE max(e) END FROM "
        f"(SELECT {node} AS e FROM deals {d} WHERE {d}.id = {ident} "
        f"AND {tenant_sql(d, TENANT)}) {c.alias('x')})"
    )


def entities(c: Compiler, wanted: Field, definition: GraphQLField) -> str:
    if not read_needs.may_resolve(c.scope.permissions, "Deal"):
        raise Unknown("_entities of Deal: the resolvers refuse it")
    args = c.runtime_arguments(definition, wanted.node)

    def ids(binding: Binding) -> list[Any]:
        found = []
        for representation in args(binding)["representations"]:
            if _get(representation, "__typename") != "Deal":
                raise Unknown("an entity other than Deal")
            found.append(uuid_or_none(_get(representation, "id")))
        return found

    wanted_ids = c.param(ids, "uuid[]")
    d, r = c.alias("d"), c.alias("r")
    node = deal_object(c, object_type(c.schema, "Deal"), wanted, d)
    return (
        f"(SELECT {j.array_agg('e', 'ord')} FROM (SELECT {r}.ord, "
        f"CASE WHEN {d}.id IS NULL THEN 'null' ELSE {node} END AS e "
        f"FROM unnest({wanted_ids}) WITH ORDINALITY AS {r}(id, ord) "
        f"LEFT JOIN deals {d} ON {d}.id = {r}.id AND {tenant_sql(d, TENANT)}) {c.alias('x')})"
    )


def child(parent: GraphQLObjectType, wanted: Field) -> GraphQLObjectType:
    found = get_named_type(parent.fields[wanted.name].type)
    assert isinstance(found, GraphQLObjectType)
    return found


def deals_connection(max_page_size: int, schema: Schema, dialect: Dialect) -> RootCompiler:
    def compile_(c: Compiler, wanted: Field, definition: GraphQLField) -> str:
        now = c.arguments(definition, wanted.node)
        pagination = now.get("pagination")
        direct = [now.get(n) for n in ("first", "after", "last", "before")]
        spec = now.get("filter")
        condition = "TRUE" if spec is None else filter_sql(spec, schema, dialect)
        if pagination is not None and any(v is not None for v in direct):
            raise Unknown("pagination and first/after: the resolvers refuse it")
        source = pagination if pagination is not None else dict(zip(("first", "after",
                 "last", "before"), direct, strict=True))  # fmt: skip
        if _get(source, "last") is not None or _get(source, "before") is not None:
            raise Unknown("last/before")
        has_after = _get(source, "after") is not None
        sort_in = now.get("sort")
        sort = sort_of(_get(sort_in, "field"), _get(sort_in, "direction"), SORT_COLUMNS)
        if has_after and sort.column not in CAST:
            raise Unknown("a cursor on a nullable column")
        args = c.runtime_arguments(definition, wanted.node)

        def page(binding: Binding) -> PageArgs:
            given = args(binding)
            where = given.get("pagination") or given
            return PageArgs(first=_get(where, "first"), after=_get(where, "after"))

        size = c.param(lambda b: page_size(page(b), max_page_size)[0], "int")
        d = ROW
        matching = f"{tenant_sql(d, TENANT)} AND {condition}"  # what totalCount counts
        where = [matching]
        if has_after:

            def after(binding: Binding) -> tuple[Any, Any]:
                given = page(binding).after
                assert given is not None
                return decode_cursor(given, sort, models.Deal, field="after")

            value = c.param(lambda b: after(b)[0], CAST[sort.column])
            ident = c.param(lambda b: after(b)[1], "uuid")
            where.append(f"({d}.{sort.column}, {d}.id) {'<' if sort.descending else '>'} "
                         f"({value}, {ident})")  # fmt: skip
        col = f"{d}.{sort.column}"
        order = (
            f"{col} DESC NULLS FIRST, {d}.id DESC"
            if sort.descending
            else f"{col} ASC NULLS LAST, {d}.id ASC"
        )
        connection = child(c.schema.query_type, wanted)  # type: ignore[arg-type]
        edge_columns: list[str] = []
        members: list[tuple[str, str]] = []
        p, a, m = c.alias("p"), c.alias("a"), c.alias("m")
        for field in c.fields(connection, wanted.selection_sets()):
            if field.name == "__typename":
                members.append((field.key, j.json_literal(connection.name)))
            elif field.name == "totalCount":
                total = f"(SELECT count(*)::text FROM deals {ROW} WHERE {matching})"
                members.append((field.key, total))
            elif field.name == "edges":
                name = f"e{len(edge_columns)}"
                element = edge(c, child(connection, field), field, d, cursor(sort, d))
                edge_columns.append(f"{element} AS {name}")
                members.append((field.key, f"{a}.{name}"))
            elif field.name == "pageInfo":
                info = page_info(c, child(connection, field), field, a, m, has_after)
                members.append((field.key, info))
            else:
                raise Unknown(f"{connection.name}.{field.name}")
        rows = ", ".join([*edge_columns, f"{cursor(sort, d)} AS cur",
                          f"row_number() OVER (ORDER BY {order}) AS n"])  # fmt: skip
        lists = "".join(f", {j.array_agg(f'e{n}', 'n')} AS e{n}" for n in range(len(edge_columns)))
        return (
            f"(WITH {p} AS (SELECT {rows} FROM deals {ROW} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT {size} + 1) "
            f"SELECT {j.obj(members)} FROM (SELECT count(*) AS k, "
            f"(array_agg(cur ORDER BY n))[1] AS first_cur, "
            f"(array_agg(cur ORDER BY n DESC))[1] AS last_cur{lists} "
            f"FROM {p} WHERE n <= {size}) {a}, "
            f"(SELECT count(*) > {size} AS more FROM {p}) {m})"
        )

    return compile_


def edge(c: Compiler, type_: GraphQLObjectType, wanted: Field, d: str, cur: str) -> str:
    members = []
    for field in c.fields(type_, wanted.selection_sets()):
        if field.name == "__typename":
            members.append((field.key, j.json_literal(type_.name)))
        elif field.name == "cursor":
            members.append((field.key, f"to_json({cur})::text"))
        elif field.name == "node":
            members.append((field.key, deal_object(c, child(type_, field), field, d)))
        else:
            raise Unknown(f"{type_.name}.{field.name}")
    return j.obj(members)


def page_info(
    c: Compiler, type_: GraphQLObjectType, wanted: Field, a: str, m: str, has_after: bool
) -> str:
    members = []
    for field in c.fields(type_, wanted.selection_sets()):
        name = field.name
        if name == "__typename":
            value = j.json_literal(type_.name)
        elif name == "hasNextPage":
            value = j.boolean(f"{m}.more")
        elif name == "hasPreviousPage":
            value = j.json_literal(has_after)
        elif name in ("startCursor", "endCursor"):
            end = f"{a}.{'first_cur' if name == 'startCursor' else 'last_cur'}"
            value = f"(CASE WHEN {a}.k = 0 THEN 'null' ELSE to_json({end})::text END)"
        else:
            raise Unknown(f"{type_.name}.{name}")
        members.append((field.key, value))
    return j.obj(members)


def roots(max_page_size: int, schema: Schema, dialect: Dialect) -> dict[str, RootCompiler]:
    """The deals subgraph's root compilers; dialect: the engine's (how it quotes literals)."""
    connection = deals_connection(max_page_size, schema, dialect)
    return {"deal": deal, "deals": connection, "_entities": entities}
