import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath, responseSchemaOf } from '../src/rest/openapi.js';
import { operationName, type Route, selected } from '../src/rest/route.js';
import { routes } from '../src/rest/routes/index.js';
import { schema } from '../src/schema/index.js';
import { SHARE_SCOPES } from '../src/services/share-links.js';
import { logLineOf, rest } from './helpers/rest.js';
import { createWorld, type TestTenant, TRANSPORTS, type World } from './helpers/world.js';

/**
 * Walks the whole route table: every route answers a valid call with 2xx on every key transport,
 * the request's one log line names the route's GraphQL operation (set only once the inner
 * /graphql request reaches execution, so no route bypasses the pipeline), and every route is in
 * /openapi.json.
 */

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ name: 'Table Tenant', tier: 'ENTERPRISE' });
});
afterAll(() => world.close());

async function newScan(): Promise<string> {
  const res = await world.gql(
    'mutation($input: CreateScanInput!) { createScan(input: $input) { scan { id } } }',
    { input: { target: 'example.com', report: { findings: 1 } } },
    tenant.keys.ADMIN,
  );
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data.createScan.scan.id;
}

async function newShareLink(): Promise<{ id: string; token: string }> {
  const res = await world.gql(
    'mutation($id: ID!) { createShareLink(scanId: $id) { token shareLink { id } } }',
    { id: await newScan() },
    tenant.keys.ADMIN,
  );
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return { id: res.body.data.createShareLink.shareLink.id, token: res.body.data.createShareLink.token };
}

