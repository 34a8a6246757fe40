"""The role table and the permission check of crmgraph.auth.rbac: which role may do what, and
on whose rows. tests/e2e/test_rbac.py and test_permission_matrix.py show the same decisions
through the router (FORBIDDEN with required_permissions, ownership of rows)."""

from __future__ import annotations

import pytest

from crmgraph.auth.rbac import Grant, grant, permissions_for


@pytest.mark.parametrize(
    ("role", "resource", "action", "expected"),
    [
        ("system_admin", "tenants", "delete", Grant(True, "tenant")),
        ("tenant_admin", "api_keys", "write", Grant(True, "tenant")),
        ("sales_manager", "pipelines", "manage", Grant(True, "tenant")),
        ("sales_manager", "accounts", "write", Grant(False)),
        ("sales_manager", "accounts", "read", Grant(True, "tenant")),
        ("sales_manager", "users", "read", Grant(True, "team")),
        ("sales_rep", "deals", "write", Grant(True, "own")),
        ("sales_rep", "deals", "delete", Grant(False)),
        ("sales_rep", "deals", "read", Grant(True, "tenant")),
        ("sales_rep", "pipelines", "manage", Grant(False)),
        ("sales_rep", "activities", "delete", Grant(True, "own")),
        ("sales_rep", "activities", "read", Grant(True, "tenant")),
        ("marketing_manager", "leads", "write", Grant(True, "tenant")),
        ("marketing_manager", "deals", "write", Grant(False)),
        ("marketing_manager", "deals", "read", Grant(False)),
        ("support_agent", "contacts", "read", Grant(True, "tenant")),
        ("support_agent", "contacts", "write", Grant(False)),
        # `activities:support:*` names a sub-area: it grants no action on all activities.
        ("support_agent", "activities", "write", Grant(False)),
        ("nobody", "contacts", "read", Grant(False)),
    ],
)
def test_each_role_of_the_design_is_granted_what_it_lists(
    role: str, resource: str, action: str, expected: Grant
) -> None:
    assert grant(permissions_for([role]), resource, action) == expected


def test_the_widest_level_of_several_roles_wins() -> None:
    held = permissions_for(["sales_rep", "sales_manager"])

    assert grant(held, "deals", "write") == Grant(True, "tenant")


def test_a_tenant_override_replaces_the_roles_permissions() -> None:
    overrides = {"support_agent": ("contacts:write:team",)}

    held = permissions_for(["support_agent"], overrides)

    assert held == frozenset({"contacts:write:team"})
    assert grant(held, "contacts", "write") == Grant(True, "team")
    assert grant(held, "contacts", "read") == Grant(False)
    assert permissions_for(["sales_rep"], overrides) == permissions_for(["sales_rep"])


@pytest.mark.parametrize(
    ("permission", "resource", "action", "expected"),
    [
        ("deals:*", "deals", "delete", Grant(True, "tenant")),
        ("deals:*:own", "deals", "delete", Grant(True, "own")),
        ("deals:write:team", "deals", "write", Grant(True, "team")),
        ("deals:write", "deals", "read", Grant(False)),
        ("deals", "deals", "read", Grant(False)),
        ("dealsx:read", "deals", "read", Grant(False)),
    ],
)
def test_permission_strings(permission: str, resource: str, action: str, expected: Grant) -> None:
    assert grant([permission], resource, action) == expected
