// Security headers and CORS for every gateway response ("Security Headers and
// CORS" in the API design). The REST shim sends the same set
// (src/crmgraph/rest/security.py); keep the two in step.
import type { GatewayPlugin } from '@graphql-hive/gateway';

/** Origins allowed when CRMGRAPH_CORS_ORIGINS is unset: local front ends and GraphiQL. */
export const DEFAULT_CORS_ORIGINS = [
  'http://localhost:3000',
  'https://localhost:3000',
  'http://localhost:4000',
  'http://127.0.0.1:4000',
];

const API_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'";

// Hive Laboratory (GET /graphql, text/html) is one page of inline script that
// starts its editor workers from blob: URLs and loads monaco from jsdelivr.
const GRAPHIQL_CDN = 'https://cdn.jsdelivr.net';
const GRAPHIQL_CSP = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline' 'unsafe-eval' blob: ${GRAPHIQL_CDN}`,
  `worker-src 'self' blob: ${GRAPHIQL_CDN}`,
  `style-src 'self' 'unsafe-inline' ${GRAPHIQL_CDN}`,
  `font-src 'self' data: ${GRAPHIQL_CDN}`,
  "img-src 'self' data: blob:",
  `connect-src 'self' ${GRAPHIQL_CDN}`,
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'X-XSS-Protection': '1; mode=block',
  'Content-Security-Policy': API_CSP,
  'Referrer-Policy': 'strict-origin-when-cross-origin',
};

/** Adds SECURITY_HEADERS to every response, with a GraphiQL-friendly CSP on HTML. */
export const securityHeaders: GatewayPlugin = {
  onResponse({ response }) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      response.headers.set(name, value);
    }
    if (response.headers.get('content-type')?.startsWith('text/html')) {
      response.headers.set('Content-Security-Policy', GRAPHIQL_CSP);
    }
    // The CORS headers below depend on the Origin, so caches must key on it.
    const vary = response.headers.get('vary');
    if (!vary?.toLowerCase().split(/,\s*/).includes('origin')) {
      response.headers.set('Vary', vary ? `${vary}, Origin` : 'Origin');
    }
  },
} as GatewayPlugin;

/** CRMGRAPH_CORS_ORIGINS: comma-separated origins; `*` may stand for one host label. */
export function corsOriginsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const raw = env.CRMGRAPH_CORS_ORIGINS;
  if (raw === undefined) return DEFAULT_CORS_ORIGINS;
  return raw
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

/** A predicate for the allow-list; `https://*.example.com` matches one subdomain label. */
export function originMatcher(origins: string[]): (origin: string) => boolean {
  const exact = new Set(origins.filter((o) => !o.includes('*')));
  const patterns = origins
    .filter((o) => o.includes('*'))
    .map(
      (o) =>
        new RegExp(
          `^${o.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('[A-Za-z0-9-]+')}$`,
        ),
    );
  return (origin) => exact.has(origin) || patterns.some((p) => p.test(origin));
}

/**
 * Yoga's `cors` option as a per-request factory. An unlisted origin gets no
 * CORS headers at all: given an array, Yoga would answer it with
 * `Access-Control-Allow-Origin: null` plus credentials, and a one-item array
 * would be sent to every origin.
 */
export function corsFor(origins: string[]) {
  const allowed = originMatcher(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !allowed(origin)) return false as const;
    return {
      origin,
      credentials: true,
      methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'Accept',
        'X-API-Key',
        'X-API-Secret',
        'X-Tenant-ID',
        'X-Request-ID',
      ],
      exposedHeaders: [
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Retry-After',
        'X-Request-ID',
      ],
      maxAge: 86400,
    };
  };
}
