"""POST /api-keys and DELETE /api-keys/{key_id} (tenant admins)."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse

from crmgraph.auth.route_needs import ROUTES
from crmgraph.domain import api_keys
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.rest.auth import scope_of
from crmgraph.rest.envelope import envelope
from crmgraph.rest.errors import parsed_body
from crmgraph.rest.operations import UUID_STRING, Operation, Param, Reply
from crmgraph.rest.payloads import ApiKeyCreate, ApiKeyCreated, ApiKeyRevoked
from crmgraph.runtime import Runtime


def api_key_operations(runtime: Runtime) -> list[Operation]:
    async def create(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES["POST /api-keys"])
        body = await parsed_body(request, ApiKeyCreate)
        data = api_keys.NewApiKey(
            name=body.name,
            description=body.description,
            permissions=tuple(body.permissions),
            rate_limit_tier=body.rate_limit_tier,
            expires_at=body.expires_at,
            ip_allowlist=tuple(body.ip_whitelist),
        )
        async with runtime.sessions() as session, session.begin():
            key, secret = await api_keys.create_api_key(session, scope=scope, data=data)
        created = ApiKeyCreated(
            id=str(key.id),
            name=key.name,
            key=key.key,
            secret=secret,
            permissions=list(key.permissions),
            rate_limit_tier=key.rate_limit_tier,
            expires_at=key.expires_at,
            ip_whitelist=list(key.ip_allowlist or []),
            created_at=key.created_at,
        )
        return JSONResponse(envelope(request, created.model_dump(mode="json")), status_code=201)

    async def revoke(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES["DELETE /api-keys/{key_id}"])
        try:
            key_id = UUID(request.path_params["key_id"])
        except ValueError as exc:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "not a key id", field="key_id") from exc
        async with runtime.sessions() as session, session.begin():
            key = await api_keys.revoke_api_key(session, scope=scope, key_id=key_id)
        data = ApiKeyRevoked(id=str(key.id), revoked_at=key.revoked_at)
        return JSONResponse(envelope(request, data.model_dump(mode="json")))

    revoke_link = {
        "operationId": "revokeApiKey",
        "parameters": {"key_id": "$response.body#/data/id"},
    }
    return [
        Operation("POST", "/api-keys", create, name="createApiKey", body=ApiKeyCreate,
                  summary="Create an API key (tenant admins); the secret is shown only here",
                  replies={201: Reply("Created", ApiKeyCreated,
                                      links={"RevokeApiKey": revoke_link})}),
        Operation("DELETE", "/api-keys/{key_id}", revoke, name="revokeApiKey",
                  summary="Revoke an API key", params=(Param.path("key_id", UUID_STRING),),
                  replies={200: Reply("Revoked", ApiKeyRevoked)}, errors=(400, 404, 409)),
    ]  # fmt: skip
