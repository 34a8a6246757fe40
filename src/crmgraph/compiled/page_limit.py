"""How many rows a compiled page reads, written so PostgreSQL plans its joins for that many.

The compiled reads run as generic plans (crmgraph.db.direct_reads.SESSION_SETTINGS), where a
`LIMIT $1` is estimated at a tenth of the rows it limits: 2,000 of a tenant's 20,000 deals,
so the planner hashed all of the tenant's accounts (2,000 rows, twice) to join 50 deals, and
the 50-deal page ran at 0.70x PostGraphile at bench scale 1 (1.03x at scale 0.1, fewer
accounts a tenant). A page size written in the document (`first: 50`, or none: the default)
is the same for every request of the plan, so it goes into the statement as a literal, as
PostGraphile writes its LIMIT. One that comes from a variable is read at run time: the page
is the rows numbered up to it among the first max_page_size + 1, a literal bound the planner
estimates from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, ListValueNode, ObjectValueNode, ValueNode, VariableNode

from crmgraph.compiled.plan import Binding, Compiler
from crmgraph.compiled.selection import Unknown
from crmgraph.db.pagination import PageArgs, page_size
from crmgraph.errors import DomainError

SIZES = ("first", "last")


@dataclass(frozen=True)
class PageLimit:
    """size: the page size as SQL (a literal or a parameter); limit(more): the inner LIMIT
    as a literal, with the row past the page when more; keep(row, more): the condition on
    the numbered rows (n) that keeps the page, empty when the LIMIT alone does."""

    size: str
    written: bool
    bound: int

    def limit(self, more: bool) -> str:
        return str(self.bound + (1 if more else 0))

    def keep(self, row: str, more: bool) -> str:
        if self.written:
            return ""
        return f" WHERE {row}.n <= {self.size}{' + 1' if more else ''}"


def _uses_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ObjectValueNode):
        return any(_uses_variable(field.value) for field in value.fields)
    if isinstance(value, ListValueNode):
        return any(_uses_variable(item) for item in value.values)
    return False


def size_written(node: FieldNode) -> bool:
    """Whether the page size is in the document: first/last, direct or in `pagination`,
    name no variable (a cursor may: `first: 20, after: $cursor` is written)."""
    for argument in node.arguments or ():
        name, value = argument.name.value, argument.value
        if name in SIZES and _uses_variable(value):
            return False
        if name == "pagination":
            if not isinstance(value, ObjectValueNode):
                return not _uses_variable(value)
            if any(f.name.value in SIZES and _uses_variable(f.value) for f in value.fields):
                return False
    return True


def page_limit(
    c: Compiler,
    node: FieldNode,
    first: Any,
    max_page_size: int,
    runtime: Callable[[Binding], PageArgs],
) -> PageLimit:
    """The page's limit: written when the document writes its size (first is then its value
    now), else a parameter read from runtime(binding)."""
    if size_written(node):
        try:
            size = page_size(PageArgs(first=first), max_page_size)[0]
        except DomainError as exc:  # the resolvers answer the refusal
            raise Unknown(f"page size: {exc.message}") from exc
        return PageLimit(str(size), True, size)
    parameter = c.param(lambda b: page_size(runtime(b), max_page_size)[0], "int")
    return PageLimit(parameter, False, max_page_size)
