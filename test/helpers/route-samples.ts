import { seedScan, seedShareLink } from './scans.js';
import type { TestTenant, World } from './world.js';

/** A valid call of one route: its path (with query) and JSON body. */
export interface RouteSample {
  path: string;
  body?: unknown;
}

/**
 * A valid call of each route of the table, by `METHOD /pattern`, made for the tenant of
 * `context()` (scans and share links are created for it as needed; each call makes new ones).
 * Tests that walk the table use it: a route added without one fails their walk.
 */
export function routeSamples(
  context: () => { world: World; tenant: TestTenant },
): Record<string, () => Promise<RouteSample>> {
  async function newScan(): Promise<string> {
    const { world, tenant } = context();
    return (await seedScan(world, tenant, { target: 'example.com', report: { findings: 1 } })).id;
  }

  async function newShareLink(): Promise<{ id: string; token: string }> {
    const { world, tenant } = context();
    const { shareLink, token } = await seedShareLink(world, tenant, await newScan());
    return { id: shareLink.id, token };
  }

  return {
    'GET /tenant/me': async () => ({ path: '/tenant/me' }),
    'GET /tenant/settings': async () => ({ path: '/tenant/settings' }),
    'PUT /tenant/settings': async () => ({
      path: '/tenant/settings',
      body: { benchmarkOptIn: true, industry: 'financial' },
    }),
    'PATCH /tenant/settings': async () => ({ path: '/tenant/settings', body: { certExpiryDays: 45 } }),
    'POST /tenant/scans/:scanId/share': async () => ({
      path: `/tenant/scans/${await newScan()}/share`,
      body: { label: 'Auditor handoff', scope: 'passport' },
    }),
    'POST /tenant/scans/:scanId/share-links': async () => ({
      path: `/tenant/scans/${await newScan()}/share-links`,
      body: { expiresHours: 24 },
    }),
    'DELETE /tenant/share-links/:id': async () => ({ path: `/tenant/share-links/${(await newShareLink()).id}` }),
    'GET /api/admin/settings': async () => ({ path: '/api/admin/settings' }),
    'GET /api/admin/settings/:category': async () => ({ path: '/api/admin/settings/branding' }),
    'PUT /api/admin/settings/:category': async () => ({
      path: '/api/admin/settings/authentication',
      body: { password_policy: { min_length: 10 } },
    }),
    'GET /api/admin/settings/feature-flags': async () => ({ path: '/api/admin/settings/feature-flags' }),
    'PUT /api/admin/settings/feature-flags/:flag': async () => ({
      path: '/api/admin/settings/feature-flags/passwordless_enabled',
      body: { enabled: true },
    }),
    'POST /api/admin/settings/reset/:category': async () => ({ path: '/api/admin/settings/reset/branding' }),
    'GET /api/admin/audit-logs': async () => ({ path: '/api/admin/audit-logs?action=settings.update&limit=5' }),
    'GET /api/admin/audit-logs/export': async () => ({
      path: '/api/admin/audit-logs/export?format=csv&action=settings.update',
    }),
    'GET /api/v1/tenants/:id/config': async () => ({ path: `/api/v1/tenants/${context().tenant.id}/config` }),
    'PUT /api/v1/tenants/:id/config': async () => ({
      path: `/api/v1/tenants/${context().tenant.id}/config`,
      body: { performance: { cache_size_mb: 2048 } },
    }),
    'GET /api/v1/tenants/:id/features': async () => ({ path: `/api/v1/tenants/${context().tenant.id}/features` }),
    'GET /api/v1/tenants/:id/config/history': async () => ({
      path: `/api/v1/tenants/${context().tenant.id}/config/history?path=performance.&limit=5`,
    }),
    'GET /api/v1/tenants/:id/config/versions/:version': async () => ({
      path: `/api/v1/tenants/${context().tenant.id}/config/versions/0`,
    }),
    'POST /api/v1/tenants/:id/config/rollback': async () => ({
      path: `/api/v1/tenants/${context().tenant.id}/config/rollback`,
      body: { to_version: 0, paths: ['performance.cache_size_mb'] },
    }),
    'GET /api/admin/settings/history': async () => ({ path: '/api/admin/settings/history?limit=5' }),
    'POST /api/admin/settings/rollback': async () => ({
      path: '/api/admin/settings/rollback',
      body: { to_version: 0, paths: ['branding'] },
    }),
    'GET /api/admin/settings/export': async () => ({ path: '/api/admin/settings/export' }),
    'POST /api/admin/settings/import': async () => ({
      path: '/api/admin/settings/import?dry_run=true',
      body: { format: 'tenant-configuration', format_version: 1, config: { performance: { cache_size_mb: 2048 } } },
    }),
    'GET /share/:token': async () => ({ path: `/share/${(await newShareLink()).token}` }),
    'POST /ofrep/v1/evaluate/flags/:key': async () => ({
      path: '/ofrep/v1/evaluate/flags/advanced_mfa',
      body: { context: { targetingKey: 'user-1' } },
    }),
    'POST /ofrep/v1/evaluate/flags': async () => ({ path: '/ofrep/v1/evaluate/flags', body: { context: {} } }),
    'GET /ofrep/v1/events': async () => ({ path: '/ofrep/v1/events' }),
  };
}
