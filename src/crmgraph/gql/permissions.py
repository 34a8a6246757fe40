"""Declared permissions for GraphQL fields: `permission_classes=[can("deals:write", ...)]`.

A field names the permissions any one of which lets the caller in (`resource:action`). For
updates and deletes it also names how to find the row's owner; a caller whose grant is only
at the `own` level (a sales rep's `deals:write:own`) then passes only for rows it owns, and
one at the `team` level only for rows owned by someone of its team.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from strawberry.permission import BasePermission

from crmgraph.auth import rbac
from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.loaders import Loaders
from crmgraph.security_log import security_event

OwnerOf = Callable[[Loaders, UUID], Awaitable[UUID | None]]


@dataclass(frozen=True)
class Owner:
    """Where a mutation's target row and its owner are: the id argument and a lookup."""

    argument: str
    owner_of: OwnerOf


def can(*permissions: str, owner: Owner | None = None) -> type[BasePermission]:
    required = tuple(permissions)

    class Can(BasePermission):
        message = "Insufficient permissions"

        async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            scope = info.context.scope
            grants = [rbac.grant(scope.permissions, *p.split(":", 1)) for p in required]
            levels = [g.level for g in grants if g.allowed]
            if levels and owner is not None and "tenant" not in levels:
                ok = await _owns(info, scope, owner, kwargs.get(owner.argument), levels)
            else:
                ok = bool(levels)
            if not ok:
                deny(scope, required, info.field_name)
            return True

    Can.__name__ = "Can_" + "_".join(p.replace(":", "_") for p in required)
    return Can


async def _owns(info: Info, scope: Scope, owner: Owner, raw_id: Any, levels: list[str]) -> bool:
    if raw_id is None or scope.user_id is None:
        return False
    loaders = info.context.loaders
    owner_id = await owner.owner_of(loaders, parse_id(str(raw_id), field=owner.argument))
    if owner_id is None:
        return False
    if owner_id == scope.user_id:
        return True
    if "team" in levels and scope.team is not None:
        user = await loaders.user_by_id.load(owner_id)
        return user is not None and user.team == scope.team
    return False


def deny(scope: Scope, required: tuple[str, ...], field: str) -> None:
    security_event(
        "permission_denied",
        tenant_id=scope.tenant_id,
        subject=scope.subject,
        field=field,
        required=list(required),
    )
    raise DomainError(
        ErrorCode.FORBIDDEN,
        "Insufficient permissions",
        details={
            "required_permissions": list(required),
            "user_permissions": sorted(scope.permissions),
        },
    )


# Owner lookups for the rows that carry one.
async def deal_owner(loaders: Loaders, id_: UUID) -> UUID | None:
    row = await loaders.deal_by_id.load(id_)
    return None if row is None else row.owner_id


async def contact_owner(loaders: Loaders, id_: UUID) -> UUID | None:
    row = await loaders.contact_by_id.load(id_)
    return None if row is None else row.owner_id


async def lead_owner(loaders: Loaders, id_: UUID) -> UUID | None:
    row = await loaders.lead_by_id.load(id_)
    return None if row is None else row.owner_id


async def account_owner(loaders: Loaders, id_: UUID) -> UUID | None:
    row = await loaders.account_by_id.load(id_)
    return None if row is None else row.owner_id


async def task_owner(loaders: Loaders, id_: UUID) -> UUID | None:
    row = await loaders.task_by_id.load(id_)
    return None if row is None else row.assigned_to_id
