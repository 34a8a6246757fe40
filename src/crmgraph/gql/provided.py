"""Fields a subgraph resolves for an entity owned elsewhere, along an `@provides` path.

Federation lets the deals subgraph declare `Deal.contact @provides(fields: "fullName ...")`:
the router then takes those fields from deals instead of asking the contacts subgraph for
every contact of a page (one fewer hop, and no `_entities` call of 50 representations). The
fields stay owned by their subgraph; the providing one reads the same rows through the same
tenant-scoped loaders and builds the values with the same domain functions.

Permissions: the owner's `_entities` needs `<resource>:read`, so a provided field needs it
too, checked here (cheaply and synchronously, once per field).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from crmgraph.auth import rbac
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.gql.context import Info
from crmgraph.gql.permissions import deny
from crmgraph.loaders import MISSING, Loader

Row = TypeVar("Row")
T = TypeVar("T")


def provided(
    info: Info,
    resource: str,
    loader: Loader[UUID, Row | None],
    key: UUID,
    read: Callable[[Row], T],
) -> T:
    """read(row) of the row key names: at once when the loader already holds it (a list
    prefetched it), else an awaitable graphql-core awaits (typed as the value, as Strawberry
    takes the field's type from the annotation)."""
    scope = info.context.scope
    if not rbac.grant(scope.permissions, resource, "read").allowed:
        deny(scope, (f"{resource}:read",), info.field_name)
    row = loader.peek(key)
    if row is MISSING:
        return _later(loader, key, read)  # type: ignore[return-value]
    return _read(row, key, read)


async def _later(loader: Loader[UUID, Row | None], key: UUID, read: Callable[[Row], T]) -> T:
    return _read(await loader.load(key), key, read)


def _read(row: Any, key: UUID, read: Callable[[Row], T]) -> T:
    if row is None:  # another tenant's, or deleted since: say so rather than invent a value
        raise DomainError(ErrorCode.NOT_FOUND, f"{key} not found")
    return read(row)


async def prefetch(loader: Loader[UUID, Any], keys: list[UUID | None]) -> None:
    """Load keys in one batch so provided() answers without an await."""
    wanted = list({key for key in keys if key is not None})
    if wanted:
        await loader.load_many(wanted)
