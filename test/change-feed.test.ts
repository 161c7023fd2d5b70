import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ChangeFeed,
  changesAfter,
  type FeedEvent,
  openChangeFeed,
  recordChange,
  type TenantChange,
} from '../src/services/change-feed.js';
import { type App, createApp } from '../src/yoga.js';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { CREATE_SCAN, CREATE_SHARE_LINK } from './helpers/scans.js';
import { buildRequest, createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

// The change feed (DESIGN.md "Reads, writes and the change feed"): one stored row per committed
// change, written in the change's transaction, announced after commit. Runs on both stores; the
// LISTEN/NOTIFY cases need a server and run when TEST_DATABASE_URL is set.

const logger = pino({ level: 'silent' });
let world: World;
/** An app of this test's own on the world's store, so the test holds its feed. */
let feed: ChangeFeed;
let app: App;
const events: FeedEvent[] = [];

async function ask(query: string, variables: Record<string, unknown>, key: string) {
  const res = await app.fetch(
    buildRequest('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
      key,
    }),
  );
  return (await res.json()) as { data?: any; errors?: any[] };
}

async function ok(query: string, variables: Record<string, unknown>, key: string) {
  const body = await ask(query, variables, key);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const changesOf = (tenantId: string) =>
  events.flatMap((e) => (e.type === 'change' && e.change.tenantId === tenantId ? [e.change] : []));

/**
 * A tenant made through the world's app. On a server this test's feed hears those commits by
 * NOTIFY, a moment after they commit: it waits until the feed has heard the last of them, so a
 * count of what the feed heard, taken next, cannot grow from the tenant's creation.
 */
async function newTenant(): Promise<TestTenant> {
  const tenant = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
  if (world.config.databaseUrl) {
    const last = (await changesAfter(world.store.db, tenant.id, 0)).at(-1)?.cursor;
    await vi.waitFor(() => expect(changesOf(tenant.id).at(-1)?.cursor).toBe(last), { timeout: 5_000 });
  }
  return tenant;
}

beforeAll(async () => {
  world = await createWorld();
  feed = openChangeFeed(world.store.db, {
    databaseUrl: world.config.databaseUrl,
    logger,
    applicationName: 'tcg-change-feed-test-a',
  });
  app = createApp({ db: world.store.db, config: world.config, logger, now: world.clock.now, changeFeed: feed });
  await feed.whenLive();
  feed.subscribe((e) => events.push(e));
});

afterAll(async () => {
  await app?.dispose();
  await world?.close();
});

describe('every write path stores one change in its own transaction, with a gap-free cursor per tenant', () => {
  it('settings, admin settings, reset, config, flags, keys, scans, share links: action, document, version, paths', async () => {
    const t = await newTenant();
    // createTenantWithKeys: tenant.create and three api_key.create (through the world's app).
    const s = await ok(
      Q.updateTenantSettings,
      { input: { certExpiryDays: 45, webhookSigningSecret: 'whsec-canary-change-feed' } },
      t.keys.ADMIN,
    );
    await ok(
      Q.updateAdminSettings,
      { input: { authentication: { password_policy: { min_length: 14 } } } },
      t.keys.ADMIN,
    );
    await ok(Q.reset, { category: 'authentication' }, t.keys.ADMIN);
    const c = await ok(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 512 } } }, t.keys.OPERATOR);
    await ok(Q.setFeatureFlag, { key: 'passwordless_enabled', enabled: true }, t.keys.OPERATOR);
    const scan = (await ok(CREATE_SCAN, { input: { target: 'https://feed.test' } }, t.keys.OPERATOR)).createScan.scan;
    const link = (await ok(CREATE_SHARE_LINK, { scanId: scan.id, input: {} }, t.keys.OPERATOR)).createShareLink
      .shareLink;
    await ok(
      gql`mutation($id: ID!) { revokeShareLink(id: $id) { shareLink { id } } }`,
      { id: link.id },
      t.keys.OPERATOR,
    );
    await ok(
      gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } } }`,
      { id: t.keyIds.VIEWER },
      t.keys.ADMIN,
    );

    const stored = await changesAfter(world.store.db, t.id, 0);
    expect(stored.map((x) => x.cursor)).toEqual(stored.map((_, i) => i + 1));
    expect(stored.map((x) => [x.action, x.document, x.target])).toEqual([
      ['tenant.create', null, t.id],
      ['api_key.create', null, t.keyIds.VIEWER],
      ['api_key.create', null, t.keyIds.OPERATOR],
      ['api_key.create', null, t.keyIds.ADMIN],
      ['settings.update', 'SETTINGS', null],
      ['settings.update', 'SETTINGS', null],
      ['settings.reset', 'SETTINGS', null],
      ['config.update', 'TENANT_CONFIG', null],
      ['feature_flag.update', 'FEATURE_FLAGS', null],
      ['scan.create', null, scan.id],
      ['share_link.create', null, link.id],
      ['share_link.revoke', null, link.id],
      ['api_key.revoke', null, t.keyIds.VIEWER],
    ]);
    const [, , , , settings, admin, reset, config, flag] = stored;
    expect(settings).toMatchObject({
      version: s.updateTenantSettings.version,
      actorKeyId: t.keyIds.ADMIN,
      actorRole: 'ADMIN',
    });
    expect([...settings.paths].sort()).toEqual(['settings.certExpiryDays', 'settings.webhookSigningSecret']);
    expect(admin).toMatchObject({ version: 2, paths: ['admin.authentication.password_policy.min_length'] });
    expect(reset).toMatchObject({ version: 3, paths: ['admin.authentication.password_policy.min_length'] });
    expect(config).toMatchObject({
      version: c.updateTenantConfig.version,
      paths: ['config.performance.cache_size_mb'],
      actorRole: 'OPERATOR',
    });
    // Flags are a versioned document too (tenants.flags_version, the history's FEATURE_FLAGS).
    expect(flag).toMatchObject({ document: 'FEATURE_FLAGS', version: 1, paths: ['passwordless_enabled'] });
    expect(settings.requestId).toEqual(expect.any(String));
    // Paths only: no value (least of all the secret) is stored in the feed.
    const raw = await world.store.db.selectFrom('tenant_changes').selectAll().where('tenant_id', '=', t.id).execute();
    expect(JSON.stringify(raw)).not.toContain('whsec-canary-change-feed');
    // The value written (512) in no column but the random ids and times, which may hold those digits.
    const described = raw.map(({ tenant_id, target, actor_key_id, request_id, committed_at, ...rest }) => rest);
    expect(described).toHaveLength(raw.length);
    expect(JSON.stringify(described)).not.toContain('512');

    // Announced in this process, once each, in cursor order (the changes made through this app).
    // (The first four were made through the world's app: on a server this feed hears them too, by NOTIFY.)
    const heard = changesOf(t.id);
    expect(heard.length).toBeGreaterThanOrEqual(stored.length - 4);
    expect(heard).toEqual(stored.slice(stored.length - heard.length));
  });

  it('a write that changes nothing records nothing', async () => {
    const t = await newTenant();
    const before = (await changesAfter(world.store.db, t.id, 0)).length;
    await ok(Q.setFeatureFlag, { key: 'passwordless_enabled', enabled: false }, t.keys.OPERATOR);
    await ok(Q.updateTenantConfig, { input: {} }, t.keys.OPERATOR);
    expect(await changesAfter(world.store.db, t.id, 0)).toHaveLength(before);
  });

  it('20 concurrent writes of one tenant get cursors with no gap and no repeat', async () => {
    const t = await newTenant();
    const start = (await changesAfter(world.store.db, t.id, 0)).length;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ask(Q.updateTenantSettings, { input: { certExpiryDays: 10 + i } }, t.keys.OPERATOR),
      ),
    );
    for (const r of results) expect(r.errors).toBeUndefined();
    const stored = await changesAfter(world.store.db, t.id, start);
    expect(stored.map((x) => x.cursor)).toEqual(Array.from({ length: 20 }, (_, i) => start + i + 1));
    // In commit order: the settings version grows with the cursor.
    expect(stored.map((x) => x.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('changesAfter resumes after a cursor, oldest first, bounded by its limit', async () => {
    const t = await newTenant();
    const all = await changesAfter(world.store.db, t.id, 0);
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(await changesAfter(world.store.db, t.id, 2)).toEqual(all.slice(2));
    expect(await changesAfter(world.store.db, t.id, 1, 2)).toEqual(all.slice(1, 3));
    expect(await changesAfter(world.store.db, t.id, all.length)).toEqual([]);
  });
});

describe('announced only after commit; a rolled-back write announces and stores nothing', () => {
  it('a stale expectedVersion (CONFLICT) leaves no row and no announcement', async () => {
    const t = await newTenant();
    await ok(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 300 } } }, t.keys.OPERATOR);
    const rows = await changesAfter(world.store.db, t.id, 0);
    const heard = changesOf(t.id).length;
    const res = await ask(
      Q.updateTenantConfig,
      { input: { performance: { cache_size_mb: 400 } }, v: 0 },
      t.keys.OPERATOR,
    );
    expect(res.errors?.[0].extensions.code).toBe('CONFLICT');
    expect(await changesAfter(world.store.db, t.id, 0)).toEqual(rows);
    expect(changesOf(t.id)).toHaveLength(heard);
  });

  it('a change recorded in a transaction that then fails: no row, cursor unchanged, nothing announced; listeners hear it only once committed', async () => {
    const t = await newTenant();
    const rows = await changesAfter(world.store.db, t.id, 0);
    const actor = { principal: { kind: 'platform' } as const, requestId: 'feed-test', now: () => new Date() };
    const heardBefore = changesOf(t.id).length;
    await expect(
      feed.transaction(world.store.db, async (trx) => {
        const change = await recordChange(trx, actor, {
          tenantId: t.id,
          action: 'config.update',
          document: 'TENANT_CONFIG',
          version: 99,
          paths: ['config.x'],
        });
        expect(change.cursor).toBe(rows.length + 1);
        // Not yet announced: the transaction has not committed.
        expect(changesOf(t.id)).toHaveLength(heardBefore);
        throw new Error('refused mid-transaction');
      }),
    ).rejects.toThrow('refused mid-transaction');
    expect(await changesAfter(world.store.db, t.id, 0)).toEqual(rows);
    expect(changesOf(t.id)).toHaveLength(heardBefore);

    let heardInside = -1;
    await feed.transaction(world.store.db, async (trx) => {
      await recordChange(trx, actor, {
        tenantId: t.id,
        action: 'config.update',
        document: 'TENANT_CONFIG',
        version: 1,
        paths: ['config.x'],
      });
      heardInside = changesOf(t.id).length;
    });
    expect(heardInside).toBe(heardBefore);
    expect(
      changesOf(t.id)
        .map((x) => x.cursor)
        .at(-1),
    ).toBe(rows.length + 1);
  });

  it('recordChange outside a feed transaction is refused (it would never be announced)', async () => {
    const t = await newTenant();
    const actor = { principal: { kind: 'platform' } as const, requestId: null, now: () => new Date() };
    await expect(
      world.store.db
        .transaction()
        .execute((trx) => recordChange(trx, actor, { tenantId: t.id, action: 'scan.create' })),
    ).rejects.toThrow(/ChangeFeed.transaction/);
  });
});

// Another gateway process, as far as the feed is concerned: a second feed with its own LISTEN
// connection on the same server.
describe.runIf(process.env.TEST_DATABASE_URL)(
  'on a Postgres server: NOTIFY to every process, reconnect and resync',
  () => {
    let other: ChangeFeed;
    const otherEvents: FeedEvent[] = [];
    const otherChanges = (tenantId: string) =>
      otherEvents.flatMap((e) => (e.type === 'change' && e.change.tenantId === tenantId ? [e.change] : []));

    beforeAll(async () => {
      other = openChangeFeed(world.store.db, {
        databaseUrl: world.config.databaseUrl,
        logger,
        applicationName: 'tcg-change-feed-test-b',
      });
      other.subscribe((e) => otherEvents.push(e));
      await other.whenLive();
    });
    afterAll(() => other?.close());

    /** Polls every 10 ms until `check` passes or `ms` elapse. */
    async function within<T>(ms: number, check: () => T | undefined): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const value = check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }

    it('a change committed through one process is heard by the other with the same content (within 1 s); the writer hears itself once', async () => {
      const t = await newTenant();
      await ok(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 700 } } }, t.keys.OPERATOR);
      const [stored] = (await changesAfter(world.store.db, t.id, 0)).slice(-1);
      const heard = await within(1000, () => otherChanges(t.id).find((c) => c.cursor === stored!.cursor));
      expect(heard).toEqual(stored);
      // The NOTIFY echo reached this process too (the other one heard it): still announced once here.
      await new Promise((r) => setTimeout(r, 50));
      expect(changesOf(t.id).filter((c) => c.cursor === stored!.cursor)).toHaveLength(1);
    });

    it('a rolled-back change is never heard by the other process', async () => {
      const t = await newTenant();
      const actor = { principal: { kind: 'platform' } as const, requestId: null, now: () => new Date() };
      await feed
        .transaction(world.store.db, async (trx) =>
          recordChange(trx, actor, { tenantId: t.id, action: 'scan.create', target: 'first' }),
        )
        .catch(() => {});
      await expect(
        feed.transaction(world.store.db, async (trx) => {
          await recordChange(trx, actor, { tenantId: t.id, action: 'scan.create', target: 'rolled-back' });
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      await feed.transaction(world.store.db, async (trx) =>
        recordChange(trx, actor, { tenantId: t.id, action: 'scan.create', target: 'last' }),
      );
      // Notifications arrive in commit order: once the last is heard, the rolled-back one would have been.
      await within(1000, () => otherChanges(t.id).find((c) => c.target === 'last'));
      expect(otherChanges(t.id).map((c) => c.target)).not.toContain('rolled-back');
    });

    it('a change too long for a notification is read from the table by the listener', async () => {
      const t = await newTenant();
      const actor = { principal: { kind: 'platform' } as const, requestId: null, now: () => new Date() };
      const paths = Array.from({ length: 400 }, (_, i) => `config.custom_settings.key_${i}_${'x'.repeat(20)}`);
      await feed.transaction(world.store.db, (trx) =>
        recordChange(trx, actor, {
          tenantId: t.id,
          action: 'config.update',
          document: 'TENANT_CONFIG',
          version: 1,
          paths,
        }),
      );
      const heard = await within(1000, () => otherChanges(t.id).find((c) => c.action === 'config.update'));
      expect(heard.paths).toEqual(paths);
    });

    it('a killed LISTEN connection (pg_terminate_backend): resync not live at once, then live again after reconnecting; changes heard again', async () => {
      const admin = new pg.Client({ connectionString: world.config.databaseUrl });
      await admin.connect();
      try {
        const before = otherEvents.length;
        const killed = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'tcg-change-feed-test-b'`,
        );
        expect(killed.rowCount).toBe(1);
        await within(1000, () => otherEvents.slice(before).find((e) => e.type === 'resync' && !e.live));
        await within(5000, () => otherEvents.slice(before).find((e) => e.type === 'resync' && e.live));
        expect(other.live).toBe(true);
        const t = await newTenant();
        await ok(Q.setFeatureFlag, { key: 'passwordless_enabled', enabled: true }, t.keys.OPERATOR);
        await within(1000, () => otherChanges(t.id).find((c) => c.action === 'feature_flag.update'));
      } finally {
        await admin.end();
      }
    });
  },
);

describe('the platform admin', () => {
  it('creating a tenant records its first change', async () => {
    const data = await ok(
      gql`mutation { createTenant(input: { name: "Feed Co" }) { tenant { id } } }`,
      {},
      PLATFORM_KEY,
    );
    const [first] = await changesAfter(world.store.db, data.createTenant.tenant.id, 0);
    expect(first).toMatchObject({
      cursor: 1,
      action: 'tenant.create',
      actorRole: 'PLATFORM_ADMIN',
      actorKeyId: null,
    } satisfies Partial<TenantChange>);
  });
});
