import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest } from './helpers/rest.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

/**
 * The platform admin on the paths that act on "the key's tenant" (`/tenant/*`, `/api/admin/*`):
 * it names the tenant with `tenant_id`; without it every such path, read or write, answers the
 * same invalid-input error in its family's dialect (422 on /tenant/*, 400 on /api/admin/*).
 */

let world: World;
let tenant: TestTenant;
let other: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ name: 'Named by the platform admin', tier: 'ENTERPRISE' });
  other = await world.createTenantWithKeys({ name: 'Someone else' });
});
afterAll(() => world.close());

type Call = [method: string, path: string, body?: unknown];

const TENANT_FAMILY: Call[] = [
  ['GET', '/tenant/me'],
  ['GET', '/tenant/settings'],
  ['PUT', '/tenant/settings', { certExpiryDays: 45 }],
  ['PATCH', '/tenant/settings', { benchmarkOptIn: true }],
];
const ADMIN_FAMILY: Call[] = [
  ['GET', '/api/admin/settings'],
  ['GET', '/api/admin/settings/branding'],
  ['PUT', '/api/admin/settings/branding', { company_name: 'Named Inc' }],
  ['GET', '/api/admin/settings/feature-flags'],
  ['PUT', '/api/admin/settings/feature-flags/advanced_mfa', { enabled: true }],
  ['POST', '/api/admin/settings/reset/email'],
  ['GET', '/api/admin/audit-logs'],
];

const withTenant = (path: string, id: string) => `${path}${path.includes('?') ? '&' : '?'}tenant_id=${id}`;

describe('platform admin without tenant_id: one answer for reads and writes', () => {
  it.each(TENANT_FAMILY)('/tenant/*: %s %s → 422 naming tenant_id', async (method, path, body) => {
    const res = await rest(world, method, path, { key: PLATFORM_KEY, body });
    expect(res.status, res.text).toBe(422);
    expect(res.body).toEqual({
      error: {
        code: 'BAD_USER_INPUT',
        message: 'The tenant_id query parameter is required for the platform admin',
        details: [{ path: 'tenant_id', message: 'required' }],
      },
    });
  });

  it.each(ADMIN_FAMILY)('/api/admin/*: %s %s → 400 naming tenant_id', async (method, path, body) => {
    const res = await rest(world, method, path, { key: PLATFORM_KEY, body });
    expect(res.status, res.text).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: 'BAD_USER_INPUT',
        message: 'The tenant_id query parameter is required for the platform admin',
        details: [{ path: 'tenant_id', message: 'required' }],
      },
    });
  });

  it('a malformed tenant_id is invalid input in the parameter name; an unknown one is 404', async () => {
    const bad = await rest(world, 'GET', '/tenant/settings?tenant_id=nope', { key: PLATFORM_KEY });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'The tenant_id query parameter must be a UUID',
      details: [{ path: 'tenant_id', message: 'must be a UUID' }],
    });
    const unknown = await rest(
      world,
      'PUT',
      '/api/admin/settings/branding?tenant_id=00000000-0000-4000-8000-000000000000',
      { key: PLATFORM_KEY, body: { company_name: 'X' } },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
  });
});

