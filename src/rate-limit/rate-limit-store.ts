import type { GraphQLResolveInfo } from 'graphql';
import { getGraphQLRateLimiter } from 'graphql-rate-limit';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config.js';
import { RedisRateLimitStore } from './redis-store.js';
import { SlidingWindowStore } from './store.js';

/** What a store answers for one call. */
export interface RateLimitDecision {
  allowed: boolean;
  /** When refused: milliseconds until one more call would fit (for `Retry-After`); 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Where the rate-limit plugin counts calls: one sliding window of call times per policy and
 * identity. `hit` checks and records in one step, so concurrent calls cannot both take the last
 * place; a refused call is not recorded.
 */
export interface RateLimitStore {
  hit(policy: string, identity: string, max: number, windowMs: number): Promise<RateLimitDecision>;
  /** Releases connections (the plugin calls it when the app is disposed). */
  close(): Promise<void>;
}

/**
 * The in-process store: graphql-rate-limit's sliding-window limiter over our SlidingWindowStore
 * (atomic within this process, on the app clock). One process counts on its own.
 */
export function inProcessRateLimitStore(now: () => Date): RateLimitStore {
  const windows = new SlidingWindowStore(now);
  const limiter = getGraphQLRateLimiter({
    store: windows,
    // The limiter is handed a small context of our own: the identity is worked out per policy.
    identifyContext: (subject: { identity: string }) => subject.identity,
  });
  return {
    async hit(policy, identity, max, windowMs) {
      const refused = await limiter(
        { parent: undefined, args: {}, context: { identity }, info: { fieldName: policy } as GraphQLResolveInfo },
        { max, window: `${windowMs}ms`, uncountRejected: true },
      );
      if (!refused) return { allowed: true, retryAfterMs: 0 };
      return { allowed: false, retryAfterMs: windows.msUntilAllowed({ contextIdentity: identity, fieldIdentity: policy }, max, windowMs) };
    },
    async close() {},
  };
}

/** The shared Redis store when the config names one (`REDIS_URL`), the in-process one otherwise. */
export function openRateLimitStore(config: RateLimitConfig, deps: { now: () => Date; logger: Logger }): RateLimitStore {
  return config.redis
    ? new RedisRateLimitStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix, ...deps })
    : inProcessRateLimitStore(deps.now);
}
