"""Contacts and accounts through the router: filters, search, updates, deletes, relationships."""

from __future__ import annotations

from typing import Any

from tests.stack import Stack


def data(stack: Stack, query: str, tenant: str, **variables: Any) -> dict[str, Any]:
    body = stack.graphql(query, variables, tenant=tenant).json()
    assert body.get("errors") is None, body
    result: dict[str, Any] = body["data"]
    return result


def create_account(stack: Stack, tenant: str, name: str, **fields: Any) -> str:
    extra = "".join(f", {k}: {v}" for k, v in fields.items())
    created = data(stack, f'mutation {{ createAccount(input: {{name: "{name}"{extra}}}) '
                   "{ account { id } } }", tenant)  # fmt: skip
    account_id: str = created["createAccount"]["account"]["id"]
    return account_id


def create_contact(stack: Stack, tenant: str, first: str, last: str, **fields: Any) -> str:
    extra = "".join(f", {k}: {v}" for k, v in fields.items())
    created = data(stack, f'mutation {{ createContact(input: {{firstName: "{first}", '
                   f'lastName: "{last}"{extra}}}) {{ contact {{ id }} }} }}', tenant)  # fmt: skip
    contact_id: str = created["createContact"]["contact"]["id"]
    return contact_id


def test_contacts_filter_by_custom_field_and_sort_by_last_name(stack: Stack, tenant: str) -> None:
    create_contact(stack, tenant, "Ann", "Zed", customFields='{leadSource: "Website"}')
    create_contact(stack, tenant, "Bob", "Young", customFields='{leadSource: "Referral"}')
    create_contact(stack, tenant, "Cid", "Xu", customFields='{leadSource: "Website"}')
    query = """{ contacts(filter: {customFields: {key: "leadSource", eq: "Website"}},
      sort: {field: LAST_NAME, direction: ASC}) { totalCount edges { node { fullName } } } }"""

    assert data(stack, query, tenant) == {
        "contacts": {
            "totalCount": 2,
            "edges": [{"node": {"fullName": "Cid Xu"}}, {"node": {"fullName": "Ann Zed"}}],
        }
    }


def test_search_contacts_matches_name_email_and_company(stack: Stack, tenant: str) -> None:
    create_contact(stack, tenant, "John", "Doe", email='"john.doe@example.com"')
    create_contact(stack, tenant, "Jane", "Roe", company='"Johnson & Co"')
    create_contact(stack, tenant, "Max", "Mustermann", email='"max@other.org"')
    query = "query($q: String!) { searchContacts(query: $q) { fullName } }"

    assert data(stack, query, tenant, q="john") == {
        "searchContacts": [{"fullName": "John Doe"}, {"fullName": "Jane Roe"}]
    }
    assert data(stack, query, tenant, q="john doe") == {
        "searchContacts": [{"fullName": "John Doe"}]
    }
    assert data(stack, query, tenant, q="OTHER.ORG") == {
        "searchContacts": [{"fullName": "Max Mustermann"}]
    }


def test_update_contact_changes_only_given_fields(stack: Stack, tenant: str) -> None:
    contact = create_contact(stack, tenant, "John", "Doe", email='"j@d.com"', phone='"1"')
    query = """mutation($id: ID!) { updateContact(id: $id, input: {lastName: "Smith", phone: null})
      { contact { firstName lastName email phone } } }"""

    assert data(stack, query, tenant, id=contact) == {
        "updateContact": {
            "contact": {"firstName": "John", "lastName": "Smith", "email": "j@d.com", "phone": None}
        }
    }


