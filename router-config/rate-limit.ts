// Rate limits ("Rate Limiting and Throttling" in the API design): a token bucket per caller
// for the per-minute rate and burst, fixed hour and day windows, and a bucket per caller and
// expensive root field (searchContacts, reports, forecasts, exports). One decision is one
// run of rate-limit.lua in Redis (REDIS_URL), or the same algorithm in memory without Redis.
// The REST shim runs the same script (src/crmgraph/rest/rate_limit_store.py).
//
// Callers are counted by verified identity only (identity.ts asks the REST shim), else by
// client address; credentials that do not verify are refused before any bucket is touched.
// Every operation counts: HTTP requests as they are parsed, graphql-ws operations (queries,
// mutations and subscriptions alike) as each `subscribe` message arrives.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayPlugin } from '@graphql-hive/gateway';
import { GraphQLError, Kind, parse, type DocumentNode } from 'graphql';
import { Redis } from 'ioredis';
import { MemoryStore, type Raw } from './rate-limit-memory.ts';
import {
  credentialsOf,
  Identifier,
  identityFromEnv,
  TIERS,
  type Caller,
  type Identity,
  type IdentityConfig,
  type Tier,
} from './identity.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SCRIPT = readFileSync(resolve(HERE, 'rate-limit.lua'), 'utf8');
export const KEY_PREFIX = 'crmgraph:rl:';


export interface TierLimits {
  requests_per_minute: number;
  requests_per_hour: number;
  requests_per_day: number;
  burst_limit: number;
}

export interface RateLimits {
  enabled: boolean;
  redisUrl: string;
  tiers: Record<Tier, TierLimits>;
  /** Per caller, per root field, per minute. */
  operations: Record<string, number>;
  /** Where verified identities come from. */
  identity: IdentityConfig;
}

export const DEFAULT_TIERS: Record<Tier, TierLimits> = {
  authenticated_user: {
    requests_per_minute: 1000,
    requests_per_hour: 10000,
    requests_per_day: 100000,
    burst_limit: 50,
  },
  api_integration: {
    requests_per_minute: 5000,
    requests_per_hour: 50000,
    requests_per_day: 500000,
    burst_limit: 100,
  },
  premium_integration: {
    requests_per_minute: 10000,
    requests_per_hour: 100000,
    requests_per_day: 1000000,
    burst_limit: 200,
  },
};

/**
 * 004's expensive endpoints as root fields: searches 100, forecasts 50, reports 20, exports
 * 10 a minute. Export fields do not exist yet; add each here (`exportContacts: 10`) when it lands.
 */
export const DEFAULT_OPERATIONS: Record<string, number> = {
  searchContacts: 100,
  dealForecast: 50,
  salesReport: 20,
  performanceMetrics: 20,
  dashboardData: 20,
  pipelineAnalytics: 20,
  pipelineReport: 20,
  salesDashboard: 20,
};

/**
 * CRMGRAPH_RATE_LIMITS (JSON shaped like 004's YAML, merged over the defaults),
 * CRMGRAPH_RATE_LIMITS_ENABLED and REDIS_URL. A bad value stops the gateway.
 */
