// Hive Gateway configuration for crmgraph.
//
// `hive-gateway` auto-loads this file (gateway.config.ts) from its working
// directory, so run it from router-config/ (`npm start`). See README.md.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type GatewayPlugin } from '@graphql-hive/gateway';
import { SUBGRAPHS } from './compose.mjs';
import { corsFor, corsOriginsFromEnv, securityHeaders } from './http-security.ts';
import { csrfPrevention } from './http-security.ts';
import { errorCodes } from './error-codes.ts';
import { abuseLimitPlugins, limitsFromEnv } from './limits.ts';
import { RateLimiter, rateLimitPlugin, rateLimitsFromEnv } from './rate-limit.ts';
import { subgraphFaults, subgraphTimeoutFromEnv } from './subgraph-faults.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const limits = limitsFromEnv(env);
const subgraphTimeoutMs = subgraphTimeoutFromEnv(env);
/** One limiter (one Redis connection) for the process, however often plugins are built. */
const rateLimiter = new RateLimiter(rateLimitsFromEnv(env));
/** CRMGRAPH_DEBUG (or DEBUG) = true: masked errors carry the original message and stack. */
const debug = ['1', 'true', 'yes'].includes((env.CRMGRAPH_DEBUG ?? env.DEBUG ?? '').toLowerCase());

/**
 * CRMGRAPH_ROUTER_SECRET: sent to every subgraph as `x-router-secret`; the subgraphs refuse
 * any request without it. No default, so the gateway does not start without one.
 */
function routerSecretFromEnv(env: NodeJS.ProcessEnv): string {
  const secret = env.CRMGRAPH_ROUTER_SECRET ?? '';
  if (secret.length < 32 || !/^[\x21-\x7e]+$/.test(secret) || /[{}]/.test(secret)) {
    throw new Error(
      'CRMGRAPH_ROUTER_SECRET must be set to the secret the subgraphs share: at least 32 ' +
        'printable characters without spaces or braces (make one with: openssl rand -hex 32)',
    );
  }
  return secret;
}
const ROUTER_SECRET = routerSecretFromEnv(env);

/** Client headers passed through to every subgraph (HTTP and WebSocket). */
const FORWARDED_HEADERS = [
  'authorization',
  'x-api-key',
  'x-api-secret',
  'x-tenant-id',
  'x-request-id',
] as const;
/** Sent to every subgraph too, but set by the router: the client's list plus its address. */
const ALL_FORWARDED = [...FORWARDED_HEADERS, 'x-forwarded-for'] as const;

