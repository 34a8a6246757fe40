"""Roles, permissions and ownership (the RBAC of the API design), as data and one check.

A permission is `resource:action[:level]`, e.g. `deals:write:own`. `*` matches everything,
`tenant:*` everything inside the tenant, `deals:*` every action on deals. The level says whose
rows the action may touch: `own` (rows the user owns), `team` (owned by someone on the user's
team), and no level or `tenant` (any row of the tenant). Reading a row needs `resource:read`;
writing (create, update, move) `resource:write`; deleting `resource:delete`. A tenant may
override a role's permissions (tenant_roles table); otherwise ROLE_PERMISSIONS apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The API design's "Role Hierarchy"; the second line of each business role adds the reads
# its listed work needs (a rep moving deals must see pipelines and accounts).
ROLE_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "system_admin": ("*",),
    "tenant_admin": ("tenant:*",),
    "sales_manager": (
        "contacts:*", "deals:*", "leads:*", "pipelines:*", "reports:sales:*", "users:team:read",
        "accounts:read", "activities:read",
    ),
    "sales_rep": (
        "contacts:read", "contacts:write:own", "deals:read", "deals:write:own", "leads:read",
        "leads:write:own", "activities:*:own", "reports:sales:own",
        "accounts:read", "activities:read", "pipelines:read",
    ),
    "marketing_manager": (
        "leads:*", "contacts:read", "campaigns:*", "reports:marketing:*",
        "accounts:read", "activities:read",
    ),
    "support_agent": (
        "contacts:read", "accounts:read", "activities:support:*", "tickets:*",
        "activities:read",
    ),
}  # fmt: skip

LEVELS = ("own", "team", "tenant")


@dataclass(frozen=True)
class Grant:
    """Whether an action is allowed, and on whose rows."""

    allowed: bool
    level: str = "tenant"  # own | team | tenant


def permissions_for(
    roles: Iterable[str], overrides: Mapping[str, tuple[str, ...]] | None = None
) -> frozenset[str]:
    found: set[str] = set()
    for role in roles:
        found.update((overrides or {}).get(role, ROLE_PERMISSIONS.get(role, ())))
    return frozenset(found)


def grant(held: Iterable[str], resource: str, action: str) -> Grant:
    """The widest level at which held permissions allow `resource:action`."""
    best = -1
    for permission in held:
        level = _level(permission, resource, action)
        if level is not None:
            best = max(best, LEVELS.index(level))
    return Grant(allowed=True, level=LEVELS[best]) if best >= 0 else Grant(allowed=False)


def _level(permission: str, resource: str, action: str) -> str | None:
    if permission in ("*", "tenant:*"):
        return "tenant"
    parts = permission.split(":")
    if parts[0] != resource or len(parts) < 2:
        return None
    rest = parts[1:]
    level = "tenant"
    if len(rest) == 2 and rest[0] in LEVELS:  # `users:team:read` = users:read at team level
        rest = [rest[1], rest[0]]
    if rest[-1] in LEVELS:
        level = rest[-1]
        rest = rest[:-1]
    if not rest:
        return None
    if rest[0] == "*" or rest[0] == action:
        # `activities:support:*` names a sub-area, not an action: it does not grant all.
        return level if len(rest) == 1 or rest[0] == action else None
    return None
