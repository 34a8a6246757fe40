"""POST /oauth2/token: the client_credentials grant for integrations (API key → short JWT)."""

from __future__ import annotations

import json
from datetime import timedelta

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from crmgraph.auth.authenticate import client_ip
from crmgraph.auth.tokens import issue_token
from crmgraph.rest.errors import invalid_body
from crmgraph.rest.operations import Operation, Reply
from crmgraph.rest.payloads import TokenRequest, TokenResponse
from crmgraph.runtime import Runtime

TOKEN_TTL = timedelta(minutes=15)


def oauth_operations(runtime: Runtime) -> list[Operation]:
    async def token(request: Request) -> JSONResponse:
        try:
            if request.headers.get("content-type", "").startswith("application/x-www-form"):
                form = await request.form()
                body = TokenRequest.model_validate({k: str(v) for k, v in form.items()})
            else:
                body = TokenRequest.model_validate_json(await request.body(), strict=True)
        except (ValidationError, json.JSONDecodeError) as exc:
            raise invalid_body(exc) from exc
        headers = {k.lower(): v for k, v in request.headers.items()}
        peer = request.client.host if request.client else None
        key = await runtime.authenticator.api_keys.verify(
            body.client_id, body.client_secret, client_ip(headers, peer, runtime.settings),
            fresh=True,
        )  # fmt: skip
        requested = set((body.scope or "").split())
        granted = [p for p in key.permissions if not requested or p in requested]
        access = issue_token(
            runtime.settings,
            tenant_id=key.tenant_id,
            subject=f"api_key:{key.id}",
            permissions=tuple(granted),
            ttl=TOKEN_TTL,
            # api_key_id: every request with this token checks the key again.
            extra={"api_key_id": str(key.id), "rate_limit_tier": key.rate_limit_tier},
        )
        response = TokenResponse(
            access_token=access, expires_in=int(TOKEN_TTL.total_seconds()), scope=" ".join(granted)
        )
        # OAuth2 (RFC 6749 5.1): the token response is the bare object, not our envelope.
        return JSONResponse(response.model_dump(), headers={"Cache-Control": "no-store"})

    return [
        Operation("POST", "/oauth2/token", token, name="issueToken", body=TokenRequest,
                  body_media=("application/json", "application/x-www-form-urlencoded"),
                  summary="client_credentials: exchange an API key for a short-lived JWT",
                  replies={200: Reply("A bearer token (RFC 6749 5.1: the bare object)",
                                      TokenResponse, enveloped=False)}),
    ]  # fmt: skip
