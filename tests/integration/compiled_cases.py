"""Operations for the compiled-reads differential test: the bench's and the API design's
(as the router sends them to the deals subgraph), and hypothesis strategies for random
selections over Deal with aliases, fragments, directives, variables, sort and pagination."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st


@dataclass
class Data:
    tenants: list[str]
    deal_ids: list[list[uuid.UUID]]
    tokens: dict[str, str | None]
    cursors: list[str] = field(default_factory=list)  # of the first tenant's created_at order
    contact_ids: list[list[uuid.UUID]] = field(default_factory=list)  # per tenant, oldest first
    account_ids: list[list[uuid.UUID]] = field(default_factory=list)
    # The first tenant's first 30 cursors in the default order, by root field.
    entity_cursors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Case:
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    # Only fields, arguments and values the compiler knows: an admin's or a sales rep's
    # request must then be answered by the compiled path.
    plain: bool = True
    subgraph: str = "deals"  # the subgraph the router sends it to
    declared: list[str] = field(default_factory=list)  # its variables' declarations
    # And plain for the second tenant too, whose contact 6's fullName the resolvers answer.
    plain_b: bool = True


# bench/run.py's DEAL_BY_ID and DEALS_PAGE: the router sends them to deals as they are.
DEAL_BY_ID = "query($id: ID!) { deal(id: $id) { id title value stage probability } }"
DEALS_PAGE = """{ deals(first: 50) { edges { node { title value stage
  contact { fullName email account { name } } account { name industry } } } } }"""
# The API design's (004) GetDealsWithComplexFilter without `activities`, which the router
# asks of the activities subgraph: what the deals subgraph is sent.
COMPLEX = """query GetDealsWithComplexFilter { deals(
  filter: { value: { gte: 10000, lte: 100000 } stage: { in: ["qualification", "proposal"] }
    expectedCloseDate: { gte: "2025-01-01", lte: "2025-03-31" }
    account: { industry: { eq: "Technology" } }
    contact: { email: { contains: "@enterprise.com" } } }
  sort: { field: VALUE, direction: DESC } pagination: { first: 20 }) {
  edges { node { id title value stage expectedCloseDate contact { fullName email company }
    account { name industry } } cursor } pageInfo { hasNextPage endCursor } totalCount } }"""
# A filter whose value has a quote, a backslash and LIKE's wildcards (rendered inline by the
# compiler); the test data has one deal of that title.
ESCAPED = """{ deals(filter: { title: { contains: "it's \\\\ 100%_" } }) {
  totalCount edges { node { id title } } } }"""
# Every text a deal card reads, with cursors: rows whose texts need no escaping and rows
# where one text does (a control character, a quote, a backslash; the test data's).
TEXTS = """{ deals(first: 50) { edges { cursor node { id title description stage
  contact { fullName firstName company email account { name } } account { name industry } } }
  pageInfo { startCursor endCursor } } }"""
# The router's entity fetch of deals (a deal card asked through another subgraph).
ENTITIES = """query($representations: [_Any!]!) { _entities(representations: $representations)
  { __typename ... on Deal { id title value stage weightedValue isOverdue } } }"""


def representations(data: Data) -> list[dict[str, str]]:
    """Five deals of the first tenant and one of the other's."""
    ids = (*data.deal_ids[0][:5], data.deal_ids[1][0])
    return [{"__typename": "Deal", "id": str(i)} for i in ids]


BENCH_AND_DESIGN: list[Callable[[Data], Case]] = [
    lambda d: Case(DEAL_BY_ID, {"id": str(d.deal_ids[0][3])}),
    lambda d: Case(DEAL_BY_ID, {"id": str(d.deal_ids[1][3])}),  # the other tenant's
    lambda d: Case(DEALS_PAGE),
    lambda d: Case(COMPLEX, operation_name="GetDealsWithComplexFilter"),
    lambda d: Case(ENTITIES, {"representations": representations(d)}),
    # Nothing to read: a statement of no parameters (one given an unused tenant failed).
    lambda d: Case("{ __typename }"),
    lambda d: Case(TEXTS),
    lambda d: Case(ESCAPED),
]

