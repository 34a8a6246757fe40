"""Bearer tokens: verifying the identity provider's JWTs, and issuing our own.

Keys, in the order tried: a JWKS URL (RS256/ES256; cached, refetched when a token names an
unknown kid, at most once per JWKS_REFRESH_SECONDS), a PEM public key, and an HS256 secret,
which is accepted only when JWT_SECRET is set. crmgraph issues tokens only for integrations
(client_credentials) and local development, signed with JWT_PRIVATE_KEY (RS256) if set, else
JWT_SECRET (HS256).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from crmgraph.config import Settings
from crmgraph.errors import DomainError, ErrorCode

ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
# Unknown kids refetch the JWKS, but not more often than this: random kids must not turn
# crmgraph into a flood against the identity provider.
JWKS_REFRESH_SECONDS = 2.0
# Verified tokens are remembered (their exact text) so a client's every request does not pay
# for signature checking again; bounded, never past the token's exp, and never past the
# withdrawal of the JWKS key that signed it.
VERIFIED_CACHE_SIZE = 4096


# The JWKS kid and key a token was verified with; None for a PEM key or the HS256 secret.
_JwksKey = tuple[str, jwt.PyJWK] | None


def unauthenticated(message: str) -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, message)


@dataclass
class JwksCache:
    """The identity provider's signing keys, fetched over HTTP without blocking the loop."""

    url: str
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def key(self, kid: str) -> jwt.PyJWK:
        if kid not in self.keys:
            await self._refresh()
        if kid not in self.keys:
            raise unauthenticated(f"invalid token: unknown signing key {kid!r}")
        return self.keys[kid]

    async def _refresh(self) -> None:
        async with self.lock:
            if time.monotonic() - self.fetched_at < JWKS_REFRESH_SECONDS and self.keys:
                return
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                keyset = jwt.PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                raise unauthenticated(f"signing keys unavailable from {self.url}") from exc
            self.keys = {k.key_id: k for k in keyset.keys if k.key_id}
            self.fetched_at = time.monotonic()


class TokenVerifier:
    """Checks signature, iss, aud, exp and nbf (with leeway); returns the claims."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwks = JwksCache(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._pem = settings.jwt_public_key_pem()
        # token -> (valid until, claims, the JWKS kid and key that verified it, if any)
        self._verified: OrderedDict[str, tuple[float, dict[str, Any], _JwksKey]] = OrderedDict()

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims. A token verified in the last auth_cache_seconds is taken from
        memory until its exp (leeway included), unless the JWKS key that verified it has been
        withdrawn or replaced since; failures are never cached."""
        now = time.time()
        hit = self._verified.get(token)
        if hit is not None and now < hit[0] and self._still_published(hit[2]):
            self._verified.move_to_end(token)
            return hit[1]
        self._verified.pop(token, None)
        claims, signer = await self._verify(token)
        expires = float(claims["exp"]) + self._settings.jwt_leeway_seconds
        until = min(expires, now + self._settings.auth_cache_seconds)
        self._verified[token] = (until, claims, signer)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return claims

    def _still_published(self, signer: _JwksKey) -> bool:
        if signer is None or self._jwks is None:
            return True  # a PEM key or secret: fixed for the life of the process
        kid, key = signer
        return self._jwks.keys.get(kid) is key

    async def _verify(self, token: str) -> tuple[dict[str, Any], _JwksKey]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthenticated("invalid token: not a JWT") from exc
        algorithm = str(header.get("alg", ""))
        key: Any
        signer: _JwksKey = None
        if algorithm == "HS256":
            if not self._settings.jwt_secret:
                raise unauthenticated("invalid token: HS256 tokens are not accepted here")
            key = self._settings.jwt_secret
        elif algorithm in ASYMMETRIC:
            key, signer = await self._asymmetric_key(header)
        else:
            raise unauthenticated(f"invalid token: algorithm {algorithm!r} is not accepted")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuers,
                leeway=self._settings.jwt_leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise unauthenticated(f"invalid token: {exc}") from exc
        return claims, signer

    async def _asymmetric_key(self, header: Mapping[str, Any]) -> tuple[Any, _JwksKey]:
        kid = header.get("kid")
        if self._jwks is not None and isinstance(kid, str):
            published = await self._jwks.key(kid)
            return published.key, (kid, published)
        if self._pem is not None:
            return self._pem, None
        raise unauthenticated("invalid token: no key configured for asymmetric tokens")


def issue_token(
    settings: Settings,
    *,
    tenant_id: str,
    subject: str,
    roles: tuple[str, ...] = (),
    permissions: tuple[str, ...] = (),
    ttl: timedelta = timedelta(hours=1),
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A token crmgraph itself accepts (integrations, local development)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuers[0],
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "tenant_id": tenant_id,
        "user_roles": list(roles),
        **({"permissions": list(permissions)} if permissions else {}),
        **(extra or {}),
    }
    private = settings.jwt_private_key_pem()
    if private is not None:
        return jwt.encode(claims, private, algorithm="RS256", headers={"kid": settings.jwt_key_id})
    if settings.jwt_secret:
        return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    raise DomainError(
        ErrorCode.INTEGRATION_ERROR, "no signing key: set JWT_PRIVATE_KEY or JWT_SECRET"
    )
