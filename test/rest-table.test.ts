import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath, responseSchemaOf } from '../src/rest/openapi.js';
import { operationName, type Route, selected } from '../src/rest/route.js';
import { routes } from '../src/rest/routes/index.js';
import { schema } from '../src/schema/index.js';
import { SHARE_SCOPES } from '../src/services/share-links.js';
import { logLineOf, rest } from './helpers/rest.js';
import { routeSamples } from './helpers/route-samples.js';
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

const samples = routeSamples(() => ({ world, tenant }));

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
