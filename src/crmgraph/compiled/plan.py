"""Compiling an operation into one statement (a Plan), and running it.

A Plan is cached per (document, operation, the variables' shapes, the caller's
permissions): a scalar variable's shape is whether it is null (its value is a parameter of
the statement), any other variable's shape is its value (a sort, a filter). The compiler
decides from permissions and shapes only; what it reads of a scalar's value it reads when the
plan runs (Binding), where anything the resolvers would refuse raises Unknown or DomainError
and the operation goes to them. A plan's parameters are those its statement uses, in the
order of their numbers: the tenant and the request's instant only when something reads them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from crmgraph.compiled import jsontext
from crmgraph.compiled.selection import Field, Unknown, collect
from crmgraph.db.scoping import Scope, limited_reads
from crmgraph.db.types import utcnow
from crmgraph.gql.permissions import field_allowed


@dataclass
class Binding:
    """What one request gives a plan: the caller, the coerced variables and the request's
    instant (the clock the resolvers read, crmgraph.db.types.utcnow: never the database's
    now(), so the two paths count days and deadlines from one clock)."""

    scope: Scope
    variables: VariableValues
    memo: dict[int, Any] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)


Getter = Callable[[Binding], object]


@dataclass(frozen=True)
class Plan:
    sql: str
    getters: tuple[Getter, ...]

    def parameters(self, binding: Binding) -> list[object]:
        return [getter(binding) for getter in self.getters]


class Compiler:
    """The state of compiling one operation for one caller and variables' shapes."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        scope: Scope,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.scope = scope
        self.getters: list[Getter] = []
        self._names = count(1)
        self._shared: dict[str, str] = {}
        # A FROM's row alias -> its joins: (table and condition) -> (alias, SQL).
        self._joins: dict[str, dict[str, tuple[str, str]]] = {}
        self._home: dict[str, str] = {}  # a joined alias -> the FROM's row alias

    def param(self, getter: Getter, cast: str) -> str:
        self.getters.append(getter)
        return f"${len(self.getters)}::{cast}"

    def tenant(self) -> str:
        """The caller's tenant as a parameter: one for the whole statement."""
        if "tenant" not in self._shared:
            self.getters.append(lambda b: b.scope.tenant_id)
            self._shared["tenant"] = f"${len(self.getters)}"
        return self._shared["tenant"]

    def now(self) -> str:
        """The request's instant (Binding.now) as a parameter: one for the whole statement."""
        if "now" not in self._shared:
            self._shared["now"] = self.param(lambda b: b.now, "timestamptz")
        return self._shared["now"]

    def alias(self, prefix: str) -> str:
        return f"{prefix}{next(self._names)}"

    def left_join(self, beside: str, table: str, on: Callable[[str], str]) -> str:
        """The alias of a row of table joined to the FROM that holds alias beside, where
        on(alias) holds: at most one row, so on must name table's key. The same join asked
        twice is one join. A row read so costs PostgreSQL less than a subquery per row."""
        home = self._home.get(beside, beside)
        joins = self._joins.setdefault(home, {})
        key = f"{table} {on('{}')}"
        if key not in joins:
            alias = self.alias(table[0])
            self._home[alias] = home
            joins[key] = (alias, f" LEFT JOIN {table} {alias} ON {on(alias)}")
        return joins[key][0]

    def joins(self, row: str) -> str:
        """The joins asked beside row alias row, for its FROM; call it after compiling
        everything that reads row."""
        return "".join(sql for _, sql in self._joins.get(row, {}).values())

    def fields(
        self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> list[Field]:
        matches = {type_.name, *(i.name for i in type_.interfaces)}
        matches.update(u.name for u in self.schema.type_map.values() if _has_member(u, type_))
        coerced = self.variables.coerced
        return collect(frozenset(matches), selection_sets, self.fragments, coerced)

    def allowed(self, key: str) -> None:
        """Unknown unless the caller may resolve field key whatever the rows."""
        if field_allowed(self.scope, key) is not True:
            raise Unknown(f"permission of {key}")

    def arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """The field's arguments now: decide only on the null-ness of scalar ones."""
        return get_argument_values(definition, node, self.variables)

    @staticmethod
    def runtime_arguments(definition: GraphQLField, node: FieldNode) -> Callable[[Binding], Any]:
        """The field's arguments as a request gives them, computed once per request."""

        def get(binding: Binding) -> dict[str, Any]:
            found = binding.memo.get(id(node))
            if found is None:
                found = binding.memo[id(node)] = get_argument_values(
                    definition, node, binding.variables
                )
            return found

        return get


def _has_member(candidate: object, type_: GraphQLObjectType) -> bool:
    types = getattr(candidate, "types", None)
    return isinstance(types, tuple | list) and type_ in types


RootCompiler = Callable[[Compiler, Field, GraphQLField], str]


def compile_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: VariableValues,
    scope: Scope,
    roots: Mapping[str, RootCompiler],
) -> Plan:
    """The operation as one statement, or Unknown."""
    if operation.operation is not OperationType.QUERY:
        raise Unknown("not a query")
    if limited_reads(scope):
        # The statements here filter by tenant only; the resolvers also keep such a caller
        # to its own or its team's rows (crmgraph.db.scoping.visible).
        raise Unknown("reads at the own or team level")
    compiler = Compiler(schema, fragments, variables, scope)
    query = schema.query_type
    assert query is not None
    members = []
    for wanted in compiler.fields(query, [operation.selection_set]):
        if wanted.name == "__typename":
            members.append((wanted.key, jsontext.json_literal(query.name)))
            continue
        root = roots.get(wanted.name)
        if root is None:
            raise Unknown(f"Query.{wanted.name}")
        compiler.allowed(f"{query.name}.{wanted.name}")
        members.append((wanted.key, root(compiler, wanted, query.fields[wanted.name])))
    sql = "SELECT " + jsontext.obj(members)
    if "\x00" in sql:  # a text not settled by jsontext.row, or a NUL in a filter's literal
        raise Unknown("NUL in the statement")
    return Plan(sql, tuple(compiler.getters))


def shape(variables: VariableValues) -> tuple[tuple[str, object], ...]:
    """The variables' shapes (see the module's docstring)."""
    shapes = []
    for name, source in variables.sources.items():
        value = variables.coerced.get(name)
        type_ = get_named_type(source.signature.type)
        scalar = isinstance(type_, GraphQLScalarType) and type_.name != "Boolean"
        shapes.append((name, value is None if scalar else repr(value)))
    return tuple(shapes)


class PlanCache:
    """Compiled plans (or None: goes to the resolvers), least recently used dropped."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._plans: OrderedDict[tuple[object, ...], Plan | None] = OrderedDict()

    def get(self, key: tuple[object, ...], build: Callable[[], Plan | None]) -> Plan | None:
        if key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        plan = self._plans[key] = build()
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)
        return plan
