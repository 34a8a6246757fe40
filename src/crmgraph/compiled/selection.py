"""The fields a selection set asks of one object type, as GraphQL's CollectFields gives them:
grouped by response key in first-seen order, fragments flattened where their type condition
is that type, @skip/@include applied. Directives other than those two make it unknown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
)


class Unknown(Exception):
    """The compiler cannot promise the resolvers' answer: the operation goes to them."""


@dataclass
class Field:
    """One response key: its field name and every node that asks for it (their selection
    sets merge)."""

    key: str
    name: str
    nodes: list[FieldNode] = field(default_factory=list)

    @property
    def node(self) -> FieldNode:
        return self.nodes[0]

    def selection_sets(self) -> list[SelectionSetNode]:
        return [n.selection_set for n in self.nodes if n.selection_set is not None]


def _included(directives: tuple[DirectiveNode, ...] | None, variables: dict[str, Any]) -> bool:
    for directive in directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            raise Unknown(f"directive @{name}")
        (argument,) = directive.arguments or ()
        value = argument.value
        if isinstance(value, VariableNode):
            flag = bool(variables.get(value.name.value))
        elif isinstance(value, BooleanValueNode):
            flag = value.value
        else:  # validation has refused anything else
            raise Unknown("@skip/@include argument")
        if flag == (name == "skip"):
            return False
    return True


def collect(
    matches: frozenset[str],
    selection_sets: list[SelectionSetNode],
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> list[Field]:
    """The fields asked of an object whose type, or an interface or union it is in, is one of
    matches."""
    found: dict[str, Field] = {}

    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if not _included(selection.directives, variables):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                entry = found.setdefault(key, Field(key, selection.name.value))
                entry.nodes.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value in matches:
                    walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments[selection.name.value]
                if fragment.type_condition.name.value in matches:
                    walk(fragment.selection_set)

    for selection_set in selection_sets:
        walk(selection_set)
    return list(found.values())


def written_names(selection_sets: list[SelectionSetNode], fragments: dict[str, Any]) -> set[str]:
    """The field names written directly below, through fragments, whatever their type
    condition or directives: what crmgraph.gql.selection.child_names tells the resolvers
    (crmgraph.gql.provided decides on it whether to load a provided entity)."""
    names: set[str] = set()
    stack = list(selection_sets)
    seen: set[str] = set()
    while stack:
        for node in stack.pop().selections:
            if isinstance(node, FieldNode):
                names.add(node.name.value)
            elif isinstance(node, InlineFragmentNode):
                stack.append(node.selection_set)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                seen.add(node.name.value)
                fragment = fragments.get(node.name.value)
                if fragment is not None:
                    stack.append(fragment.selection_set)
    return names
