import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogEntry, entriesOf } from '../src/catalog/catalog.js';
import { at, casesOf, expectCode, patchAt, Q, snapshot } from './helpers/config-domain.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ tier: 'PRO' });
});
afterAll(() => world.close());

/** A valid value different from the default. */
function otherValue(entry: CatalogEntry): unknown {
  const s = entry.spec;
  if (s.kind === 'boolean') return !s.default;
  if (s.kind === 'enum') return s.values!.find((v) => v !== s.default);
  if (s.kind === 'integer' || s.kind === 'number') return s.default === s.max ? s.min : s.max;
  return casesOf(entry).valid[0].value; // strings and lists: the generated valid sample
}

// 50 different fields of one versioned document (seed 000 + seed 001 settings).
const fields = [...entriesOf('settings'), ...entriesOf('admin')]
  .filter((e) => !e.spec.secret && e.spec.kind !== 'json')
  .slice(0, 50);

describe('no lost updates', () => {
  it('has 50 different fields to write', () => {
    expect(fields).toHaveLength(50);
    expect(new Set(fields.map((f) => f.storagePath)).size).toBe(50);
  });

  it('50 concurrent updates of different fields: all land, 50 audit entries, versions 1..50 each seen once', async () => {
    const results = await Promise.all(
      fields.map((entry) => {
        const value = otherValue(entry);
        return entry.document === 'settings'
          ? world.gql(Q.updateTenantSettings, { input: { [entry.path]: value } }, tenant.keys.OPERATOR)
          : world.gql(Q.updateAdminSettings, { input: patchAt(entry.path, value) }, tenant.keys.OPERATOR);
      }),
    );
    for (const r of results) expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
    const versions = results
      .map((r) => (r.body.data.updateTenantSettings ?? r.body.data.updateAdminSettings).version)
      .sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));

    const settings = (await world.gql(Q.settings, { id: tenant.id }, tenant.keys.VIEWER)).body.data.tenant.settings;
    expect(settings.version).toBe(50);
    for (const entry of fields) {
      const doc = entry.document === 'settings' ? settings.tenantSettings : settings.categories;
      expect(at(doc, entry.path), entry.path).toEqual(otherValue(entry));
    }

    const audit = (
      await world.gql(
        Q.auditLog,
        { id: tenant.id, filter: { action: 'settings.update' }, first: 100 },
        tenant.keys.VIEWER,
      )
    ).body.data.tenant.auditLog.nodes;
    expect(audit).toHaveLength(50);
    // Each entry records exactly its one field, changed from the default: no writer saw another's write as its own.
    const paths = audit.flatMap((e: any) => Object.keys(e.changes));
    expect(new Set(paths)).toEqual(new Set(fields.map((f) => f.storagePath)));
    for (const e of audit) {
      const [path] = Object.keys(e.changes);
      const entry = fields.find((f) => f.storagePath === path)!;
      expect(e.changes[path]).toEqual({ old: entry.spec.default, new: otherValue(entry) });
    }
    // Newest first: ids strictly decreasing, so commit order and version order agree.
    const ids = audit.map((e: any) => BigInt(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i] < ids[i - 1]).toBe(true);
  });

  it('a stale expectedVersion: CONFLICT with currentVersion, nothing written', async () => {
    const before = await snapshot(world, tenant.id);
    const res = await world.gql(Q.updateTenantSettings, { input: { certExpiryDays: 77 }, v: 49 }, tenant.keys.OPERATOR);
    expectCode(res, 'CONFLICT');
    expect(res.body.errors![0].extensions.currentVersion).toBe(50);
    const admin = await world.gql(
      Q.updateAdminSettings,
      { input: { tokens: { access_token_ttl: 999 } }, v: 0 },
      tenant.keys.OPERATOR,
    );
    expectCode(admin, 'CONFLICT');
    expect(await snapshot(world, tenant.id)).toBe(before);
  });

  it('concurrent writers with the same expectedVersion: exactly one wins, the rest get CONFLICT', async () => {
    const results = await Promise.all(
      [11, 12, 13, 14, 15].map((days) =>
        world.gql(Q.updateTenantSettings, { input: { certExpiryDays: days }, v: 50 }, tenant.keys.OPERATOR),
      ),
    );
    const won = results.filter((r) => !r.body.errors);
    expect(won).toHaveLength(1);
    expect(won[0].body.data.updateTenantSettings.version).toBe(51);
    for (const r of results.filter((x) => x.body.errors)) expectCode(r, 'CONFLICT');
  });

  it('the config has its own version, untouched by settings writes', async () => {
    const config = (await world.gql(Q.config, { id: tenant.id }, tenant.keys.VIEWER)).body.data.tenant.config;
    expect(config.version).toBe(0);
    const res = await world.gql(
      Q.updateTenantConfig,
      { input: { performance: { cache_size_mb: 10 } }, v: 0 },
      tenant.keys.OPERATOR,
    );
    expect(res.body.data.updateTenantConfig.version).toBe(1);
  });
});
