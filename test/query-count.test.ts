import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { CREATE_SCAN, seedScan, seedShareLink } from './helpers/scans.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

// STYLE.md item 10: relation fields load through DataLoader, so a list of N never issues N
// queries. Each shape is run for a small and a larger N: equal statement counts prove the count
// does not grow with N, and an absolute bound keeps the constant itself small.

const TENANTS = gql`query($first: Int) { tenants(first: $first) { nodes {
  id
  settings { version authentication { password_policy { min_length } } }
  config { version performance { cache_size_mb } }
  featureFlags { key enabled }
  apiKeys { id }
  entitlements
} } }`;

const SCANS = gql`query($id: ID!) { tenant(id: $id) { scans(first: 10) { nodes { id shareLinks { id } } } } }`;

const ME = gql`{ me { tenant { settings { version certExpiryDays authentication { password_policy { min_length } } } } entitlements } }`;

let world: World;
const tenants: TestTenant[] = [];
/** scansOf[i]: how many scans tenants[i] has (the scans shape compares 2 and 8). */
const SCAN_COUNTS = [2, 8];

async function ok(res: Promise<{ body: { data?: any; errors?: any } }>) {
  const { body } = await res;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Runs one request and returns its data and the statements it issued. */
async function measure(query: string, variables: Record<string, unknown>, key: string) {
  world.resetQueryCount();
  const data = await ok(world.gql(query, variables, key));
  return { data, count: world.queryCount(), log: world.queryLog() };
}

beforeAll(async () => {
  world = await createWorld({ countQueries: true });
  for (let i = 0; i < 8; i++) {
    const t = await world.createTenantWithKeys({ tier: 'PRO' });
    tenants.push(t);
    await ok(world.gql(Q.updateTenantSettings, { input: { certExpiryDays: 40 + i } }, t.keys.ADMIN));
    await ok(
      world.gql(
        Q.updateAdminSettings,
        { input: { authentication: { password_policy: { min_length: 10 + i } } } },
        t.keys.ADMIN,
      ),
    );
    await ok(world.gql(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 256 + i } } }, t.keys.ADMIN));
    await ok(world.gql(Q.setFeatureFlag, { key: 'passwordless_enabled', enabled: true }, t.keys.OPERATOR));
    for (let s = 0; s < (SCAN_COUNTS[i] ?? 1); s++) {
      const scan = await seedScan(world, t);
      await seedShareLink(world, t, scan.id);
      if (s % 2 === 0) await seedShareLink(world, t, scan.id, { label: 'second' });
    }
  }
});

afterAll(() => world?.close());