export function rateLimitsFromEnv(env: NodeJS.ProcessEnv): RateLimits {
  const enabledRaw = (env.CRMGRAPH_RATE_LIMITS_ENABLED ?? '').trim().toLowerCase();
  if (enabledRaw && !['1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'].includes(enabledRaw)) {
    throw new Error(`CRMGRAPH_RATE_LIMITS_ENABLED must be true or false, got ${JSON.stringify(enabledRaw)}`);
  }
  const tiers = structuredClone(DEFAULT_TIERS);
  const operations = { ...DEFAULT_OPERATIONS };
  const raw = env.CRMGRAPH_RATE_LIMITS?.trim();
  if (raw) {
    const bad = (what: string) => new Error(`CRMGRAPH_RATE_LIMITS: ${what}`);
    const positive = (where: string, value: unknown): number => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
        throw bad(`${where} must be a positive integer, got ${JSON.stringify(value)}`);
      }
      return value;
    };
    let given: Record<string, unknown>;
    try {
      given = JSON.parse(raw);
    } catch {
      throw bad('not valid JSON');
    }
    if (!given || typeof given !== 'object' || Array.isArray(given)) throw bad('must be an object');
    for (const [name, value] of Object.entries(given)) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(`${name} must be an object`);
      if (name === 'routes') continue; // the REST shim's operations (rate_limit_config.py)
      if (name === 'operations') {
        for (const [field, limit] of Object.entries(value)) operations[field] = positive(`operations.${field}`, limit);
      } else if ((TIERS as readonly string[]).includes(name)) {
        const tier = tiers[name as Tier];
        for (const [setting, limit] of Object.entries(value)) {
          if (!(setting in tier)) throw bad(`unknown setting ${name}.${setting}`);
          tier[setting as keyof TierLimits] = positive(`${name}.${setting}`, limit);
        }
      } else {
        throw bad(`unknown key ${name} (tiers: ${TIERS.join(', ')}; or operations)`);
      }
    }
  }
  return {
    enabled: !['0', 'false', 'no', 'off'].includes(enabledRaw),
    redisUrl: env.REDIS_URL?.trim() || 'memory://',
    tiers,
    operations,
    identity: identityFromEnv(env),
  };
}

/** Redis keys of one caller share a hash slot (`{...}`), so the script is cluster-safe. */
export function keysFor(bucket: string, fields: string[]): string[] {
  const safe = bucket.length <= 120 && !/[{}\s]/.test(bucket)
    ? bucket
    : `h:${createHash('sha256').update(bucket).digest('hex')}`;
  const base = `${KEY_PREFIX}{${safe}}`;
  return [`${base}:b`, `${base}:h`, `${base}:d`, ...fields.map((f) => `${base}:op:${f}`)];
}

export interface Decision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetAt: number;
  retryAfter: number;
  /** The limit that refused the request, for the 429 body. */
  refusedBy?: { limit: number; window: string; operation?: string };
}

export class RateLimiter {
  private redis?: Redis;
  private memory?: MemoryStore;
  private warnedAt = 0;
  /** Verifies credentials (only while limits are on: the subgraphs verify in any case). */
  readonly identifier?: Identifier;

  constructor(readonly limits: RateLimits) {
    if (!limits.enabled) return;
    this.identifier = new Identifier(limits.identity);
    if (limits.redisUrl.startsWith('memory://')) {
      this.memory = new MemoryStore();
      return;
    }
    // Fail fast while Redis is away (no offline queue, one try): a request must not wait
    // for the limiter, it passes unlimited instead.
    this.redis = new Redis(limits.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      connectTimeout: 2000,
    });
    this.redis.on('error', (error) => this.warn(error));
    this.redis.defineCommand('crmgraphRateLimit', { lua: SCRIPT });
  }

  /** The decision for one request, or null when limits are off or Redis does not answer. */
  async hit(caller: Caller, fields: string[]): Promise<Decision | null> {
    if (!this.limits.enabled) return null;
    const tier = this.limits.tiers[caller.tier];
    const keys = keysFor(caller.bucket, fields);
    const args = [
      tier.burst_limit,
      tier.requests_per_minute,
      tier.requests_per_hour,
      tier.requests_per_day,
      ...fields.map((f) => this.limits.operations[f]),
    ];
    let raw: Raw;
    if (this.memory) {
      raw = this.memory.run(keys, args);
    } else {
      if (!this.redis) return null;
      try {
        raw = (await (this.redis as any).crmgraphRateLimit(keys.length, ...keys, ...args)) as Raw;
      } catch (error) {
        this.warn(error as Error);
        return null;
      }
    }
    const [allowed, remaining, resetAt, retryAfter, which] = raw.map(Number);
    const decision: Decision = {
      allowed: allowed === 1,
      limit: tier.requests_per_minute,
      remaining: Math.max(0, remaining),
      resetAt: Math.ceil(resetAt / 1000),
      retryAfter: Math.max(1, Math.ceil(retryAfter / 1000)),
    };
    if (!decision.allowed) {
      const operation = fields[which - 4];
      decision.refusedBy =
        which === 2
          ? { limit: tier.requests_per_hour, window: '1 hour' }
          : which === 3
            ? { limit: tier.requests_per_day, window: '1 day' }
            : operation
              ? { limit: this.limits.operations[operation], window: '1 minute', operation }
              : { limit: tier.requests_per_minute, window: '1 minute' };
    }
    return decision;
  }

  /** Limits are protection, not correctness: without Redis, requests pass, and we say so once a minute. */
  private warn(error: Error): void {
    const now = Date.now();
    if (now - this.warnedAt < 60_000) return;
    this.warnedAt = now;
    console.warn(
      JSON.stringify({
        level: 'warn',
        event: 'rate_limit_unavailable',
        at: new Date(now).toISOString(),
        message: `Redis did not answer; requests pass without rate limits: ${error.message}`,
      }),
    );
  }

  async close(): Promise<void> {
    this.redis?.disconnect();
    this.redis = undefined;
  }
}

