// Security headers and CORS for every gateway response ("Security Headers and
// CORS" in the API design), and CSRF prevention for GraphQL requests. The REST
// shim sends the same headers (src/crmgraph/rest/security.py); keep the two in step.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GatewayPlugin } from '@graphql-hive/gateway';
import { GraphQLError } from 'graphql';

/** Origins allowed when CRMGRAPH_CORS_ORIGINS is unset: local front ends and GraphiQL. */
export const DEFAULT_CORS_ORIGINS = [
  'http://localhost:3000',
  'https://localhost:3000',
  'http://localhost:4000',
  'http://127.0.0.1:4000',
];

// One table for both routers: crmgraph.native_router gives the same file to Hive Router.
const TABLE = JSON.parse(
  readFileSync(fileURLToPath(new URL('./security-headers.json', import.meta.url)), 'utf8'),
) as { headers: Record<string, string>; html_csp: string; vary: string };

export const SECURITY_HEADERS: Record<string, string> = TABLE.headers;
// Hive Laboratory (GET /graphql, text/html) is one page of inline script that starts its
// editor workers from blob: URLs and loads monaco from jsdelivr: it gets this policy instead.
const GRAPHIQL_CSP = TABLE.html_csp;

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
    if (!vary?.toLowerCase().split(/,\s*/).includes(TABLE.vary.toLowerCase())) {
      response.headers.set('Vary', vary ? `${vary}, ${TABLE.vary}` : TABLE.vary);
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

/**
 * The request bodies the gateway parses as JSON. (Apollo Router lists
 * application/graphql-response+json instead, but that is a response type, and
 * Yoga parses application/graphql+json, not it.)
 */
export const JSON_CONTENT_TYPES = ['application/json', 'application/graphql+json'];

/**
 * Headers a browser cannot add to a cross-site request without a CORS
 * preflight, which CORS then refuses for unlisted origins: Apollo's two and
 * Yoga's default. Any one of them, with a value, lets a GET through.
 */
export const CSRF_PREFLIGHT_HEADERS = [
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-graphql-yoga-csrf',
];

/** The media type of a Content-Type value, without parameters; null when absent. */
function mediaType(value: string | null): string | null {
  const type = value?.split(';')[0].trim().toLowerCase();
  return type ? type : null;
}

/**
 * CSRF prevention, as Apollo Router does it. A browser sends a cross-site
 * request without a preflight only when it is "simple": GET, or POST with a
 * form, multipart or text/plain body (or none), and no custom header. So:
 * - a body that is not JSON, or a POST without Content-Type, is refused with
 *   415 `INVALID_CONTENT_TYPE_HEADER` (a GET with a non-JSON Content-Type too,
 *   as Apollo Router 2.12.1 does);
 * - a GET with neither a JSON Content-Type nor one of CSRF_PREFLIGHT_HEADERS is
 *   refused with 400 `CSRF_ERROR`.
 * It runs when the request is parsed, before anything is planned or executed;
 * the GraphiQL page (GET, Accept: text/html) is answered before that.
 */
export const csrfPrevention: GatewayPlugin = {
  onRequestParse({ request }) {
    const type = mediaType(request.headers.get('content-type'));
    if (type !== null ? !JSON_CONTENT_TYPES.includes(type) : request.method === 'POST') {
      throw new GraphQLError(
        `'content-type' header must be one of: ${JSON_CONTENT_TYPES.map((t) => `"${t}"`).join(' or ')}`,
        { extensions: { code: 'INVALID_CONTENT_TYPE_HEADER', http: { status: 415 } } },
      );
    }
    if (type === null && !CSRF_PREFLIGHT_HEADERS.some((name) => request.headers.get(name))) {
      throw new GraphQLError(
        'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). ' +
          'Send a Content-Type: application/json header, or a non-empty value for one of: ' +
          `${CSRF_PREFLIGHT_HEADERS.join(', ')}`,
        { extensions: { code: 'CSRF_ERROR', http: { status: 400 } } },
      );
    }
  },
} as GatewayPlugin;
