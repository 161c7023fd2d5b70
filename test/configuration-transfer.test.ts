import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Q, snapshot } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { rest } from './helpers/rest.js';
import { createWorld, type World } from './helpers/world.js';

/** Export a tenant's configuration, import it elsewhere: the same documents (secrets aside), all or nothing. */

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

const EXPORT = gql`query($id: ID!) { tenant(id: $id) { exportConfiguration } }`;
const IMPORT = gql`mutation($doc: JSON!, $dryRun: Boolean) { importConfiguration(document: $doc, dryRun: $dryRun) { dryRun changes { path category old new } } }`;
const DOCS = gql`query($id: ID!) { tenant(id: $id) { settings { tenantSettings categories } config { document } featureFlags { key enabled } } }`;

const ok = (res: { body: { data?: any; errors?: unknown } }): any => {
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data;
};

describe('export then import', () => {
  it('into a fresh tenant gives identical documents (secrets aside); every write is versioned and audited', async () => {
    const source = await world.createTenantWithKeys({ tier: 'ENTERPRISE', industry: 'healthcare' });
    ok(
      await world.gql(
        Q.updateTenantSettings,
        { input: { certExpiryDays: 44, webhookSigningSecret: 'export-secret-31337' } },
        source.keys.ADMIN,
      ),
    );
    ok(
      await world.gql(
        Q.updateAdminSettings,
        { input: { branding: { company_name: 'Acme' }, authentication: { password_policy: { min_length: 15 } } } },
        source.keys.ADMIN,
      ),
    );
    ok(
      await world.gql(
        Q.updateTenantConfig,
        { input: { performance: { cache_size_mb: 4096 }, custom_settings: { region: 'eu', tier: 2 } } },
        source.keys.ADMIN,
      ),
    );
    ok(await world.gql(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, source.keys.ADMIN));
    const exported = ok(await world.gql(EXPORT, { id: source.id }, source.keys.ADMIN)).tenant.exportConfiguration;
    expect(JSON.stringify(exported)).not.toContain('export-secret');
    expect(exported.secrets).toEqual({ 'settings.webhookSigningSecret': 'set' });
    expect(exported).toMatchObject({
      format: 'tenant-configuration',
      format_version: 1,
      versions: { settings: 2, config: 1, feature_flags: 1 },
    });

    const target = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    ok(await world.gql(Q.updateTenantConfig, { input: { custom_settings: { stale: true } } }, target.keys.ADMIN));
    const result = ok(await world.gql(IMPORT, { doc: exported }, target.keys.ADMIN)).importConfiguration;
    expect(result.dryRun).toBe(false);
    expect(result.changes.map((c: any) => c.path)).toEqual(
      expect.arrayContaining([
        'settings.certExpiryDays',
        'settings.industry',
        'admin.branding.company_name',
        'admin.authentication.password_policy.min_length',
        'config.performance.cache_size_mb',
        'config.custom_settings',
        'feature_flags.ml_features',
      ]),
    );
    const [a, b] = [
      ok(await world.gql(DOCS, { id: source.id }, source.keys.VIEWER)).tenant,
      ok(await world.gql(DOCS, { id: target.id }, target.keys.VIEWER)).tenant,
    ];
    const secretAside = (docs: any) => ({
      ...docs,
      settings: {
        tenantSettings: { ...docs.settings.tenantSettings, webhookSigningSecret: 'x' },
        categories: {
          ...docs.settings.categories,
          webhooks: { ...docs.settings.categories.webhooks, signing_secret: 'x' },
        },
      },
    });
    expect(secretAside(b)).toEqual(secretAside(a));
    expect(b.settings.tenantSettings.webhookSigningSecret).toBeNull();
    // Imported again: nothing left to change.
    expect(ok(await world.gql(IMPORT, { doc: exported }, target.keys.ADMIN)).importConfiguration.changes).toEqual([]);
    const versions = await world.store.db
      .selectFrom('config_versions')
      .select(['document', 'action'])
      .where('tenant_id', '=', target.id)
      .orderBy('document')
      .orderBy('version')
      .execute();
    expect(versions.map((v) => `${v.document}:${v.action}`)).toEqual([
      'FEATURE_FLAGS:feature_flags.import',
      'SETTINGS:settings.update',
      'SETTINGS:settings.update',
      'TENANT_CONFIG:config.update',
      'TENANT_CONFIG:config.update',
    ]);
  });

  it('an import that breaks a rule changes nothing, in any document; a dry run changes nothing either', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const exported = ok(await world.gql(EXPORT, { id: t.id }, t.keys.ADMIN)).tenant.exportConfiguration;
    const breaking = {
      ...exported,
      settings: { ...exported.settings, certExpiryDays: 99 },
      feature_flags: { ...exported.feature_flags, ml_features: true },
      config: {
        ...exported.config,
        compliance: { ...exported.config.compliance, hipaa: true },
        security: { ...exported.config.security, encryption_at_rest: false },
      },
    };
    const before = await snapshot(world, t.id);
    const refused = await world.gql(IMPORT, { doc: breaking }, t.keys.ADMIN);
    expect(refused.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(refused.body.errors[0].message).toBe('HIPAA compliance requires encryption at rest');
    expect(await snapshot(world, t.id)).toBe(before);

    const fine = { ...breaking, config: exported.config };
    const dry = ok(await world.gql(IMPORT, { doc: fine, dryRun: true }, t.keys.ADMIN)).importConfiguration;
    expect(dry.dryRun).toBe(true);
    expect(dry.changes.map((c: any) => c.path)).toEqual(['settings.certExpiryDays', 'feature_flags.ml_features']);
    expect(await snapshot(world, t.id)).toBe(before);
    expect(
      await world.store.db.selectFrom('config_versions').select('version').where('tenant_id', '=', t.id).execute(),
    ).toEqual([]);

    // Not an export at all.
    const foreign = await world.gql(IMPORT, { doc: { settings: {} } }, t.keys.ADMIN);
    expect(foreign.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    // Admin only.
    expect((await world.gql(IMPORT, { doc: fine }, t.keys.OPERATOR)).body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await world.gql(EXPORT, { id: t.id }, t.keys.OPERATOR)).body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('REST: GET /api/admin/settings/export and POST /api/admin/settings/import', async () => {
    const source = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    expect(
      (
        await rest(world, 'PUT', `/api/v1/tenants/${source.id}/config`, {
          key: source.keys.ADMIN,
          body: { performance: { cache_size_mb: 7777 } },
        })
      ).status,
    ).toBe(200);
    const exported = await rest(world, 'GET', '/api/admin/settings/export', { key: source.keys.ADMIN });
    expect(exported.status, exported.text).toBe(200);
    expect(exported.body.config.performance.cache_size_mb).toBe(7777);
    const target = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const dry = await rest(world, 'POST', '/api/admin/settings/import?dry_run=true', {
      key: target.keys.ADMIN,
      body: exported.body,
    });
    expect(dry.body).toEqual({
      imported: true,
      changes: { 'config.performance.cache_size_mb': { old: 1024, new: 7777 } },
      dry_run: true,
    });
    const real = await rest(world, 'POST', '/api/admin/settings/import', {
      key: target.keys.ADMIN,
      body: exported.body,
    });
    expect(real.body).toEqual({
      imported: true,
      changes: { 'config.performance.cache_size_mb': { old: 1024, new: 7777 } },
    });
    expect((await rest(world, 'GET', '/api/admin/settings/export', { key: target.keys.OPERATOR })).status).toBe(403);
  });
});