describe('platform admin with tenant_id: acts on that tenant', () => {
  it('GET /tenant/me names the tenant, its entitlements, and the platform admin role', async () => {
    const res = await rest(world, 'GET', withTenant('/tenant/me', tenant.id), { key: PLATFORM_KEY });
    expect(res.status, res.text).toBe(200);
    const own = await rest(world, 'GET', '/tenant/me', { key: tenant.keys.VIEWER });
    expect(res.body).toEqual({
      status: 'success',
      tenantId: tenant.id,
      role: 'platform_admin',
      entitlements: own.body.entitlements,
    });
  });

  it('/tenant/settings: writes land on the named tenant, reads see them, the other tenant is untouched', async () => {
    const put = await rest(world, 'PUT', withTenant('/tenant/settings', tenant.id), {
      key: PLATFORM_KEY,
      body: { certExpiryDays: 45 },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body.settings.certExpiryDays).toBe(45);
    const patch = await rest(world, 'PATCH', withTenant('/tenant/settings', tenant.id), {
      key: PLATFORM_KEY,
      body: { benchmarkOptIn: true },
    });
    expect(patch.status, patch.text).toBe(200);
    const read = await rest(world, 'GET', withTenant('/tenant/settings', tenant.id), { key: PLATFORM_KEY });
    expect(read.status).toBe(200);
    expect(read.body.settings).toMatchObject({ certExpiryDays: 45, benchmarkOptIn: true });
    expect(read.headers.get('etag')).toMatch(/^"\d+"$/);
    // The tenant's own key sees the same values; the other tenant kept its defaults.
    expect((await rest(world, 'GET', '/tenant/settings', { key: tenant.keys.VIEWER })).body).toEqual(read.body);
    expect((await rest(world, 'GET', '/tenant/settings', { key: other.keys.VIEWER })).body.settings).toMatchObject({
      certExpiryDays: 30,
      benchmarkOptIn: false,
    });
  });

  it('/api/admin/*: category, flag, reset and audit log of the named tenant', async () => {
    const put = await rest(world, 'PUT', withTenant('/api/admin/settings/branding', tenant.id), {
      key: PLATFORM_KEY,
      body: { company_name: 'Named Inc' },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      updated: true,
      category: 'branding',
      changes: { company_name: { new: 'Named Inc' } },
    });
    const category = await rest(world, 'GET', withTenant('/api/admin/settings/branding', tenant.id), {
      key: PLATFORM_KEY,
    });
    expect(category.status).toBe(200);
    expect(category.body.company_name).toBe('Named Inc');
    const all = await rest(world, 'GET', withTenant('/api/admin/settings', tenant.id), { key: PLATFORM_KEY });
    expect(all.body.branding.company_name).toBe('Named Inc');
    const otherBranding = await rest(world, 'GET', '/api/admin/settings/branding', { key: other.keys.VIEWER });
    expect(otherBranding.status, otherBranding.text).toBe(200);
    expect(otherBranding.body.company_name).toBeNull(); // the default: the other tenant never set it

    const flag = await rest(world, 'PUT', withTenant('/api/admin/settings/feature-flags/advanced_mfa', tenant.id), {
      key: PLATFORM_KEY,
      body: { enabled: true },
    });
    expect(flag.status, flag.text).toBe(200);
    const flags = await rest(world, 'GET', withTenant('/api/admin/settings/feature-flags', tenant.id), {
      key: PLATFORM_KEY,
    });
    expect(flags.body.flags.find((f: any) => f.key === 'advanced_mfa').enabled).toBe(true);

    const reset = await rest(world, 'POST', withTenant('/api/admin/settings/reset/branding', tenant.id), {
      key: PLATFORM_KEY,
    });
    expect(reset.status, reset.text).toBe(200);
    const afterReset = await rest(world, 'GET', '/api/admin/settings/branding', { key: tenant.keys.VIEWER });
    expect(afterReset.status, afterReset.text).toBe(200);
    expect(afterReset.body.company_name).toBeNull(); // back to the default

    const audit = await rest(world, 'GET', withTenant('/api/admin/audit-logs?action=settings.update', tenant.id), {
      key: PLATFORM_KEY,
    });
    expect(audit.status, audit.text).toBe(200);
    expect(audit.body.entries.length).toBeGreaterThan(0);
    expect(audit.body.entries.every((e: any) => e.action === 'settings.update')).toBe(true);
  });
});

describe('tenant keys and tenant_id', () => {
  it('a tenant key may name its own tenant (same answer as without it)', async () => {
    const named = await rest(world, 'GET', withTenant('/tenant/me', tenant.id), { key: tenant.keys.VIEWER });
    expect(named.status).toBe(200);
    expect(named.body).toEqual((await rest(world, 'GET', '/tenant/me', { key: tenant.keys.VIEWER })).body);
  });

  it.each([...TENANT_FAMILY, ...ADMIN_FAMILY])(
    "another tenant's id is 403, read or write: %s %s",
    async (method, path, body) => {
      const res = await rest(world, method, withTenant(path, other.id), { key: tenant.keys.ADMIN, body });
      expect(res.status, res.text).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    },
  );
});