/** The expensive root fields that the operations of a request select (limited ones only). */
export function expensiveFields(query: unknown, operationName: unknown, limited: Record<string, number>): string[] {
  if (typeof query !== 'string') return [];
  // Most requests name no limited field: skip parsing them (Yoga parses again, with its cache).
  const named = Object.keys(limited).filter((f) => query.includes(f));
  if (!named.length) return [];
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true, maxTokens: 10_000 });
  } catch {
    return []; // Yoga answers with the syntax error.
  }
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : [])),
  );
  const operations = document.definitions.filter(
    (d) =>
      d.kind === Kind.OPERATION_DEFINITION &&
      (typeof operationName !== 'string' || !operationName || d.name?.value === operationName),
  );
  const found = new Set<string>();
  const walk = (selections: readonly any[], seen: Set<string>) => {
    for (const s of selections) {
      if (s.kind === Kind.FIELD && s.name.value in limited) found.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet.selections, seen);
      else if (s.kind === Kind.FRAGMENT_SPREAD && !seen.has(s.name.value)) {
        const fragment = fragments.get(s.name.value);
        if (fragment) walk(fragment.selectionSet.selections, new Set([...seen, s.name.value]));
      }
    }
  };
  for (const op of operations) walk((op as any).selectionSet.selections, new Set());
  return [...found].sort();
}

export function rateLimitHeaders(decision: Decision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(decision.resetAt),
  };
}

/** 004's 429 body, plus `errors` so that GraphQL clients read it as well. */
export function tooManyRequestsBody(decision: Decision): Record<string, unknown> {
  const refused = decision.refusedBy ?? { limit: decision.limit, window: '1 minute' };
  const message = `Rate limit exceeded. Try again in ${decision.retryAfter} seconds.`;
  return {
    success: false,
    error: {
      code: 'RATE_LIMIT_EXCEEDED',
      message,
      details: { ...refused, retry_after: decision.retryAfter },
    },
    errors: [{ message, extensions: { code: 'RATE_LIMIT_EXCEEDED', retry_after: decision.retryAfter } }],
  };
}

