"""The compiled read path behind the router: the documents Hive Gateway sends the deals
subgraph for the bench's deal by id and 50-deal page (with contacts and accounts) compile,
so each costs one SQL statement, and the router's answer has the values of the rows."""

from __future__ import annotations

from tests.factories import make_deal_world
from tests.integration.compiled_cases import DEAL_BY_ID, DEALS_PAGE
from tests.stack import Stack


def test_the_bench_operations_are_one_statement_each_through_the_router(
    stack: Stack, tenant: str
) -> None:
    ids = stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=60))
    headers = {"authorization": f"Bearer {stack.token(tenant)}"}
    stack.graphql(DEALS_PAGE, headers=headers)  # the tenant's role overrides are cached after
    with stack.counting_statements() as statements:
        page = stack.graphql(DEALS_PAGE, headers=headers).json()
    assert "errors" not in page, page
    nodes = [edge["node"] for edge in page["data"]["deals"]["edges"]]
    assert len(nodes) == 50
    assert [n["title"] for n in nodes] == [f"Deal {i}" for i in range(50)]
    assert all(n["contact"] or n["account"] for n in nodes)
    assert all(n["contact"]["fullName"].startswith("F") for n in nodes if n["contact"])
    assert statements[0] == 1, statements[0]

    with stack.counting_statements() as statements:
        one = stack.graphql(DEAL_BY_ID, {"id": str(ids[7])}, headers=headers).json()
    assert one["data"]["deal"]["id"] == str(ids[7]) and one["data"]["deal"]["title"] == "Deal 7"
    assert statements[0] == 1, statements[0]


# A deals page asking contact and account fields the deals subgraph does not provide: the
# router fetches them from the contacts and accounts subgraphs (`_entities`).
ENTITIES_PAGE = """query($first: Int) { deals(first: $first) { edges { node { title
  contact { fullName phone jobTitle account { name website } }
  account { name type employees } } } } }"""
COMPILED = "SELECT ('{"  # how every compiled statement begins (crmgraph.compiled.plan)


def test_a_page_with_contact_and_account_entities_is_one_statement_per_fetch(
    stack: Stack, tenant: str
) -> None:
    """Each subgraph the router asks answers with one compiled statement, whatever the page
    size: deals for the page, contacts and accounts for their `_entities`."""
    stack.call(lambda: make_deal_world(stack.runtime.sessions, tenant, deals_count=60))
    headers = {"authorization": f"Bearer {stack.token(tenant)}"}
    stack.graphql(ENTITIES_PAGE, {"first": 5}, headers=headers)  # role overrides cached after
    seen = []
    for first in (10, 50):
        before = dict(stack.requests)
        with stack.counting_statements() as statements, stack.recording_statements() as texts:
            page = stack.graphql(ENTITIES_PAGE, {"first": first}, headers=headers).json()
        assert "errors" not in page, page
        nodes = [edge["node"] for edge in page["data"]["deals"]["edges"]]
        assert len(nodes) == first
        contacts = [n["contact"] for n in nodes if n["contact"]]
        assert contacts and all(c["phone"] is None and c["account"]["name"] for c in contacts)
        accounts = [n["account"] for n in nodes if n["account"]]
        assert accounts and all(a["type"] == "PROSPECT" for a in accounts)
        asked = {name: stack.requests[name] - before[name] for name in stack.requests}
        assert asked["contacts"] >= 1 and asked["accounts"] >= 1, asked
        assert all(text.startswith(COMPILED) for text in texts), [t[:80] for t in texts]
        assert statements[0] == sum(asked.values()), (statements[0], asked)
        seen.append(statements[0])
    assert seen[0] == seen[1], seen
