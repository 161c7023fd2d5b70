/**
 * The decision of one rate-limited call, by a sliding-window counter: "at most `max` calls per
 * `windowMs`" kept as three numbers per identity — where its current window started, how many
 * calls the previous window counted and how many this one counts. The calls of the sliding
 * window ending now are estimated as this window's plus the previous window's weighted by the
 * part of it still inside the sliding window. Constant time and memory per call, whatever `max`.
 *
 * Windows start at an identity's first call (not on the wall clock's minute), so a burst gets
 * exactly `max` and is refused until its window moves on, as a sliding log would decide; after
 * that the previous window is assumed spread evenly, the usual approximation of this counter.
 * The Redis store runs the same steps in Lua (src/rate-limit/redis-store.ts).
 */
export interface WindowState {
  /** Start of the current window (ms, app clock). */
  start: number;
  /** Calls counted in the window before it. */
  previous: number;
  /** Calls counted in the current window. */
  current: number;
}

export interface WindowDecision {
  allowed: boolean;
  /** The state to keep when allowed. */
  state: WindowState;
  /** When refused: milliseconds until this call would fit (for `Retry-After`); 0 when allowed. */
  retryAfterMs: number;
}

/** Rounding slack of the weighted estimate. */
export const WINDOW_EPSILON = 1e-9;

/**
 * `state`: the identity's stored state (undefined when it has none); `cost`: how many calls this
 * one counts as (an operation selecting a limited field 3 times costs 3). A call whose cost is
 * more than `max` never fits: it is refused with the whole window as wait.
 */
export function slidingWindow(
  state: WindowState | undefined,
  now: number,
  max: number,
  windowMs: number,
  cost = 1,
): WindowDecision {
  let { start, previous, current } = state ?? { start: now, previous: 0, current: 0 };
  if (now >= start + windowMs) {
    const passed = Math.floor((now - start) / windowMs);
    previous = passed === 1 ? current : 0;
    current = 0;
    start += passed * windowMs;
  }
  const rolled = { start, previous, current };
  if (cost > max) return { allowed: false, state: rolled, retryAfterMs: windowMs };
  const estimate = (previous * (windowMs - (now - start))) / windowMs + current;
  if (estimate + cost <= max + WINDOW_EPSILON)
    return { allowed: true, state: { start, previous, current: current + cost }, retryAfterMs: 0 };
  // When the estimate leaves room for `cost`: still in this window as the previous one fades
  // out, or else in the next, as this one becomes the previous.
  const room = max - cost - current;
  const at =
    room >= 0 && previous > 0
      ? start + windowMs - (room * windowMs) / previous
      : start + windowMs + Math.max(0, windowMs - ((max - cost) * windowMs) / current);
  return { allowed: false, state: rolled, retryAfterMs: Math.max(1, Math.ceil(at - now)) };
}
