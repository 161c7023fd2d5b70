import type { GraphQLObjectType } from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessRateLimitStore } from '../src/rate-limit/in-process-store.js';
import type { RateLimitPolicy } from '../src/rate-limit/policies.js';
import { FIELD_POLICIES } from '../src/rate-limit/policies.js';
import { slidingWindow } from '../src/rate-limit/sliding-window.js';
import { schema } from '../src/schema/index.js';
import { createApp } from '../src/yoga.js';
import { Q, snapshot } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { SHARED_SCAN, seedScan, seedShareLink } from './helpers/scans.js';
import { createWorld, graphqlFrom, PLATFORM_KEY, TestClock, type TestTenant, type World } from './helpers/world.js';

/** graphql-rate-limit's identity of a counter for a caller. */
const id = (fieldIdentity: string, contextIdentity: string) => ({ fieldIdentity, contextIdentity });

let world: World;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  world = await createWorld({ rateLimits: true });
  a = await world.createTenantWithKeys();
  b = await world.createTenantWithKeys();
});
afterAll(() => world.close());

const ME = gql`{ me { role } }`;
function statuses(results: { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** Asserts a 429 as the client sees it and returns its Retry-After in seconds. */
function expectRateLimited(res: Awaited<ReturnType<World['gql']>>, policy: string, quota: number): number {
  expect(res.status).toBe(429);
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', policy });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  // A sliding-window counter may ask for up to two windows (the previous one fading out).
  expect(retryAfter).toBeLessThanOrEqual(120);
  expect(res.body.errors[0].extensions.retryAfter).toBe(retryAfter);
  expect(res.headers.get('ratelimit-policy')).toBe(`"${policy}";q=${quota};w=60`);
  expect(res.headers.get('ratelimit')).toBe(`"${policy}";r=0;t=${retryAfter}`);
  return retryAfter;
}

describe('per key: 300 requests a minute (the production policy)', () => {
  it('allows exactly 300 of 310 concurrent requests, refuses the rest with 429 and headers', async () => {
    const results = await Promise.all(Array.from({ length: 310 }, () => world.gql(ME, {}, a.keys.VIEWER)));
    expect(statuses(results)).toEqual({ 200: 300, 429: 10 });
    expectRateLimited(results.find((r) => r.status === 429)!, 'per-key', 300);
  });

  it('counts every transport of the key together, and nothing is run for a refused request', async () => {
    for (const transport of ['bearer', 'x-api-key', 'query'] as const) {
      expectRateLimited(await world.gql(ME, {}, a.keys.VIEWER, transport), 'per-key', 300);
    }
    const refusedWrite = await world.gql(
      gql`mutation($t: ID!) { createApiKey(input: { tenantId: $t, role: VIEWER }) { key } }`,
      { t: a.id },
      a.keys.VIEWER,
    );
    expect(refusedWrite.status).toBe(429);
  });

  it('leaves other keys and other tenants alone', async () => {
    expect((await world.gql(ME, {}, a.keys.OPERATOR)).body.data.me.role).toBe('OPERATOR');
    expect((await world.gql(ME, {}, b.keys.VIEWER)).body.data.me.role).toBe('VIEWER');
    expect((await world.gql(gql`{ tenants(first: 1) { nodes { id } } }`, {}, PLATFORM_KEY)).status).toBe(200);
  });

  it('lets the key in again once the window has passed on the app clock, as Retry-After said', async () => {
    const first = expectRateLimited(await world.gql(ME, {}, a.keys.VIEWER), 'per-key', 300);
    world.clock.advance(30_000);
    const second = expectRateLimited(await world.gql(ME, {}, a.keys.VIEWER), 'per-key', 300);
    expect(second).toBeLessThanOrEqual(first - 29);
    world.clock.advance(second * 1000);
    expect(await world.gql(ME, {}, a.keys.VIEWER)).toMatchObject({
      status: 200,
      body: { data: { me: { role: 'VIEWER' } } },
    });
  });
});

describe('share-link views: 60 a minute per client address (the production policy)', () => {
  it('refuses the 61st view from one address, not another address, and lets it in after the window', async () => {
    const scan = await seedScan(world, b);
    const { token } = await seedShareLink(world, b, scan.id);
    const view = (address?: string) => graphqlFrom(world.app, SHARED_SCAN, { token }, undefined, address);
    const first = await Promise.all(Array.from({ length: 60 }, () => view('203.0.113.7')));
    expect(statuses(first)).toEqual({ 200: 60 });
    expectRateLimited(await view('203.0.113.7'), 'share-link-views', 60);
    expect((await view('203.0.113.8')).status).toBe(200);
    expect((await view()).status).toBe(200); // no socket: the 'unknown' address
    world.clock.advance(61_000);
    expect((await view('203.0.113.7')).status).toBe(200);
  });
});

describe('configuration API, per tenant (seed 003: reads 100, feature queries 100, updates 10 a minute)', () => {
  let c: TestTenant;
  let d: TestTenant;
  beforeAll(async () => {
    c = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    d = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
  });

  it('config reads: the keys of a tenant share 100 a minute; features, other queries and other tenants unaffected', async () => {
    const reads = await Promise.all(
      Array.from({ length: 100 }, (_, i) => world.gql(Q.config, { id: c.id }, i % 2 ? c.keys.VIEWER : c.keys.OPERATOR)),
    );
    expect(statuses(reads)).toEqual({ 200: 100 });
    expectRateLimited(await world.gql(Q.config, { id: c.id }, c.keys.ADMIN), 'config-reads', 100);
    expect(
      (await world.gql(gql`query($id: ID!) { tenant(id: $id) { featureFlags { key } } }`, { id: c.id }, c.keys.VIEWER))
        .status,
    ).toBe(200);
    expect((await world.gql(ME, {}, c.keys.VIEWER)).status).toBe(200);
    expect((await world.gql(Q.config, { id: d.id }, d.keys.VIEWER)).status).toBe(200);
  });

  it('feature queries: 100 a minute per tenant', async () => {
    const FLAGS = gql`query($id: ID!) { tenant(id: $id) { featureFlags { key enabled } } }`;
    const reads = await Promise.all(Array.from({ length: 100 }, () => world.gql(FLAGS, { id: d.id }, d.keys.OPERATOR)));
    expect(statuses(reads)).toEqual({ 200: 100 });
    expectRateLimited(await world.gql(FLAGS, { id: d.id }, d.keys.VIEWER), 'feature-queries', 100);
  });

  it('config updates: 10 a minute per tenant; a refused update writes nothing', async () => {
    for (let i = 1; i <= 10; i++) {
      const res = await world.gql(
        Q.updateTenantConfig,
        { input: { performance: { cache_size_mb: 1024 + i } } },
        d.keys.OPERATOR,
      );
      expect(res.body.errors).toBeUndefined();
    }
    const before = await snapshot(world, d.id);
    const refused = await world.gql(
      Q.updateTenantConfig,
      { input: { performance: { cache_size_mb: 4096 } } },
      d.keys.ADMIN,
    );
    const wait = expectRateLimited(refused, 'config-updates', 10);
    expect(await snapshot(world, d.id)).toBe(before);
    const other = await world.gql(
      Q.updateTenantConfig,
      { input: { performance: { cache_size_mb: 2048 } } },
      c.keys.OPERATOR,
    );
    expect(other.body.errors).toBeUndefined();
    world.clock.advance(wait * 1000);
    expect(
      (await world.gql(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 4096 } } }, d.keys.ADMIN)).body
        .data.updateTenantConfig.version,
    ).toBe(11);
  });
});

