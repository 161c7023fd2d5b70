import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest } from './helpers/rest.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ name: 'Admin Tenant', tier: 'ENTERPRISE' });
});
afterAll(() => world.close());

/** Seed 001's "Get Settings by Category" example: every documented field with its default. */
const SEED_AUTHENTICATION = {
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

const SEED_FLAGS = [
  {
    key: 'passwordless_enabled',
    display_name: 'Passwordless Authentication',
    description: 'Enable passwordless authentication with WebAuthn/Passkeys',
    category: 'authentication',
    impact: 'low',
  },
  {
    key: 'advanced_mfa',
    display_name: 'Advanced MFA',
    description: 'Enable risk-based MFA and adaptive authentication',
    category: 'security',
    impact: 'medium',
  },
  {
    key: 'rebac_enabled',
    display_name: 'ReBAC',
    description: 'Enable relationship-based access control',
    category: 'access_control',
    impact: 'high',
  },
  {
    key: 'audit_log_export',
    display_name: 'Audit Log Export',
    description: 'CSV/JSON export functionality for audit logs',
    category: 'compliance',
    impact: 'low',
  },
];

const nowSeconds = () => Math.floor(world.clock.now().getTime() / 1000);
const expectUnixNow = (value: unknown) => {
  expect(Number.isInteger(value)).toBe(true);
  expect(Math.abs((value as number) - nowSeconds())).toBeLessThan(60);
};

describe('seed 001 examples', () => {
  it('GET /api/admin/settings: every category, the seed example fields with their defaults', async () => {
    const t = await world.createTenantWithKeys({ name: 'All settings' });
    const res = await rest(world, 'GET', '/api/admin/settings', { key: t.keys.VIEWER });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([
      'authentication',
      'branding',
      'compliance',
      'email',
      'security',
      'tokens',
      'webhooks',
    ]);
    expect(res.body.authentication).toMatchObject(SEED_AUTHENTICATION);
    // The seed shows a configured tenant's branding and email; their fields are all there (unset: null).
    expect(Object.keys(res.body.branding)).toEqual(
      expect.arrayContaining(['logo_url', 'primary_color', 'company_name']),
    );
    expect(Object.keys(res.body.email)).toEqual(expect.arrayContaining(['from_address', 'from_name']));
    expect(res.body.security).toMatchObject({
      allowed_origins: expect.any(Array),
      trusted_proxies: expect.any(Array),
      rate_limiting: { enabled: true, requests_per_minute: 60 },
    });
    expect(res.headers.get('etag')).toMatch(/^"\d+"$/);
    // The same documents GET /:category answers.
    for (const category of Object.keys(res.body)) {
      const one = await rest(world, 'GET', `/api/admin/settings/${category}`, { key: t.keys.VIEWER });
      expect(one.body, category).toEqual(res.body[category]);
    }
  });

  it('GET /api/admin/settings/authentication: the documented document', async () => {
    const t = await world.createTenantWithKeys({ name: 'Auth category' });
    const res = await rest(world, 'GET', '/api/admin/settings/authentication', { key: t.keys.VIEWER });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(SEED_AUTHENTICATION);
    expect(Object.keys(res.body).sort()).toEqual(['lockout', 'mfa', 'password_policy', 'session']);
  });

  it('PUT /api/admin/settings/authentication: the documented example and its exact changes', async () => {
    const t = await world.createTenantWithKeys({ name: 'Auth update' });
    const res = await rest(world, 'PUT', '/api/admin/settings/authentication', {
      key: t.keys.OPERATOR,
      body: { password_policy: { min_length: 12, require_symbols: true }, mfa: { required: true } },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['updated', 'category', 'changes', 'updated_at']);
    expect(res.body.updated).toBe(true);
    expect(res.body.category).toBe('authentication');
    expect(res.body.changes).toEqual({
      'password_policy.min_length': { old: 8, new: 12 },
      'password_policy.require_symbols': { old: false, new: true },
      'mfa.required': { old: false, new: true },
    });
    expectUnixNow(res.body.updated_at);
    const read = await rest(world, 'GET', '/api/admin/settings/authentication', { key: t.keys.VIEWER });
    expect(read.body.password_policy).toMatchObject({ min_length: 12, require_symbols: true, require_uppercase: true });
    expect(read.body.mfa.required).toBe(true);
  });

  it('GET /api/admin/settings/feature-flags: { flags: [...] } with the documented fields and the documented flags', async () => {
    const res = await rest(world, 'GET', '/api/admin/settings/feature-flags', { key: tenant.keys.VIEWER });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['flags']);
    for (const flag of res.body.flags) {
      expect(Object.keys(flag)).toEqual(['key', 'display_name', 'description', 'enabled', 'category', 'impact']);
      expect(typeof flag.enabled).toBe('boolean');
    }
    for (const seed of SEED_FLAGS) expect(res.body.flags).toContainEqual({ ...seed, enabled: expect.any(Boolean) });
  });

  it('PUT /api/admin/settings/feature-flags/passwordless_enabled: { key, enabled, updated_at }', async () => {
    const t = await world.createTenantWithKeys({ name: 'Flag', tier: 'ENTERPRISE' });
    const res = await rest(world, 'PUT', '/api/admin/settings/feature-flags/passwordless_enabled', {
      key: t.keys.OPERATOR,
      body: { enabled: true },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['key', 'enabled', 'updated_at']);
    expect(res.body).toMatchObject({ key: 'passwordless_enabled', enabled: true });
    expectUnixNow(res.body.updated_at);
    const list = await rest(world, 'GET', '/api/admin/settings/feature-flags', { key: t.keys.VIEWER });
    expect(list.body.flags.find((f: any) => f.key === 'passwordless_enabled').enabled).toBe(true);
  });

  it('POST /api/admin/settings/reset/authentication: { reset, category, reset_at } and the defaults are back', async () => {
    const t = await world.createTenantWithKeys({ name: 'Reset' });
    await rest(world, 'PUT', '/api/admin/settings/authentication', {
      key: t.keys.ADMIN,
      body: { password_policy: { min_length: 14 } },
    });
    const res = await rest(world, 'POST', '/api/admin/settings/reset/authentication', { key: t.keys.ADMIN });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['reset', 'category', 'reset_at']);
    expect(res.body).toMatchObject({ reset: true, category: 'authentication' });
    expectUnixNow(res.body.reset_at);
    const read = await rest(world, 'GET', '/api/admin/settings/authentication', { key: t.keys.VIEWER });
    expect(read.body).toMatchObject(SEED_AUTHENTICATION);
  });

  it('GET /api/admin/audit-logs?action=settings.update: entries, filters and cursor pagination', async () => {
    const t = await world.createTenantWithKeys({ name: 'Audit' });
    await rest(world, 'PUT', '/api/admin/settings/branding', {
      key: t.keys.ADMIN,
      body: { company_name: 'First Corp' },
    });
    await rest(world, 'PUT', '/api/admin/settings/branding', {
      key: t.keys.ADMIN,
      body: { company_name: 'Second Corp' },
    });
    await rest(world, 'PUT', '/api/admin/settings/feature-flags/advanced_mfa', {
      key: t.keys.ADMIN,
      body: { enabled: false },
    });
    const all = await rest(world, 'GET', '/api/admin/audit-logs?action=settings.update', { key: t.keys.ADMIN });
    expect(all.status).toBe(200);
    expect(all.body.entries).toHaveLength(2);
    for (const entry of all.body.entries) {
      expect(entry).toMatchObject({ action: 'settings.update', actor_key_id: t.keyIds.ADMIN, actor_role: 'ADMIN' });
      expectUnixNow(entry.created_at);
    }
    expect(all.body.next_cursor).toBeNull();
    const first = await rest(world, 'GET', '/api/admin/audit-logs?action=settings.update&limit=1', {
      key: t.keys.ADMIN,
    });
    expect(first.body.entries).toHaveLength(1);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await rest(
      world,
      'GET',
      `/api/admin/audit-logs?action=settings.update&limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`,
      { key: t.keys.ADMIN },
    );
    expect(second.body.entries).toHaveLength(1);
    expect(second.body.entries[0].id).not.toBe(first.body.entries[0].id);
    const future = await rest(world, 'GET', `/api/admin/audit-logs?since=${nowSeconds() + 3600}`, {
      key: t.keys.ADMIN,
    });
    expect(future.body.entries).toEqual([]);
    const flags = await rest(world, 'GET', '/api/admin/audit-logs?action=feature_flag.update', { key: t.keys.ADMIN });
    expect(flags.body.entries).toHaveLength(1);
  });
});

describe('feature-flags is never a category', () => {
  it('PUT /api/admin/settings/feature-flags is 405 (GET only), not a category update', async () => {
    const res = await rest(world, 'PUT', '/api/admin/settings/feature-flags', {
      key: tenant.keys.ADMIN,
      body: { x: 1 },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(res.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('an unknown category is 404, on read, update and reset', async () => {
    for (const [method, path] of [
      ['GET', '/api/admin/settings/nonsense'],
      ['PUT', '/api/admin/settings/nonsense'],
      ['POST', '/api/admin/settings/reset/feature-flags'],
    ]) {
      const res = await rest(world, method, path, { key: tenant.keys.ADMIN, body: method === 'PUT' ? {} : undefined });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
  });
});

describe('/api/admin/* error dialect', () => {
  const expectAdminError = (res: { status: number; body: any }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  };

  it('401 without a key', async () => {
    expectAdminError(await rest(world, 'GET', '/api/admin/settings'), 401, 'UNAUTHENTICATED');
  });

  it('403 for a viewer writing, an operator resetting; 400 for the platform admin without tenant_id', async () => {
    expectAdminError(
      await rest(world, 'PUT', '/api/admin/settings/branding', {
        key: tenant.keys.VIEWER,
        body: { company_name: 'X' },
      }),
      403,
      'FORBIDDEN',
    );
    expectAdminError(
      await rest(world, 'POST', '/api/admin/settings/reset/branding', { key: tenant.keys.OPERATOR }),
      403,
      'FORBIDDEN',
    );
    expectAdminError(await rest(world, 'GET', '/api/admin/settings', { key: PLATFORM_KEY }), 400, 'BAD_USER_INPUT');
  });

  it('404 for an unknown flag and an unknown path', async () => {
    expectAdminError(
      await rest(world, 'PUT', '/api/admin/settings/feature-flags/no_such_flag', {
        key: tenant.keys.ADMIN,
        body: { enabled: true },
      }),
      404,
      'NOT_FOUND',
    );
    expectAdminError(await rest(world, 'GET', '/api/admin/nothing', { key: tenant.keys.ADMIN }), 404, 'NOT_FOUND');
  });

  it('400 with details for a refused value, and nothing changes', async () => {
    const before = await rest(world, 'GET', '/api/admin/settings/authentication', { key: tenant.keys.VIEWER });
    const res = await rest(world, 'PUT', '/api/admin/settings/authentication', {
      key: tenant.keys.ADMIN,
      body: { password_policy: { min_length: -1 } },
    });
    expectAdminError(res, 400, 'BAD_USER_INPUT');
    expect(res.body.error.details.length).toBeGreaterThan(0);
    const after = await rest(world, 'GET', '/api/admin/settings/authentication', { key: tenant.keys.VIEWER });
    expect(after.body).toEqual(before.body);
  });

  it('400 for an unknown field, malformed JSON, a non-object body, a non-boolean flag', async () => {
    expectAdminError(
      await rest(world, 'PUT', '/api/admin/settings/authentication', {
        key: tenant.keys.ADMIN,
        body: { password_policy: { min_lenght: 9 } },
      }),
      400,
      'BAD_USER_INPUT',
    );
    expectAdminError(
      await rest(world, 'PUT', '/api/admin/settings/authentication', {
        key: tenant.keys.ADMIN,
        rawBody: '{',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'BAD_USER_INPUT',
    );
    expectAdminError(
      await rest(world, 'PUT', '/api/admin/settings/authentication', { key: tenant.keys.ADMIN, body: [] }),
      400,
      'BAD_USER_INPUT',
    );
    expectAdminError(
      await rest(world, 'PUT', '/api/admin/settings/feature-flags/advanced_mfa', {
        key: tenant.keys.ADMIN,
        body: { enabled: 'yes' },
      }),
      400,
      'BAD_USER_INPUT',
    );
    const extra = await rest(world, 'PUT', '/api/admin/settings/feature-flags/advanced_mfa', {
      key: tenant.keys.ADMIN,
      body: { enabled: true, why: 'x' },
    });
    expectAdminError(extra, 400, 'BAD_USER_INPUT');
    expect(extra.body.error.details).toEqual([{ path: 'why', message: 'Unknown field' }]);
    expectAdminError(
      await rest(world, 'PUT', '/api/admin/settings/feature-flags/advanced_mfa', { key: tenant.keys.ADMIN, body: {} }),
      400,
      'BAD_USER_INPUT',
    );
    expectAdminError(
      await rest(world, 'GET', '/api/admin/audit-logs?limit=ten', { key: tenant.keys.ADMIN }),
      400,
      'BAD_USER_INPUT',
    );
  });

  it('415 for a body that is not JSON', async () => {
    expectAdminError(
      await rest(world, 'PUT', '/api/admin/settings/branding', {
        key: tenant.keys.ADMIN,
        rawBody: 'company_name=X',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('405 with Allow', async () => {
    const res = await rest(world, 'DELETE', '/api/admin/settings/branding', { key: tenant.keys.ADMIN });
    expectAdminError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')!.split(', ').sort()).toEqual(['GET', 'PUT']);
  });

  it('412 for a stale If-Match on a category update, nothing written', async () => {
    const t = await world.createTenantWithKeys({ name: 'Admin precondition' });
    const read = await rest(world, 'GET', '/api/admin/settings/branding', { key: t.keys.VIEWER });
    const etag = read.headers.get('etag')!;
    expect(
      (
        await rest(world, 'PUT', '/api/admin/settings/branding', {
          key: t.keys.ADMIN,
          body: { company_name: 'Now' },
          headers: { 'if-match': etag },
        })
      ).status,
    ).toBe(200);
    const stale = await rest(world, 'PUT', '/api/admin/settings/branding', {
      key: t.keys.ADMIN,
      body: { company_name: 'Lost' },
      headers: { 'if-match': etag },
    });
    expectAdminError(stale, 412, 'PRECONDITION_FAILED');
    expect((await rest(world, 'GET', '/api/admin/settings/branding', { key: t.keys.VIEWER })).body.company_name).toBe(
      'Now',
    );
  });
});
