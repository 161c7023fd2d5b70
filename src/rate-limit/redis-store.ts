import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';

/**
 * One call, decided inside Redis so that every gateway process shares one budget and no two
 * calls (from any process) can both take the last place: Redis runs a script without
 * interleaving anything else. The window is a sorted set of call times (score = time in ms).
 *
 * KEYS[1] the window; ARGV: now (ms, the app clock), window (ms), max, a unique member.
 * Answers { 1, 0 } when the call is allowed and recorded, { 0, ms until one more fits } otherwise.
 * A call at t counts while t + window > now, as in the in-process store.
 */
const HIT_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < max then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return { 1, 0 }
end
-- The call that must leave the window before one more fits.
local oldest = redis.call('ZRANGE', KEYS[1], count - max, count - max, 'WITHSCORES')
return { 0, tonumber(oldest[2]) + window - now }
`;

/** A slow or hung Redis must not hold a request longer than this. */
const COMMAND_TIMEOUT_MS = 500;

export interface RedisRateLimitStoreOptions {
  url: string;
  /** Put before every key (`{prefix}rl:{policy}:{identity}`): lets tests, or deployments, share one Redis. */
  keyPrefix?: string;
  now: () => Date;
  logger: Logger;
}

type HitCommand = (key: string, now: number, windowMs: number, max: number, member: string) => Promise<[number, number]>;

/**
 * The shared store, used when `REDIS_URL` is set.
 *
 * **Fails open.** When Redis cannot be reached or does not answer in time, the call is allowed
 * (availability of the configuration API matters more than its limits) and one warning is logged
 * per outage, one info line when it answers again. Commands are never queued while disconnected
 * (`enableOfflineQueue: false`) and time out after COMMAND_TIMEOUT_MS, so a request never waits
 * on a reconnecting client; the client keeps reconnecting in the background. Only the calls
 * made while the first connection is being opened wait for it, at most COMMAND_TIMEOUT_MS.
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: Redis;
  private readonly hitCommand: HitCommand;
  private failing = false;
  /** Settles when the first connection is ready or has failed, at the latest after COMMAND_TIMEOUT_MS. */
  private readonly firstConnection: Promise<void>;

  constructor(private readonly options: RedisRateLimitStoreOptions) {
    this.redis = new Redis(options.url, {
      keyPrefix: options.keyPrefix,
      enableOfflineQueue: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
    });
    // Without a listener ioredis prints every connection error; they are reported through hit().
    this.redis.on('error', () => {});
    this.firstConnection = new Promise<void>((resolve) => {
      this.redis.once('ready', resolve);
      this.redis.once('error', resolve);
      setTimeout(resolve, COMMAND_TIMEOUT_MS).unref();
    });
    this.redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.hitCommand = (this.redis as unknown as { rateLimitHit: HitCommand }).rateLimitHit.bind(this.redis);
  }

  async hit(policy: string, identity: string, max: number, windowMs: number): Promise<RateLimitDecision> {
    try {
      // Calls made while the store is still connecting wait for it (bounded) rather than fail open.
      await this.firstConnection;
      const [allowed, retryAfterMs] = await this.hitCommand(`rl:${policy}:${identity}`, this.options.now().getTime(), windowMs, max, randomUUID());
      if (this.failing) {
        this.failing = false;
        this.options.logger.info('rate-limit store (Redis) answers again: limits enforced');
      }
      return allowed === 1 ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs };
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.options.logger.warn({ err: (error as Error).message, policy }, 'rate-limit store (Redis) unreachable: allowing requests unlimited (fail-open)');
      }
      return { allowed: true, retryAfterMs: 0 };
    }
  }

  async close(): Promise<void> {
    // quit() waits for replies in flight; when not connected there is nothing to wait for.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
