"""A filter argument as the WHERE text of a compiled statement: the resolvers' own predicates
(crmgraph.db.filtering over the input's Filter: DealFilter, ContactFilter, AccountFilter),
rendered by SQLAlchemy with the values inline. A filter is part of a plan's cache key (its
variables' values), so the values may be constants; the tenant is not, so it is rendered as a
marker and becomes the statement's tenant parameter."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import Dialect, select
from strawberry.federation import Schema
from strawberry.types.arguments import convert_argument

from crmgraph.compiled.selection import Unknown
from crmgraph.db.filtering import Filter, predicates
from crmgraph.db.models import TenantRow
from crmgraph.db.scoping import Scope

# Never a tenant id anyone has: the tenant of the rendered text, replaced by the parameter.
MARKER = "compiled-tenant-" + secrets.token_hex(8)


def filter_sql(
    value: Any,
    input_type: type,
    to_filter: Callable[[Any], Filter],
    model: type[TenantRow],
    tenant: str,
    schema: Schema,
    dialect: Dialect,
) -> str:
    """The conditions of the filter argument's value on the row named as model's table;
    tenant: the statement's tenant placeholder."""
    spec = convert_argument(value, input_type, schema.schema_converter.scalar_registry,
                            schema.config)  # fmt: skip
    assert isinstance(spec, input_type)
    conditions = predicates(model, to_filter(spec), Scope(tenant_id=MARKER))
    if not conditions:
        return "TRUE"
    stmt = select(model.id).where(*conditions)
    text = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    head, where = text.split("\nWHERE ", 1)
    table = model.__table__.name  # type: ignore[attr-defined]
    if head.split() != ["SELECT", f"{table}.id", "FROM", table]:
        raise Unknown(f"a filter rendered as {head!r}")
    if f"'{MARKER}'" in where:
        where = where.replace(f"'{MARKER}'", tenant)
    if MARKER in where:
        raise Unknown("the tenant in a filter")
    return f"({where})"
