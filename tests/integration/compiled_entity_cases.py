"""Contacts and accounts for the compiled-reads differential test: the fetches the router
sends the contacts and accounts subgraphs when a deals page asks for contact and account
fields the deals subgraph does not provide (`_entities`), their own root fields, and
hypothesis strategies over Contact and Account (selections, filters, sort, pagination)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.integration.compiled_cases import (
    Case,
    Data,
    _aliased,
    _declare,
    arranged,
    by_id_query,
    connection_body,
    entities_query,
    page_arguments,
    representations_of,
)


@dataclass(frozen=True)
class Spec:
    subgraph: str
    typename: str
    one: str  # the root field by id
    many: str  # the connection
    scalars: list[str]
    relations: list[str]
    unknown: list[str]  # left to the resolvers
    filters: list[str]
    sorts: list[str]
    ids: Callable[[Data], list[list[uuid.UUID]]]


CONTACT = Spec(
    "contacts", "Contact", "contact", "contacts",
    ["id", "firstName", "lastName", "fullName", "email", "phone", "company", "jobTitle",
     "createdAt", "updatedAt", "__typename"],
    ["account { id }", "account { __typename id }"],
    ["customFields", "address { city }"],
    ['{ email: { contains: "ENTERPRISE.com" } }', '{ firstName: { in: ["F1", "F2", "F7"] } }',
     "{ company: { isNull: true } }", '{ phone: { contains: "\\"hi" } }',
     '{ lastName: { startsWith: "l1" }, jobTitle: { isNull: false } }',
     '{ createdAt: { gte: "2020-01-01T00:00:00Z" } }', '{ phone: { endsWith: "slash" } }'],
    ["CREATED_AT", "UPDATED_AT", "FIRST_NAME", "LAST_NAME", "EMAIL", "COMPANY", "JOB_TITLE"],
    lambda d: d.contact_ids,
)  # fmt: skip
ACCOUNT = Spec(
    "accounts", "Account", "account", "accounts",
    ["id", "name", "website", "industry", "employees", "annualRevenue", "type", "createdAt",
     "updatedAt", "__typename"],
    [],
    ["customFields", "address { city }", "parentAccount { id }", "childAccounts { id }"],
    ['{ industry: { eq: "Technology" } }', "{ type: [CUSTOMER, PARTNER] }",
     "{ employees: { gte: 10 } }", "{ annualRevenue: { lt: 100 } }",
     '{ name: { in: ["A1", "A3"] } }', "{ website: { contains: \"'q'\" } }"],
    ["CREATED_AT", "UPDATED_AT", "NAME", "INDUSTRY", "TYPE", "EMPLOYEES", "ANNUAL_REVENUE"],
    lambda d: d.account_ids,
)  # fmt: skip
SPECS = [CONTACT, ACCOUNT]
NUMERIC_SORTS = {"CREATED_AT", "UPDATED_AT", "EMPLOYEES", "ANNUAL_REVENUE"}


@st.composite
def selection(draw: st.DrawFn, spec: Spec, case: Case) -> str:
    """Fields of the type: scalars and relations, aliased, some in a fragment or under
    @include/@skip, now and then one the compiler leaves to the resolvers."""
    parts = [draw(_aliased(f)) for f in draw(st.lists(st.sampled_from(spec.scalars), min_size=1))]
    if spec.relations and draw(st.booleans()):
        parts.append(draw(_aliased(draw(st.sampled_from(spec.relations)))))
    if draw(st.integers(0, 9)) == 0:
        parts.append(draw(st.sampled_from(spec.unknown)))
        case.plain = False
    text = draw(arranged(case, parts, spec.typename))
    if spec is CONTACT and "fullName" in text:
        case.plain_b = False  # the second tenant's contact 6
    return text


@st.composite
def by_id(draw: st.DrawFn, spec: Spec, data: Data) -> Case:
    case = Case("", operation_name="Op", subgraph=spec.subgraph)
    chosen = draw(selection(spec, case))
    case.query = draw(by_id_query(case, spec.one, spec.typename, spec.ids(data), chosen))
    return case


@st.composite
def page(draw: st.DrawFn, spec: Spec, data: Data) -> Case:
    case = Case("", operation_name="Op", subgraph=spec.subgraph)
    cursors = data.entity_cursors.get(spec.many, [])[::3]
    args = draw(page_arguments(case, spec.sorts, cursors, spec.filters))
    body = draw(connection_body(draw(selection(spec, case))))
    sort = next((name for name in spec.sorts if f"field: {name}," in args), "CREATED_AT")
    if "ursor" in body and sort not in NUMERIC_SORTS:
        # A text sort value outside ASCII (the data has some) is left to the resolvers
        # when a cursor is rendered (crmgraph.compiled.roots.cursor_value): both answer
        # alike, but the compiled path need not be the one that did.
        case.plain = case.plain_b = False
    case.query = f"{_declare(case, case.declared)} {{ {spec.many}{args} {{ {body} }} }}"
    return case


@st.composite
def entities(draw: st.DrawFn, spec: Spec, data: Data) -> Case:
    case = Case("", subgraph=spec.subgraph)
    own, other = spec.ids(data)
    ids = [str(i) for i in own[:8] + other[:7]] + [str(uuid.uuid4()), "not-an-id"]
    representations = draw(representations_of(case, spec.typename, ids, "Deal"))
    head = draw(st.sampled_from(["__typename ", ""]))
    case.query = entities_query(case, spec.typename, draw(selection(spec, case)), head)
    case.variables["representations"] = representations
    return case


def entity_cases(data: Data) -> st.SearchStrategy[Case]:
    return st.one_of(*(f(spec, data) for spec in SPECS for f in (by_id, page, entities)))


# What Hive Gateway sends for a deals page that asks contact and account fields the deals
# subgraph does not provide (its `_entities` fetches), and the two root fields of each.
CONTACT_FETCH = """query($representations:[_Any!]!){_entities(representations:$representations)
{...on Contact{__typename id phone jobTitle createdAt}}}"""
ACCOUNT_FETCH = """query($representations:[_Any!]!){_entities(representations:$representations)
{...on Account{__typename id website type employees annualRevenue}}}"""
CONTACTS_PAGE = """{ contacts(first: 20, sort: { field: LAST_NAME, direction: DESC },
  filter: { email: { contains: "enterprise" } }) { totalCount
  edges { cursor node { id firstName lastName email phone company account { id } } }
  pageInfo { hasNextPage endCursor } } }"""
ACCOUNTS_PAGE = """{ accounts(first: 3) { totalCount edges { node { id name industry type
  employees annualRevenue website createdAt } } pageInfo { hasNextPage startCursor } } }"""
CONTACT_BY_ID = "query($id: ID!) { contact(id: $id) { id fullName email account { id } } }"
ACCOUNT_BY_ID = "query($id: ID!) { account(id: $id) { id name type annualRevenue } }"


def _reps(typename: str, ids: list[list[uuid.UUID]]) -> dict[str, Any]:
    """Five of the first tenant's, one of the other's and one of nobody's."""
    chosen = [*ids[0][:5], ids[1][0], uuid.uuid4()]
    return {"representations": [{"__typename": typename, "id": str(i)} for i in chosen]}


ENTITY_EXAMPLES: list[Callable[[Data], Case]] = [
    lambda d: Case(CONTACT_FETCH, _reps("Contact", d.contact_ids), subgraph="contacts"),
    lambda d: Case(ACCOUNT_FETCH, _reps("Account", d.account_ids), subgraph="accounts"),
    lambda d: Case(CONTACTS_PAGE, subgraph="contacts"),
    lambda d: Case(ACCOUNTS_PAGE, subgraph="accounts"),
    lambda d: Case(CONTACT_BY_ID, {"id": str(d.contact_ids[0][2])}, subgraph="contacts"),
    lambda d: Case(CONTACT_BY_ID, {"id": str(d.contact_ids[1][2])}, subgraph="contacts"),
    lambda d: Case(ACCOUNT_BY_ID, {"id": str(d.account_ids[0][1])}, subgraph="accounts"),
    lambda d: Case(ACCOUNT_BY_ID, {"id": "not-an-id"}, subgraph="accounts", plain=False),
]