describe('statements per request do not grow with the size of a list', () => {
  it('tenants(first: N) with settings, config, flags, keys and entitlements: the same count for N = 2 and N = 8', async () => {
    const two = await measure(TENANTS, { first: 2 }, PLATFORM_KEY);
    const eight = await measure(TENANTS, { first: 8 }, PLATFORM_KEY);
    expect(two.data.tenants.nodes).toHaveLength(2);
    expect(eight.data.tenants.nodes).toHaveLength(8);
    // The data is each tenant's own, not a neighbour's (batching keys rows by tenant).
    eight.data.tenants.nodes.forEach((node: any, i: number) => {
      expect(node.id).toBe(tenants[i]!.id);
      expect(node.settings.authentication.password_policy.min_length).toBe(10 + i);
      expect(node.config.performance.cache_size_mb).toBe(256 + i);
      expect(node.featureFlags.find((f: any) => f.key === 'passwordless_enabled').enabled).toBe(true);
      expect(node.entitlements.passwordless_enabled).toBe(true);
      expect(node.apiKeys.map((k: any) => k.id).sort()).toEqual(Object.values(tenants[i]!.keyIds).sort());
    });
    // Sorted: on a Postgres pool the batched loads run concurrently and finish in any order.
    expect([...eight.log].sort(), `N=2: ${two.log.join(', ')}`).toEqual([...two.log].sort());
    // tenants page, setting rows, feature flag rows, api keys: one statement each.
    expect(eight.count, eight.log.join(', ')).toBeLessThanOrEqual(4);
  });

  it('Tenant.scans { shareLinks }: the same count for a tenant with 2 scans and one with 8', async () => {
    const two = await measure(SCANS, { id: tenants[0]!.id }, PLATFORM_KEY);
    const eight = await measure(SCANS, { id: tenants[1]!.id }, PLATFORM_KEY);
    expect(two.data.tenant.scans.nodes).toHaveLength(2);
    expect(eight.data.tenant.scans.nodes).toHaveLength(8);
    // 8 scans, links on each (two on every other one): 12 links, each under its own scan.
    expect(eight.data.tenant.scans.nodes.map((s: any) => s.shareLinks.length)).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect([...eight.log].sort(), `2 scans: ${two.log.join(', ')}`).toEqual([...two.log].sort());
    // tenant, scans page, share links of the page.
    expect(eight.count, eight.log.join(', ')).toBeLessThanOrEqual(3);
  });

  it('the same for a tenant key reading its own scans', async () => {
    const two = await measure(SCANS, { id: tenants[0]!.id }, tenants[0]!.keys.VIEWER);
    const eight = await measure(SCANS, { id: tenants[1]!.id }, tenants[1]!.keys.VIEWER);
    expect(eight.data.tenant.scans.nodes).toHaveLength(8);
    expect(eight.count, `${two.log.join(', ')} vs ${eight.log.join(', ')}`).toBe(two.count);
    // The key lookup (plus, at most, its last_used_at write), then as for the platform admin.
    expect(eight.count, eight.log.join(', ')).toBeLessThanOrEqual(5);
  });

  // Tenant.scans is cursor-paginated per tenant; one batched query for the first page of every
  // tenant would need a window function (row_number() over (partition by tenant_id)), so it stays
  // one query per tenant (a known exception to "a list of N never issues N queries"). Share links
  // below are batched over the scans pages that arrive together: one query on PGlite (one
  // connection, answers in order); on a Postgres pool the pages may arrive apart, so up to N.
  it('tenants { scans { shareLinks } }: one scans query per tenant (paginated, the known exception), share links batched per arriving page', async () => {
    const query = gql`query($first: Int) { tenants(first: $first) { nodes { id scans(first: 10) { nodes { id shareLinks { id } } } } } }`;
    for (const n of [2, 8]) {
      const { data, log } = await measure(query, { first: n }, PLATFORM_KEY);
      expect(data.tenants.nodes.map((t: any) => t.scans.nodes.length)).toEqual([2, 8, 1, 1, 1, 1, 1, 1].slice(0, n));
      const times = (q: string) => log.filter((x) => x === q).length;
      // The page of tenants primes the tenant loader: Tenant.scans' access check reads no tenant again.
      expect(times('select tenants'), log.join(', ')).toBe(1);
      expect(times('select scans'), log.join(', ')).toBe(n);
      expect(times('select share_links'), log.join(', ')).toBeGreaterThanOrEqual(1);
      expect(times('select share_links'), log.join(', ')).toBeLessThanOrEqual(world.store.kind === 'pglite' ? 1 : n);
      expect(log).toHaveLength(1 + n + times('select share_links'));
    }
  });

  it('me { tenant { settings } entitlements }: a small constant', async () => {
    const { data, count, log } = await measure(ME, {}, tenants[2]!.keys.VIEWER);
    expect(data.me.tenant.settings.authentication.password_policy.min_length).toBe(12);
    expect(data.me.entitlements.passwordless_enabled).toBe(true);
    // key lookup (+ last_used_at at most once a minute), tenant, setting rows, feature flag rows.
    expect(count, log.join(', ')).toBeLessThanOrEqual(5);
    expect(
      log.filter((q) => q === 'select tenants'),
      log.join(', '),
    ).toHaveLength(1);
  });
});