/** A valid call of each route. A route added to the table without one fails the walk. */
const samples: Record<string, () => Promise<{ path: string; body?: unknown }>> = {
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
  'GET /api/v1/tenants/:id/config': async () => ({ path: `/api/v1/tenants/${tenant.id}/config` }),
  'PUT /api/v1/tenants/:id/config': async () => ({
    path: `/api/v1/tenants/${tenant.id}/config`,
    body: { performance: { cache_size_mb: 2048 } },
  }),
  'GET /api/v1/tenants/:id/features': async () => ({ path: `/api/v1/tenants/${tenant.id}/features` }),
  'GET /api/v1/tenants/:id/config/history': async () => ({
    path: `/api/v1/tenants/${tenant.id}/config/history?path=performance.&limit=5`,
  }),
  'GET /api/v1/tenants/:id/config/versions/:version': async () => ({
    path: `/api/v1/tenants/${tenant.id}/config/versions/0`,
  }),
  'POST /api/v1/tenants/:id/config/rollback': async () => ({
    path: `/api/v1/tenants/${tenant.id}/config/rollback`,
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

const label = (r: Route) => `${r.method} ${r.path}`;
const keyed = routes.filter((r) => r.auth === 'key');

describe('the route table', () => {
  it('has a sample call for every route, and every route names one distinct operation', () => {
    expect(routes.map(label).filter((l) => !samples[l])).toEqual([]);
    const names = routes.map(operationName);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(keyed.flatMap((r) => TRANSPORTS.map((t) => [label(r), t, r] as const)))(
    '%s reaches GraphQL with the key on the %s transport',
    async (_l, transport, route) => {
      const sample = await samples[label(route)]();
      const res = await rest(world, route.method, sample.path, {
        key: tenant.keys.ADMIN,
        transport,
        body: sample.body,
      });
      expect(res.status, res.text).toBe(route.status ?? 200);
      const line = logLineOf(world, res.headers.get('x-request-id'));
      expect(line).toMatchObject({
        method: route.method,
        path: sample.path.split('?')[0],
        operation: operationName(route),
        status: res.status,
      });
      expect(line.principal).toEqual({ tenantId: tenant.id, keyId: tenant.keyIds.ADMIN, role: 'ADMIN' });
    },
  );

  it.each(routes.filter((r) => r.auth === 'public').map((r) => [label(r), r] as const))(
    '%s reaches GraphQL without a key',
    async (_l, route) => {
      const sample = await samples[label(route)]();
      const res = await rest(world, route.method, sample.path);
      expect(res.status, res.text).toBe(route.status ?? 200);
      expect(logLineOf(world, res.headers.get('x-request-id'))).toMatchObject({
        operation: operationName(route),
        principal: { anonymous: 'missing' },
      });
    },
  );

  it.each(keyed.map((r) => [label(r), r] as const))(
    '%s refuses a call without a key (401 from GraphQL)',
    async (_l, route) => {
      const sample = await samples[label(route)]();
      const res = await rest(world, route.method, sample.path, { body: sample.body });
      expect(res.status).toBe(401);
    },
  );
});

describe('GET /openapi.json', () => {
  it('is a public OpenAPI 3.1 document listing every route with its operation', async () => {
    const res = await rest(world, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const route of routes) {
      const op = res.body.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
      expect(op, label(route)).toBeDefined();
      expect(op.operationId).toBe(operationName(route));
      expect(op.responses[String(route.status ?? 200)]).toBeDefined();
      expect(op.security).toEqual(
        route.auth === 'public' ? [] : [{ bearerKey: [] }, { headerKey: [] }, { queryKey: [] }],
      );
      for (const name of Object.keys(route.params ?? {})) expect(op.parameters.map((p: any) => p.name)).toContain(name);
    }
    const documented = Object.entries(res.body.paths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
  });

  it('documents bodies from the GraphQL input types and categories from the schema enum', async () => {
    const res = await rest(world, 'GET', '/openapi.json');
    const put = res.body.paths['/tenant/settings'].put.requestBody.content['application/json'].schema;
    expect(Object.keys(put.properties)).toEqual(
      expect.arrayContaining(['readinessDropThreshold', 'evidenceRetentionMonths', 'webhookSigningSecret', 'industry']),
    );
    const category = res.body.paths['/api/admin/settings/{category}'].get.parameters.find(
      (p: any) => p.name === 'category',
    );
    expect(category.schema.enum.sort()).toEqual([
      'authentication',
      'branding',
      'compliance',
      'email',
      'security',
      'tokens',
      'webhooks',
    ]);
    const v1 = res.body.paths['/api/v1/tenants/{id}/config'].put.requestBody.content['application/json'].schema;
    expect(Object.keys(v1.properties).sort()).toEqual([
      'backup',
      'compliance',
      'custom_settings',
      'performance',
      'replication',
      'security',
    ]);
  });

  it('documents the values a route passes through from the GraphQL types its document selects', async () => {
    const res = await rest(world, 'GET', '/openapi.json');
    const body = (path: string, method: string, status: string) =>
      res.body.paths[path][method].responses[status].content['application/json'].schema;
    // ShareLink.revokedAt is a nullable DateTime; the enum is the schema's ShareScope.
    expect(body('/tenant/share-links/{id}', 'delete', '200').properties.revokedAt).toEqual({
      type: ['string', 'null'],
      format: 'date-time',
    });
    const scope = body('/tenant/scans/{scanId}/share-links', 'post', '201').properties.scope;
    expect(scope.enum.sort()).toEqual([...SHARE_SCOPES].sort());
    // What the route writes beside the selection stays (a JSON value's shape, a format).
    expect(body('/tenant/me', 'get', '200').properties.entitlements).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'boolean' },
    });
    expect(body('/tenant/scans/{scanId}/share', 'post', '201').properties.url).toMatchObject({
      type: 'string',
      format: 'uri',
      // The field's own description in the schema.
      description: expect.stringContaining('/share/{token}'),
    });
  });

  it("refuses to document a value the route's document does not select", () => {
    const route = routes.find((r) => r.path === '/tenant/me')!;
    const broken = { ...route, responseSchema: { type: 'object', properties: { x: selected('currentTenant.nope') } } };
    expect(() => responseSchemaOf(broken, schema)).toThrow(/selects nothing at currentTenant\.nope/);
  });
});
