"""API key management (tenant admins): the ApiKey type, its query and mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crmgraph.db import models
from crmgraph.domain import api_keys
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id


@strawberry.type(description="An integration's credential. The secret is shown only once.")
class ApiKey:
    id: strawberry.ID
    name: str
    description: str | None
    key: str = strawberry.field(description="Send as X-API-Key (with X-API-Secret).")
    permissions: list[str]
    rate_limit_tier: str
    ip_whitelist: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.ApiKey) -> ApiKey:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            key=row.key,
            permissions=list(row.permissions),
            rate_limit_tier=row.rate_limit_tier,
            ip_whitelist=list(row.ip_allowlist or []),
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            created_at=row.created_at,
        )


@strawberry.input
class CreateApiKeyInput:
    name: str
    description: str | None = None
    permissions: list[str] = strawberry.field(
        default_factory=list, description="e.g. contacts:read, deals:read, leads:write"
    )
    rate_limit_tier: str = strawberry.field(
        default="api_integration", description="api_integration or premium_integration"
    )
    expires_at: datetime | None = None
    ip_whitelist: list[str] = strawberry.field(
        default_factory=list, description="Addresses or networks (CIDR); empty allows any."
    )

    def to_domain(self) -> api_keys.NewApiKey:
        return api_keys.NewApiKey(
            name=self.name,
            description=self.description,
            permissions=tuple(self.permissions),
            rate_limit_tier=self.rate_limit_tier,
            expires_at=self.expires_at,
            ip_allowlist=tuple(self.ip_whitelist),
        )


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey
    secret: str = strawberry.field(description="Send as X-API-Secret. It is not shown again.")


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey


async def list_keys(info: Info) -> list[ApiKey]:
    async with info.context.session() as session:
        rows = await api_keys.list_api_keys(session, scope=info.context.scope)
    return [ApiKey.from_row(row) for row in rows]


@strawberry.type
class ApiKeyQuery:
    api_keys: list[ApiKey] = strawberry.field(
        resolver=list_keys,
        description="The tenant's first 100 API keys, oldest first (never their secrets).",
    )


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(
        description="Create an API key; its secret is in this response only.",
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        data = input.to_domain()
        row, secret = await info.context.write(
            lambda session, scope: api_keys.create_api_key(session, scope=scope, data=data)
        )
        return CreateApiKeyPayload(api_key=ApiKey.from_row(row), secret=secret)

    @strawberry.mutation(description="Revoke an API key at once.")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKeyPayload:
        key_id = parse_id(id)
        row = await info.context.write(
            lambda session, scope: api_keys.revoke_api_key(session, scope=scope, key_id=key_id)
        )
        return ApiKeyPayload(api_key=ApiKey.from_row(row))
