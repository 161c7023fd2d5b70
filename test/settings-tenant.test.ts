import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantSettingsDocument } from '../src/services/settings.js';
import {
  casesOf,
  expectBadInput,
  expectCode,
  expectRefusedByGraphQL,
  generatedEntries,
  Q,
  snapshot,
} from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ tier: 'PRO', industry: 'financial' });
});
afterAll(() => world.close());

const update = (input: unknown, key = tenant.keys.OPERATOR, v?: number) =>
  world.gql(Q.updateTenantSettings, { input, v }, key);
const read = async (key = tenant.keys.VIEWER) =>
  (await world.gql(Q.settings, { id: tenant.id }, key)).body.data.tenant.settings;

describe('seed 000 tenant settings: defaults and shape', () => {
  it('answers our documented defaults, and industry from the tenant', async () => {
    const settings = await read();
    expect(settings.tenantSettings).toEqual({
      readinessDropThreshold: 10,
      alertOnNewQuantumVulnerable: true,
      certExpiryDays: 30,
      webhookSigningSecret: null,
      autoRetainScans: false,
      evidenceRetentionMonths: 12,
      benchmarkOptIn: false,
      industry: 'financial',
    });
    expect(settings.version).toBe(0);
    expect(settings.updatedAt).toBeNull();
  });

  it('exposes each field as a typed GraphQL field (camelCase as documented)', async () => {
    const res = await world.gql(
      gql`query($id: ID!) { tenant(id: $id) { settings { readinessDropThreshold alertOnNewQuantumVulnerable certExpiryDays
        webhookSigningSecret { isSet updatedAt } autoRetainScans evidenceRetentionMonths benchmarkOptIn industry } } }`,
      { id: tenant.id },
      tenant.keys.VIEWER,
    );
    expect(res.body.data.tenant.settings).toEqual({
      readinessDropThreshold: 10,
      alertOnNewQuantumVulnerable: true,
      certExpiryDays: 30,
      webhookSigningSecret: { isSet: false, updatedAt: null },
      autoRetainScans: false,
      evidenceRetentionMonths: 12,
      benchmarkOptIn: false,
      industry: 'financial',
    });
  });

  it("runs seed 000's example (benchmarkOptIn, industry) and answers the persisted record", async () => {
    const res = await update({ benchmarkOptIn: true, industry: 'healthcare' });
    expect(res.body.errors).toBeUndefined();
    const payload = res.body.data.updateTenantSettings;
    expect(payload.changes).toEqual([
      { path: 'benchmarkOptIn', category: null, old: false, new: true },
      { path: 'industry', category: null, old: 'financial', new: 'healthcare' },
    ]);
    expect(payload.version).toBe(1);
    expect(payload.settings.tenantSettings).toMatchObject({ benchmarkOptIn: true, industry: 'healthcare' });
  });

  it('industry has one home: the tenant record (Tenant.industry) reads what settings wrote', async () => {
    const res = await world.gql(
      gql`query($id: ID!) { tenant(id: $id) { industry settings { industry } } }`,
      { id: tenant.id },
      tenant.keys.VIEWER,
    );
    expect(res.body.data.tenant).toEqual({ industry: 'healthcare', settings: { industry: 'healthcare' } });
    const raw = await world.store.db
      .selectFrom('tenants')
      .select('industry')
      .where('id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(raw.industry).toBe('healthcare');
    const stored = await world.store.db
      .selectFrom('setting_values')
      .select('path')
      .where('tenant_id', '=', tenant.id)
      .where('path', 'like', '%industry%')
      .execute();
    expect(stored).toEqual([]);
    // null clears it.
    expect(
      (await update({ industry: null })).body.data.updateTenantSettings.settings.tenantSettings.industry,
    ).toBeNull();
    expect((await update({ industry: 'financial' })).body.errors).toBeUndefined();
  });

  it('createTenant checks industry with the same catalog rule as a settings write', async () => {
    const create = (industry: string) =>
      world.gql(
        gql`mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } } }`,
        { input: { name: 'Industry check', industry } },
        PLATFORM_KEY,
      );
    const tooLong = '<script>' + 'x'.repeat(300) + '</script>';
    const viaSettings = await update({ industry: tooLong });
    expectBadInput(viaSettings, 'industry must be between 1 and 64 characters long', 'industry');
    expectBadInput(await create(tooLong), 'industry must be between 1 and 64 characters long', 'industry');
    expectBadInput(await create('<b>'), 'industry must be letters, digits, spaces or _&/-', 'industry');
    const names = await world.store.db
      .selectFrom('tenants')
      .select('name')
      .where('name', '=', 'Industry check')
      .execute();
    expect(names).toEqual([]);
  });

  it('reports each value with its source, storage path, environment variable and default', async () => {
    const values = (await read()).values as any[];
    expect(values.find((v) => v.path === 'settings.benchmarkOptIn')).toEqual({
      path: 'settings.benchmarkOptIn',
      value: true,
      source: 'STORED',
      envVar: 'SETTINGS_BENCHMARK_OPT_IN',
      defaultValue: false,
      secret: false,
    });
    expect(values.find((v) => v.path === 'settings.certExpiryDays')).toMatchObject({
      value: 30,
      source: 'DEFAULT',
      envVar: 'SETTINGS_CERT_EXPIRY_DAYS',
    });
    expect(values.find((v) => v.path === 'settings.webhookSigningSecret')).toMatchObject({
      value: null,
      source: 'DEFAULT',
      envVar: null,
      secret: true,
    });
    expect(values.filter((v) => v.path === 'settings.webhookSigningSecret')).toHaveLength(1); // one home, listed once
  });
});

describe('seed 000 ranges, generated from the catalog (both ends in and out)', () => {
  for (const entry of generatedEntries('settings')) {
    const { valid, invalid } = casesOf(entry);
    it(entry.path, async () => {
      for (const c of valid) {
        const res = await update({ [entry.path]: c.value });
        expect(res.body.errors, `${entry.path} ${c.title}`).toBeUndefined();
        expect(res.body.data.updateTenantSettings.settings.tenantSettings[entry.path], c.title).toEqual(c.value);
      }
      for (const c of invalid) {
        const before = await snapshot(world, tenant.id);
        const res = await update({ [entry.path]: c.value });
        expectCode(res, 'BAD_USER_INPUT');
        expect(res.body.errors![0].extensions.details[0].path).toBe(entry.path);
        expect(await snapshot(world, tenant.id), `${entry.path} ${c.title} left data unchanged`).toBe(before);
      }
    });
  }

  it('states the documented ranges literally', async () => {
    expectBadInput(await update({ evidenceRetentionMonths: 121 }), 'evidenceRetentionMonths must be between 1 and 120');
    expectBadInput(await update({ evidenceRetentionMonths: 0 }), 'evidenceRetentionMonths must be between 1 and 120');
    expect((await update({ evidenceRetentionMonths: 120 })).body.errors).toBeUndefined();
    expect((await update({ evidenceRetentionMonths: 1 })).body.errors).toBeUndefined();
    expectBadInput(await update({ certExpiryDays: 366 }), 'certExpiryDays must be between 1 and 365');
    expectBadInput(await update({ readinessDropThreshold: 100.5 }), 'readinessDropThreshold must be between 0 and 100');
    expect(
      (await update({ readinessDropThreshold: 12.5 })).body.data.updateTenantSettings.settings.tenantSettings
        .readinessDropThreshold,
    ).toBe(12.5);
  });

  it('refuses a too-short or too-long signing secret without quoting it', async () => {
    const before = await snapshot(world, tenant.id);
    const res = await update({ webhookSigningSecret: 'short-secret' });
    expectBadInput(res, 'webhookSigningSecret must be between 16 and 256 characters long');
    expect(JSON.stringify(res.body)).not.toContain('short-secret');
    expectBadInput(
      await update({ webhookSigningSecret: 'x'.repeat(257) }),
      'webhookSigningSecret must be between 16 and 256 characters long',
    );
    expect(await snapshot(world, tenant.id)).toBe(before);
  });

  it('refuses unknown fields and wrong types (GraphQL input type), changing nothing', async () => {
    const before = await snapshot(world, tenant.id);
    expectRefusedByGraphQL(await update({ retentionMonths: 3 }), /retentionMonths/);
    expectRefusedByGraphQL(await update({ certExpiryDays: 'soon' }), /certExpiryDays/);
    expectRefusedByGraphQL(await update({ autoRetainScans: 'yes' }), /autoRetainScans/);
    expectRefusedByGraphQL(await update({ certExpiryDays: 7.5 }), /certExpiryDays/);
    expect(await snapshot(world, tenant.id)).toBe(before);
  });

  it('refuses a mixed patch entirely when one field is invalid (no partial write)', async () => {
    const before = await snapshot(world, tenant.id);
    const res = await update({ certExpiryDays: 45, evidenceRetentionMonths: 500 });
    expectBadInput(res, 'evidenceRetentionMonths must be between 1 and 120', 'evidenceRetentionMonths');
    expect(await snapshot(world, tenant.id)).toBe(before);
  });
});

describe('for code without a request context', () => {
  it('tenantSettingsDocument(db, id, env) resolves the same seed 000 document GraphQL shows', async () => {
    const viaGraphql = (await read()).tenantSettings;
    expect(await tenantSettingsDocument(world.store.db, tenant.id)).toEqual(viaGraphql);
    const withEnv = await tenantSettingsDocument(world.store.db, tenant.id, { SETTINGS_CERT_EXPIRY_DAYS: '90' });
    expect(withEnv.certExpiryDays).toBe(viaGraphql.certExpiryDays); // stored beats env
    const fresh = await world.createTenantWithKeys({ tier: 'BASIC' });
    expect(
      (await tenantSettingsDocument(world.store.db, fresh.id, { SETTINGS_CERT_EXPIRY_DAYS: '90' })).certExpiryDays,
    ).toBe(90);
  });
});

describe('versions, no-op writes, audit', () => {
  it('a value equal to the current one is not a change: no version bump, no audit entry', async () => {
    await update({ certExpiryDays: 60 });
    const before = await snapshot(world, tenant.id);
    const res = await update({ certExpiryDays: 60, autoRetainScans: (await read()).tenantSettings.autoRetainScans });
    expect(res.body.data.updateTenantSettings.changes).toEqual([]);
    expect(await snapshot(world, tenant.id)).toBe(before);
  });

  it('writing the default value when nothing is stored stores nothing', async () => {
    const fresh = await world.createTenantWithKeys({ tier: 'BASIC' });
    const before = await snapshot(world, fresh.id);
    const res = await update({ alertOnNewQuantumVulnerable: true, certExpiryDays: 30 }, fresh.keys.OPERATOR);
    expect(res.body.data.updateTenantSettings.changes).toEqual([]);
    expect(res.body.data.updateTenantSettings.version).toBe(0);
    expect(await snapshot(world, fresh.id)).toBe(before);
  });

  it('each change bumps the version by one; a stale expectedVersion is a CONFLICT that writes nothing', async () => {
    const { version } = await read();
    const ok = await update({ certExpiryDays: 61 }, tenant.keys.OPERATOR, version);
    expect(ok.body.data.updateTenantSettings.version).toBe(version + 1);
    const before = await snapshot(world, tenant.id);
    const stale = await update({ certExpiryDays: 62 }, tenant.keys.OPERATOR, version);
    expectCode(stale, 'CONFLICT');
    expect(stale.body.errors![0].extensions.currentVersion).toBe(version + 1);
    expect(stale.status).toBe(409);
    expect(await snapshot(world, tenant.id)).toBe(before);
  });

  it('records settings.update with old/new per storage path', async () => {
    await update({ certExpiryDays: 63 });
    const log = await world.gql(
      Q.auditLog,
      { id: tenant.id, filter: { action: 'settings.update' }, first: 1 },
      tenant.keys.VIEWER,
    );
    expect(log.body.data.tenant.auditLog.nodes[0]).toMatchObject({
      action: 'settings.update',
      target: 'settings',
      actorRole: 'OPERATOR',
      changes: { 'settings.certExpiryDays': { old: 61, new: 63 } },
    });
  });
});

describe('roles and isolation', () => {
  it('viewer reads but cannot write (FORBIDDEN, nothing written); operator, admin and platform admin write', async () => {
    const before = await snapshot(world, tenant.id);
    const res = await update({ certExpiryDays: 5 }, tenant.keys.VIEWER);
    expectCode(res, 'FORBIDDEN');
    expect(res.status).toBe(403);
    expect(await snapshot(world, tenant.id)).toBe(before);
    expect((await update({ certExpiryDays: 6 }, tenant.keys.ADMIN)).body.errors).toBeUndefined();
    const platform = await world.gql(
      Q.updateTenantSettings,
      { tenantId: tenant.id, input: { certExpiryDays: 7 } },
      PLATFORM_KEY,
    );
    expect(platform.body.data.updateTenantSettings.settings.tenantSettings.certExpiryDays).toBe(7);
    expectCode(
      await world.gql(Q.updateTenantSettings, { input: { certExpiryDays: 7 } }, PLATFORM_KEY),
      'BAD_USER_INPUT',
    );
  });

  it("tenant A's key with tenant B's id: FORBIDDEN; A's values never visible to B", async () => {
    const other = await world.createTenantWithKeys({ tier: 'PRO' });
    const before = await snapshot(world, tenant.id);
    expectCode(
      await world.gql(Q.updateTenantSettings, { tenantId: tenant.id, input: { certExpiryDays: 9 } }, other.keys.ADMIN),
      'FORBIDDEN',
    );
    expectCode(await world.gql(Q.settings, { id: tenant.id }, other.keys.ADMIN), 'FORBIDDEN');
    expect(await snapshot(world, tenant.id)).toBe(before);
    const own = await world.gql(Q.settings, { id: other.id }, other.keys.VIEWER);
    expect(own.body.data.tenant.settings.tenantSettings).toMatchObject({
      certExpiryDays: 30,
      benchmarkOptIn: false,
      industry: null,
    });
    expect(own.body.data.tenant.settings.version).toBe(0);
  });
});
