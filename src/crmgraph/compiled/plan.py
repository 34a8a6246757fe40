"""Compiling an operation into one statement (a Plan), and running it.

A Plan is cached per (document, operation, the variables' shapes, the caller's
permissions): a scalar variable's shape is whether it is null (its value is a parameter of
the statement), any other variable's shape is its value (a sort, a filter). The compiler
decides from permissions and shapes only; what it reads of a scalar's value it reads when the
plan runs (Binding), where anything the resolvers would refuse raises Unknown or DomainError
and the operation goes to them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
from crmgraph.db.scoping import Scope
from crmgraph.gql.permissions import field_allowed

TENANT = "$1"


@dataclass
class Binding:
    """What one request gives a plan: the caller and the coerced variables."""

    scope: Scope
    variables: VariableValues
    memo: dict[int, Any] = field(default_factory=dict)


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
        self.getters: list[Getter] = [lambda b: b.scope.tenant_id]
        self._names = count(1)

    def param(self, getter: Getter, cast: str) -> str:
        self.getters.append(getter)
        return f"${len(self.getters)}::{cast}"

    def alias(self, prefix: str) -> str:
        return f"{prefix}{next(self._names)}"

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
    compiler = Compiler(schema, fragments, variables, scope)
    query = schema.query_type
    assert query is not None
    members = []
    reads = False
    for wanted in compiler.fields(query, [operation.selection_set]):
        if wanted.name == "__typename":
            members.append((wanted.key, jsontext.json_literal(query.name)))
            continue
        root = roots.get(wanted.name)
        if root is None:
            raise Unknown(f"Query.{wanted.name}")
        compiler.allowed(f"{query.name}.{wanted.name}")
        members.append((wanted.key, root(compiler, wanted, query.fields[wanted.name])))
        reads = True
    if not reads:
        # Nothing to read (`{ __typename }`): no statement, whose tenant parameter ($1)
        # would then be one argument more than it takes.
        raise Unknown("no root field reads rows")
    return Plan("SELECT " + jsontext.obj(members), tuple(compiler.getters))


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
