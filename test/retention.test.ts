import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChangeFeed } from '../src/services/change-feed.js';
import { subtractCalendarMonths, sweepAllTenants } from '../src/services/retention.js';
import { gql } from './helpers/graphql.js';
import { SHARED_SCAN, seedScan, seedShareLink, storeSetting } from './helpers/scans.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

const DAY = 86_400_000;
const SWEEP = gql`mutation($tenantId: ID) { runRetentionSweep(tenantId: $tenantId) { deletedScans deletedShareLinks } }`;

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

async function scanIdsOf(tenantId: string) {
  const rows = await world.store.db.selectFrom('scans').select('id').where('tenant_id', '=', tenantId).execute();
  return rows.map((r) => r.id).sort();
}

async function sweepAudits(tenantId: string) {
  return world.store.db
    .selectFrom('audit_log')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('action', '=', 'retention.sweep')
    .orderBy('id')
    .execute();
}

describe('calendar months', () => {
  it('subtracts calendar months, clamping the day', () => {
    expect(subtractCalendarMonths(new Date('2025-03-31T10:00:00Z'), 1).toISOString()).toBe('2025-02-28T10:00:00.000Z');
    expect(subtractCalendarMonths(new Date('2024-03-31T10:00:00Z'), 1).toISOString()).toBe('2024-02-29T10:00:00.000Z');
    expect(subtractCalendarMonths(new Date('2025-01-15T00:00:00Z'), 12).toISOString()).toBe('2024-01-15T00:00:00.000Z');
    expect(subtractCalendarMonths(new Date('2025-01-15T00:00:00Z'), 13).toISOString()).toBe('2023-12-15T00:00:00.000Z');
  });
});

describe('runRetentionSweep (on demand)', () => {
  let t: TestTenant;
  let old: { id: string };
  let oldRetained: { id: string };
  let recent: { id: string };
  let oldLinkToken: string;
  let recentLinkToken: string;
  let result: any;

  beforeAll(async () => {
    t = await world.createTenantWithKeys();
    await storeSetting(world, t, 'evidenceRetentionMonths', 3);
    old = await seedScan(world, t, { target: 'old' });
    oldRetained = await seedScan(world, t, { target: 'old but retained', retained: true });
    // Three calendar months and a bit later: "old" is past retention. Its links are made now
    // (a link lives at most 30 days), so they are open right up to the sweep.
    world.clock.advance(93 * DAY);
    oldLinkToken = (await seedShareLink(world, t, old.id)).token;
    await seedShareLink(world, t, old.id, { scope: 'report' });
    recent = await seedScan(world, t, { target: 'recent' });
    recentLinkToken = (await seedShareLink(world, t, recent.id)).token;
    expect((await world.gql(SHARED_SCAN, { token: oldLinkToken })).status).toBe(200);
    result = await world.gql(SWEEP, {}, t.keys.ADMIN);
  });

  it('deletes unretained scans past retention with their links; keeps retained and recent ones', async () => {
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.runRetentionSweep).toEqual({ deletedScans: 1, deletedShareLinks: 2 });
    expect(await scanIdsOf(t.id)).toEqual([oldRetained.id, recent.id].sort());
    const links = await world.store.db
      .selectFrom('share_links')
      .select('scan_id')
      .where('tenant_id', '=', t.id)
      .execute();
    expect(links.map((l) => l.scan_id)).toEqual([recent.id]);
  });

  it('makes links of removed scans stop working', async () => {
    const res = await world.gql(SHARED_SCAN, { token: oldLinkToken });
    expect(res.status).toBe(404);
    expect(res.body.errors![0].extensions.code).toBe('NOT_FOUND');
    expect(res.body.errors![0].message).toBe('Share link not found or expired');
    expect((await world.gql(SHARED_SCAN, { token: recentLinkToken })).status).toBe(200);
  });

  it('writes an audit entry listing what went', async () => {
    const audits = await sweepAudits(t.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_role: 'ADMIN', actor_key_id: t.keyIds.ADMIN, target: t.id });
    const changes = audits[0]!.changes as any;
    expect(changes).toMatchObject({
      evidenceRetentionMonths: 3,
      deletedScans: 1,
      deletedShareLinks: 2,
      scanIds: [old.id],
    });
    expect(changes.shareLinkIds).toHaveLength(2);
    expect(JSON.stringify(changes)).not.toContain(oldLinkToken);
  });

  it('a second run removes nothing and still records that it ran', async () => {
    const again = await world.gql(SWEEP, { tenantId: t.id }, t.keys.ADMIN);
    expect(again.body.data.runRetentionSweep).toEqual({ deletedScans: 0, deletedShareLinks: 0 });
    const audits = await sweepAudits(t.id);
    expect(audits).toHaveLength(2);
    expect(audits[1]!.changes).toMatchObject({ deletedScans: 0, scanIds: [] });
  });

  it('is admin only: operator and viewer are FORBIDDEN, another tenant is FORBIDDEN', async () => {
    for (const key of [t.keys.OPERATOR, t.keys.VIEWER]) {
      const res = await world.gql(SWEEP, {}, key);
      expect(res.status).toBe(403);
      expect(res.body.errors![0].extensions.code).toBe('FORBIDDEN');
    }
    const other = await world.createTenantWithKeys();
    const res = await world.gql(SWEEP, { tenantId: t.id }, other.keys.ADMIN);
    expect(res.body.errors![0].extensions.code).toBe('FORBIDDEN');
  });

  it('lets the platform admin sweep a named tenant', async () => {
    const res = await world.gql(SWEEP, { tenantId: t.id }, PLATFORM_KEY);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.runRetentionSweep.deletedScans).toBe(0);
  });
});

