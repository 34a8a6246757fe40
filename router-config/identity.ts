// Whom the rate limits count: the verified identity behind a request's credentials, asked of
// the REST shim's POST /internal/introspect (RFC 7662 in spirit), which verifies them with the
// same code as the subgraphs: Bearer JWTs and X-API-Key + X-API-Secret against the key table.
// Answers are cached per credential for a few seconds and refreshed ahead of expiry in the
// background (one question per credential at a time), so once a caller has been identified no
// request of theirs waits for the shim: at every expiry all of them used to (bench/README.md,
// issue 16's stall). A request without credentials counts against its client address; while
// the shim does not answer, so does every request whose credentials it has not answered for
// within the grace period.
import { createHash } from 'node:crypto';

export const TIERS = ['authenticated_user', 'api_integration', 'premium_integration'] as const;
export type Tier = (typeof TIERS)[number];

export interface Caller {
  /** Who shares a bucket: `user:<tenant>:<sub>`, `key:<api key id>` or `ip:<address>`. */
  bucket: string;
  tier: Tier;
}

/** The headers that carry credentials, as the REST shim's Authenticator reads them. */
export const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'x-api-secret'] as const;
export type Credentials = Partial<Record<(typeof CREDENTIAL_HEADERS)[number], string>>;

export interface IdentityConfig {
  url: string;
  secret: string | undefined;
  /** How long an answer (valid or not) is reused for the same credentials. */
  cacheMs: number;
  /** From this age on, the first request with the credentials asks again in the background. */
  refreshMs: number;
  /** How long past cacheMs an answer is still used while its refresh has not come back. */
  graceMs: number;
  /** How long the shim is left alone after it did not answer. */
  retryMs: number;
  timeoutMs: number;
}

/** CRMGRAPH_AUTH_URL and CRMGRAPH_ROUTER_SECRET (shared with the Python services). */
export function identityFromEnv(env: NodeJS.ProcessEnv): IdentityConfig {
  const url = env.CRMGRAPH_AUTH_URL?.trim() || 'http://127.0.0.1:8000/internal/introspect';
  try {
    new URL(url);
  } catch {
    throw new Error(`CRMGRAPH_AUTH_URL must be a URL, got ${JSON.stringify(url)}`);
  }
  return {
    url,
    secret: env.CRMGRAPH_ROUTER_SECRET || undefined,
    cacheMs: 5000,
    refreshMs: 4000,
    graceMs: 5000,
    retryMs: 2000,
    timeoutMs: 1000,
  };
}

/** A caller to count, or credentials that did not verify (UNAUTHENTICATED, nothing counted). */
export type Identity = { caller: Caller } | { refused: string };

const MAX_CACHED = 10_000;

/**
 * The three credential headers of a header source whose names may be in any case (a
 * graphql-ws connectionParams object); later entries win, as in the gateway's own
 * `{...upgradeHeaders, ...connectionParams}`.
 */
export function credentialsOf(...sources: Array<Record<string, unknown> | undefined>): Credentials {
  const found: Credentials = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source ?? {})) {
      const name = key.toLowerCase() as keyof Credentials;
      if ((CREDENTIAL_HEADERS as readonly string[]).includes(name) && typeof value === 'string' && value.trim()) {
        found[name] = value.trim();
      }
    }
  }
  return found;
}

/** An answer asked for at `at`: `value` once the shim gave it; `refreshing` while asked again. */
interface Entry {
  at: number;
  answer: Promise<Identity>;
  value?: Identity;
  refreshing: boolean;
}

export class Identifier {
  private cache = new Map<string, Entry>();
  private downUntil = 0;
  private warnedAt = 0;

  constructor(readonly config: IdentityConfig) {
    if (!config.secret) {
      this.warn('CRMGRAPH_ROUTER_SECRET is not set: the REST shim will not answer, every caller is counted by address');
    }
  }

