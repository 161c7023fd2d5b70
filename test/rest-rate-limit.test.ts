import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { rest } from './helpers/rest.js';
import { seedScan } from './helpers/scans.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

/**
 * 429 in each family's dialect, with the limiter's headers carried from the inner GraphQL
 * response. The policies are the production ones scaled down (×0.1: 30 requests a minute per key,
 * 10 configuration reads per tenant, 6 share views per address) so a few calls reach them.
 */
let world: World;
beforeAll(async () => {
  world = await createWorld({ rateLimits: { enabled: true, scale: 0.1 } });
});
afterAll(() => world.close());

/** Calls until the first refusal; answers how many passed and the refusal. */
async function untilLimited(call: () => ReturnType<typeof rest>, atMost: number) {
  for (let passed = 0; passed <= atMost; passed++) {
    const res = await call();
    if (res.status === 429) return { passed, limited: res };
    expect(res.status, res.text).toBe(200);
  }
  throw new Error(`no 429 after ${atMost + 1} calls`);
}

function expectLimitHeaders(res: { headers: Headers }, policy: string) {
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  // A sliding-window counter may ask for up to two windows (the previous one fading out).
  expect(retryAfter).toBeLessThanOrEqual(120);
  expect(res.headers.get('ratelimit-policy')).toMatch(new RegExp(`^"${policy}";q=\\d+;w=60$`));
  expect(res.headers.get('ratelimit')).toBe(`"${policy}";r=0;t=${retryAfter}`);
}

describe('429 per family', () => {
  let tenant: TestTenant;
  beforeAll(async () => {
    tenant = await world.createTenantWithKeys({ name: 'Limited' });
  });

  it('/tenant/*: the per-key limit, { error: { code: RATE_LIMITED } }', async () => {
    const { passed, limited } = await untilLimited(
      () => rest(world, 'GET', '/tenant/settings', { key: tenant.keys.VIEWER }),
      40,
    );
    expect(passed).toBe(30);
    expect(limited.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expectLimitHeaders(limited, 'per-key');
  });

  it('/api/admin/*: the same per-key counter', async () => {
    const res = await rest(world, 'GET', '/api/admin/settings', { key: tenant.keys.VIEWER });
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expectLimitHeaders(res, 'per-key');
  });

  it('/api/v1/*: the per-tenant configuration read limit, { error, message, code: 429, tenant_id }', async () => {
    const { passed, limited: second } = await untilLimited(
      () => rest(world, 'GET', `/api/v1/tenants/${tenant.id}/config`, { key: tenant.keys.ADMIN }),
      20,
    );
    expect(passed).toBe(10);
    expect(second.body).toEqual({
      error: 'Too Many Requests',
      message: expect.any(String),
      code: 429,
      tenant_id: tenant.id,
    });
    expectLimitHeaders(second, 'config-reads');
  });

  it('/share/*: the per-address view limit, no-store kept', async () => {
    const t = await world.createTenantWithKeys({ name: 'Sharer' });
    const scan = await seedScan(world, t, { target: 'limits.example' });
    const link = await rest(world, 'POST', `/tenant/scans/${scan.id}/share`, {
      key: t.keys.ADMIN,
    });
    const { passed, limited } = await untilLimited(() => rest(world, 'GET', `/share/${link.body.token}`), 10);
    expect(passed).toBe(6);
    expect(limited.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(limited.headers.get('cache-control')).toBe('no-store');
    expectLimitHeaders(limited, 'share-link-views');
  });

  it('a REST call counts once against the key, like one GraphQL request', async () => {
    const t = await world.createTenantWithKeys({ name: 'Counted once' });
    for (let i = 0; i < 15; i++)
      expect((await rest(world, 'GET', '/tenant/settings', { key: t.keys.VIEWER })).status).toBe(200);
    for (let i = 0; i < 15; i++) expect((await world.gql(gql`{ me { role } }`, {}, t.keys.VIEWER)).status).toBe(200);
    expect((await rest(world, 'GET', '/tenant/settings', { key: t.keys.VIEWER })).status).toBe(429);
  });

  it('/tenant/me reads entitlements: it counts as a feature query of the tenant', async () => {
    const t = await world.createTenantWithKeys({ name: 'Entitled' });
    const { passed, limited } = await untilLimited(() => rest(world, 'GET', '/tenant/me', { key: t.keys.VIEWER }), 20);
    expect(passed).toBe(10);
    expectLimitHeaders(limited, 'feature-queries');
  });
});