describe('default retention and the timer sweep', () => {
  it('keeps scans for 12 months by default; the timer sweep removes them after, across tenants', async () => {
    const a = await world.createTenantWithKeys();
    const b = await world.createTenantWithKeys();
    const aScan = await seedScan(world, a);
    const bScan = await seedScan(world, b);
    const bToken = (await seedShareLink(world, b, bScan.id, { expiresHours: 720 })).token;
    await storeSetting(world, b, 'evidenceRetentionMonths', 24);
    // b keeps its audit entries for 10 years, so nothing of b's is due (audit retention is tested below).
    expect(
      (
        await world.gql(
          gql`mutation { updateAdminSettings(input: { compliance: { audit_log_retention_days: 3650 } }) { version } }`,
          {},
          b.keys.ADMIN,
        )
      ).body.errors,
    ).toBeUndefined();

    world.clock.advance(360 * DAY);
    expect((await world.gql(SWEEP, {}, a.keys.ADMIN)).body.data.runRetentionSweep.deletedScans).toBe(0);
    expect(await scanIdsOf(a.id)).toEqual([aScan.id]);

    world.clock.advance(10 * DAY);
    const logger = pino({ level: 'silent' });
    const feed = openChangeFeed(world.store.db, { logger });
    const total = await sweepAllTenants(world.store.db, feed, world.clock.now, logger, world.config.settingsEnv);
    await feed.close();
    expect(total.deletedScans).toBeGreaterThanOrEqual(1);
    expect(await scanIdsOf(a.id)).toEqual([]);
    // b keeps 24 months: its scan and link survive.
    expect(await scanIdsOf(b.id)).toEqual([bScan.id]);
    const timerAudit = (await sweepAudits(a.id)).at(-1)!;
    expect(timerAudit).toMatchObject({ actor_role: 'SYSTEM', actor_key_id: null });
    expect(timerAudit.changes).toMatchObject({ deletedScans: 1, scanIds: [aScan.id], evidenceRetentionMonths: 12 });
    expect(timerAudit.request_id).toMatch(/^retention-sweep-/);
    // The timer stays quiet on tenants where nothing went.
    expect(await sweepAudits(b.id)).toHaveLength(0);
    // b's link expired on its own after 720 h; the scan is still there.
    expect((await world.gql(SHARED_SCAN, { token: bToken })).status).toBe(404);
  });

  it('autoRetainScans=true makes new scans retained, so the sweep keeps them', async () => {
    const t = await world.createTenantWithKeys();
    await storeSetting(world, t, 'autoRetainScans', true);
    await storeSetting(world, t, 'evidenceRetentionMonths', 1);
    const kept = await seedScan(world, t);
    expect(kept.retained).toBe(true);
    await storeSetting(world, t, 'autoRetainScans', false);
    const dropped = await seedScan(world, t);
    expect(dropped.retained).toBe(false);
    world.clock.advance(40 * DAY);
    const res = await world.gql(SWEEP, {}, t.keys.ADMIN);
    expect(res.body.data.runRetentionSweep.deletedScans).toBe(1);
    expect(await scanIdsOf(t.id)).toEqual([kept.id]);
  });
});

