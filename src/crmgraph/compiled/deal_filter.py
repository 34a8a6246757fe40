"""A DealFilter as the WHERE text of a compiled statement: the resolvers' own predicates
(crmgraph.db.filtering over subgraphs.deals.inputs.deal_filter), rendered by SQLAlchemy with
the values inline. A filter is part of a plan's cache key (its variables' values), so the
values may be constants; the tenant is not, so it is rendered as a marker and becomes the
statement's tenant parameter."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Dialect, select
from strawberry.federation import Schema
from strawberry.types.arguments import convert_argument

from crmgraph.compiled.plan import TENANT
from crmgraph.compiled.selection import Unknown
from crmgraph.db import models
from crmgraph.db.filtering import predicates
from crmgraph.db.scoping import Scope
from subgraphs.deals.inputs import DealFilter, deal_filter

# Never a tenant id anyone has: the tenant of the rendered text, replaced by TENANT.
MARKER = "compiled-tenant-" + secrets.token_hex(8)
ROW = "deals"  # the predicates name the table: the compiled row goes by that name


def filter_sql(value: Any, schema: Schema, dialect: Dialect) -> str:
    """The conditions of the filter argument's value on the row named ROW."""
    spec = convert_argument(value, DealFilter, schema.schema_converter.scalar_registry,
                            schema.config)  # fmt: skip
    assert isinstance(spec, DealFilter)
    conditions = predicates(models.Deal, deal_filter(spec), Scope(tenant_id=MARKER))
    if not conditions:
        return "TRUE"
    stmt = select(models.Deal.id).where(*conditions)
    text = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    head, where = text.split("\nWHERE ", 1)
    if head.split() != ["SELECT", "deals.id", "FROM", "deals"]:
        raise Unknown(f"a filter rendered as {head!r}")
    where = where.replace(f"'{MARKER}'", TENANT)
    if MARKER in where:
        raise Unknown("the tenant in a filter")
    return f"({where})"
