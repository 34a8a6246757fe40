"""What a query selects below the current field, read from the document's syntax tree.

List resolvers use it to prefetch only what the nodes will ask for (a deal page's stages,
contacts, accounts), so every node then answers without an await.
"""

from __future__ import annotations

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from crmgraph.gql.context import Info


def selected_names(info: Info) -> frozenset[str]:
    """Every field name (as written in the query, camelCase) anywhere below this field,
    through fragments."""
    return _names(info, deep=True)


def child_names(info: Info) -> frozenset[str]:
    """The field names directly below this field (through fragments), computed once per
    request and query position: a list of 50 deals asks it 50 times."""
    memo = info.context.selections
    key = id(info._raw_info.field_nodes[0])
    found = memo.get(key)
    if found is None:
        found = memo[key] = _names(info, deep=False)
    return found


def _names(info: Info, *, deep: bool) -> frozenset[str]:
    raw = info._raw_info
    names: set[str] = set()
    stack: list[SelectionSetNode] = [n.selection_set for n in raw.field_nodes if n.selection_set]
    seen_fragments: set[str] = set()
    while stack:
        for node in stack.pop().selections:
            if isinstance(node, FieldNode):
                names.add(node.name.value)
                if deep and node.selection_set:
                    stack.append(node.selection_set)
            elif isinstance(node, InlineFragmentNode):
                stack.append(node.selection_set)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen_fragments:
                seen_fragments.add(node.name.value)
                fragment = raw.fragments.get(node.name.value)
                if fragment is not None:
                    stack.append(fragment.selection_set)
    return frozenset(names)