describe('field policies (the mechanism, with small policies on fields that exist today)', () => {
  const policy = (name: string, per: RateLimitPolicy['per'], max: number): RateLimitPolicy => ({
    name,
    per,
    max,
    windowSeconds: 60,
    description: `at most ${max} of ${name}`,
  });
  let app: ReturnType<typeof createApp>;
  const ask = (query: string, key?: string, remoteAddress?: string) => graphqlFrom(app, query, {}, key, remoteAddress);

  beforeAll(() => {
    app = createApp({
      db: world.store.db,
      config: {
        ...world.config,
        rateLimits: {
          enabled: true,
          fieldPolicies: {
            'Tenant.name': [policy('tenant-names', 'tenant', 3)],
            'Me.keyId': [policy('me-by-address', 'clientAddress', 2)],
          },
        },
      },
      logger: pino({ level: 'silent' }),
      now: world.clock.now,
    });
  });

  it('per tenant: the keys of one tenant share the count; another tenant has its own', async () => {
    const TENANT_NAME = gql`{ me { tenant { name } } }`;
    expect((await ask(TENANT_NAME, a.keys.OPERATOR)).status).toBe(200);
    expect((await ask(gql`query { me { ...T } } fragment T on Me { tenant { name } }`, a.keys.ADMIN)).status).toBe(200); // through a fragment
    expect((await ask(gql`{ me { tenant { id ... on Tenant { name } } } }`, a.keys.OPERATOR)).status).toBe(200); // through an inline fragment
    const refused = await ask(TENANT_NAME, a.keys.ADMIN);
    expectRateLimited(refused, 'tenant-names', 3);
    expect(refused.body.data ?? null).toBeNull();
    expect((await ask(TENANT_NAME, b.keys.VIEWER)).status).toBe(200);
    // A query without the field is not counted against it.
    expect((await ask(gql`{ me { role } }`, a.keys.ADMIN)).status).toBe(200);
  });

  it('counts a field once per request, even under a list of many parents', async () => {
    for (let i = 0; i < 3; i++)
      expect((await ask(gql`{ tenants(first: 50) { nodes { name } } }`, PLATFORM_KEY)).status).toBe(200);
    expectRateLimited(await ask(gql`{ tenants(first: 50) { nodes { name } } }`, PLATFORM_KEY), 'tenant-names', 3);
  });

  it('per client address: the socket peer, or "unknown" without a socket', async () => {
    const KEY_ID = gql`{ me { keyId } }`;
    for (let i = 0; i < 2; i++) expect((await ask(KEY_ID, a.keys.VIEWER, '10.0.0.1')).status).toBe(200);
    expectRateLimited(await ask(KEY_ID, b.keys.VIEWER, '10.0.0.1'), 'me-by-address', 2);
    expect((await ask(KEY_ID, a.keys.VIEWER, '10.0.0.2')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await ask(KEY_ID, a.keys.VIEWER)).status).toBe(200);
    expectRateLimited(await ask(KEY_ID, a.keys.VIEWER), 'me-by-address', 2);
  });
});

