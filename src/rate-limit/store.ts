import { Store, type Identity } from 'graphql-rate-limit';

/** How long one caller may hold an identity between its read and its write before it is let go. */
const LOCK_TIMEOUT_MS = 1_000;
/** How often expired identities are swept out (at most; the sweep runs on writes). */
const SWEEP_EVERY_MS = 60_000;

interface Entry {
  /** Call times on the app clock, oldest first. */
  timestamps: number[];
  /** When the newest call leaves the window: after this the entry is only noise. */
  expiresAt: number;
}

/**
 * The in-process counter store behind graphql-rate-limit's sliding-window limiter.
 *
 * - **Atomic within the process.** The limiter reads an identity's timestamps, decides, then
 *   writes them back, with awaits in between; two calls could read the same list and both be
 *   allowed. So `getForIdentity` takes a per-identity lock that the following `setForIdentity`
 *   releases: calls for one identity are decided one after another. (The limiter always writes
 *   after it reads unless called `readOnly`, which we never do; a timeout frees a lost lock.)
 * - **On the app clock.** The limiter stamps calls with `Date.now()`; the store keeps them on
 *   `now()` (the clock tests move) and shows them to the limiter shifted by the difference, so
 *   windows pass when the app clock says so.
 * - **Forgets.** Identities whose calls have all left their window are dropped.
 * - **Says when.** `msUntilAllowed` gives the wait for `Retry-After`.
 *
 * One process only: several gateways on one database each count on their own; with
 * `REDIS_URL` set they share src/rate-limit/redis-store.ts instead.
 */
export class SlidingWindowStore extends Store {
  private readonly entries = new Map<string, Entry>();
  /** Per identity: the tail of the queue of callers waiting for it. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Per identity: releases the lock of the caller that holds it. */
  private readonly holders = new Map<string, () => void>();
  private lastSweep: number;

  constructor(private readonly now: () => Date) {
    super();
    this.lastSweep = now().getTime();
  }

  /** Milliseconds the wall clock (the limiter's) is behind the app clock. */
  private skew(): number {
    return this.now().getTime() - Date.now();
  }

  async getForIdentity(identity: Identity): Promise<readonly number[]> {
    const key = keyOf(identity);
    const previous = this.queues.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.queues.set(key, tail);
    await previous;

    const timer = setTimeout(() => free(), LOCK_TIMEOUT_MS);
    timer.unref?.();
    const free = () => {
      clearTimeout(timer);
      if (this.holders.get(key) === free) this.holders.delete(key);
      if (this.queues.get(key) === tail) this.queues.delete(key);
      release();
    };
    this.holders.set(key, free);
    const skew = this.skew();
    return (this.entries.get(key)?.timestamps ?? []).map((t) => t - skew);
  }

  setForIdentity(identity: Identity, timestamps: readonly number[], windowMs = 60_000): void {
    const key = keyOf(identity);
    const now = this.now().getTime();
    const skew = this.skew();
    const kept = timestamps.map((t) => t + skew).filter((t) => t + windowMs > now);
    if (kept.length) this.entries.set(key, { timestamps: kept, expiresAt: kept[kept.length - 1] + windowMs });
    else this.entries.delete(key);
    this.holders.get(key)?.();
    this.sweep(now);
  }

  /**
   * How long until a call for `identity` would be allowed again under `max` calls per
   * `windowMs`: 0 when it would be allowed now.
   */
  msUntilAllowed(identity: Identity, max: number, windowMs: number): number {
    const now = this.now().getTime();
    const live = (this.entries.get(keyOf(identity))?.timestamps ?? []).filter((t) => t + windowMs > now);
    if (live.length < max) return 0;
    // The call that must leave the window before one more fits.
    return live[live.length - max] + windowMs - now;
  }

  /** Number of identities currently remembered (for tests of forgetting). */
  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

function keyOf(identity: Identity): string {
  return `${identity.contextIdentity}\u0000${identity.fieldIdentity}`;
}