/** The address the client connected from (IPv4-mapped IPv6 written as IPv4). */
function peerAddress(context: any): string | undefined {
  const address: string | undefined = context.req?.socket?.remoteAddress ?? context.request?.ip;
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * Collect the forwarded headers into `context.forwardedHeaders` with
 * lower-case names.
 *
 * `context.headers` holds the HTTP request headers. For graphql-ws clients,
 * the gateway sets it to `{...upgradeHeaders, ...connectionParams}`, so a
 * connectionParams value wins over an upgrade header. connectionParams keys
 * keep whatever case the client used (`Authorization` is common), so match
 * names case-insensitively; the last match wins, which is the connectionParams value.
 */
const collectForwardedHeaders: GatewayPlugin = {
  onContextBuilding({ context, extendContext }) {
    const source = ((context as any).headers ?? {}) as Record<string, unknown>;
    const forwarded: Record<string, string> = {};
    for (const key of Object.keys(source)) {
      const name = key.toLowerCase();
      const value = source[key];
      if ((FORWARDED_HEADERS as readonly string[]).includes(name) && typeof value === 'string' && value !== '') {
        forwarded[name] = value;
      }
    }
    // The subgraphs believe only the last hop (the one the router appends), so a client
    // cannot pass for another address by sending X-Forwarded-For itself.
    const claimed = source['x-forwarded-for'] ?? source['X-Forwarded-For'];
    const peer = peerAddress(context);
    if (peer) {
      forwarded['x-forwarded-for'] = typeof claimed === 'string' && claimed ? `${claimed}, ${peer}` : peer;
    }
    extendContext({ forwardedHeaders: forwarded } as any);
  },
};

/** `[name, '{context.forwardedHeaders.<name>}']` pairs for transport interpolation. */
const interpolated = ALL_FORWARDED.map(
  (name) => [name, `{context.forwardedHeaders.${name}}`] as [string, string],
);
/**
 * The subgraph WebSocket's upgrade headers: the client's, and the router's secret, which the
 * subgraph checks before it accepts the upgrade. (A literal: braces are refused above, so
 * interpolation leaves it as it is.)
 */
const upgradeHeaders: [string, string][] = [...interpolated, ['x-router-secret', ROUTER_SECRET]];

/**
 * Per-subgraph location overrides from CRMGRAPH_<NAME>_URL (the same variables
 * compose.mjs reads). These let the gateway run against the checked-in
 * supergraph in docker without recomposing. Without the variable, the URL
 * baked into the supergraph is used.
 */
const locationOverrides = Object.fromEntries(
  SUBGRAPHS.flatMap(({ name }: { name: string }) => {
    const url = env[`CRMGRAPH_${name.toUpperCase()}_URL`]?.trim();
    return url ? [[name, { location: url }]] : [];
  }),
);

export const gatewayConfig = defineConfig({
  // Precedence: a positional path given to `hive-gateway supergraph <path>`
  // overrides this setting.
  supergraph: env.CRMGRAPH_SUPERGRAPH || resolve(HERE, '..', 'schema', 'supergraph.graphql'),

  // Precedence: --host/--port flags and the HOST/PORT env vars (both read by
  // the CLI) override these values.
  host: env.CRMGRAPH_GATEWAY_HOST || '127.0.0.1',
  port: Number(env.CRMGRAPH_GATEWAY_PORT || 4000),

  logging: (env.CRMGRAPH_GATEWAY_LOG_LEVEL as any) || 'info',

  // GET /graphql with Accept: text/html serves the Hive Laboratory UI.
  graphiql: true,

  // Errors that subgraphs return are GraphQLErrors. They pass through
  // unmasked with their message, path and extensions ({code, field}).
  // Masking applies only to unexpected errors inside the gateway (they become
  // "Unexpected error."), so keep it on. isDev would add the original message
  // and stack to extensions; Yoga turns it on for NODE_ENV=development, so
  // tie it to our debug switch instead.
  maskedErrors: { isDev: debug },
  // By default the gateway adds extensions.serviceName to every subgraph
  // error, and adds code DOWNSTREAM_SERVICE_ERROR when the error has no code.
  // Turn that off so that subgraph errors reach clients unchanged.
  subgraphErrors: false,

  // Introspection off also hides "Did you mean ...?" in validation errors,
  // which would otherwise spell the schema out field by field.
  disableIntrospection: !limits.introspection,
  blockFieldSuggestions: !limits.introspection,

  cors: corsFor(corsOriginsFromEnv(env)),

  // The rate limit wraps the request parser after the body-size limit does.
  plugins: () => [
    securityHeaders,
    csrfPrevention,
    errorCodes,
    ...abuseLimitPlugins(limits),
    rateLimitPlugin(rateLimiter),
    collectForwardedHeaders,
    subgraphFaults(subgraphTimeoutMs),
  ],

  // Client -> subgraph headers over HTTP (queries, mutations, _entities calls), and the
  // router's secret, never the client's: x-router-secret is not in FORWARDED_HEADERS.
  propagateHeaders: {
    fromClientToSubgraphs({ context }) {
      return { ...((context as any).forwardedHeaders ?? {}), 'x-router-secret': ROUTER_SECRET };
    },
  },

  transportEntries: {
    ...locationOverrides,
    '*.http': {
      options: {
        // Each client request gets its own upstream requests. Identical
        // concurrent queries are not collapsed into one.
        deduplicateInflightRequests: false,
        // Subscriptions go to the subgraphs over graphql-transport-ws.
        // The default (HTTP SSE) does not work with Strawberry.
        // propagateHeaders has no effect on WebSockets, so pass the headers
        // both on the upgrade request and in the connection_init payload.
        subscriptions: {
          kind: 'ws',
          location: '/graphql',
          headers: upgradeHeaders,
          options: {
            connectionParams: Object.fromEntries(interpolated),
          },
        },
      },
    },
  },
});
