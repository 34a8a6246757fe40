"""The Contact of the contacts subgraph as SQL (subgraphs/contacts/types.py): its own columns,
fullName, and its account as the accounts subgraph's key. The deals subgraph's provided
contact (deal_fields) reads the same columns."""

from __future__ import annotations

from graphql import GraphQLObjectType

from crmgraph.compiled import jsontext as j
from crmgraph.compiled.fields import Column, child_type, columns, entity_key, stripped
from crmgraph.compiled.plan import Compiler
from crmgraph.compiled.selection import Field

CONTACT: dict[str, Column] = {
    "id": lambda c: j.uuid_id(f"{c}.id"),
    "firstName": lambda c: j.string(f"{c}.first_name"),
    "lastName": lambda c: j.string(f"{c}.last_name"),
    "fullName": lambda c: stripped(f"{c}.first_name || ' ' || {c}.last_name"),
    "email": lambda c: j.string(f"{c}.email"),
    "phone": lambda c: j.string(f"{c}.phone"),
    "company": lambda c: j.string(f"{c}.company"),
    "jobTitle": lambda c: j.string(f"{c}.job_title"),
    "createdAt": lambda c: j.datetime_(f"{c}.created_at"),
    "updatedAt": lambda c: j.datetime_(f"{c}.updated_at"),
}


def contact_object(c: Compiler, type_: GraphQLObjectType, wanted: Field, row: str) -> str:
    """The JSON of the contact in row alias row, as the selection of wanted asks."""

    def relation(child: Field) -> str | None:
        if child.name == "account":
            return entity_key(c, child_type(type_, child), child, f"{row}.account_id")
        return None

    return j.obj(columns(c, type_, wanted, row, CONTACT, relation))
