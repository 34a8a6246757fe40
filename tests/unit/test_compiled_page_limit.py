"""crmgraph.compiled.page_limit: a page size written in the document becomes a literal of
the statement (the planner then plans its joins for that many rows); one from a variable,
direct or inside `pagination`, stays a parameter. A cursor variable does not matter."""

from __future__ import annotations

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse

from crmgraph.compiled.page_limit import PageLimit, size_written


def root_field(document: str) -> FieldNode:
    operation = parse(document).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    field = operation.selection_set.selections[0]
    assert isinstance(field, FieldNode)
    return field


@pytest.mark.parametrize(
    ("document", "written"),
    [
        ("{ deals(first: 50) { totalCount } }", True),
        ("{ deals { totalCount } }", True),
        ("query($c: String) { deals(first: 20, after: $c) { totalCount } }", True),
        ("query($c: String) { deals(pagination: {first: 20, after: $c}) { totalCount } }", True),
        ("query($n: Int) { deals(first: $n) { totalCount } }", False),
        ("query($n: Int) { deals(pagination: {first: $n}) { totalCount } }", False),
        ("query($p: PaginationInput) { deals(pagination: $p) { totalCount } }", False),
    ],
)
def test_a_size_is_written_unless_a_variable_gives_it(document: str, written: bool) -> None:
    assert size_written(root_field(document)) is written


def test_a_written_limit_needs_no_condition_and_a_variable_one_is_bounded() -> None:
    written = PageLimit("50", True, 50)
    assert (written.limit(more=False), written.limit(more=True)) == ("50", "51")
    assert written.keep("deals", more=True) == ""
    variable = PageLimit("$3::int", False, 100)
    assert variable.limit(more=True) == "101"
    assert variable.keep("deals", more=False) == " WHERE deals.n <= $3::int"
    assert variable.keep("deals", more=True) == " WHERE deals.n <= $3::int + 1"