def test_account_hierarchy_filters_and_deletion_unlinks(stack: Stack, tenant: str) -> None:
    parent = create_account(stack, tenant, "Parent", industry='"Technology"')
    child = create_account(stack, tenant, "Child", parentAccountId=f'"{parent}"',
                           industry='"Finance"')  # fmt: skip
    contact = create_contact(stack, tenant, "Ann", "Lee", accountId=f'"{child}"')
    tech = '{ accounts(filter: {industry: {eq: "Technology"}}) { edges { node { name } } } }'
    assert data(stack, tech, tenant) == {"accounts": {"edges": [{"node": {"name": "Parent"}}]}}
    tree = """query($id: ID!) { account(id: $id) { childAccounts { name parentAccount { name }
      contacts(first: 5) { totalCount edges { node { fullName } } } } } }"""
    assert data(stack, tree, tenant, id=parent) == {"account": {"childAccounts": [{
        "name": "Child", "parentAccount": {"name": "Parent"},
        "contacts": {"totalCount": 1, "edges": [{"node": {"fullName": "Ann Lee"}}]}}]}}  # fmt: skip

    deleted = data(stack, "mutation($id: ID!) { deleteAccount(id: $id) { id deleted } }", tenant,
                   id=child)  # fmt: skip

    assert deleted == {"deleteAccount": {"id": child, "deleted": True}}
    after = "query($id: ID!) { contact(id: $id) { account { id } } }"
    assert data(stack, after, tenant, id=contact) == {"contact": {"account": None}}
    assert data(stack, tree, tenant, id=parent) == {"account": {"childAccounts": []}}


def test_parent_cycle_is_refused(stack: Stack, tenant: str) -> None:
    parent = create_account(stack, tenant, "P")
    child = create_account(stack, tenant, "C", parentAccountId=f'"{parent}"')
    query = "mutation($id: ID!, $p: ID!) { updateAccount(id: $id, input: {parentAccountId: $p}) " \
            "{ account { id } } }"  # fmt: skip

    body = stack.graphql(query, {"id": parent, "p": child}, tenant=tenant).json()

    assert body["errors"][0]["extensions"] == {
        "code": "CONFLICT",
        "field": "parentAccountId",
    }


def test_account_relationship_links_two_accounts_once(stack: Stack, tenant: str) -> None:
    a = create_account(stack, tenant, "A")
    b = create_account(stack, tenant, "B")
    query = """mutation($a: ID!, $b: ID!) { createAccountRelationship(input: {accountId: $a,
      relatedAccountId: $b, relationshipType: "subsidiary", description: "Wholly owned"}) {
      relationship { relationshipType description account { name } relatedAccount { name } } } }"""

    assert data(stack, query, tenant, a=a, b=b) == {
        "createAccountRelationship": {
            "relationship": {
                "relationshipType": "SUBSIDIARY",
                "description": "Wholly owned",
                "account": {"name": "A"},
                "relatedAccount": {"name": "B"},
            }
        }
    }
    again = stack.graphql(query, {"a": a, "b": b}, tenant=tenant).json()
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"


def test_deals_of_an_account_filtered_by_status_with_totals(stack: Stack, tenant: str) -> None:
    data(stack, 'mutation { createPipeline(input: {name: "P", stages: [{name: "Open", order: 1, '
         'probability: 50}, {name: "Won", order: 2, probability: 100}]}) { pipeline { id } } }',
         tenant)  # fmt: skip
    account = create_account(stack, tenant, "Acme")
    for title, stage in (("open", "Open"), ("won", "Won"), ("open too", "Open")):
        fields = f'title: "{title}", value: 10, accountId: "{account}", stage: "{stage}"'
        data(stack, f"mutation {{ createDeal(input: {{{fields}}}) {{ deal {{ id }} }} }}", tenant)
    query = """query($id: ID!) { account(id: $id) { totalDealValue activeDealCount
      deals(filter: {status: ACTIVE}) { totalCount edges { node { title status } } } } }"""

    assert data(stack, query, tenant, id=account) == {
        "account": {
            "totalDealValue": 20.0,
            "activeDealCount": 2,
            "deals": {
                "totalCount": 2,
                "edges": [
                    {"node": {"title": "open", "status": "ACTIVE"}},
                    {"node": {"title": "open too", "status": "ACTIVE"}},
                ],
            },
        }
    }
