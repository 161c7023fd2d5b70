import type { Identity } from 'graphql-rate-limit';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';
import { WINDOW_EPSILON } from './sliding-window.js';

/**
 * One call, decided inside Redis so that every gateway process shares one budget and no two
 * calls (from any process) can both take the last place: Redis runs a script without
 * interleaving anything else. The same steps as src/rate-limit/sliding-window.ts: the key is a
 * hash of three numbers (start, previous, current), expiring when its last two windows have passed.
 *
 * KEYS[1] the counter; ARGV: now (ms, the app clock), window (ms), max, cost.
 * Answers { 1, 0 } when the call is allowed and recorded, { 0, ms until it would fit } otherwise.
 */
const HIT_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local stored = redis.call('HMGET', KEYS[1], 'start', 'previous', 'current')
local start = tonumber(stored[1])
local previous = tonumber(stored[2]) or 0
local current = tonumber(stored[3]) or 0
if not start then
  start = now
  previous = 0
  current = 0
elseif now >= start + window then
  local passed = math.floor((now - start) / window)
  if passed == 1 then previous = current else previous = 0 end
  current = 0
  start = start + passed * window
end
if cost > max then return { 0, window } end
local estimate = previous * (window - (now - start)) / window + current
if estimate + cost <= max + ${WINDOW_EPSILON} then
  redis.call('HSET', KEYS[1], 'start', string.format('%d', start), 'previous', string.format('%d', previous), 'current', string.format('%d', current + cost))
  redis.call('PEXPIRE', KEYS[1], start + 2 * window - now)
  return { 1, 0 }
end
local room = max - cost - current
local at
if room >= 0 and previous > 0 then
  at = start + window - room * window / previous
else
  at = start + window + math.max(0, window - (max - cost) * window / current)
end
return { 0, math.max(1, math.ceil(at - now)) }
`;

/** A slow or hung Redis must not hold a request longer than this. */
const COMMAND_TIMEOUT_MS = 500;

export interface RedisRateLimitStoreOptions {
  url: string;
  /** Put before every key (`{prefix}rl:{fieldIdentity}:{contextIdentity}`): lets tests, or deployments, share one Redis. */
  keyPrefix?: string;
  /** How long a call waits for Redis before it fails open; default COMMAND_TIMEOUT_MS. */
  commandTimeoutMs?: number;
  now: () => Date;
  logger: Logger;
}

type HitCommand = (key: string, now: number, windowMs: number, max: number, cost: number) => Promise<[number, number]>;

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

  private readonly commandTimeoutMs: number;

  constructor(private readonly options: RedisRateLimitStoreOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
    this.redis = new Redis(options.url, {
      keyPrefix: options.keyPrefix,
      enableOfflineQueue: false,
      commandTimeout: this.commandTimeoutMs,
      maxRetriesPerRequest: 0,
    });
    // Without a listener ioredis prints every connection error; they are reported through hit().
    this.redis.on('error', () => {});
    this.firstConnection = new Promise<void>((resolve) => {
      this.redis.once('ready', resolve);
      this.redis.once('error', resolve);
      setTimeout(resolve, this.commandTimeoutMs).unref();
    });
    this.redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.hitCommand = (this.redis as unknown as { rateLimitHit: HitCommand }).rateLimitHit.bind(this.redis);
  }

  async hit(identity: Identity, max: number, windowMs: number, cost = 1): Promise<RateLimitDecision> {
    try {
      // Calls made while the store is still connecting wait for it (bounded) rather than fail open.
      await this.firstConnection;
      const [allowed, retryAfterMs] = await this.hitCommand(
        `rl:${identity.fieldIdentity}:${identity.contextIdentity}`,
        this.options.now().getTime(),
        windowMs,
        max,
        cost,
      );
      if (this.failing) {
        this.failing = false;
        this.options.logger.info('rate-limit store (Redis) answers again: limits enforced');
      }
      return allowed === 1 ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs };
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.options.logger.warn(
          { err: (error as Error).message, policy: identity.fieldIdentity },
          'rate-limit store (Redis) unreachable: allowing requests unlimited (fail-open)',
        );
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