SCALARS = [
    "id", "title", "value", "currency", "probability", "status", "expectedCloseDate",
    "actualCloseDate", "description", "createdAt", "updatedAt", "weightedValue",
    "daysInStage", "isOverdue", "stage", "__typename",
]  # fmt: skip
KEYS = ["pipelineStage { id }", "pipeline { id __typename }", "owner { id }"]
ACCOUNT = ["id", "name", "industry", "__typename"]
CONTACT = ["id", "firstName", "lastName", "fullName", "email", "company", "__typename"]
UNKNOWN = ["customFields", "stageHistory { newStage }"]  # left to the resolvers
# Quotes, a backslash and LIKE's wildcards in a value: rendered inline, they must match alike.
FILTERS = [
    "{ value: { gte: 20000 } }",
    '{ stage: { in: ["qualification", "Proposal"] } }',
    '{ account: { industry: { eq: "Technology" } } }',
    '{ contact: { email: { contains: "@enterprise.com" } } }',
    '{ expectedCloseDate: { gte: "2025-01-01", lte: "2025-03-31" } }',
    '{ title: { startsWith: "Deal 1" }, probability: { gte: 20 } }',
    "{ expectedCloseDate: { isNull: true } }",
    '{ title: { contains: "it\'s \\\\ 100%_" } }',
]
SORTS = ["CREATED_AT", "UPDATED_AT", "TITLE", "VALUE", "PROBABILITY", "EXPECTED_CLOSE_DATE",
         "STAGE_ENTERED_AT"]  # fmt: skip


@st.composite
def _subset(draw: st.DrawFn, names: list[str]) -> str:
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names)))
    return " ".join(chosen)


@st.composite
def _aliased(draw: st.DrawFn, text: str) -> str:
    if text.startswith("__") or not draw(st.booleans()):
        return text
    return f"{draw(st.sampled_from(['a', 'b', 'x1']))}_{text.split()[0]}: {text}"


@st.composite
def deal_selection(draw: st.DrawFn, case: Case) -> str:
    """Fields of a Deal: scalars, keys, the provided contact and account, aliased, some in a
    fragment or under @include/@skip."""
    parts = [draw(_aliased(f)) for f in draw(st.lists(st.sampled_from(SCALARS), min_size=1))]
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=2)):
        parts.append(draw(_aliased(key)))
    if draw(st.booleans()):
        account = draw(_subset(ACCOUNT))
        parts.append(draw(_aliased(f"account {{ {account} }}")))
    if draw(st.booleans()):
        inner = draw(_subset(CONTACT))
        case.plain_b = case.plain_b and "fullName" not in inner  # the 2nd tenant's contact 6
        if draw(st.booleans()):
            inner += f" account {{ {draw(_subset(ACCOUNT))} }}"
        parts.append(draw(_aliased(f"contact {{ {inner} }}")))
    if draw(st.integers(0, 9)) == 0:
        parts.append(draw(st.sampled_from(UNKNOWN)))
        case.plain = False
    return draw(arranged(case, parts, "Deal"))


@st.composite
def arranged(draw: st.DrawFn, case: Case, parts: list[str], typename: str) -> str:
    """The parts of a selection, the last two perhaps in an inline fragment and the first
    perhaps under @include/@skip of $flag."""
    if len(parts) > 2 and draw(st.booleans()):
        inline = " ".join(parts[-2:])
        condition = draw(st.sampled_from([f"on {typename} ", ""]))
        parts[-2:] = [f"... {condition}{{ {inline} }}"]
    if len(parts) > 1 and draw(st.integers(0, 3)) == 0:
        flag = draw(st.booleans())
        directive = draw(st.sampled_from(["@include(if: $flag)", "@skip(if: $flag)"]))
        head, brace, rest = parts[0].partition("{")
        parts[0] = f"{head.rstrip()} {directive} {brace}{rest}"
        case.variables["flag"] = flag
    return " ".join(parts)


def _declare(case: Case, declared: list[str]) -> str:
    if "flag" in case.variables:
        declared.append("$flag: Boolean!")
    return f"query Op({', '.join(declared)})" if declared else "query Op"


@st.composite
def by_id_query(
    draw: st.DrawFn, case: Case, root: str, typename: str, ids: list[list[uuid.UUID]],
    selection: str,
) -> str:  # fmt: skip
    """root(id:) of a row of either tenant, of none, or not an id; the id inline or a
    variable; the selection inline or in a named fragment."""
    tenant = draw(st.sampled_from([0, 1]))
    ident = draw(st.one_of(
        st.sampled_from([str(i) for i in ids[tenant]]),
        st.just(str(uuid.uuid4())),
        st.just("not-an-id"),
    ))  # fmt: skip
    if ident == "not-an-id":
        case.plain = False
    if draw(st.booleans()):
        case.variables["id"] = ident
        head, argument = _declare(case, ["$id: ID!"]), "$id"
    else:
        head, argument = _declare(case, []), f'"{ident}"'
    if draw(st.booleans()):
        return (f"{head} {{ {root}(id: {argument}) {{ ...F }} }} "
                f"fragment F on {typename} {{ {selection} }}")  # fmt: skip
    return f"{head} {{ {root}(id: {argument}) {{ {selection} }} }}"


