import type { GraphQLResolveInfo } from 'graphql';
import { getGraphQLRateLimiter, InMemoryStore, RateLimitError } from 'graphql-rate-limit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InProcessRateLimitStore } from '../src/rate-limit/in-process-store.js';
import { consume, identityOf } from '../src/rate-limit/limiter.js';
import type { RateLimitPolicy } from '../src/rate-limit/policies.js';

/**
 * Our O(1) limiter (src/rate-limit/limiter.ts over the sliding-window store) against
 * graphql-rate-limit's own limiter (`getGraphQLRateLimiter` on its `InMemoryStore`, a log of one
 * timestamp per call, with `uncountRejected`: a refused call is not counted, as ours): the same
 * allow/refuse decision for every call of bursts at and over the limit, call costs included (the
 * library's `arrayLengthField`), and again once the burst's windows have passed. Both run on one
 * faked wall clock.
 */

const WINDOW_S = 60;

function policy(max: number, name = 'test-policy'): RateLimitPolicy {
  return { name, max, windowSeconds: WINDOW_S, per: 'key', description: `at most ${max} a minute` };
}

/** The two limiters side by side: each call answers [ours allowed, library allowed]. */
function pair(max: number) {
  const ours = new InProcessRateLimitStore(() => new Date());
  const library = getGraphQLRateLimiter({
    identifyContext: (ctx: { id: string }) => ctx.id,
    store: new InMemoryStore(),
  });
  const p = policy(max);
  return async (caller: string, cost = 1): Promise<[boolean, boolean]> => {
    const refusal = await consume(ours, p, caller, max, cost);
    if (refusal) expect(refusal).toBeInstanceOf(RateLimitError);
    const message = await library(
      {
        parent: {},
        args: { items: Array.from({ length: cost }, (_, i) => i) },
        context: { id: caller },
        info: { fieldName: p.name } as GraphQLResolveInfo,
      },
      { max, window: `${WINDOW_S}s`, uncountRejected: true, arrayLengthField: 'items' },
    );
    return [refusal === undefined, message === undefined];
  };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
});
afterEach(() => vi.useRealTimers());

describe('our O(1) limiter decides as graphql-rate-limit does', () => {
  it('names what it counts with the library: getFieldIdentity of the policy name, for the caller', async () => {
    expect(await identityOf(policy(5, 'config-reads'), 'tenant:t1')).toEqual({
      contextIdentity: 'tenant:t1',
      fieldIdentity: 'config-reads',
    });
  });

  it.each([1, 2, 5, 300])('a burst at and over a limit of %i, all at once', async (max) => {
    const call = pair(max);
    const decisions: Array<[boolean, boolean]> = [];
    for (let i = 0; i < 2 * max + 3; i++) decisions.push(await call('k1'));
    expect(decisions.map(([ours]) => ours)).toEqual(decisions.map(([, lib]) => lib));
    expect(decisions.filter(([ours]) => ours)).toHaveLength(max);
  });

  it.each([1, 5, 300])('a burst over a limit of %i spread across most of a window', async (max) => {
    const call = pair(max);
    const calls = 2 * max + 2;
    const decisions: Array<[boolean, boolean]> = [];
    for (let i = 0; i < calls; i++) {
      decisions.push(await call('k1'));
      vi.advanceTimersByTime(Math.floor((WINDOW_S * 1000 * 0.9) / calls));
    }
    expect(decisions.map(([ours]) => ours)).toEqual(decisions.map(([, lib]) => lib));
    expect(decisions.filter(([ours]) => ours)).toHaveLength(max);
  });

  it('calls that count several (one operation selecting a limited field several times)', async () => {
    const call = pair(5);
    const costs = [2, 2, 2, 1, 1, 3, 6, 1];
    const decisions: Array<[boolean, boolean]> = [];
    for (const cost of costs) decisions.push(await call('k1', cost));
    expect(decisions.map(([ours]) => ours)).toEqual(decisions.map(([, lib]) => lib));
    expect(decisions.map(([ours]) => ours)).toEqual([true, true, false, true, false, false, false, false]);
  });

  it('callers are counted apart, and once two windows have passed a caller gets its whole limit again', async () => {
    const call = pair(3);
    const decisions: Array<[boolean, boolean]> = [];
    for (let i = 0; i < 5; i++) decisions.push(await call('a'), await call('b'));
    vi.advanceTimersByTime(2 * WINDOW_S * 1000);
    for (let i = 0; i < 5; i++) decisions.push(await call('a'));
    expect(decisions.map(([ours]) => ours)).toEqual(decisions.map(([, lib]) => lib));
    expect(decisions.filter(([ours]) => ours)).toHaveLength(9);
  });
});