describe('write paths read each row once', () => {
  it('createScan reads the tenant row once and the setting rows once', async () => {
    const t = tenants[3]!;
    world.resetQueryCount();
    await ok(world.gql(CREATE_SCAN, { input: { target: 'https://count.test' } }, t.keys.OPERATOR));
    const log = world.queryLog();
    expect(
      log.filter((q) => q === 'select tenants'),
      log.join(', '),
    ).toHaveLength(1);
    // Once for the scan, once by the webhook outbox (the tenant's webhooks settings, read in the
    // change's transaction to decide what to queue).
    expect(
      log.filter((q) => q === 'select setting_values'),
      log.join(', '),
    ).toHaveLength(2);
  });

  it('a settings write reads the setting rows once (in its transaction) and its payload shows the new value', async () => {
    const t = tenants[4]!;
    world.resetQueryCount();
    const data = await ok(world.gql(Q.updateTenantSettings, { input: { certExpiryDays: 99 } }, t.keys.ADMIN));
    const log = world.queryLog();
    expect(data.updateTenantSettings.settings.tenantSettings.certExpiryDays).toBe(99);
    // Once for the write, once by the webhook outbox after it (the webhooks settings as just written).
    expect(
      log.filter((q) => q === 'select setting_values'),
      log.join(', '),
    ).toHaveLength(2);
    // The payload is what a fresh read sees.
    const fresh = await ok(world.gql(Q.settings, { id: t.id }, t.keys.ADMIN));
    expect(fresh.tenant.settings.tenantSettings).toEqual(data.updateTenantSettings.settings.tenantSettings);
    expect(fresh.tenant.settings.version).toBe(data.updateTenantSettings.settings.version);
  });

  it("a config write and a settings write in one request each see the other's result", async () => {
    const t = tenants[5]!;
    const both = gql`mutation {
      s: updateTenantSettings(input: { certExpiryDays: 77 }) { settings { tenantSettings } }
      c: updateTenantConfig(input: { performance: { cache_size_mb: 2048 } }) { config { document } }
      r: resetSettingsCategory(category: authentication) { changes { path } }
    }`;
    const data = await ok(world.gql(both, {}, t.keys.ADMIN));
    expect(data.s.settings.tenantSettings.certExpiryDays).toBe(77);
    expect(data.c.config.document.performance.cache_size_mb).toBe(2048);
    expect(data.r.changes.map((c: any) => c.path)).toEqual(['password_policy.min_length']);
    const fresh = await ok(
      world.gql(
        gql`query($id: ID!) { tenant(id: $id) { settings { tenantSettings authentication { password_policy { min_length } } } config { document } } }`,
        { id: t.id },
        t.keys.ADMIN,
      ),
    );
    expect(fresh.tenant.settings.tenantSettings.certExpiryDays).toBe(77);
    expect(fresh.tenant.config.document).toEqual(data.c.config.document);
    expect(fresh.tenant.settings.authentication.password_policy.min_length).toBe(8); // reset: back to the default
  });
});

describe('OFREP evaluations with the read cache warm', () => {
  const evaluate = (key: string, path: string, headers: Record<string, string> = {}) =>
    world.request(path, {
      method: 'POST',
      key,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
    });

  it('a bulk evaluation with its ETag, a 304 and a single evaluation issue no SQL statement', async () => {
    const t = tenants[6]!;
    // Cold: the key, the tenant row, its setting rows and its flag rows are read once and kept.
    world.resetQueryCount();
    const cold = await evaluate(t.keys.VIEWER, '/ofrep/v1/evaluate/flags');
    expect(cold.status).toBe(200);
    expect(world.queryCount(), world.queryLog().join(', ')).toBeGreaterThan(0);

    world.resetQueryCount();
    const warm = await evaluate(t.keys.VIEWER, '/ofrep/v1/evaluate/flags');
    expect(warm.status).toBe(200);
    const etag = warm.headers.get('etag')!;
    expect(etag).toBe(cold.headers.get('etag'));
    const body = await warm.json();
    expect(body.flags.find((f: any) => f.key === 'config.performance.cache_size_mb').value).toBe(256 + 6);
    expect(world.queryLog()).toEqual([]);

    const notModified = await evaluate(t.keys.VIEWER, '/ofrep/v1/evaluate/flags', { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    const single = await evaluate(t.keys.VIEWER, '/ofrep/v1/evaluate/flags/passwordless_enabled');
    expect(await single.json()).toMatchObject({ value: true, reason: 'STATIC' });
    expect(world.queryLog()).toEqual([]);

    // A write drops the tenant's entries: the next bulk answer reads again and has a new ETag.
    await ok(world.gql(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 512 } } }, t.keys.ADMIN));
    world.resetQueryCount();
    const after = await evaluate(t.keys.VIEWER, '/ofrep/v1/evaluate/flags');
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(world.queryLog()).toContain('select tenants');
  });
});