describe('audit retention (compliance.audit_log_retention_days)', () => {
  it("deletes audit entries older than the setting, with history versions of the same age, but keeps each document's newest version", async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const config = gql`mutation($input: TenantConfigPatch!) { updateTenantConfig(input: $input) { version } }`;
    for (const size of [2000, 3000, 4000])
      expect(
        (await world.gql(config, { input: { performance: { cache_size_mb: size } } }, t.keys.OPERATOR)).body.errors,
      ).toBeUndefined();
    const admin = gql`mutation($input: AdminSettingsPatch!) { updateAdminSettings(input: $input) { version } }`;
    expect(
      (await world.gql(admin, { input: { compliance: { audit_log_retention_days: 100 } } }, t.keys.ADMIN)).body.errors,
    ).toBeUndefined();
    const db = world.store.db;
    // Config versions 1 and 2 (and their audit entries) are 200 days old; version 3 is too, but it is the newest.
    const old = new Date(Date.now() - 200 * DAY);
    await db
      .updateTable('config_versions')
      .set({ created_at: old })
      .where('tenant_id', '=', t.id)
      .where('document', '=', 'TENANT_CONFIG')
      .execute();
    await db
      .updateTable('audit_log')
      .set({ created_at: old })
      .where('tenant_id', '=', t.id)
      .where('action', '=', 'config.update')
      .execute();
    const keptAudit = await db
      .selectFrom('audit_log')
      .select('id')
      .where('tenant_id', '=', t.id)
      .where('action', '!=', 'config.update')
      .execute();

    const res = await world.gql(
      gql`mutation($tenantId: ID) { runRetentionSweep(tenantId: $tenantId) { deletedScans deletedAuditEntries } }`,
      {},
      t.keys.ADMIN,
    );
    expect(res.body.data.runRetentionSweep).toEqual({ deletedScans: 0, deletedAuditEntries: 3 });
    const left = await db
      .selectFrom('audit_log')
      .select(['id', 'action'])
      .where('tenant_id', '=', t.id)
      .orderBy('id')
      .execute();
    expect(left.map((r) => String(r.id))).toEqual([...keptAudit.map((r) => String(r.id)), expect.any(String)]);
    expect(left[left.length - 1].action).toBe('retention.sweep');
    const versions = await db
      .selectFrom('config_versions')
      .select(['document', 'version'])
      .where('tenant_id', '=', t.id)
      .orderBy('document')
      .orderBy('version')
      .execute();
    expect(versions).toEqual([
      { document: 'SETTINGS', version: 1 },
      { document: 'TENANT_CONFIG', version: 3 },
    ]);
    // The newest version still shows the document as it stands.
    const at3 = await world.gql(
      gql`query($id: ID!) { tenant(id: $id) { documentAt(document: TENANT_CONFIG, version: 3) } }`,
      { id: t.id },
      t.keys.VIEWER,
    );
    expect(at3.body.data.tenant.documentAt.performance.cache_size_mb).toBe(4000);

    // The timer finds tenants by their old audit entries too (no scans here).
    await db
      .updateTable('audit_log')
      .set({ created_at: old })
      .where('tenant_id', '=', t.id)
      .where('action', '=', 'settings.update')
      .execute();
    const silent = pino({ level: 'silent' });
    const total = await sweepAllTenants(
      world.store.db,
      openChangeFeed(world.store.db, { logger: silent }),
      () => new Date(),
      silent,
      {},
    );
    expect(total.deletedAuditEntries).toBeGreaterThanOrEqual(1);
    expect(
      await db
        .selectFrom('audit_log')
        .select('id')
        .where('tenant_id', '=', t.id)
        .where('action', '=', 'settings.update')
        .execute(),
    ).toEqual([]);
  });
});
