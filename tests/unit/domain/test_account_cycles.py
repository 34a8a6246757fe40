"""A parent that would close a loop in the account hierarchy is a CONFLICT on
parentAccountId, checked on the tables (the source of truth), and changes nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts
from crmgraph.errors import DomainError, ErrorCode

SCOPE = Scope(tenant_id=f"t_{uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize("new_parent", [0, 2, 3])
async def test_a_parent_below_the_account_or_itself_is_a_conflict(
    session: AsyncSession, new_parent: int
) -> None:
    chain: list[uuid.UUID] = []
    for name in "ABCD":
        parent = chain[-1] if chain else None
        data = accounts.NewAccount(name=name, parent_account_id=parent)
        chain.append((await accounts.create_account(session, scope=SCOPE, data=data)).id)
    changes = accounts.AccountChanges(parent_account_id=chain[new_parent])

    with pytest.raises(DomainError) as refused:
        await accounts.update_account(session, scope=SCOPE, account_id=chain[0], changes=changes)

    assert (refused.value.code, refused.value.field) == (ErrorCode.CONFLICT, "parentAccountId")
    root = await accounts.get_scoped(session, accounts.models.Account, chain[0], scope=SCOPE)
    assert root.parent_account_id is None


@pytest.mark.parametrize(
    ("kind", "account", "related", "refused"),
    [
        ("PARENT", 0, 2, True),  # C would be A's parent, but C is below A
        ("SUBSIDIARY", 2, 0, True),  # A would be C's subsidiary: the same
        ("PARENT", 2, 0, False),  # A is C's ancestor already
        ("SUBSIDIARY", 0, 2, False),
        ("PARTNER", 0, 2, False),  # not about the hierarchy
    ],
)
async def test_a_relationship_against_the_hierarchy_is_a_conflict(
    session: AsyncSession, kind: str, account: int, related: int, refused: bool
) -> None:
    chain: list[uuid.UUID] = []
    for name in "ABC":
        data = accounts.NewAccount(name=name, parent_account_id=chain[-1] if chain else None)
        chain.append((await accounts.create_account(session, scope=SCOPE, data=data)).id)
    new = accounts.NewRelationship(
        account_id=chain[account], related_account_id=chain[related], relationship_type=kind
    )
    if not refused:
        assert (await accounts.create_account_relationship(session, scope=SCOPE, data=new)).id
        return
    with pytest.raises(DomainError) as error:
        await accounts.create_account_relationship(session, scope=SCOPE, data=new)
    assert (error.value.code, error.value.field) == (ErrorCode.CONFLICT, "relatedAccountId")
