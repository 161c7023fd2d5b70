import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openChangeFeed, recordChange } from '../src/services/change-feed.js';
import { ReadCache, readCacheStats } from '../src/services/read-cache.js';
import { createApp } from '../src/yoga.js';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { QueryCounter } from './helpers/query-counter.js';
import { rest } from './helpers/rest.js';
import { buildRequest, createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

// Reads served from the process's read cache (src/services/read-cache.ts), invalidated by the
// change feed after commit. On both stores. "Once" here means: the very next request in the same
// process, with no wait in between.

let world: World;
beforeAll(async () => {
  world = await createWorld({ countQueries: true });
});
afterAll(() => world?.close());

const settingsOf = async (t: TestTenant, key = t.keys.VIEWER) =>
  (await rest(world, 'GET', '/tenant/settings', { key })).body.settings;

/** The statements one call issued (the key lookup included). */
async function statementsOf<T>(call: () => Promise<T>): Promise<{ result: T; count: number; log: string[] }> {
  world.resetQueryCount();
  const result = await call();
  return { result, count: world.queryCount(), log: world.queryLog() };
}

describe('a cached read is never stale in its own process', () => {
  it('after a write, the next read returns the write (REST and GraphQL)', async () => {
    const t = await world.createTenantWithKeys();
    expect((await settingsOf(t)).certExpiryDays).toBe(30);
    expect((await settingsOf(t)).certExpiryDays).toBe(30); // now from memory
    const put = await rest(world, 'PUT', '/tenant/settings', { key: t.keys.OPERATOR, body: { certExpiryDays: 61 } });
    expect(put.status).toBe(200);
    expect((await settingsOf(t)).certExpiryDays).toBe(61);
    const viaGraphql = await world.gql(Q.settings, { id: t.id }, t.keys.VIEWER);
    expect(viaGraphql.body.data.tenant.settings.tenantSettings.certExpiryDays).toBe(61);
    expect(viaGraphql.body.data.tenant.settings.version).toBe(1);

    await world.gql(Q.config, { id: t.id }, t.keys.VIEWER);
    await world.gql(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 1024 } } }, t.keys.OPERATOR);
    expect(
      (await world.gql(Q.config, { id: t.id }, t.keys.VIEWER)).body.data.tenant.config.document.performance
        .cache_size_mb,
    ).toBe(1024);

    const me = gql`{ me { entitlements } }`;
    expect((await world.gql(me, {}, t.keys.VIEWER)).body.data.me.entitlements.passwordless_enabled).toBe(false);
    await world.gql(Q.setFeatureFlag, { key: 'passwordless_enabled', enabled: true }, t.keys.OPERATOR);
    expect((await world.gql(me, {}, t.keys.VIEWER)).body.data.me.entitlements.passwordless_enabled).toBe(true);

    await world.gql(
      Q.updateAdminSettings,
      { input: { authentication: { password_policy: { min_length: 16 } } } },
      t.keys.ADMIN,
    );
    const admin = await rest(world, 'GET', '/api/admin/settings/authentication', { key: t.keys.VIEWER });
    expect(JSON.stringify(admin.body)).toContain('"min_length":16');
    await world.gql(Q.reset, { category: 'authentication' }, t.keys.ADMIN);
    const reset = await rest(world, 'GET', '/api/admin/settings/authentication', { key: t.keys.VIEWER });
    expect(JSON.stringify(reset.body)).not.toContain('"min_length":16');
  });

  it('after a rolled-back write (CONFLICT; a rule refusing it inside the transaction), the old value', async () => {
    const t = await world.createTenantWithKeys();
    await world.gql(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 300 } } }, t.keys.OPERATOR);
    const read = async () => (await world.gql(Q.config, { id: t.id }, t.keys.VIEWER)).body.data.tenant.config;
    const before = await read();
    expect(before.document.performance.cache_size_mb).toBe(300);

    const stale = await world.gql(
      Q.updateTenantConfig,
      { input: { performance: { cache_size_mb: 999 } }, v: 0 },
      t.keys.OPERATOR,
    );
    expect(stale.body.errors[0].extensions.code).toBe('CONFLICT');
    expect(await read()).toEqual(before);

    // Checked on the merged configuration, under the tenant row's lock: refused mid-transaction.
    const refused = await world.gql(
      Q.updateTenantConfig,
      { input: { performance: { cache_size_mb: 777 }, backup: { retention_days: 1, pitr_retention_days: 7 } } },
      t.keys.OPERATOR,
    );
    expect(refused.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await read()).toEqual(before);
    // And that old value is still served from memory: the refused write dropped nothing.
    const { count, log } = await statementsOf(read);
    expect(count, log.join(', ')).toBe(0);
  });

  it('a revoked key is refused on the next request, though its principal was cached', async () => {
    const t = await world.createTenantWithKeys();
    const { key, id } = await world.createApiKey(t.id, 'VIEWER', t.keys.ADMIN);
    expect((await rest(world, 'GET', '/tenant/me', { key })).status).toBe(200);
    const cached = await statementsOf(() => rest(world, 'GET', '/tenant/me', { key }));
    expect(cached.result.status).toBe(200);
    expect(cached.count, cached.log.join(', ')).toBe(0);

    const revoked = await world.gql(
      gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } } }`,
      { id },
      t.keys.ADMIN,
    );
    expect(revoked.body.errors).toBeUndefined();
    const next = await rest(world, 'GET', '/tenant/me', { key });
    expect(next.status).toBe(401);
    // The tenant's other keys go on working.
    expect((await rest(world, 'GET', '/tenant/me', { key: t.keys.VIEWER })).status).toBe(200);
  });
});

describe('the race of a read that began before a commit', () => {
  it('what it read is not stored once the commit dropped its tenant; a read begun after the commit is', async () => {
    const feed = openChangeFeed(world.store.db, {
      databaseUrl: world.config.databaseUrl,
      logger: pino({ level: 'silent' }),
    });
    await feed.whenLive();
    const cache = new ReadCache(feed, 1 << 20);
    try {
      const t = await world.createTenantWithKeys();
      const read = () =>
        world.store.db.selectFrom('tenants').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
      // A read takes its ticket, then queries: it gets the row as it was before the commit.
      const early = cache.begin();
      const before = await read();
      // Meanwhile a write of that tenant commits and is announced.
      const actor = { principal: { kind: 'platform' } as const, requestId: null, now: () => new Date() };
      await feed.transaction(world.store.db, (trx) =>
        recordChange(trx, actor, {
          tenantId: t.id,
          action: 'settings.update',
          document: 'SETTINGS',
          version: 1,
          paths: [],
        }),
      );
      cache.storeTenant(early, before);
      cache.end();
      expect(cache.tenant(t.id)).toBeUndefined();
      // A read that begins after the commit stores what it read.
      const late = cache.begin();
      const after = await read();
      cache.storeTenant(late, after);
      cache.end();
      expect(cache.tenant(t.id)).toEqual(after);
      // And a resync (the listener lost or back) drops everything, and refuses reads begun before it.
      const beforeResync = cache.begin();
      cache.clear();
      cache.storeTenant(beforeResync, after);
      cache.end();
      expect(cache.tenant(t.id)).toBeUndefined();
    } finally {
      cache.close();
      await feed.close();
    }
  });
});

describe('cached reads keep tenant isolation and the rate limits', () => {
  it("one tenant's key never gets another's cached document, nor another tenant by id", async () => {
    const a = await world.createTenantWithKeys();
    const b = await world.createTenantWithKeys();
    await rest(world, 'PUT', '/tenant/settings', { key: a.keys.OPERATOR, body: { certExpiryDays: 11 } });
    await rest(world, 'PUT', '/tenant/settings', { key: b.keys.OPERATOR, body: { certExpiryDays: 22 } });
    for (let i = 0; i < 3; i++) {
      expect((await settingsOf(a)).certExpiryDays).toBe(11);
      expect((await settingsOf(b)).certExpiryDays).toBe(22);
    }
    // B's rows are in memory now; A still cannot name B.
    const cross = await world.gql(Q.settings, { id: b.id }, a.keys.ADMIN);
    expect(cross.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const v1 = await rest(world, 'GET', `/api/v1/tenants/${b.id}/config`, { key: a.keys.ADMIN });
    expect(v1.status).toBe(403);
  });

  it('cached reads are still counted by the rate limits', async () => {
    const policy = {
      name: 'tenant-names',
      per: 'tenant' as const,
      max: 3,
      windowSeconds: 60,
      description: 'at most 3 tenant names',
    };
    const limited = createApp({
      db: world.store.db,
      config: { ...world.config, rateLimits: { enabled: true, fieldPolicies: { 'Tenant.name': [policy] } } },
      logger: pino({ level: 'silent' }),
      now: world.clock.now,
    });
    try {
      const t = await world.createTenantWithKeys();
      const ask = async () => {
        const res = await limited.fetch(
          buildRequest('/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: gql`{ me { tenant { name } } }` }),
            key: t.keys.VIEWER,
          }),
        );
        return (await res.json()) as { data?: any; errors?: any[] };
      };
      for (let i = 0; i < 3; i++) expect((await ask()).data?.me.tenant.name).toBe(t.name);
      expect((await ask()).errors?.[0].extensions.code).toBe('RATE_LIMITED');
    } finally {
      await limited.dispose();
    }
  });
});

describe('statements per request', () => {
  it('a cached GET /tenant/settings issues 0 statements, the key lookup included; a miss at most 3', async () => {
    const t = await world.createTenantWithKeys();
    await settingsOf(t); // the viewer key's first use stamps its last_used_at
    await rest(world, 'PUT', '/tenant/settings', { key: t.keys.OPERATOR, body: { certExpiryDays: 44 } });
    // A key change of the tenant drops its keys' principals too (and the write its rows): a full miss.
    await world.gql(
      gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`,
      { input: { tenantId: t.id, role: 'VIEWER' } },
      t.keys.ADMIN,
    );
    const miss = await statementsOf(() => settingsOf(t));
    expect(miss.result.certExpiryDays).toBe(44);
    expect(miss.log.sort(), miss.log.join(', ')).toEqual([
      'select api_keys',
      'select setting_values',
      'select tenants',
    ]);
    const hit = await statementsOf(() => settingsOf(t));
    expect(hit.result).toEqual(miss.result);
    expect(hit.count, hit.log.join(', ')).toBe(0);
    // last_used_at is still stamped, at most once a minute per key: one statement after a minute.
    world.clock.advance(61_000);
    const stamped = await statementsOf(() => settingsOf(t));
    expect(stamped.log).toEqual(['update api_keys']);
    const row = await world.store.db
      .selectFrom('api_keys')
      .select('last_used_at')
      .where('id', '=', t.keyIds.VIEWER)
      .executeTakeFirstOrThrow();
    expect(row.last_used_at!.getTime()).toBeGreaterThan(Date.now() + 60_000);
    expect((await statementsOf(() => settingsOf(t))).count).toBe(0);
  });

  it('listing N tenants with their flags and config: the same statements for N = 1, 10, 100 and for 500 (5 pages of 100)', async () => {
    const LIST = gql`query($first: Int, $after: String) { tenants(first: $first, after: $after) { nodes { id featureFlags { key enabled } config { document } } pageInfo { endCursor hasNextPage } } }`;
    const page = (first: number, after?: string | null) =>
      statementsOf(async () => (await world.gql(LIST, { first, after }, PLATFORM_KEY)).body.data.tenants);
    // The tenants of the other tests come first: start after them.
    let start: string | null = null;
    for (let more = true; more; ) {
      const res = await page(100, start);
      if (res.result.pageInfo.endCursor) start = res.result.pageInfo.endCursor;
      more = res.result.pageInfo.hasNextPage;
    }
    // 500 tenants straight into the tables (created after every other), with a setting and a flag each.
    const later = new Date(Date.now() + 10 * 86_400_000);
    const ids: string[] = [];
    for (let i = 0; i < 500; i += 100) {
      const values = Array.from({ length: 100 }, (_, j) => ({
        name: `List ${i + j}`,
        tier: 'PRO' as const,
        created_at: new Date(later.getTime() + i + j),
      }));
      ids.push(
        ...(await world.store.db.insertInto('tenants').values(values).returning('id').execute()).map((r) => r.id),
      );
    }
    await world.store.db
      .insertInto('setting_values')
      .values(ids.map((id) => ({ tenant_id: id, path: 'config.performance.cache_size_mb', value: '2048' })))
      .execute();
    await world.store.db
      .insertInto('feature_flags')
      .values(ids.map((id) => ({ tenant_id: id, key: 'passwordless_enabled', enabled: true })))
      .execute();

    const counts: Record<number, number[]> = {};
    for (const n of [1, 10, 100]) {
      // Cold (part of the page never read), then warm (everything in memory but the page itself).
      const cold = await page(n, start);
      const warm = await page(n, start);
      expect(cold.result.nodes.map((x: any) => x.id)).toEqual(ids.slice(0, n));
      expect(warm.result).toEqual(cold.result);
      counts[n] = [cold.count, warm.count];
    }
    // Cold: the page, then the setting rows and the flag rows of all its misses (one statement each); warm: the page.
    expect(counts[1]).toEqual([3, 1]);
    expect(counts[10]).toEqual(counts[1]);
    expect(counts[100]).toEqual(counts[1]);

    for (const pass of ['first', 'second']) {
      let after = start;
      const perPage: number[] = [];
      const seen: string[] = [];
      for (let p = 0; p < 5; p++) {
        const res = await page(100, after);
        for (const node of res.result.nodes) {
          seen.push(node.id);
          expect(node.config.document.performance.cache_size_mb).toBe(2048);
          expect(node.featureFlags.find((f: any) => f.key === 'passwordless_enabled').enabled).toBe(true);
        }
        perPage.push(res.count);
        after = res.result.pageInfo.endCursor;
      }
      expect(seen).toEqual(ids);
      // First pass: the first 100 are warm already; second pass: all warm.
      expect(perPage, pass).toEqual(pass === 'first' ? [1, 3, 3, 3, 3] : [1, 1, 1, 1, 1]);
    }
  });
});