/** The client's own address (the router is the first hop; X-Forwarded-For is not believed). */
function peerOf(serverContext: any): string | undefined {
  const address: string | undefined = serverContext?.req?.socket?.remoteAddress;
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

const UNAUTHENTICATED = 'UNAUTHENTICATED';

/** The answer to credentials that did not verify; no bucket was touched. */
function unauthenticatedBody(message: string): Record<string, unknown> {
  return { errors: [{ message, extensions: { code: UNAUTHENTICATED } }] };
}

function logRefusal(caller: Caller, requestId: unknown, decision: Decision): void {
  console.warn(
    JSON.stringify({
      event: 'rate_limit_exceeded',
      at: new Date().toISOString(),
      bucket: caller.bucket,
      tier: caller.tier,
      request_id: typeof requestId === 'string' && requestId ? requestId : randomUUID(),
      ...decision.refusedBy,
      retry_after: decision.retryAfter,
    }),
  );
}

/** One count for one HTTP request or one graphql-ws operation: refused, or the decision. */
async function count(
  limiter: RateLimiter,
  identity: Identity,
  fields: string[],
  requestId: unknown,
): Promise<{ refused: string } | { decision: Decision | null }> {
  if ('refused' in identity) return identity;
  const decision = await limiter.hit(identity.caller, fields);
  if (decision && !decision.allowed) logRefusal(identity.caller, requestId, decision);
  return { decision };
}

/**
 * Counts every GraphQL request once its parameters are read, before the document is
 * validated or planned, so a refused request reaches no subgraph; and every operation sent
 * over graphql-ws the same way, against the same bucket. Wraps the request parser, so list
 * it after plugins that also wrap it (the body-size limit).
 */
export function rateLimitPlugin(limiter: RateLimiter): GatewayPlugin {
  const decided = new WeakMap<Request, Decision>();
  const identifier = limiter.identifier;
  const fieldsOf = (params: any) =>
    expensiveFields(params?.query, params?.operationName, limiter.limits.operations);
  return {
    onRequestParse({ request, serverContext, requestParser, setRequestParser, fetchAPI }) {
      if (!requestParser || !identifier) return;
      setRequestParser(async (req: Request) => {
        const params = await requestParser(req);
        if (params instanceof fetchAPI.Response || params instanceof Response) return params;
        const all = Array.isArray(params) ? params : [params];
        const fields = [...new Set(all.flatMap(fieldsOf))].sort();
        const identity = await identifier.identify(
          credentialsOf(Object.fromEntries(request.headers)),
          peerOf(serverContext),
        );
        const counted = await count(limiter, identity, fields, request.headers.get('x-request-id'));
        if ('refused' in counted) {
          return new fetchAPI.Response(JSON.stringify(unauthenticatedBody(counted.refused)), {
            status: 401,
            headers: { 'content-type': 'application/json; charset=utf-8', 'WWW-Authenticate': 'Bearer' },
          });
        }
        const { decision } = counted;
        if (!decision) return params;
        decided.set(request, decision);
        if (decision.allowed) return params;
        return new fetchAPI.Response(JSON.stringify(tooManyRequestsBody(decision)), {
          status: 429,
          // onResponse adds the X-RateLimit headers, as to every counted request.
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'Retry-After': String(decision.retryAfter),
          },
        });
      });
    },
    // graphql-ws: the gateway runs each `subscribe` message through Yoga's params pipeline
    // with a context holding connectionParams (HTTP contexts have none, and were counted above).
    async onParams({ params, context, setResult }: any) {
      if (!identifier || !context || !('connectionParams' in context)) return;
      const upgrade = context.req?.headers as Record<string, unknown> | undefined;
      const identity = await identifier.identify(
        credentialsOf(upgrade, context.connectionParams),
        peerOf(context),
      );
      const counted = await count(limiter, identity, fieldsOf(params), upgrade?.['x-request-id']);
      if ('refused' in counted) {
        setResult({ errors: [new GraphQLError(counted.refused, { extensions: { code: UNAUTHENTICATED } })] });
      } else if (counted.decision && !counted.decision.allowed) {
        const [error] = tooManyRequestsBody(counted.decision).errors as Array<{ message: string; extensions: any }>;
        setResult({ errors: [new GraphQLError(error.message, { extensions: error.extensions })] });
      }
    },
    // The Redis socket (and its reconnect timer) would keep the process alive after SIGTERM.
    onDispose() {
      return limiter.close();
    },
    onResponse({ request, response }) {
      const decision = decided.get(request);
      if (!decision) return;
      for (const [name, value] of Object.entries(rateLimitHeaders(decision))) {
        response.headers.set(name, value);
      }
    },
  } as GatewayPlugin;
}
