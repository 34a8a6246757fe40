"""Fields a subgraph resolves for an entity owned elsewhere, along an `@provides` path.

Federation lets the deals subgraph declare `Deal.contact @provides(fields: "fullName ...")`:
the router then takes those fields from deals instead of asking the contacts subgraph for
every contact of a page (one fewer hop, and no `_entities` call of 50 representations). The
fields stay owned by their subgraph; the providing one reads the same rows through the same
tenant-scoped loaders and builds the values with the same domain functions.

card() fills the entity's provided fields as plain data when the field that returns it is
resolved (so each of them is a plain attribute to graphql-core, its cheapest kind of field),
and only when the query asks for any of them. Permissions: the owner's `_entities` needs
what crmgraph.auth.read_needs.ENTITIES gives the type, so asking for a provided field needs it too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar
from uuid import UUID

from crmgraph.auth import read_needs
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.gql.context import Info
from crmgraph.gql.permissions import deny
from crmgraph.gql.selection import child_names
from crmgraph.loaders import Loader

Row = TypeVar("Row")
T = TypeVar("T")


def card(
    info: Info,
    typename: str,
    provided: Collection[str],
    loader: Loader[UUID, Row | None],
    key: UUID,
    build: Callable[[Row], T],
    stub: Callable[[], T],
) -> T:
    """The entity key names for this field: stub() when the query asks none of the provided
    fields, else build(row): at once when the loader already holds the row (a list
    prefetched it), else later (Loader.now_or_later)."""
    if child_names(info).isdisjoint(provided):
        return stub()
    scope = info.context.scope
    if not read_needs.may_resolve(scope.permissions, typename):
        deny(scope, (read_needs.ENTITIES[typename],), info.field_name)
    return loader.now_or_later(key, lambda row: _build(row, key, build))


def _build(row: Row | None, key: UUID, build: Callable[[Row], T]) -> T:
    if row is None:  # another tenant's, or deleted since: say so rather than invent values
        raise DomainError(ErrorCode.NOT_FOUND, f"{key} not found")
    return build(row)


async def prefetch(loader: Loader[UUID, Any], keys: list[UUID | None]) -> None:
    """Load keys in one batch so card() answers without an await."""
    wanted = list({key for key in keys if key is not None})
    if wanted:
        await loader.load_many(wanted)
