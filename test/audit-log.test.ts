import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, Q } from './helpers/config-domain.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
let other: TestTenant;
const marks: Record<string, string> = {};
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
  other = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
  // A known history, an hour apart: 3 settings.update, 1 config.update, 1 feature_flag.update, 1 settings.reset.
  const hour = 3_600_000;
  world.clock.advance(hour);
  marks.start = world.clock.now().toISOString();
  for (const days of [40, 41, 42]) {
    await world.gql(Q.updateTenantSettings, { input: { certExpiryDays: days } }, tenant.keys.OPERATOR);
    world.clock.advance(hour);
  }
  marks.afterSettings = world.clock.now().toISOString();
  await world.gql(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 4096 } } }, tenant.keys.OPERATOR);
  world.clock.advance(hour);
  await world.gql(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, tenant.keys.ADMIN);
  world.clock.advance(hour);
  await world.gql(Q.reset, { category: 'tokens' }, tenant.keys.ADMIN);
  await world.gql(Q.updateTenantSettings, { input: { certExpiryDays: 99 } }, other.keys.OPERATOR);
});
afterAll(() => world.close());

const log = (variables: Record<string, unknown>, key = tenant.keys.VIEWER) =>
  world.gql(Q.auditLog, { id: tenant.id, ...variables }, key);
const nodes = async (variables: Record<string, unknown>) =>
  (await log(variables)).body.data.tenant.auditLog.nodes as any[];

describe('Tenant.auditLog', () => {
  it('lists the tenant entries newest first, each with action, actor, target, changes, request id and time', async () => {
    const all = await nodes({ first: 100 });
    expect(all.slice(0, 6).map((e) => e.action)).toEqual([
      'settings.reset',
      'feature_flag.update',
      'config.update',
      'settings.update',
      'settings.update',
      'settings.update',
    ]);
    const times = all.map((e) => Date.parse(e.createdAt));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeLessThanOrEqual(times[i - 1]);
    expect(all[3]).toMatchObject({
      action: 'settings.update',
      actorRole: 'OPERATOR',
      actorKeyId: tenant.keyIds.OPERATOR,
      target: 'settings',
      changes: { 'settings.certExpiryDays': { old: 41, new: 42 } },
    });
    expect(all[3].requestId).toMatch(/\S/);
    expect(all[1]).toMatchObject({
      action: 'feature_flag.update',
      actorRole: 'ADMIN',
      actorKeyId: tenant.keyIds.ADMIN,
    });
  });

  it('filters by action', async () => {
    expect(
      (await nodes({ filter: { action: 'settings.update' }, first: 100 })).map(
        (e) => e.changes['settings.certExpiryDays'].new,
      ),
    ).toEqual([42, 41, 40]);
    expect(await nodes({ filter: { action: 'config.update' } })).toHaveLength(1);
    expect(await nodes({ filter: { action: 'settings.reset' } })).toHaveLength(1);
    // A name no entry can carry is a mistake, not an empty page.
    expectCode(await log({ filter: { action: 'no.such.action' } }), 'BAD_USER_INPUT');
    expect(await nodes({ filter: { action: 'scan.create' } })).toEqual([]);
  });

  it('filters by time range: since inclusive, until exclusive', async () => {
    const inRange = await nodes({ filter: { since: marks.start, until: marks.afterSettings }, first: 100 });
    expect(inRange.map((e) => e.action)).toEqual(['settings.update', 'settings.update', 'settings.update']);
    const after = await nodes({ filter: { since: marks.afterSettings }, first: 100 });
    expect(after.map((e) => e.action)).toEqual(['settings.reset', 'feature_flag.update', 'config.update']);
    expect(await nodes({ filter: { action: 'settings.update', since: marks.afterSettings } })).toEqual([]);
  });

  it('pages with a cursor: no entry twice, none missed', async () => {
    const all = await nodes({ first: 100 });
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = (await log({ first: 2, after })).body.data.tenant.auditLog;
      seen.push(...res.nodes.map((e: any) => e.id));
      if (!res.pageInfo.hasNextPage) break;
      after = res.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it('refuses a malformed cursor or page size with BAD_USER_INPUT', async () => {
    expectCode(await log({ after: 'not-a-cursor!' }), 'BAD_USER_INPUT');
    expectCode(await log({ after: Buffer.from('x').toString('base64url') }), 'BAD_USER_INPUT');
    // Digits past bigint's range would fail the cast in SQL.
    expectCode(await log({ after: Buffer.from('9999999999999999999').toString('base64url') }), 'BAD_USER_INPUT');
    expectCode(await log({ first: 0 }), 'BAD_USER_INPUT');
    expectCode(await log({ first: 101 }), 'BAD_USER_INPUT');
  });

  it("never shows another tenant's entries, and another tenant's key gets FORBIDDEN", async () => {
    const all = await nodes({ first: 100 });
    expect(all.some((e) => e.changes?.['settings.certExpiryDays']?.new === 99)).toBe(false);
    expectCode(await log({}, other.keys.ADMIN), 'FORBIDDEN');
    const own = (
      await world.gql(Q.auditLog, { id: other.id, filter: { action: 'settings.update' } }, other.keys.VIEWER)
    ).body.data.tenant.auditLog.nodes;
    expect(own.map((e: any) => e.changes)).toEqual([{ 'settings.certExpiryDays': { old: 30, new: 99 } }]);
  });
});
