import type { Identity } from 'graphql-rate-limit';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config.js';
import { InProcessRateLimitStore } from './in-process-store.js';
import { RedisRateLimitStore } from './redis-store.js';

/** What a store answers for one call. */
export interface RateLimitDecision {
  allowed: boolean;
  /** When refused: milliseconds until the call would fit (for `Retry-After`); 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Where calls are counted: per identity — graphql-rate-limit's `Identity`, the caller
 * (`contextIdentity`) and what it calls (`fieldIdentity`, from the library's `getFieldIdentity`,
 * see src/rate-limit/limiter.ts) — "at most `max` calls per `windowMs`", by a sliding-window
 * counter (src/rate-limit/sliding-window.ts): constant time and memory per call whatever the
 * limit. `hit` checks and records in one step, so concurrent calls cannot both take the last
 * place; a refused call is not recorded. `cost` is how many calls this one counts as.
 *
 * graphql-rate-limit's own stores (its `Store`: `getForIdentity` / `setForIdentity` of a list of
 * call timestamps) keep one timestamp per call and its limiter reads and filters the whole list
 * on every call, so its cost grows with the limit; a read-then-write is also not atomic across
 * processes. This store keeps the library's identities and its decisions — identical for a burst
 * at and over the limit within a window, the library's limiter with `uncountRejected` (test/rate-limit-library.test.ts) —
 * with three numbers per identity. After a window the counter assumes the previous window's calls
 * were spread evenly, the usual approximation of a sliding window counter, where the library's
 * log knows when each one was made. Refusals are the library's `RateLimitError` (limiter.ts).
 */
export interface RateLimitStore {
  /** A store that decides in memory answers at once (no await on the hot path); a shared one, a promise. */
  hit(identity: Identity, max: number, windowMs: number, cost?: number): RateLimitDecision | Promise<RateLimitDecision>;
  /** Releases connections (the plugin calls it when the app is disposed). */
  close(): Promise<void>;
}

/** The shared Redis store when the config names one (`REDIS_URL`), the in-process one otherwise. */
export function openRateLimitStore(config: RateLimitConfig, deps: { now: () => Date; logger: Logger }): RateLimitStore {
  return config.redis ? new RedisRateLimitStore({ ...config.redis, ...deps }) : new InProcessRateLimitStore(deps.now);
}
