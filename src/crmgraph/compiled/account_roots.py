"""The accounts subgraph's root fields as SQL (crmgraph.compiled.roots): Query.account(id),
the Query.accounts connection and `_entities` of Account."""

from __future__ import annotations

from sqlalchemy import Dialect
from strawberry.federation import Schema

from crmgraph.compiled.account_fields import account_object
from crmgraph.compiled.plan import RootCompiler
from crmgraph.compiled.roots import Entity
from crmgraph.compiled.roots import roots as entity_roots
from crmgraph.db import models
from crmgraph.gql.entity_filters import AccountFilter, filter_of
from subgraphs.accounts.inputs import AccountSortField

SORTS = {f.value: f.value for f in AccountSortField}  # as subgraphs/accounts/queries.py sorts
ACCOUNT = Entity("Account", models.Account, account_object, SORTS, AccountFilter, filter_of)


def roots(max_page_size: int, schema: Schema, dialect: Dialect) -> dict[str, RootCompiler]:
    """The accounts subgraph's root compilers; dialect: the engine's (how it quotes literals)."""
    return entity_roots(ACCOUNT, "account", "accounts", max_page_size, schema, dialect)
