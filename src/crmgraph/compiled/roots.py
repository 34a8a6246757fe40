"""The root fields every compiled subgraph has, as SQL over one entity's table (Entity): by
id (deal(id), contact(id), account(id)), the connection (filter, sort, first/after; Relay
cursors as crmgraph.db.pagination makes them) and `_entities` of the type in the
representations' order. last/before, or a cursor on a nullable sort column, is left to the
resolvers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, get_named_type
from sqlalchemy import Dialect
from strawberry.federation import Schema

from crmgraph.auth import read_needs
from crmgraph.compiled import jsontext as j
from crmgraph.compiled.fields import NodeCompiler, object_type
from crmgraph.compiled.filters import filter_sql
from crmgraph.compiled.page_limit import page_limit
from crmgraph.compiled.plan import Binding, Compiler, RootCompiler
from crmgraph.compiled.selection import Field, Unknown
from crmgraph.db.filtering import Filter, column
from crmgraph.db.models import TenantRow
from crmgraph.db.pagination import PageArgs, Sort, decode_cursor
from crmgraph.db.scoping import tenant_sql
from crmgraph.gql.filters import sort_of
from crmgraph.gql.ids import parse_id, uuid_or_none

CASTS: dict[type, str] = {datetime: "timestamptz", str: "text", Decimal: "numeric", int: "int"}


@dataclass(frozen=True)
class Entity:
    """One subgraph's own entity type: its table, its object's SQL, and what its connection
    takes (the sort enum's columns, the filter input and how the resolvers read it)."""

    typename: str
    model: type[TenantRow]
    node: NodeCompiler
    sorts: Mapping[str, str]
    filter_input: type
    to_filter: Callable[[Any], Filter]

    @property
    def table(self) -> str:
        return str(self.model.__table__.name)  # type: ignore[attr-defined]

    def python_type(self, name: str) -> type:
        return column(self.model, name).type.python_type  # type: ignore[no-any-return]

    def nullable(self, name: str) -> bool:
        return bool(column(self.model, name).expression.nullable)


@dataclass
class Reads:
    """What a connection's selection reads beyond its rows. Unread, neither is computed:
    a cursor is a base64 of JSON per row, about a fifth of the 50-deal page's time."""

    cursors: bool = False  # an edge's cursor, the start or end cursor
    more: bool = False  # hasNextPage: one row past the page


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def cursor_value(entity: Entity, name: str, d: str) -> str:
    """The sort value as crmgraph.db.pagination.cursor_of writes it into the cursor's JSON
    (json.dumps: ASCII only, so other text is left to the resolvers)."""
    col, kind = f"{d}.{name}", entity.python_type(name)
    if kind is datetime:
        rendered = f"'\"' || {j.iso_datetime(col)} || '\"'"
    elif kind is Decimal:
        rendered = f"'\"' || {col}::text || '\"'"
    elif kind is int:
        rendered = f"{col}::text"
    elif kind is str:
        rendered = f"(CASE WHEN {col} ~ '^[ -~]*$' THEN to_json({col})::text END)"
    else:
        raise Unknown(f"a cursor of {name}")
    return j.nullable(col, rendered)


def cursor(entity: Entity, sort: Sort, d: str) -> str:
    raw = (
        f"{j.literal('[' + json.dumps(sort.column) + ',')} || "
        f"{cursor_value(entity, sort.column, d)} || ',\"' || {d}.id::text || '\"]'"
    )
    b64 = f"replace(encode(convert_to({raw}, 'UTF8'), 'base64'), E'\\n', '')"
    return f"rtrim(translate({b64}, '+/', '-_'), '=')"


def child(parent: GraphQLObjectType, wanted: Field) -> GraphQLObjectType:
    found = get_named_type(parent.fields[wanted.name].type)
    assert isinstance(found, GraphQLObjectType)
    return found


def by_id(entity: Entity) -> RootCompiler:
    """Query.<type>(id): the row of the caller's tenant, or null."""

    def compile_(c: Compiler, wanted: Field, definition: GraphQLField) -> str:
        args = c.runtime_arguments(definition, wanted.node)
        ident = c.param(lambda b: parse_id(args(b)["id"]), "uuid")
        d = c.alias("d")
        node = entity.node(c, object_type(c.schema, entity.typename), wanted, d)
        return (
            f"(SELECT CASE WHEN count(*) = 0 THEN 'null' ELSE max(e) END FROM "
            f"(SELECT {j.row(node)} AS e FROM {entity.table} {d}{c.joins(d)} "
            f"WHERE {d}.id = {ident} "
            f"AND {tenant_sql(d, c.tenant())}) {c.alias('x')})"
        )

    return compile_


def entities(entity: Entity) -> RootCompiler:
    """The router's `_entities` when every representation is of entity's type."""

    def compile_(c: Compiler, wanted: Field, definition: GraphQLField) -> str:
        if not read_needs.may_resolve(c.scope.permissions, entity.typename):
            raise Unknown(f"_entities of {entity.typename}: the resolvers refuse it")
        args = c.runtime_arguments(definition, wanted.node)

        def ids(binding: Binding) -> list[Any]:
            found = []
            for representation in args(binding)["representations"]:
                if _get(representation, "__typename") != entity.typename:
                    raise Unknown(f"an entity other than {entity.typename}")
                found.append(uuid_or_none(_get(representation, "id")))
            return found

        wanted_ids = c.param(ids, "uuid[]")
        d, r = c.alias("d"), c.alias("r")
        node = entity.node(c, object_type(c.schema, entity.typename), wanted, d)
        return (
            f"(SELECT {j.array_agg('e', 'ord')} FROM (SELECT {r}.ord, "
            f"CASE WHEN {d}.id IS NULL THEN 'null' ELSE {j.row(node)} END AS e "
            f"FROM unnest({wanted_ids}) WITH ORDINALITY AS {r}(id, ord) "
            f"LEFT JOIN {entity.table} {d} ON {d}.id = {r}.id "
            f"AND {tenant_sql(d, c.tenant())}{c.joins(d)}) {c.alias('x')})"
        )

    return compile_


def connection(entity: Entity, max_page_size: int, schema: Schema, dialect: Dialect
               ) -> RootCompiler:  # fmt: skip
    """Query.<types>: a Relay connection of the tenant's rows; dialect: the engine's (how
    it quotes a filter's literals)."""

    def compile_(c: Compiler, wanted: Field, definition: GraphQLField) -> str:
        now = c.arguments(definition, wanted.node)
        pagination = now.get("pagination")
        direct = [now.get(n) for n in ("first", "after", "last", "before")]
        spec = now.get("filter")
        condition = "TRUE" if spec is None else filter_sql(
            spec, entity.filter_input, entity.to_filter, entity.model, c.tenant(), schema, dialect
        )  # fmt: skip
        if pagination is not None and any(v is not None for v in direct):
            raise Unknown("pagination and first/after: the resolvers refuse it")
        source = pagination if pagination is not None else dict(zip(("first", "after",
                 "last", "before"), direct, strict=True))  # fmt: skip
        if _get(source, "last") is not None or _get(source, "before") is not None:
            raise Unknown("last/before")
        has_after = _get(source, "after") is not None
        sort_in = now.get("sort")
        sort = sort_of(_get(sort_in, "field"), _get(sort_in, "direction"), dict(entity.sorts))
        kind = entity.python_type(sort.column)
        if has_after and (entity.nullable(sort.column) or kind not in CASTS):
            raise Unknown("a cursor on a nullable column")
        args = c.runtime_arguments(definition, wanted.node)

        def page(binding: Binding) -> PageArgs:
            given = args(binding)
            where = given.get("pagination") or given
            return PageArgs(first=_get(where, "first"), after=_get(where, "after"))

        limit = page_limit(c, wanted.node, _get(source, "first"), max_page_size, page)
        size = limit.size
        d = entity.table  # the filter's predicates name the table: the row goes by that name
        matching = f"{tenant_sql(d, c.tenant())} AND {condition}"  # what totalCount counts
        where = [matching]
        if has_after:

            def after(binding: Binding) -> tuple[Any, Any]:
                given = page(binding).after
                assert given is not None
                return decode_cursor(given, sort, entity.model, field="after")

            value = c.param(lambda b: after(b)[0], CASTS[kind])
            ident = c.param(lambda b: after(b)[1], "uuid")
            where.append(f"({d}.{sort.column}, {d}.id) {'<' if sort.descending else '>'} "
                         f"({value}, {ident})")  # fmt: skip
        col = f"{d}.{sort.column}"
        order = (
            f"{col} DESC NULLS FIRST, {d}.id DESC"
            if sort.descending
            else f"{col} ASC NULLS LAST, {d}.id ASC"
        )
        connection_type = child(c.schema.query_type, wanted)  # type: ignore[arg-type]
        cur = cursor(entity, sort, d)
        reads = Reads()
        edge_columns: list[str] = []
        members: list[tuple[str, str]] = []
        p, a, m = c.alias("p"), c.alias("a"), c.alias("m")
        for field in c.fields(connection_type, wanted.selection_sets()):
            if field.name == "__typename":
                members.append((field.key, j.json_literal(connection_type.name)))
            elif field.name == "totalCount":
                total = f"(SELECT count(*)::text FROM {d} {d} WHERE {matching})"
                members.append((field.key, total))
            elif field.name == "edges":
                name = f"e{len(edge_columns)}"
                element = edge(c, entity, child(connection_type, field), field, d, cur, reads)
                edge_columns.append(f"{j.row(element)} AS {name}")
                members.append((field.key, f"{a}.{name}"))
            elif field.name == "pageInfo":
                info = page_info(c, child(connection_type, field), field, a, m, has_after, reads)
                members.append((field.key, info))
            else:
                raise Unknown(f"{connection_type.name}.{field.name}")
        cursors = reads.cursors
        rows = ", ".join([*edge_columns, *([f"{cur} AS cur"] if cursors else []), f"{d}.n"])
        lists = "".join(f", {j.array_agg(f'e{n}', 'n')} AS e{n}" for n in range(len(edge_columns)))
        # One aggregate of cur for both ends (see jsontext.array_agg): two would each
        # compute every row's cursor.
        ends = (
            ", (array_agg(cur ORDER BY n))[1] AS first_cur, "
            "(array_agg(cur ORDER BY n))[count(*)::int] AS last_cur"
            if cursors
            else ""
        )
        more = reads.more
        return (
            # The page's rows first, then what they join: a join above the ORDER BY would
            # join every matching row before the sort when no index gives the order.
            f"(WITH {p} AS (SELECT {rows} FROM (SELECT {d}.*, row_number() OVER "
            f"(ORDER BY {order}) AS n FROM {d} {d} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT {limit.limit(more)}) {d}{c.joins(d)}{limit.keep(d, more)}) "
            f"SELECT {j.obj(members)} FROM (SELECT count(*) AS k{ends}{lists} "
            f"FROM {p} WHERE n <= {size}) {a}"
            + (f", (SELECT count(*) > {size} AS more FROM {p}) {m})" if more else ")")
        )

    return compile_


def edge(
    c: Compiler,
    entity: Entity,
    type_: GraphQLObjectType,
    wanted: Field,
    d: str,
    cur: str,
    reads: Reads,
) -> str:
    members = []
    for field in c.fields(type_, wanted.selection_sets()):
        if field.name == "__typename":
            members.append((field.key, j.json_literal(type_.name)))
        elif field.name == "cursor":
            reads.cursors = True
            members.append((field.key, j.plain(cur)))
        elif field.name == "node":
            members.append((field.key, entity.node(c, child(type_, field), field, d)))
        else:
            raise Unknown(f"{type_.name}.{field.name}")
    return j.obj(members)


def page_info(
    c: Compiler,
    type_: GraphQLObjectType,
    wanted: Field,
    a: str,
    m: str,
    has_after: bool,
    reads: Reads,
) -> str:
    members = []
    for field in c.fields(type_, wanted.selection_sets()):
        name = field.name
        if name == "__typename":
            value = j.json_literal(type_.name)
        elif name == "hasNextPage":
            reads.more = True
            value = j.boolean(f"{m}.more")
        elif name == "hasPreviousPage":
            value = j.json_literal(has_after)
        elif name in ("startCursor", "endCursor"):
            reads.cursors = True
            end = f"{a}.{'first_cur' if name == 'startCursor' else 'last_cur'}"
            value = f"(CASE WHEN {a}.k = 0 THEN 'null' ELSE {j.plain(end)} END)"
        else:
            raise Unknown(f"{type_.name}.{name}")
        members.append((field.key, value))
    return j.obj(members)


def roots(
    entity: Entity, one: str, many: str, max_page_size: int, schema: Schema, dialect: Dialect
) -> dict[str, RootCompiler]:
    """A subgraph's root compilers: Query.<one>(id), Query.<many> and _entities."""
    return {
        one: by_id(entity),
        many: connection(entity, max_page_size, schema, dialect),
        "_entities": entities(entity),
    }
