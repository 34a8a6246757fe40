"""POST/GET /api/v1/zoho/orgs and DELETE /api/v1/zoho/orgs/{org_id}: tenant admins register
the Zoho organisations whose webhooks their tenant accepts (as `crmgraph zoho add-org`);
PATCH /api/v1/zoho/orgs/{org_id} changes an organisation's OAuth client in place (as
`crmgraph zoho set-oauth`).
POST /api/v1/zoho/events/{event_id}/replay runs a stored event through the mapper again (as
`crmgraph webhooks replay`; crmgraph.zoho.replay).

The secret is shown once, in the answer to POST (made here when none is given); listings
say only whether there is one, how many tokens, whether an OAuth client is registered (its
secret and refresh token are never shown), and where Desk's keys are and which Desk webhooks
are accepted (neither is a secret).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, RootModel
from starlette.requests import Request
from starlette.responses import JSONResponse

from crmgraph.auth.route_needs import ROUTES
from crmgraph.db.models import ZohoOrg
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.gql.ids import parse_id
from crmgraph.rest.auth import scope_of
from crmgraph.rest.envelope import envelope
from crmgraph.rest.errors import parsed_body
from crmgraph.rest.operations import UUID_STRING, Operation, Param, Reply
from crmgraph.runtime import Runtime
from crmgraph.zoho import orgs, replay

PATH = "/api/v1/zoho/orgs"
# Zoho's accounts servers, one per data centre: accounts.zoho.com, .eu, .in, .com.au, .jp,
# .com.cn, .sa, .uk, accounts.zohocloud.ca. A tenant admin may not point crmgraph elsewhere.
ZOHO_ACCOUNTS = r"^https://accounts\.zoho(cloud)?\.[a-z]{2,3}(\.[a-z]{2})?$"


class OrgCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org_id: str = Field(min_length=1, max_length=orgs.MAX_ID)
    secret: str | None = Field(default=None, max_length=256)
    tokens: list[str] = Field(default_factory=list, max_length=10)
    # a URL only: a file (`crmgraph zoho add-org --desk-jwks`) is the operator's to name
    desk_jwks: str | None = Field(default=None, max_length=2048, pattern=r"^https://\S+$")
    # Zoho CRM notification callbacks: the OAuth client the mapper reads records with; the
    # three together, never shown again. accounts_url: one of Zoho's own accounts servers
    # (the org's data centre; https://accounts.zoho.com when absent), nothing else.
    client_id: str | None = Field(default=None, min_length=1, max_length=256)
    client_secret: str | None = Field(default=None, min_length=1, max_length=256)
    refresh_token: str | None = Field(default=None, min_length=1, max_length=512)
    accounts_url: str | None = Field(default=None, pattern=ZOHO_ACCOUNTS)

    def oauth(self) -> orgs.OAuthClient | None:
        given = {"client_id": self.client_id, "client_secret": self.client_secret,
                 "refresh_token": self.refresh_token}  # fmt: skip
        if not any(given.values()) and self.accounts_url is None:
            return None
        for name, value in given.items():
            if not value:
                raise DomainError(ErrorCode.VALIDATION_ERROR,
                                  "client_id, client_secret and refresh_token go together",
                                  field=name)  # fmt: skip
        clean = {name: str(value) for name, value in given.items()}
        return orgs.OAuthClient(**clean, accounts_url=self.accounts_url)

    # Desk deliveries name their webhook in the JWT's aud; only these are accepted.
    desk_webhook_ids: list[str] = Field(default_factory=list, max_length=orgs.MAX_DESK_WEBHOOKS)


class OAuthChange(BaseModel):
    """A change of the OAuth client: a field left out keeps its value, null clears it."""

    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(default=None, min_length=1, max_length=256)
    client_secret: str | None = Field(default=None, min_length=1, max_length=256)
    refresh_token: str | None = Field(default=None, min_length=1, max_length=512)
    accounts_url: str | None = Field(default=None, pattern=ZOHO_ACCOUNTS)

    def changes(self) -> orgs.OAuthChanges:
        return orgs.OAuthChanges(**{name: getattr(self, name) for name in self.model_fields_set})


class OrgView(BaseModel):
    org_id: str
    tenant_id: str
    has_secret: bool
    token_count: int
    has_oauth_client: bool
    desk_jwks: str | None
    desk_webhook_ids: list[str]
    created_at: datetime

    @classmethod
    def of(cls, org: ZohoOrg) -> OrgView:
        return cls(org_id=org.org_id, tenant_id=org.tenant_id, has_secret=bool(org.secret),
                   token_count=len(org.tokens or ()),
                   has_oauth_client=bool(org.oauth_refresh_token), desk_jwks=org.desk_jwks,
                   desk_webhook_ids=list(org.desk_webhook_ids or ()),
                   created_at=org.created_at)  # fmt: skip


class OrgCreated(OrgView):
    secret: str


class OrgList(RootModel[list[OrgView]]):
    pass


class OrgDeleted(BaseModel):
    org_id: str
    deleted: bool


class ReplayQueued(BaseModel):
    event_id: str
    was: str
    status: str


def zoho_org_operations(runtime: Runtime) -> list[Operation]:
    async def create(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"POST {PATH}"])
        body = await parsed_body(request, OrgCreate)
        secret = body.secret or orgs.new_secret()
        oauth = body.oauth()
        async with runtime.sessions() as session, session.begin():
            org = await orgs.add_org(
                session,
                scope=scope,
                org_id=body.org_id,
                secret=secret,
                tokens=body.tokens,
                desk_jwks=body.desk_jwks,
                oauth=oauth,
                desk_webhook_ids=body.desk_webhook_ids,
            )
        data = {**OrgView.of(org).model_dump(mode="json"), "secret": secret}
        return JSONResponse(envelope(request, data), status_code=201)

    async def listing(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"GET {PATH}"])
        async with runtime.read_sessions() as session:
            found = await orgs.list_orgs(session, scope=scope)
        data = [OrgView.of(org).model_dump(mode="json") for org in found]
        return JSONResponse(envelope(request, data))

    async def remove(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"DELETE {PATH}/{{org_id}}"])
        org_id = request.path_params["org_id"]
        async with runtime.sessions() as session, session.begin():
            await orgs.delete_org(session, scope=scope, org_id=org_id)
        return JSONResponse(envelope(request, {"org_id": org_id, "deleted": True}))

    async def change(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"PATCH {PATH}/{{org_id}}"])
        body = await parsed_body(request, OAuthChange)
        async with runtime.sessions() as session, session.begin():
            org = await orgs.change_oauth(
                session, scope=scope, org_id=request.path_params["org_id"],
                changes=body.changes(),
            )  # fmt: skip
        return JSONResponse(envelope(request, OrgView.of(org).model_dump(mode="json")))

    async def run_again(request: Request) -> JSONResponse:
        route = "POST /api/v1/zoho/events/{event_id}/replay"
        scope = await scope_of(request, runtime, needs=ROUTES[route])
        event_id = parse_id(request.path_params["event_id"], field="event_id")
        async with runtime.sessions() as session, session.begin():
            done = await replay.replay(session, scope=scope, event_id=event_id)
        runtime.wake_consumers()
        data = {"event_id": str(done.event_id), "was": done.was, "status": "queued"}
        return JSONResponse(envelope(request, data), status_code=202)

    org = Param.path("org_id", {"type": "string", "minLength": 1})
    event = Param.path("event_id", UUID_STRING)
    return [
        Operation("POST", PATH, create, name="addZohoOrg", body=OrgCreate,
                  summary="Register a Zoho organisation; its secret is shown only here",
                  replies={201: Reply("Registered", OrgCreated)}, errors=(409,)),
        Operation("GET", PATH, listing, name="listZohoOrgs", summary="The tenant's Zoho orgs",
                  replies={200: Reply("Registered organisations", OrgList)}),
        Operation("DELETE", f"{PATH}/{{org_id}}", remove, name="deleteZohoOrg", params=(org,),
                  summary="Stop accepting an organisation's webhooks",
                  replies={200: Reply("Removed", OrgDeleted)}, errors=(404,)),
        Operation("PATCH", f"{PATH}/{{org_id}}", change, name="changeZohoOrgOAuth",
                  params=(org,), body=OAuthChange,
                  summary="Change an organisation's OAuth client; its secrets are not shown",
                  replies={200: Reply("Changed", OrgView)}, errors=(400, 404)),
        Operation("POST", "/api/v1/zoho/events/{event_id}/replay", run_again,
                  name="replayZohoEvent", params=(event,),
                  summary="Run a stored Zoho event through the mapper again",
                  replies={202: Reply("Queued", ReplayQueued)}, errors=(400, 404)),
    ]  # fmt: skip
