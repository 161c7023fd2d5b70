import type { Identity } from 'graphql-rate-limit';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';
import { slidingWindow, type WindowState } from './sliding-window.js';

/** How often identities with nothing left to remember are swept out (at most; the sweep runs on calls). */
const SWEEP_EVERY_MS = 60_000;

/**
 * The in-process counter store: one sliding-window counter per identity (what is counted, for whom)
 * (src/rate-limit/sliding-window.ts), on the app clock (the one tests move). A call is decided
 * and recorded in one synchronous step, so concurrent calls cannot both take the last place. Identities whose
 * last two windows have passed are forgotten. One process only: several gateways on one database each
 * count on their own; with `REDIS_URL` set they share src/rate-limit/redis-store.ts instead.
 */
export class InProcessRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { state: WindowState; windowMs: number }>();
  private lastSweep: number;

  constructor(private readonly now: () => Date) {
    this.lastSweep = now().getTime();
  }

  hit(identity: Identity, max: number, windowMs: number, cost = 1): RateLimitDecision {
    const now = this.now().getTime();
    const key = `${identity.fieldIdentity}\u0000${identity.contextIdentity}`;
    const decision = slidingWindow(this.windows.get(key)?.state, now, max, windowMs, cost);
    if (decision.allowed) this.windows.set(key, { state: decision.state, windowMs });
    this.sweep(now);
    return { allowed: decision.allowed, retryAfterMs: decision.retryAfterMs };
  }

  /** Number of identities currently remembered (for tests of forgetting). */
  get size(): number {
    return this.windows.size;
  }

  async close(): Promise<void> {}

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [key, { state, windowMs }] of this.windows)
      if (state.start + 2 * windowMs <= now) this.windows.delete(key);
  }
}
