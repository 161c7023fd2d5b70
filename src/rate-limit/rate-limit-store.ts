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
 * Where the rate-limit plugin counts calls: per policy and identity, "at most `max` calls per
 * `windowMs`" by a sliding-window counter (src/rate-limit/sliding-window.ts), constant time and
 * memory per call whatever the limit. `hit` checks and records in one step, so concurrent calls cannot both take the last
 * place; a refused call is not recorded. `cost` is how many calls this one counts as.
 *
 * This is the seam graphql-rate-limit's `getGraphQLRateLimiter` offered (check and record one
 * call of an identity against max/window, refused calls uncounted), with what it lacked: a cost
 * per call, the wait until the call fits, and a store that does not keep one timestamp per call.
 */
export interface RateLimitStore {
  hit(policy: string, identity: string, max: number, windowMs: number, cost?: number): Promise<RateLimitDecision>;
  /** Releases connections (the plugin calls it when the app is disposed). */
  close(): Promise<void>;
}

/** The shared Redis store when the config names one (`REDIS_URL`), the in-process one otherwise. */
export function openRateLimitStore(config: RateLimitConfig, deps: { now: () => Date; logger: Logger }): RateLimitStore {
  return config.redis
    ? new RedisRateLimitStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix, ...deps })
    : new InProcessRateLimitStore(deps.now);
}
