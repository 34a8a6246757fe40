"""Security headers and CORS for the REST shim, as "Security Headers and CORS" in the API design.

The router sends the same set (router-config/http-security.ts); keep the two in step.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmgraph.config import Settings

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "1; mode=block",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CORS_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "X-API-Key",
    "X-API-Secret",
    "X-Tenant-ID",
    "X-Request-ID",
)
CORS_EXPOSED = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
)
CORS_MAX_AGE = 86400


def parse_origins(value: str) -> tuple[list[str], str | None]:
    """Exact origins, and one regex for those with `*`, which stands for one host label
    (`https://*.example.com` allows `https://app.example.com`, not `https://example.com`)."""
    origins = [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
    exact = [o for o in origins if "*" not in o]
    patterns = ["[A-Za-z0-9-]+".join(re.escape(p) for p in o.split("*")) for o in origins]
    wild = [p for o, p in zip(origins, patterns, strict=True) if "*" in o]
    return exact, "|".join(f"(?:{p})" for p in wild) or None


class SecurityHeadersMiddleware:
    """Sets SECURITY_HEADERS on every HTTP response, including CORS preflight answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(SECURITY_HEADERS)
                # CORS answers differ by Origin, so shared caches must key on it.
                vary = [v.strip().lower() for v in headers.get("vary", "").split(",")]
                if "origin" not in vary:
                    headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: security headers wrap CORS, so preflight answers get them too."""
    origins, origin_regex = parse_origins(settings.cors_origins)
    return [
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_origin_regex=origin_regex,
            allow_credentials=True,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=CORS_EXPOSED,
            max_age=CORS_MAX_AGE,
        ),
    ]
