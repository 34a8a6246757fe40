"""The contacts subgraph's root fields as SQL (crmgraph.compiled.roots): Query.contact(id),
the Query.contacts connection and `_entities` of Contact."""

from __future__ import annotations

from sqlalchemy import Dialect
from strawberry.federation import Schema

from crmgraph.compiled.contact_fields import contact_object
from crmgraph.compiled.plan import RootCompiler
from crmgraph.compiled.roots import Entity
from crmgraph.compiled.roots import roots as entity_roots
from crmgraph.db import models
from crmgraph.gql.entity_filters import ContactFilter, filter_of
from subgraphs.contacts.inputs import ContactSortField

SORTS = {f.value: f.value for f in ContactSortField}  # as subgraphs/contacts/queries.py sorts
CONTACT = Entity("Contact", models.Contact, contact_object, SORTS, ContactFilter, filter_of)


def roots(max_page_size: int, schema: Schema, dialect: Dialect) -> dict[str, RootCompiler]:
    """The contacts subgraph's root compilers; dialect: the engine's (how it quotes literals)."""
    return entity_roots(CONTACT, "contact", "contacts", max_page_size, schema, dialect)