@st.composite
def deal_by_id(draw: st.DrawFn, data: Data) -> Case:
    case = Case("", operation_name="Op")
    selection = draw(deal_selection(case))
    case.query = draw(by_id_query(case, "deal", "Deal", data.deal_ids, selection))
    return case


@st.composite
def page_arguments(
    draw: st.DrawFn, case: Case, sorts: list[str], cursors: list[str], filters: list[str]
) -> str:
    """A connection's arguments (first, sort, after, filter, pagination), in parentheses;
    the variables' declarations in case.declared."""
    arguments = []
    first = draw(st.sampled_from([None, 0, 1, 3, 7, 50, 100, 101, -1]))
    if first in (101, -1):
        case.plain = False
    if first is not None:
        if draw(st.booleans()):
            case.variables["first"] = first
            case.declared.append("$first: Int")
            arguments.append("first: $first")
        else:
            arguments.append(f"first: {first}")
    sort = None
    if draw(st.booleans()):
        direction, sort = draw(st.sampled_from(["ASC", "DESC"])), draw(st.sampled_from(sorts))
        arguments.append(f"sort: {{ field: {sort}, direction: {direction} }}")
    if cursors and draw(st.integers(0, 2)) == 0:
        after = draw(st.sampled_from([*cursors, "bm90IGEgY3Vyc29y"]))
        case.plain = case.plain and sort in (None, "CREATED_AT") and after in cursors
        case.variables["after"] = after
        case.declared.append("$after: String")
        arguments.append("after: $after")
    if draw(st.integers(0, 3)) == 0:
        arguments.append(f"filter: {draw(st.sampled_from(filters))}")
    if draw(st.integers(0, 5)) == 0:
        arguments.append("pagination: { first: 4 }")
        if first is not None or "after" in case.variables:  # both ways: refused
            case.plain = False
    return f"({', '.join(arguments)})" if arguments else ""


@st.composite
def connection_body(draw: st.DrawFn, node: str) -> str:
    """edges with node, and some of cursors, pageInfo, totalCount, __typename."""
    parts = [f"edges {{ node {{ {node} }} }}"]
    if draw(st.booleans()):
        parts.append("edges { cursor }")
    if draw(st.booleans()):
        info = draw(_subset(["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"]))
        parts.append(f"pageInfo {{ {info} }}")
    if draw(st.booleans()):
        parts.append("totalCount")
    if draw(st.booleans()):
        parts.append("__typename")
    return " ".join(parts)


@st.composite
def deal_page(draw: st.DrawFn, data: Data) -> Case:
    case = Case("", operation_name="Op")
    args = draw(page_arguments(case, SORTS, data.cursors, FILTERS))
    body = draw(connection_body(draw(deal_selection(case))))
    case.query = f"{_declare(case, case.declared)} {{ deals{args} {{ {body} }} }}"
    return case


@st.composite
def representations_of(
    draw: st.DrawFn, case: Case, typename: str, ids: list[str], other: str
) -> list[Any]:
    """Up to six representations of typename among ids, now and then one of type other
    (which the compiled path leaves to the resolvers)."""
    chosen = draw(st.lists(st.sampled_from(ids), max_size=6))
    representations: list[Any] = [{"__typename": typename, "id": i} for i in chosen]
    if draw(st.integers(0, 6)) == 0:
        representations.append({"__typename": other, "id": str(uuid.uuid4())})
        case.plain = False
    return representations


def entities_query(case: Case, typename: str, selection: str, head: str = "__typename ") -> str:
    flag = ", $flag: Boolean!" if "flag" in case.variables else ""
    return (
        f"query($representations: [_Any!]!{flag}) {{ _entities(representations: "
        f"$representations) {{ {head}... on {typename} {{ {selection} }} }} }}"
    )


@st.composite
def entities(draw: st.DrawFn, data: Data) -> Case:
    case = Case("")
    ids = [str(i) for i in data.deal_ids[0][:6] + data.deal_ids[1][:2]] + [str(uuid.uuid4())]
    representations = draw(representations_of(case, "Deal", ids, "Contact"))
    case.query = entities_query(case, "Deal", draw(deal_selection(case)))
    case.variables["representations"] = representations
    return case


def cases(data: Data) -> st.SearchStrategy[Case]:
    return st.one_of(deal_by_id(data), deal_page(data), entities(data))
