"""The permission checks of GraphQL fields, as crmgraph.auth.needs declares them.

build_schema attaches `declared(key)` to each field the table lists (`Mutation.updateDeal`),
so no resolver names its own permissions. A field's needs must all pass; each passes with any
one of its permissions. For a need with an owner, a caller whose grant is only at the `own`
level (a sales rep's `deals:write:own`) passes only for rows it owns, and one at the `team`
level only for rows owned by someone of its team.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from uuid import UUID

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from crmgraph.auth import needs
from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.security_log import security_event
from subgraphs.loaders import Loaders

OwnerOf = Callable[[Loaders, UUID], Awaitable[UUID | None]]


def declared(key: str) -> type[BasePermission]:
    """The permission class of field `key` (Type.field) of crmgraph.auth.needs.FIELDS."""
    required = needs.FIELDS[key]

    class Declared(BasePermission):
        message = "Insufficient permissions"

        async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            scope = info.context.scope
            for need in required:
                if need.when is not None and not need.when(kwargs):
                    continue
                if not await _passes(info, scope, need, kwargs):
                    deny(scope, need.any_of, info.field_name)
            return True

    Declared.__name__ = "Declared_" + key.replace(".", "_")
    return Declared


class Checked(PermissionExtension):
    """The check of one declared field (key: Type.field of needs.FIELDS)."""

    def __init__(self, key: str) -> None:
        super().__init__([declared(key)()], use_directives=False)
        self.key = key


def attach(types: Iterable[type]) -> None:
    """Puts the declared check on every field of types that needs.FIELDS lists. A root field
    without an entry, or a field with permission classes of its own, is a programming error:
    what an operation needs is declared in one place."""
    names = NameConverter()
    for cls in types:
        definition = get_object_definition(cls, strict=True)
        for field in definition.fields:
            key = f"{definition.name}.{names.get_graphql_name(field)}"
            others = [e for e in field.extensions if isinstance(e, PermissionExtension)]
            checked = [e for e in others if isinstance(e, Checked)]
            if len(others) != len(checked):
                raise TypeError(f"{key}: declare its permissions in crmgraph.auth.needs")
            if key not in needs.FIELDS:
                if definition.name in needs.ROOTS:
                    raise TypeError(f"{key} has no entry in crmgraph.auth.needs.FIELDS")
                continue
            # Fields inherited from a mixin may be one object shared by several types.
            if any(needs.FIELDS[e.key] != needs.FIELDS[key] for e in checked):
                raise TypeError(f"{key} shares its field with one of other needs")
            if not checked:
                field.extensions.append(Checked(key))


def _levels(scope: Scope, need: needs.Need) -> list[str]:
    grants = [needs.holds(scope.permissions, p) for p in need.any_of]
    return [g.level for g in grants if g.allowed]


def decided(scope: Scope, need: needs.Need) -> bool | None:
    """Whether the caller passes need from its permissions alone; None when that depends on
    the row's owner (a grant at the `own` or `team` level)."""
    levels = _levels(scope, need)
    if need.tenant_wide:
        return "tenant" in levels
    if not levels or need.owner is None or "tenant" in levels:
        return bool(levels)
    return None


def field_allowed(scope: Scope, key: str) -> bool | None:
    """Whether the caller may resolve field key (Type.field of needs.FIELDS) whatever its
    arguments and rows: True, False, or None when a need depends on them. For compiled
    reads (crmgraph.compiled), which run no resolver."""
    verdicts = [
        None if need.when is not None else decided(scope, need)
        for need in needs.FIELDS.get(key, ())
    ]
    if False in verdicts:
        return False
    return None if None in verdicts else True


async def _passes(info: Info, scope: Scope, need: needs.Need, args: Mapping[str, Any]) -> bool:
    verdict = decided(scope, need)
    if verdict is not None or need.owner is None:
        return bool(verdict)
    raw_id = needs.argument(args, need.owner.argument)
    if raw_id is None or scope.user_id is None:
        return False
    field = to_camel_case(need.owner.argument.rsplit(".", 1)[-1])  # as the client sent it
    loaders = info.context.loaders
    owner_id = await OWNER_OF[need.owner.row](loaders, parse_id(str(raw_id), field=field))
    if owner_id is None:
        return False
    if owner_id == scope.user_id:
        return True
    if "team" in _levels(scope, need) and scope.team is not None:
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


async def event_owner(loaders: Loaders, id_: UUID) -> UUID | None:
    row = await loaders.event_by_id.load(id_)
    return None if row is None else row.owner_id


async def user_self(loaders: Loaders, id_: UUID) -> UUID | None:
    """A user of the tenant owns what is about them (their reports)."""
    row = await loaders.user_by_id.load(id_)
    return None if row is None else row.id


# needs.Owner.row -> where that row's owner is.
OWNER_OF: dict[str, OwnerOf] = {
    "account": account_owner,
    "contact": contact_owner,
    "deal": deal_owner,
    "event": event_owner,
    "lead": lead_owner,
    "task": task_owner,
    "user": user_self,
}
