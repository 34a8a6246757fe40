"""Whom a GraphQL request counts against, asked of the REST shim's /internal/introspect as
router-config/identity.ts asks it: answers cached per credential for a few seconds, and every
request counted by address while the shim does not answer. The router does not tell its
coprocessor the client's address (Hive Router 0.2.0 has no peer address for it), so requests
without credentials share the `ip:unknown` bucket, an API key with an allow-list is refused,
and while the shim does not answer each credential counts in a bucket of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Mapping

import httpx
import orjson

from crmgraph.rest.callers import CREDENTIAL_HEADERS, TIERS, Caller, Tier, by_address

log = logging.getLogger("crmgraph.coprocessor")

CACHE_SECONDS = 5.0
RETRY_SECONDS = 2.0
TIMEOUT_SECONDS = 1.0
MAX_CACHED = 10_000

#: A caller to count, or the message of credentials that did not verify.
Identity = Caller | str


def credentials_of(headers: Mapping[str, object]) -> dict[str, str]:
    """The credential headers of the router's header object (values: a string or a list)."""
    found = {}
    for name in CREDENTIAL_HEADERS:
        value = headers.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        if isinstance(value, str) and value.strip():
            found[name] = value.strip()
    return found


class Identities:
    def __init__(self, url: str, secret: str | None) -> None:
        self._url = url
        self._headers = {"content-type": "application/json", "x-router-secret": secret or ""}
        self._client: httpx.AsyncClient | None = None
        self._cache: dict[bytes, tuple[float, asyncio.Future[Identity]]] = {}
        self._down_until = 0.0
        self._warned_at = 0.0

    async def identify(self, credentials: Mapping[str, str]) -> Identity:
        anonymous = by_address(None)
        if "authorization" not in credentials and "x-api-key" not in credentials:
            return anonymous
        now = time.monotonic()
        key = hashlib.sha256(orjson.dumps(credentials, option=orjson.OPT_SORT_KEYS)).digest()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return await cached[1]  # one question per credential, however many requests wait
        # Without the shim and without the client's address, each credential counts on its
        # own: one bucket for every caller would limit them all together.
        unverified = Caller(f"cred:{key.hex()}", TIERS[0])
        if now < self._down_until:
            return unverified
        if len(self._cache) >= MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
        answer = asyncio.ensure_future(self._answer(key, credentials, unverified))
        self._cache[key] = (now + CACHE_SECONDS, answer)
        return await answer

    async def _answer(self, key: bytes, credentials: Mapping[str, str], unverified: Caller
                      ) -> Identity:  # fmt: skip
        answer = await self._ask(credentials)
        if answer is None:
            self._down_until = time.monotonic() + RETRY_SECONDS
            self._cache.pop(key, None)
            return unverified
        return answer

    async def _ask(self, credentials: Mapping[str, str]) -> Identity | None:
        if self._client is None:  # built inside the serving event loop
            self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
        try:
            response = await self._client.post(
                self._url,
                content=orjson.dumps({"headers": credentials, "address": None}),
                headers=self._headers,
            )
            if response.status_code != 200:
                raise ValueError(f"{self._url} answered {response.status_code}")
            body = orjson.loads(response.content)
            if body.get("active") is True and isinstance(body.get("bucket"), str):
                tier: Tier = next((t for t in TIERS if t == body.get("tier")), TIERS[0])
                return Caller(body["bucket"], tier)
            if body.get("active") is False:
                return str((body.get("error") or {}).get("message") or "invalid credentials")
            raise ValueError(f"{self._url} gave no answer: {response.text[:200]}")
        except (httpx.HTTPError, ValueError) as exc:
            self._warn(exc)
            return None

    def _warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self._warned_at and now - self._warned_at < 60:
            return
        self._warned_at = now
        log.warning("the REST shim did not say who the caller is; counting by address: %r", exc)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
