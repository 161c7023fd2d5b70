import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS_CATEGORIES } from '../src/catalog/admin-settings.js';
import {
  at,
  casesOf,
  expectBadInput,
  expectCode,
  expectRefusedByGraphQL,
  generatedEntries,
  patchAt,
  Q,
  snapshot,
} from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
});
afterAll(() => world.close());

const update = (input: unknown, key = tenant.keys.OPERATOR, v?: number) =>
  world.gql(Q.updateAdminSettings, { input, v }, key);
const reset = (category: string, key = tenant.keys.ADMIN) => world.gql(Q.reset, { category }, key);
const read = async () => (await world.gql(Q.settings, { id: tenant.id }, tenant.keys.VIEWER)).body.data.tenant.settings;
const category = async (name: string) =>
  (
    await world.gql(
      gql`query($id: ID!, $c: SettingsCategory!) { tenant(id: $id) { settings { categoryValues(category: $c) } } }`,
      { id: tenant.id, c: name },
      tenant.keys.VIEWER,
    )
  ).body.data.tenant.settings.categoryValues;

/** Seed 001's GET /api/admin/settings/authentication response. */
const seedAuthentication = {
  password_policy: {
    min_length: 8,
    require_uppercase: true,
    require_lowercase: true,
    require_numbers: true,
    require_symbols: false,
    max_age_days: 90,
    history_count: 5,
  },
  session: {
    lifetime: 86400,
    idle_timeout: 3600,
    absolute_timeout: 604800,
    single_session: false,
    remember_me_enabled: true,
    remember_me_duration: 2592000,
  },
  mfa: { enabled: true, required: false, methods: ['totp', 'sms', 'email'], grace_period: 0 },
  lockout: { enabled: true, max_attempts: 5, lockout_duration: 900, reset_after: 3600 },
};

describe('seed 001 categories: defaults and documented shapes', () => {
  it('has exactly the seven documented categories', async () => {
    expect(SETTINGS_CATEGORIES).toEqual([
      'authentication',
      'branding',
      'email',
      'security',
      'tokens',
      'webhooks',
      'compliance',
    ]);
    const res = await world.gql(
      gql`{ __type(name: "SettingsCategory") { enumValues { name } } }`,
      {},
      tenant.keys.VIEWER,
    );
    expect(res.body.data.__type.enumValues.map((v: any) => v.name).sort()).toEqual([...SETTINGS_CATEGORIES].sort());
  });

  it('GET authentication answers the documented body exactly (every default, incl. history_count, remember_me_*, grace_period, reset_after)', async () => {
    expect(await category('authentication')).toEqual(seedAuthentication);
  });

  it('min_length defaults to 8 (code default) in a world without the environment variable', async () => {
    const v = (await read()).values.find((x: any) => x.path === 'admin.authentication.password_policy.min_length');
    expect(v).toEqual({
      path: 'admin.authentication.password_policy.min_length',
      value: 8,
      source: 'DEFAULT',
      envVar: 'MIN_PASSWORD_LENGTH',
      defaultValue: 8,
      secret: false,
    });
  });

  it('defaults of our designed categories', async () => {
    const all = (await read()).categories;
    expect(all.branding).toEqual({ logo_url: null, primary_color: '#0066CC', company_name: null });
    expect(all.email).toEqual({ from_address: null, from_name: null, reply_to_address: null });
    expect(all.security).toEqual({
      allowed_origins: [],
      trusted_proxies: [],
      rate_limiting: { enabled: true, requests_per_minute: 60 },
    });
    expect(all.tokens).toEqual({
      access_token_ttl: 3600,
      refresh_token_ttl: 2592000,
      refresh_token_rotation: true,
      reuse_detection: true,
      signing_algorithm: 'RS256',
    });
    expect(all.webhooks).toEqual({
      enabled: false,
      endpoints: [],
      signing_secret: null,
      timeout_seconds: 10,
      retry: { max_attempts: 5, backoff_seconds: 30 },
    });
    expect(all.compliance).toEqual({
      audit_log_retention_days: 365,
      data_export_enabled: true,
      data_export_format: 'json',
      mask_pii_in_logs: true,
      consent_required: false,
    });
  });

  it('typed GraphQL fields per category, snake_case as documented', async () => {
    const res = await world.gql(
      gql`query($id: ID!) { tenant(id: $id) { settings { authentication { password_policy { min_length history_count } session { remember_me_duration } mfa { methods grace_period } lockout { reset_after } }
        security { rate_limiting { requests_per_minute } } webhooks { signing_secret { isSet } retry { max_attempts } } } } }`,
      { id: tenant.id },
      tenant.keys.VIEWER,
    );
    expect(res.body.data.tenant.settings).toEqual({
      authentication: {
        password_policy: { min_length: 8, history_count: 5 },
        session: { remember_me_duration: 2592000 },
        mfa: { methods: ['totp', 'sms', 'email'], grace_period: 0 },
        lockout: { reset_after: 3600 },
      },
      security: { rate_limiting: { requests_per_minute: 60 } },
      webhooks: { signing_secret: { isSet: false }, retry: { max_attempts: 5 } },
    });
  });
});