describe('declared policies', () => {
  it('name fields of the schema', () => {
    expect(Object.keys(FIELD_POLICIES).sort()).toEqual([
      'Me.entitlements',
      'Mutation.updateTenantConfig',
      'Query.flagEvaluations',
      'Query.sharedScan',
      'Tenant.config',
      'Tenant.entitlements',
      'Tenant.featureFlags',
    ]);
    for (const coordinate of Object.keys(FIELD_POLICIES)) {
      const [type, field] = coordinate.split('.');
      expect((schema.getType(type) as GraphQLObjectType | undefined)?.getFields()[field], coordinate).toBeDefined();
    }
    const quotas = Object.fromEntries(
      Object.values(FIELD_POLICIES)
        .flat()
        .map((p) => [p.name, [p.max, p.windowSeconds, p.per]]),
    );
    expect(quotas).toEqual({
      'config-reads': [100, 60, 'tenant'],
      'feature-queries': [100, 60, 'tenant'],
      'config-updates': [10, 60, 'tenant'],
      'share-link-views': [60, 60, 'clientAddress'],
      'ofrep-evaluations': [6000, 60, 'key'],
    });
  });
});

describe('InProcessRateLimitStore (sliding-window counter)', () => {
  it('checks and records atomically: 20 concurrent calls at max 5 allow exactly 5', async () => {
    const store = new InProcessRateLimitStore(new TestClock().now);
    const answers = await Promise.all(Array.from({ length: 20 }, () => store.hit(id('p', 'same'), 5, 60_000)));
    expect(answers.filter((a) => a.allowed)).toHaveLength(5);
  });

  it('forgets identities whose last two windows have passed', async () => {
    const clock = new TestClock();
    const store = new InProcessRateLimitStore(clock.now);
    for (let i = 0; i < 50; i++) await store.hit(id('p', `caller-${i}`), 3, 60_000);
    expect(store.size).toBe(50);
    clock.advance(2 * 60_000);
    await store.hit(id('p', 'someone-new'), 3, 60_000);
    expect(store.size).toBe(1);
  });

  it('tells how long until the next call fits', async () => {
    const clock = new TestClock();
    const store = new InProcessRateLimitStore(clock.now);
    expect(await store.hit(id('p', 'x'), 2, 60_000)).toEqual({ allowed: true, retryAfterMs: 0 });
    clock.advance(10_000);
    expect((await store.hit(id('p', 'x'), 2, 60_000)).allowed).toBe(true);
    // The window (started at the first call) is full until 60 s; then its 2 calls weigh by the
    // part of it still in the sliding window: 2 × (60 − e) / 60 + 1 ≤ 2 from e = 30 s, at 90 s.
    const refused = await store.hit(id('p', 'x'), 2, 60_000);
    expect(refused.allowed).toBe(false);
    expect(Math.round(refused.retryAfterMs / 1000)).toBe(80);
    clock.advance(refused.retryAfterMs - 50);
    expect((await store.hit(id('p', 'x'), 2, 60_000)).allowed).toBe(false);
    clock.advance(100);
    expect((await store.hit(id('p', 'x'), 2, 60_000)).allowed).toBe(true);
  });

  it('a call costing more than what is left is refused and records nothing; one costing more than the limit never fits', async () => {
    const store = new InProcessRateLimitStore(new TestClock().now);
    expect((await store.hit(id('p', 'x'), 10, 60_000, 5)).allowed).toBe(true);
    expect((await store.hit(id('p', 'x'), 10, 60_000, 6)).allowed).toBe(false);
    expect((await store.hit(id('p', 'x'), 10, 60_000, 5)).allowed).toBe(true);
    expect((await store.hit(id('p', 'x'), 10, 60_000, 1)).allowed).toBe(false);
    expect(await store.hit(id('p', 'y'), 10, 60_000, 11)).toEqual({ allowed: false, retryAfterMs: 60_000 });
    expect((await store.hit(id('p', 'y'), 10, 60_000, 10)).allowed).toBe(true);
  });

  it('keeps one number per identity, whatever the limit: exact at 1,000,000 a minute', async () => {
    const store = new InProcessRateLimitStore(new TestClock().now);
    const max = 1_000_000;
    let allowed = 0;
    for (let i = 0; i < max + 5; i++) if ((await store.hit(id('p', 'x'), max, 60_000)).allowed) allowed++;
    expect(allowed).toBe(max);
    expect(store.size).toBe(1);
  });

  it('after a window, the previous one weighs by the part of it still inside the sliding window', () => {
    let state = slidingWindow(undefined, 0, 300, 60_000, 300).state;
    expect(slidingWindow(state, 59_999, 300, 60_000).allowed).toBe(false);
    // At 90 s half of the full previous window is still inside: 150 calls fit, not 151.
    const half = slidingWindow(state, 90_000, 300, 60_000, 150);
    expect(half.allowed).toBe(true);
    expect(slidingWindow(state, 90_000, 300, 60_000, 151).allowed).toBe(false);
    state = half.state;
    expect(slidingWindow(state, 90_000, 300, 60_000).allowed).toBe(false);
    // Two windows later nothing of it is left.
    expect(slidingWindow(state, 180_000, 300, 60_000, 300).allowed).toBe(true);
  });
});
