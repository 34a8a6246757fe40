"""contactUpdated and accountUpdated through the router over graphql-transport-ws: a contact
or an account as it is after each change, of the caller's tenant only."""

from __future__ import annotations

import pytest

from subgraphs.accounts.subscriptions import ACCOUNT_CHANGES
from subgraphs.contacts.subscriptions import CONTACT_CHANGES
from tests.e2e.graphql_ws import connect
from tests.e2e.test_subscriptions import (
    bearer,
    mutate,
    next_event,
    relayed,
    subscribed,
    ws_url,
)
from tests.stack import Stack

CREATE_ACCOUNT = "mutation($n: String!) { createAccount(input: {name: $n}) { account { id } } }"
UPDATE_ACCOUNT = """
mutation($id: ID!, $i: String) {
  updateAccount(id: $id, input: {industry: $i}) { account { id } }
}"""
CREATE_CONTACT = """
mutation($f: String!, $a: ID) {
  createContact(input: {firstName: $f, lastName: "Byron", accountId: $a}) { contact { id } }
}"""
UPDATE_CONTACT = """
mutation($id: ID!, $t: String) {
  updateContact(id: $id, input: {jobTitle: $t}) { contact { id } }
}"""


async def account(stack: Stack, tenant: str, name: str) -> str:
    made = await mutate(stack, tenant, CREATE_ACCOUNT, n=name)
    return str(made["createAccount"]["account"]["id"])


async def contact(stack: Stack, tenant: str, first_name: str, account_id: str | None) -> str:
    made = await mutate(stack, tenant, CREATE_CONTACT, f=first_name, a=account_id)
    return str(made["createContact"]["contact"]["id"])


async def test_contact_updated_follows_one_account(stack: Stack, tenant: str) -> None:
    acme, other = await account(stack, tenant, "Acme"), await account(stack, tenant, "Other")
    ada, bob = await contact(stack, tenant, "Ada", acme), await contact(stack, tenant, "Bob", other)
    relayed(stack, tenant)
    document = """subscription($a: ID) {
      contactUpdated(accountId: $a) { id fullName jobTitle account { id name } }
    }"""
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack,
            client,
            document,
            tenant=tenant,
            topics=[k.TOPIC for k in CONTACT_CHANGES],
            a=acme,
        )
        await mutate(stack, tenant, UPDATE_CONTACT, id=bob, t="Elsewhere")
        await mutate(stack, tenant, UPDATE_CONTACT, id=ada, t="CTO")

        assert await next_event(client, id_) == {
            "data": {
                "contactUpdated": {
                    "id": ada,
                    "fullName": "Ada Byron",
                    "jobTitle": "CTO",
                    "account": {"id": acme, "name": "Acme"},
                }
            }
        }


async def test_contact_updated_sends_a_new_contact(stack: Stack, tenant: str) -> None:
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack, client, "subscription { contactUpdated { id firstName } }",
            tenant=tenant, topics=[k.TOPIC for k in CONTACT_CHANGES],
        )  # fmt: skip
        made = await contact(stack, tenant, "Ada", None)

        assert await next_event(client, id_) == {
            "data": {"contactUpdated": {"id": made, "firstName": "Ada"}}
        }


async def test_account_updated_follows_one_account(stack: Stack, tenant: str) -> None:
    acme, other = await account(stack, tenant, "Acme"), await account(stack, tenant, "Other")
    relayed(stack, tenant)
    document = "subscription($a: ID) { accountUpdated(accountId: $a) { id name industry } }"
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack,
            client,
            document,
            tenant=tenant,
            topics=[k.TOPIC for k in ACCOUNT_CHANGES],
            a=acme,
        )
        await mutate(stack, tenant, UPDATE_ACCOUNT, id=other, i="Mining")
        await mutate(stack, tenant, UPDATE_ACCOUNT, id=acme, i="Software")

        assert await next_event(client, id_) == {
            "data": {"accountUpdated": {"id": acme, "name": "Acme", "industry": "Software"}}
        }


async def test_account_updated_reaches_only_the_accounts_tenant(stack: Stack, tenant: str) -> None:
    other = f"{tenant}_b"
    async with (
        connect(ws_url(stack), params=bearer(stack, other)) as theirs,
        connect(ws_url(stack), params=bearer(stack, tenant)) as mine,
    ):
        document = "subscription { accountUpdated { name } }"
        their_id = await subscribed(
            stack, theirs, document, tenant=other, topics=[k.TOPIC for k in ACCOUNT_CHANGES]
        )
        my_id = await subscribed(
            stack, mine, document, tenant=tenant, topics=[k.TOPIC for k in ACCOUNT_CHANGES]
        )
        await account(stack, tenant, "Acme")

        assert await next_event(mine, my_id) == {"data": {"accountUpdated": {"name": "Acme"}}}
        with pytest.raises(TimeoutError):
            await next_event(theirs, their_id, within=1.0)
