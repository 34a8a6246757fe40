"""Pydantic payloads of the REST shim (names and fields as the API design writes them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from crmgraph.rest.callers import Tier


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    # resource:action[:level]; never `*`
    permissions: list[Annotated[str, Field(pattern=":")]] = Field(default_factory=list)
    rate_limit_tier: Tier = "api_integration"
    expires_at: datetime | None = Field(default=None, description="in the future")
    ip_whitelist: list[str] = Field(default_factory=list)


class ApiKeyCreated(BaseModel):
    id: str
    name: str
    key: str
    secret: str
    permissions: list[str]
    rate_limit_tier: str
    expires_at: datetime | None
    ip_whitelist: list[str]
    created_at: datetime


class TokenRequest(BaseModel):
    """client_credentials: client_id is the API key, client_secret its secret."""

    model_config = ConfigDict(extra="ignore")

    grant_type: Literal["client_credentials"]
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    scope: str | None = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


class IntrospectionRequest(BaseModel):
    """What the router asks /internal/introspect: a request's credential headers (lower-case
    names) and the address its client connected from."""

    model_config = ConfigDict(extra="forbid")

    headers: dict[str, str] = Field(default_factory=dict)
    address: str | None = None


class ApiKeyRevoked(BaseModel):
    id: str
    revoked_at: datetime | None


class Introspection(BaseModel):
    """The router's answer from /internal/introspect (RFC 7662 in spirit): active with the
    caller's bucket and tier (and tenant and subject for a token), or inactive with why."""

    active: bool
    bucket: str | None = None
    tier: str | None = None
    tenant_id: str | None = None
    sub: str | None = None
    error: dict[str, object] | None = None
