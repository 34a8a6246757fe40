"""The Account of the accounts subgraph as SQL (subgraphs/accounts/types.py): its own
columns. The deals subgraph's provided account (deal_fields) reads the same columns."""

from __future__ import annotations

from graphql import GraphQLObjectType

from crmgraph.compiled import jsontext as j
from crmgraph.compiled.fields import Column, columns, no_relations
from crmgraph.compiled.plan import Compiler
from crmgraph.compiled.selection import Field
from crmgraph.gql.entity_filters import AccountType

# AccountType(row.type) fails on a value it does not name: NULL, the resolvers answer.
TYPES = ", ".join(j.literal(t.value) for t in AccountType)

ACCOUNT: dict[str, Column] = {
    "id": lambda a: j.uuid_id(f"{a}.id"),
    "name": lambda a: j.string(f"{a}.name"),
    "website": lambda a: j.string(f"{a}.website"),
    "industry": lambda a: j.string(f"{a}.industry"),
    "employees": lambda a: j.integer(f"{a}.employees"),
    "annualRevenue": lambda a: j.money(f"{a}.annual_revenue"),
    "type": lambda a: f"(CASE WHEN {a}.type IN ({TYPES}) THEN {j.plain(f'{a}.type')} END)",
    "createdAt": lambda a: j.datetime_(f"{a}.created_at"),
    "updatedAt": lambda a: j.datetime_(f"{a}.updated_at"),
}


def account_object(c: Compiler, type_: GraphQLObjectType, wanted: Field, row: str) -> str:
    """The JSON of the account in row alias row, as the selection of wanted asks."""
    return j.obj(columns(c, type_, wanted, row, ACCOUNT, no_relations))
