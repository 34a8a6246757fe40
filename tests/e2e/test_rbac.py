"""Roles of the API design through the router: each allowed and denied, ownership for reps."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from tests.factories import make_pipeline
from tests.stack import Stack

CREATE_DEAL = 'mutation { createDeal(input: {title: "D", value: 1}) { deal { id } } }'
UPDATE_DEAL = 'mutation($id: ID!) { updateDeal(id: $id, input: {title: "x"}) { deal { title } } }'
DELETE_DEAL = "mutation($id: ID!) { deleteDeal(id: $id) { deleted } }"


def as_role(
    stack: Stack,
    tenant: str,
    role: str,
    query: str,
    user: uuid.UUID | None = None,
    **variables: Any,
) -> dict[str, Any]:
    token = stack.token(tenant, user_id=user or uuid.uuid4(), roles=(role,))
    body: dict[str, Any] = stack.graphql(
        query, variables, headers={"authorization": f"Bearer {token}"}
    ).json()
    return body


def allowed(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors") is None, body
    data: dict[str, Any] = body["data"]
    return data


def forbidden(body: dict[str, Any], required: list[str]) -> None:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", body
    assert error["extensions"]["required_permissions"] == required
    assert isinstance(error["extensions"]["user_permissions"], list)


def pipeline(stack: Stack, tenant: str) -> dict[str, str]:
    async def run() -> dict[str, str]:
        async with stack.runtime.sessions() as session, session.begin():
            _, stages = await make_pipeline(session, Scope(tenant_id=tenant))
        return {name: str(stage.id) for name, stage in stages.items()}

    return stack.call(run)


def test_sales_rep_updates_own_deal_but_not_a_colleagues(stack: Stack, tenant: str) -> None:
    pipeline(stack, tenant)
    rep, colleague = uuid.uuid4(), uuid.uuid4()
    mine = allowed(as_role(stack, tenant, "sales_rep", CREATE_DEAL, rep))["createDeal"]["deal"]

    assert allowed(as_role(stack, tenant, "sales_rep", UPDATE_DEAL, rep, id=mine["id"])) == {
        "updateDeal": {"deal": {"title": "x"}}
    }
    forbidden(as_role(stack, tenant, "sales_rep", UPDATE_DEAL, colleague, id=mine["id"]),
              ["deals:write"])  # fmt: skip
    forbidden(as_role(stack, tenant, "sales_rep", DELETE_DEAL, rep, id=mine["id"]),
              ["deals:delete"])  # fmt: skip
    # reads stay tenant-wide
    listed = allowed(as_role(stack, tenant, "sales_rep", "{ deals { totalCount } }", colleague))
    assert listed == {"deals": {"totalCount": 1}}


def test_sales_manager_manages_pipelines_but_not_accounts(stack: Stack, tenant: str) -> None:
    stages = pipeline(stack, tenant)
    pipelines = allowed(as_role(stack, tenant, "sales_manager", "{ pipelines { id } }"))
    update = """mutation($p: ID!, $s: ID!) { updatePipelineStage(pipelineId: $p, stageId: $s,
      input: {automationRules: [{trigger: "stage_entered", action: "create_task"}]})
      { stage { name } } }"""
    variables = {"p": pipelines["pipelines"][0]["id"], "s": stages["Proposal"]}

    assert allowed(as_role(stack, tenant, "sales_manager", update, **variables)) == {
        "updatePipelineStage": {"stage": {"name": "Proposal"}}
    }
    forbidden(as_role(stack, tenant, "sales_rep", update, **variables), ["pipelines:manage"])
    create_account = 'mutation { createAccount(input: {name: "A"}) { account { id } } }'
    forbidden(as_role(stack, tenant, "sales_manager", create_account), ["accounts:write"])


def test_marketing_manager_owns_leads_not_deals(stack: Stack, tenant: str) -> None:
    pipeline(stack, tenant)
    create_lead = """mutation { createLead(input: {firstName: "L", lastName: "M",
      email: "l@m.io", source: "Web"}) { lead { status } } }"""

    assert allowed(as_role(stack, tenant, "marketing_manager", create_lead)) == {
        "createLead": {"lead": {"status": "NEW"}}
    }
    forbidden(as_role(stack, tenant, "marketing_manager", CREATE_DEAL), ["deals:write"])
    nested = "{ contacts { edges { node { deals { totalCount } } } } }"
    as_role(stack, tenant, "tenant_admin", 'mutation { createContact(input: {firstName: "C", '
            'lastName: "D"}) { contact { id } } }')  # fmt: skip
    body = as_role(stack, tenant, "marketing_manager", nested)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


def test_support_agent_reads_contacts_but_cannot_write(stack: Stack, tenant: str) -> None:
    create = 'mutation { createContact(input: {firstName: "A", lastName: "B"}) { contact { id } } }'

    assert allowed(as_role(stack, tenant, "support_agent", "{ contacts { totalCount } }")) == {
        "contacts": {"totalCount": 0}
    }
    forbidden(as_role(stack, tenant, "support_agent", create), ["contacts:write"])


def test_admins_may_do_anything_in_their_tenant_only(stack: Stack, tenant: str) -> None:
    pipeline(stack, tenant)
    deal = allowed(as_role(stack, tenant, "tenant_admin", CREATE_DEAL))["createDeal"]["deal"]

    body = as_role(stack, f"{tenant}_b", "system_admin", DELETE_DEAL, id=deal["id"])
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
    assert allowed(as_role(stack, tenant, "system_admin", DELETE_DEAL, id=deal["id"])) == {
        "deleteDeal": {"deleted": True}
    }
    keys = 'mutation { createApiKey(input: {name: "k"}) { apiKey { name } } }'
    assert allowed(as_role(stack, tenant, "tenant_admin", keys)) == {
        "createApiKey": {"apiKey": {"name": "k"}}
    }
    forbidden(as_role(stack, tenant, "sales_manager", keys), ["api_keys:write"])


def test_tenant_can_override_a_roles_permissions(stack: Stack, tenant: str) -> None:
    pipeline(stack, tenant)
    rep = uuid.uuid4()

    async def grant_delete() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            await session.execute(insert(models.TenantRole).values(
                tenant_id=tenant, role="sales_rep",
                permissions=["deals:read", "deals:write:own", "deals:delete:own"],
            ))  # fmt: skip

    stack.call(grant_delete)
    deal = allowed(as_role(stack, tenant, "sales_rep", CREATE_DEAL, rep))["createDeal"]["deal"]

    assert allowed(as_role(stack, tenant, "sales_rep", DELETE_DEAL, rep, id=deal["id"])) == {
        "deleteDeal": {"deleted": True}
    }
    # the override replaced the built-in list: no contacts:read any more
    forbidden(as_role(stack, tenant, "sales_rep", "{ contacts { totalCount } }", rep),
              ["contacts:read"])  # fmt: skip


def test_only_system_admins_may_act_in_another_tenant(stack: Stack, tenant: str) -> None:
    pipeline(stack, tenant)
    allowed(as_role(stack, tenant, "tenant_admin", CREATE_DEAL))
    other = f"{tenant}_other"

    def in_tenant(role: str) -> dict[str, Any]:
        token = stack.token(other, roles=(role,))
        headers = {"authorization": f"Bearer {token}", "x-tenant-id": tenant}
        body: dict[str, Any] = stack.graphql("{ deals { totalCount } }", headers=headers).json()
        return body

    forbidden(in_tenant("tenant_admin"), ["*"])
    assert allowed(in_tenant("system_admin")) == {"deals": {"totalCount": 1}}