  /** Who to count: the verified identity, the client address without credentials, or refused. */
  async identify(credentials: Credentials, address: string | undefined): Promise<Identity> {
    const byAddress: Identity = { caller: { bucket: `ip:${address ?? 'unknown'}`, tier: 'authenticated_user' } };
    if (!credentials.authorization && !credentials['x-api-key']) return byAddress;
    const now = Date.now();
    // The address is part of the question: an API key may be limited to some addresses.
    const key = createHash('sha256').update(JSON.stringify([credentials, address ?? null])).digest('base64');
    const cached = this.cache.get(key);
    if (cached) {
      const age = now - cached.at;
      if (cached.value && age < this.config.cacheMs + this.config.graceMs) {
        if (age >= this.config.refreshMs) this.refresh(key, cached, credentials, address);
        return cached.value;
      }
      if (!cached.value && age < this.config.cacheMs) return cached.answer; // asked, not answered yet
    }
    if (now < this.downUntil) return byAddress;
    const entry: Entry = { at: now, answer: Promise.resolve(byAddress), refreshing: false };
    entry.answer = this.ask(credentials, address).then((identity) => {
      if (identity) return (entry.value = identity);
      if (this.cache.get(key) === entry) this.cache.delete(key);
      this.downUntil = Date.now() + this.config.retryMs;
      return byAddress;
    });
    this.remember(key, entry);
    return entry.answer;
  }

  /**
   * Asks again for an answer in use, once at a time per credential; requests meanwhile get the
   * answer in hand. Without a new answer the old one serves until its grace period ends.
   */
  private refresh(key: string, entry: Entry, credentials: Credentials, address: string | undefined): void {
    if (entry.refreshing || Date.now() < this.downUntil) return;
    entry.refreshing = true;
    void this.ask(credentials, address).then((identity) => {
      entry.refreshing = false;
      if (!identity) {
        this.downUntil = Date.now() + this.config.retryMs;
        return;
      }
      if (this.cache.get(key) !== entry) return; // evicted meanwhile
      this.remember(key, { at: Date.now(), answer: Promise.resolve(identity), value: identity, refreshing: false });
    });
  }

  /** Entries all live as long, so the oldest (re)inserted go first when the cache is full. */
  private remember(key: string, entry: Entry): void {
    this.cache.delete(key);
    if (this.cache.size >= MAX_CACHED) {
      for (const old of this.cache.keys()) {
        this.cache.delete(old);
        if (this.cache.size < MAX_CACHED * 0.9) break;
      }
    }
    this.cache.set(key, entry);
  }

  /** The shim's answer, or null when it did not give one. */
  private async ask(credentials: Credentials, address: string | undefined): Promise<Identity | null> {
    try {
      const response = await fetch(this.config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-router-secret': this.config.secret ?? '' },
        body: JSON.stringify({ headers: credentials, address: address ?? null }),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      if (response.status !== 200) throw new Error(`${this.config.url} answered ${response.status}`);
      const body = (await response.json()) as Record<string, any>;
      if (body.active === true && typeof body.bucket === 'string' && body.bucket) {
        const tier: Tier = (TIERS as readonly unknown[]).includes(body.tier) ? body.tier : 'authenticated_user';
        return { caller: { bucket: body.bucket, tier } };
      }
      if (body.active === false) return { refused: String(body.error?.message ?? 'invalid credentials') };
      throw new Error(`${this.config.url} gave no answer: ${JSON.stringify(body).slice(0, 200)}`);
    } catch (error) {
      this.warn(`the REST shim did not say who the caller is; counting by address: ${(error as Error).message}`);
      return null;
    }
  }

  /** Once a minute at most, like the limiter's own warning. */
  private warn(message: string): void {
    const now = Date.now();
    if (now - this.warnedAt < 60_000) return;
    this.warnedAt = now;
    console.warn(JSON.stringify({ level: 'warn', event: 'auth_unavailable', at: new Date(now).toISOString(), message }));
  }
}
