"""The Deal of the deals subgraph as SQL: each field the JSON text of the resolver's value
(subgraphs/deals/types/deal.py), its stage's name and the contact and account it provides
(subgraphs/deals/types/extended.py). Another subgraph's entity is
its key. A provided entity whose row is missing is NOT_FOUND for the resolvers: NULL here.
Stage, contact and account are LEFT JOINs beside the deal's row (Compiler.left_join)."""

from __future__ import annotations

from graphql import GraphQLObjectType

from crmgraph.compiled import jsontext as j
from crmgraph.compiled.account_fields import ACCOUNT
from crmgraph.compiled.contact_fields import CONTACT
from crmgraph.compiled.fields import (
    Column,
    child_type,
    columns,
    entity_key,
    no_relations,
    provided,
)
from crmgraph.compiled.plan import Compiler
from crmgraph.compiled.selection import Field
from crmgraph.db.scoping import tenant_sql


def deal_columns(c: Compiler) -> dict[str, Column]:
    """Deal's own fields; daysInStage and isOverdue count from the request's instant."""
    return {
        "id": lambda d: j.uuid_id(f"{d}.id"),
        "title": lambda d: j.string(f"{d}.title"),
        "value": lambda d: j.money(f"{d}.value"),
        "currency": lambda d: j.string(f"{d}.currency"),
        "probability": lambda d: j.integer(f"{d}.probability"),
        "status": lambda d: j.string(f"{d}.status"),  # DealStatus: names are the stored values
        "expectedCloseDate": lambda d: j.datetime_(f"{d}.expected_close_date"),
        "actualCloseDate": lambda d: j.datetime_(f"{d}.actual_close_date"),
        "description": lambda d: j.string(f"{d}.description"),
        "createdAt": lambda d: j.datetime_(f"{d}.created_at"),
        "updatedAt": lambda d: j.datetime_(f"{d}.updated_at"),
        # crmgraph.domain.deals: value * probability / 100 exactly, then the nearest float.
        "weightedValue": lambda d: j.float_(f"{d}.value * {d}.probability / 100"),
        # crmgraph.domain.deals.days_in_stage: timedelta.days, floored.
        "daysInStage": lambda d: j.integer(
            f"greatest(0, floor(extract(epoch FROM {c.now()} - {d}.stage_entered_at) / 86400))::int"
        ),
        "isOverdue": lambda d: j.boolean(
            f"{d}.status = 'ACTIVE' AND {d}.expected_close_date IS NOT NULL "
            f"AND {d}.expected_close_date < {c.now()}"
        ),
    }


def account_of(c: Compiler, parent: GraphQLObjectType, wanted: Field, holder: str, key: str
               ) -> str:  # fmt: skip
    type_ = child_type(parent, wanted)

    def members(row: str) -> list[tuple[str, str]]:
        return columns(c, type_, wanted, row, ACCOUNT, no_relations)

    return provided(c, type_, wanted, holder, key, "accounts", members, ("name", "industry"))


def contact_of(c: Compiler, parent: GraphQLObjectType, wanted: Field, holder: str) -> str:
    type_ = child_type(parent, wanted)

    def members(row: str) -> list[tuple[str, str]]:
        def relation(child: Field) -> str | None:
            if child.name == "account":
                return account_of(c, type_, child, row, "account_id")
            return None

        return columns(c, type_, wanted, row, CONTACT, relation)

    card = ("firstName", "lastName", "fullName", "email", "company", "account")
    return provided(c, type_, wanted, holder, "contact_id", "contacts", members, card)


def deal_object(c: Compiler, type_: GraphQLObjectType, wanted: Field, d: str) -> str:
    """The JSON of the deal in row alias d, as the selection of wanted asks."""

    def relation(child: Field) -> str | None:
        name = child.name
        if name == "stage":
            tenant = c.tenant()

            def stage_row(s: str) -> str:
                return f"{s}.id = {d}.stage_id AND {tenant_sql(s, tenant)}"

            s = c.left_join(d, "pipeline_stages", stage_row)
            return j.escaped(f"coalesce({s}.name, '')")
        keys = {"pipelineStage": "stage_id", "pipeline": "pipeline_id", "owner": "owner_id"}
        if name in keys:
            return entity_key(c, child_type(type_, child), child, f"{d}.{keys[name]}")
        if name == "contact":
            return contact_of(c, type_, child, d)
        if name == "account":
            return account_of(c, type_, child, d, "account_id")
        return None

    return j.obj(columns(c, type_, wanted, d, deal_columns(c), relation))