describe('seed 001 PUT /api/admin/settings/:category', () => {
  it('runs the documented example: changes keyed by path inside the category, old and new', async () => {
    const res = await update({
      authentication: { password_policy: { min_length: 12, require_symbols: true }, mfa: { required: true } },
    });
    expect(res.body.errors).toBeUndefined();
    const payload = res.body.data.updateAdminSettings;
    expect(payload.changes).toEqual([
      { path: 'password_policy.min_length', category: 'authentication', old: 8, new: 12 },
      { path: 'password_policy.require_symbols', category: 'authentication', old: false, new: true },
      { path: 'mfa.required', category: 'authentication', old: false, new: true },
    ]);
    expect(typeof payload.updatedAt).toBe('string');
    // Partial: the rest of the category is untouched.
    expect(payload.settings.categories.authentication.password_policy).toEqual({
      ...seedAuthentication.password_policy,
      min_length: 12,
      require_symbols: true,
    });
    expect(payload.settings.categories.authentication.session).toEqual(seedAuthentication.session);
  });

  it('answers the documented GET /api/admin/settings body once its example values are set', async () => {
    const res = await update({
      branding: { logo_url: 'https://example.com/logo.png', company_name: 'Example Corp' },
      email: { from_address: 'noreply@example.com', from_name: 'Example Corp' },
      security: { allowed_origins: ['https://app.example.com'] },
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.updateAdminSettings.changes.map((c: any) => `${c.category}:${c.path}`)).toEqual([
      'branding:logo_url',
      'branding:company_name',
      'email:from_address',
      'email:from_name',
      'security:allowed_origins',
    ]);
    expect((await read()).categories).toMatchObject({
      branding: { logo_url: 'https://example.com/logo.png', primary_color: '#0066CC', company_name: 'Example Corp' },
      email: { from_address: 'noreply@example.com', from_name: 'Example Corp' },
      security: {
        allowed_origins: ['https://app.example.com'],
        trusted_proxies: [],
        rate_limiting: { enabled: true, requests_per_minute: 60 },
      },
    });
  });

  it('refuses unknown fields and wrong types; "feature-flags" is no category', async () => {
    const before = await snapshot(world, tenant.id);
    expectRefusedByGraphQL(await update({ authentication: { password_policy: { min_len: 9 } } }), /min_len/);
    expectRefusedByGraphQL(await update({ billing: {} }), /billing/);
    expectRefusedByGraphQL(await update({ 'feature-flags': {} }), /feature-flags/);
    expectRefusedByGraphQL(await update({ authentication: { mfa: { methods: 'totp,sms' } } }), /methods/);
    expect(await snapshot(world, tenant.id)).toBe(before);
    const badCategory = await world.gql(Q.reset, { category: 'feature-flags' }, tenant.keys.ADMIN);
    // The refused value itself is never echoed (it could be a secret sent to the wrong field).
    expect(badCategory.body.errors?.[0]?.message).toBe(
      'Variable "$category" got invalid value; Value does not exist in "SettingsCategory" enum.',
    );
  });
});

describe('every seed 001 field, generated from the catalog: both range ends in and out, enums, formats', () => {
  for (const entry of generatedEntries('admin')) {
    const { valid, invalid } = casesOf(entry);
    it(entry.path, async () => {
      for (const c of valid) {
        const res = await update(patchAt(entry.path, c.value));
        expect(res.body.errors, `${entry.path} ${c.title}`).toBeUndefined();
        expect(at(res.body.data.updateAdminSettings.settings.categories, entry.path), c.title).toEqual(c.value);
      }
      for (const c of invalid) {
        const before = await snapshot(world, tenant.id);
        const res = await update(patchAt(entry.path, c.value));
        expectCode(res, 'BAD_USER_INPUT');
        expect(
          res.body.errors![0].extensions.details.some((d: any) => d.path.startsWith(entry.path)),
          `${entry.path} ${c.title}`,
        ).toBe(true);
        expect(await snapshot(world, tenant.id), `${entry.path} ${c.title} left data unchanged`).toBe(before);
      }
    });
  }

  it('states some ranges literally (so a wrong catalog fails)', async () => {
    expectBadInput(
      await update({ authentication: { password_policy: { min_length: 5 } } }),
      'authentication.password_policy.min_length must be between 6 and 128',
    );
    expectBadInput(
      await update({ authentication: { lockout: { max_attempts: 0 } } }),
      'authentication.lockout.max_attempts must be between 1 and 100',
    );
    expectBadInput(
      await update({ authentication: { mfa: { methods: ['carrier-pigeon'] } } }),
      'authentication.mfa.methods[0] must be one of: totp, sms, email, webauthn, push',
    );
    expectBadInput(
      await update({ branding: { primary_color: 'blue' } }),
      'branding.primary_color must be a #RRGGBB colour',
    );
    expectBadInput(
      await update({ tokens: { signing_algorithm: 'none' } }),
      'tokens.signing_algorithm must be one of: RS256, ES256, EdDSA',
    );
  });

  it('webhooks.endpoints (JSON) is validated by the catalog', async () => {
    const ok = await update({
      webhooks: {
        endpoints: [
          { url: 'https://hooks.example.com/in', events: ['scan.create', 'settings.update'] },
          { url: 'https://all.example.com/in', events: ['*'] },
        ],
      },
    });
    expect(ok.body.errors).toBeUndefined();
    const before = await snapshot(world, tenant.id);
    expectBadInput(
      await update({ webhooks: { endpoints: [{ url: 'http://insecure.example.com', events: [] }] } }),
      'webhooks.endpoints [0].url must be an https:// URL',
    );
    expectBadInput(
      await update({ webhooks: { endpoints: [{ url: 'https://a.example.com' }] } }),
      'webhooks.endpoints [0].events is required',
    );
    // The event names are the change feed's actions (and `*`), nothing else.
    expectBadInput(
      await update({ webhooks: { endpoints: [{ url: 'https://a.example.com', events: ['scan.completed'] }] } }),
      /^webhooks\.endpoints \[0\]\.events items must be one of: tenant\.create, settings\.update, .*, \*$/,
    );
    expectBadInput(
      await update({ webhooks: { endpoints: [{ url: 'https://a.example.com', events: [], headers: {} }] } }),
      'webhooks.endpoints [0].headers is not a known field',
    );
    expectBadInput(
      await update({ webhooks: { endpoints: { url: 'https://a.example.com' } } }),
      'webhooks.endpoints must be a list',
    );
    expect(await snapshot(world, tenant.id)).toBe(before);
  });
});

describe('seed 001 POST /api/admin/settings/reset/:category', () => {
  it('an operator cannot reset (FORBIDDEN), a viewer cannot update; nothing written', async () => {
    const before = await snapshot(world, tenant.id);
    expectCode(await reset('authentication', tenant.keys.OPERATOR), 'FORBIDDEN');
    expectCode(await reset('authentication', tenant.keys.VIEWER), 'FORBIDDEN');
    expectCode(await update({ tokens: { access_token_ttl: 120 } }, tenant.keys.VIEWER), 'FORBIDDEN');
    expect(await snapshot(world, tenant.id)).toBe(before);
  });

  it('the admin resets one category to its defaults; other categories keep their values', async () => {
    await update({
      authentication: { password_policy: { min_length: 14 }, lockout: { reset_after: 120 } },
      tokens: { access_token_ttl: 600 },
    });
    const { version } = await read();
    const res = await reset('authentication');
    expect(res.body.errors).toBeUndefined();
    const payload = res.body.data.resetSettingsCategory;
    expect(payload).toMatchObject({ category: 'authentication', reset: true, version: version + 1 });
    expect(payload.changes).toContainEqual({
      path: 'password_policy.min_length',
      category: 'authentication',
      old: 14,
      new: 8,
    });
    expect(payload.changes).toContainEqual({
      path: 'lockout.reset_after',
      category: 'authentication',
      old: 120,
      new: 3600,
    });
    expect(await category('authentication')).toEqual(seedAuthentication);
    expect((await category('tokens')).access_token_ttl).toBe(600);
    const stored = await world.store.db
      .selectFrom('setting_values')
      .select('path')
      .where('tenant_id', '=', tenant.id)
      .where('path', 'like', 'admin.authentication.%')
      .execute();
    expect(stored).toEqual([]);
    const log = await world.gql(
      Q.auditLog,
      { id: tenant.id, filter: { action: 'settings.reset' }, first: 1 },
      tenant.keys.VIEWER,
    );
    expect(log.body.data.tenant.auditLog.nodes[0]).toMatchObject({
      action: 'settings.reset',
      target: 'settings:authentication',
      actorRole: 'ADMIN',
    });
    expect(log.body.data.tenant.auditLog.nodes[0].changes['admin.authentication.password_policy.min_length']).toEqual({
      old: 14,
      new: 8,
    });
  });

  it('resetting a category with nothing stored answers reset: true, no changes, and keeps the version', async () => {
    const { version } = await read();
    const payload = (await reset('authentication')).body.data.resetSettingsCategory;
    expect(payload).toMatchObject({ reset: true, changes: [], version });
  });
});
