// The rate-limit algorithm of rate-limit.lua, in memory, for one process without Redis
// (embedded mode, `REDIS_URL=memory://`). Keep the two in step: the same keys, arguments and
// answer, so rate-limit.ts cannot tell them apart.

/** One decision: [allowed, remaining, reset_at_ms, retry_after_ms, which] as the script returns. */
export type Raw = [number, number, number, number, number];

/** The same algorithm as rate-limit.lua, for one process without Redis (embedded mode). */
export class MemoryStore {
  private buckets = new Map<string, { t: number; ts: number; expires: number }>();
  private counters = new Map<string, { n: number; expires: number }>();

  constructor() {
    setInterval(() => this.sweep(), 60_000).unref();
  }

  run(keys: string[], args: number[]): Raw {
    const now = Date.now();
    const [capacity, perMinute, perHour, perDay] = args;
    const level = (key: string, cap: number, rpm: number): [number, number] => {
      const rate = rpm / 60_000;
      const state = this.buckets.get(key);
      if (!state || state.expires <= now) return [cap, rate];
      return [Math.min(cap, state.t + Math.max(0, now - state.ts) * rate), rate];
    };
    const counted = (key: string) => {
      const c = this.counters.get(key);
      return c && c.expires > now ? c : undefined;
    };
    let which = 0;
    let retry = 0;
    const refuse = (kind: number, wait: number) => {
      if (wait > retry || which === 0) [which, retry] = [kind, wait];
    };
    const [tokens, rate] = level(keys[0], capacity, perMinute);
    if (tokens < 1) refuse(1, Math.ceil((1 - tokens) / rate));
    const hour = counted(keys[1]);
    const day = counted(keys[2]);
    if ((hour?.n ?? 0) >= perHour) refuse(2, hour!.expires - now);
    if ((day?.n ?? 0) >= perDay) refuse(3, day!.expires - now);
    const fields = keys.slice(3).map((key, i) => {
      const limit = args[4 + i];
      const [have, fieldRate] = level(key, limit, limit);
      if (have < 1) refuse(4 + i, Math.ceil((1 - have) / fieldRate));
      return { key, have, fieldRate, limit };
    });
    if (which !== 0) return [0, 0, now + retry, retry, which];

    const take = (key: string, have: number, cap: number, r: number) =>
      this.buckets.set(key, { t: have - 1, ts: now, expires: now + Math.ceil((cap - have + 1) / r) + 1000 });
    take(keys[0], tokens, capacity, rate);
    for (const f of fields) take(f.key, f.have, f.limit, f.fieldRate);
    const bump = (key: string, current: { n: number; expires: number } | undefined, window: number) =>
      this.counters.set(key, current ? { n: current.n + 1, expires: current.expires } : { n: 1, expires: now + window });
    bump(keys[1], hour, 3_600_000);
    bump(keys[2], day, 86_400_000);
    const left = Math.min(Math.floor(tokens - 1), perHour - (hour?.n ?? 0) - 1, perDay - (day?.n ?? 0) - 1);
    return [1, left, now + Math.ceil((capacity - tokens + 1) / rate), 0, 0];
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, value] of this.buckets) if (value.expires <= now) this.buckets.delete(key);
    for (const [key, value] of this.counters) if (value.expires <= now) this.counters.delete(key);
  }
}