describe('bounded by size', () => {
  it('CACHE_MAX_MB holds: a tiny cache evicts, never holds more than its bound, and still answers right', async () => {
    const tiny = createApp({
      db: world.store.db,
      config: { ...world.config, cacheMaxMb: 0.004 },
      logger: pino({ level: 'silent' }),
      now: world.clock.now,
    });
    try {
      const before = readCacheStats();
      const tenants: TestTenant[] = [];
      for (let i = 0; i < 8; i++) tenants.push(await world.createTenantWithKeys());
      for (let round = 0; round < 3; round++) {
        for (const t of tenants) {
          const res = await tiny.fetch(
            buildRequest('/graphql', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query: Q.settings, variables: { id: t.id } }),
              key: t.keys.VIEWER,
            }),
          );
          const body = (await res.json()) as any;
          expect(body.data.tenant.settings.tenantSettings.certExpiryDays).toBe(30);
        }
      }
      const after = readCacheStats();
      expect(after.evictions).toBeGreaterThan(before.evictions);
      expect(after.hits + after.misses).toBeGreaterThan(before.hits + before.misses);
      expect(after.bytes).toBeLessThanOrEqual(after.maxBytes);
    } finally {
      await tiny.dispose();
    }
  });
});

describe('CACHE_MAX_MB', () => {
  it('defaults to 64; 0 turns the cache off; anything else not a number of MiB is refused at start', () => {
    const env = { SECRETS_KEY: '0'.repeat(64) };
    expect(loadConfig(env).cacheMaxMb).toBe(64);
    expect(loadConfig({ ...env, CACHE_MAX_MB: '0' }).cacheMaxMb).toBe(0);
    expect(loadConfig({ ...env, CACHE_MAX_MB: '8.5' }).cacheMaxMb).toBe(8.5);
    expect(() => loadConfig({ ...env, CACHE_MAX_MB: 'lots' })).toThrow(/CACHE_MAX_MB/);
    expect(() => loadConfig({ ...env, CACHE_MAX_MB: '-1' })).toThrow(/CACHE_MAX_MB/);
  });

  it('with the cache off every read goes to the database', async () => {
    const counter = new QueryCounter();
    const uncached = createApp({
      db: world.store.db.withPlugin(counter),
      config: { ...world.config, cacheMaxMb: 0 },
      logger: pino({ level: 'silent' }),
      now: world.clock.now,
    });
    try {
      const t = await world.createTenantWithKeys();
      const ask = async () => (await uncached.fetch(buildRequest('/tenant/settings', { key: t.keys.VIEWER }))).status;
      expect(await ask()).toBe(200);
      counter.reset();
      expect(await ask()).toBe(200);
      // The key, the tenant row, its setting rows.
      expect(counter.count(), counter.queries().join(', ')).toBe(3);
    } finally {
      await uncached.dispose();
    }
  });
});
