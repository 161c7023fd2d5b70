import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

// Seed 001's "Settings Priority": stored (KV) > environment variable > code default, per field.
let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld({
    env: {
      MIN_PASSWORD_LENGTH: '10',
      CONFIG_PERFORMANCE_CACHE_SIZE_MB: '2048',
      ADMIN_AUTHENTICATION_MFA_METHODS: 'totp,webauthn',
      // Out of range and unparsable values are ignored: the default applies.
      SETTINGS_CERT_EXPIRY_DAYS: '999',
      SETTINGS_BENCHMARK_OPT_IN: 'maybe',
    },
  });
  tenant = await world.createTenantWithKeys({ tier: 'PRO' });
});
afterAll(() => world.close());

const minLength = async () => {
  const res = await world.gql(Q.settings, { id: tenant.id }, tenant.keys.VIEWER);
  const settings = res.body.data.tenant.settings;
  const v = settings.values.find((x: any) => x.path === 'admin.authentication.password_policy.min_length');
  expect(settings.categories.authentication.password_policy.min_length).toBe(v.value);
  return { value: v.value, source: v.source };
};

describe('resolution order with MIN_PASSWORD_LENGTH=10 (the default 8 is asserted in settings-admin.test.ts)', () => {
  it('env 10 (ENVIRONMENT) → stored 12 (STORED) → reset back to 10 (ENVIRONMENT)', async () => {
    expect(await minLength()).toEqual({ value: 10, source: 'ENVIRONMENT' });
    const set = await world.gql(
      Q.updateAdminSettings,
      { input: { authentication: { password_policy: { min_length: 12 } } } },
      tenant.keys.OPERATOR,
    );
    expect(set.body.data.updateAdminSettings.changes).toEqual([
      { path: 'password_policy.min_length', category: 'authentication', old: 10, new: 12 },
    ]);
    expect(await minLength()).toEqual({ value: 12, source: 'STORED' });
    const reset = await world.gql(Q.reset, { category: 'authentication' }, tenant.keys.ADMIN);
    expect(reset.body.data.resetSettingsCategory.changes).toEqual([
      { path: 'password_policy.min_length', category: 'authentication', old: 12, new: 10 },
    ]);
    expect(await minLength()).toEqual({ value: 10, source: 'ENVIRONMENT' });
  });

  it('writing the environment value when nothing is stored is not a change', async () => {
    const res = await world.gql(
      Q.updateAdminSettings,
      { input: { authentication: { password_policy: { min_length: 10 } } } },
      tenant.keys.OPERATOR,
    );
    expect(res.body.data.updateAdminSettings.changes).toEqual([]);
    expect(await minLength()).toEqual({ value: 10, source: 'ENVIRONMENT' });
  });

  it('applies to lists and to the tenant config too', async () => {
    const res = await world.gql(
      gql`query($id: ID!) { tenant(id: $id) { settings { authentication { mfa { methods } } } config { performance { cache_size_mb } values(prefix: "config.performance.cache") { path value source envVar } } } }`,
      { id: tenant.id },
      tenant.keys.VIEWER,
    );
    expect(res.body.data.tenant.settings.authentication.mfa.methods).toEqual(['totp', 'webauthn']);
    expect(res.body.data.tenant.config.performance.cache_size_mb).toBe(2048);
    expect(res.body.data.tenant.config.values).toEqual([
      {
        path: 'config.performance.cache_size_mb',
        value: 2048,
        source: 'ENVIRONMENT',
        envVar: 'CONFIG_PERFORMANCE_CACHE_SIZE_MB',
      },
    ]);
  });

  it('ignores environment values that are out of range or do not parse (the default applies), and logs the variable, not the value', async () => {
    const res = await world.gql(Q.settings, { id: tenant.id }, tenant.keys.VIEWER);
    const values = res.body.data.tenant.settings.values;
    expect(values.find((x: any) => x.path === 'settings.certExpiryDays')).toMatchObject({
      value: 30,
      source: 'DEFAULT',
    });
    expect(values.find((x: any) => x.path === 'settings.benchmarkOptIn')).toMatchObject({
      value: false,
      source: 'DEFAULT',
    });
    const warning = world
      .logText()
      .split('\n')
      .filter((line) => line.includes('SETTINGS_CERT_EXPIRY_DAYS'));
    expect(warning).toHaveLength(1);
    expect(warning[0]).not.toContain('999');
  });
});
