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


def override_role(stack: Stack, tenant: str, role: str, *permissions: str) -> None:
    """The tenant's own list for role (tenant_roles), before the tenant's first request:
    authentication caches a tenant's roles per process."""

    async def run() -> None:
        async with stack.runtime.sessions() as session, session.begin():
            await session.execute(insert(models.TenantRole).values(
                tenant_id=tenant, role=role, permissions=list(permissions)
            ))  # fmt: skip

    stack.call(run)


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
      input: {automationRules: [{trigger: "stage_entered", action: "create_task",
                                 parameters: {title: "Call"}}]})
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

    override_role(stack, tenant, "sales_rep", "deals:read", "deals:write:own", "deals:delete:own")
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


CREATE_EVENT = """mutation { createEvent(input: {title: "Demo", startTime: "2030-01-01T10:00:00Z",
  endTime: "2030-01-01T11:00:00Z"}) { event { id } } }"""
UPDATE_EVENT = """mutation($id: ID!) { updateEvent(id: $id, input: {title: "Moved"}) {
  event { title } } }"""
DELETE_EVENT = "mutation($id: ID!) { deleteEvent(id: $id) { deleted } }"


def test_sales_rep_changes_own_events_but_not_a_colleagues(stack: Stack, tenant: str) -> None:
    rep, colleague = uuid.uuid4(), uuid.uuid4()
    event = allowed(as_role(stack, tenant, "sales_rep", CREATE_EVENT, rep))["createEvent"]["event"]

    forbidden(as_role(stack, tenant, "sales_rep", UPDATE_EVENT, colleague, id=event["id"]),
              ["activities:write"])  # fmt: skip
    forbidden(as_role(stack, tenant, "sales_rep", DELETE_EVENT, colleague, id=event["id"]),
              ["activities:delete"])  # fmt: skip
    assert allowed(as_role(stack, tenant, "sales_rep", UPDATE_EVENT, rep, id=event["id"])) == {
        "updateEvent": {"event": {"title": "Moved"}}
    }
    assert allowed(as_role(stack, tenant, "sales_rep", DELETE_EVENT, rep, id=event["id"])) == {
        "deleteEvent": {"deleted": True}
    }


CREATE_LEAD = """mutation { createLead(input: {firstName: "L", lastName: "M", email: "l@m.io",
  source: "Web", company: "Lead Corp"}) { lead { id } } }"""
CONVERT = """mutation($id: ID!, $input: ConvertLeadInput!) { convertLead(leadId: $id, input: $input)
  { contact { id } account { id } deal { id } } }"""
COUNTS = "{ contacts { totalCount } accounts { totalCount } deals { totalCount } }"


def test_convert_lead_needs_the_write_permission_of_what_it_makes(
    stack: Stack, tenant: str
) -> None:
    pipeline(stack, tenant)
    rep, marketer = uuid.uuid4(), uuid.uuid4()
    mine = allowed(as_role(stack, tenant, "sales_rep", CREATE_LEAD, rep))["createLead"]["lead"]
    theirs = allowed(as_role(stack, tenant, "marketing_manager", CREATE_LEAD, marketer))

    def convert(role: str, user: uuid.UUID, id_: str, **input_: Any) -> dict[str, Any]:
        return as_role(stack, tenant, role, CONVERT, user, id=id_, input=input_)

    forbidden(convert("marketing_manager", marketer, theirs["createLead"]["lead"]["id"]),
              ["contacts:write"])  # fmt: skip
    forbidden(convert("sales_rep", rep, mine["id"]), ["accounts:write"])
    forbidden(convert("sales_rep", rep, mine["id"], createAccount=False, createDeal=True,
                      contactId=str(uuid.uuid4())), ["contacts:write"])  # fmt: skip
    assert allowed(as_role(stack, tenant, "tenant_admin", COUNTS)) == {
        "contacts": {"totalCount": 0},
        "accounts": {"totalCount": 0},
        "deals": {"totalCount": 0},
    }
    made = allowed(convert("sales_rep", rep, mine["id"], createAccount=False, createDeal=True))
    assert made["convertLead"]["account"] is None
    assert made["convertLead"]["contact"] and made["convertLead"]["deal"]


def test_convert_lead_making_a_deal_needs_deals_write(stack: Stack, tenant: str) -> None:
    pipeline(stack, tenant)
    rep = uuid.uuid4()

    override_role(stack, tenant, "sales_rep", "leads:read", "leads:write:own", "contacts:read",
                  "contacts:write:own", "deals:read")  # fmt: skip
    lead = allowed(as_role(stack, tenant, "sales_rep", CREATE_LEAD, rep))["createLead"]["lead"]
    query = CONVERT
    with_deal = {"createAccount": False, "createDeal": True}

    forbidden(as_role(stack, tenant, "sales_rep", query, rep, id=lead["id"], input=with_deal),
              ["deals:write"])  # fmt: skip
    made = allowed(as_role(stack, tenant, "sales_rep", query, rep, id=lead["id"],
                           input={"createAccount": False}))  # fmt: skip
    assert made["convertLead"]["deal"] is None


USER = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }"


def test_user_entities_need_users_read(stack: Stack, tenant: str) -> None:
    """Straight to the accounts subgraph, as the router asks it for Deal.owner { name }."""

    async def make_user() -> str:
        async with stack.runtime.sessions() as session, session.begin():
            user = models.User(tenant_id=tenant, email="u@crm.test", name="Una")
            session.add(user)
            await session.flush()
            return str(user.id)

    user = stack.call(make_user)
    url = f"http://127.0.0.1:{stack.ports['accounts']}/graphql"

    def lookup(role: str) -> dict[str, Any]:
        headers = {
            "authorization": f"Bearer {stack.token(tenant, roles=(role,))}",
            "x-router-secret": stack.router_secret,  # straight to the subgraph, as the router
        }
        refs = {"r": [{"__typename": "User", "id": user}]}
        body: dict[str, Any] = stack.graphql(USER, refs, url=url, headers=headers).json()
        return body

    forbidden(lookup("sales_rep"), ["users:read"])
    forbidden(lookup("support_agent"), ["users:read"])
    assert allowed(lookup("sales_manager")) == {"_entities": [{"name": "Una"}]}
