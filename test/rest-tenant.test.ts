import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { expectTenantError, logLineOf, rest } from './helpers/rest.js';
import { createWorld, PLATFORM_KEY, type TestTenant, TRANSPORTS, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ name: 'Rest Tenant', tier: 'PRO' });
});
afterAll(() => world.close());

describe('seed 004: GET /tenant/me', () => {
  it('answers the documented body: status, tenantId, lowercase role, entitlements object', async () => {
    const res = await rest(world, 'GET', '/tenant/me', { key: tenant.keys.OPERATOR });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['entitlements', 'role', 'status', 'tenantId']);
    expect(res.body.status).toBe('success');
    expect(res.body.tenantId).toBe(tenant.id);
    expect(res.body.role).toBe('operator');
    expect(typeof res.body.entitlements).toBe('object');
    expect(Array.isArray(res.body.entitlements)).toBe(false);
    for (const value of Object.values(res.body.entitlements)) expect(typeof value).toBe('boolean');
    // Same entitlements as GraphQL's Query.me: one source.
    const viaGraphql = await world.gql(gql`{ me { entitlements } }`, {}, tenant.keys.OPERATOR);
    expect(res.body.entitlements).toEqual(viaGraphql.body.data.me.entitlements);
  });

  it('resolves each role from its key', async () => {
    for (const role of ['VIEWER', 'OPERATOR', 'ADMIN'] as const) {
      const res = await rest(world, 'GET', '/tenant/me', { key: tenant.keys[role] });
      expect(res.body.role).toBe(role.toLowerCase());
    }
  });

  it.each(TRANSPORTS)('accepts the key on the %s transport', async (transport) => {
    const res = await rest(world, 'GET', '/tenant/me', { key: tenant.keys.VIEWER, transport });
    expect(res.status).toBe(200);
    expect(res.body.tenantId).toBe(tenant.id);
  });

  it('writes one log line for the REST request and its GraphQL operation, without the key', async () => {
    const res = await rest(world, 'GET', '/tenant/me', { key: tenant.keys.VIEWER, transport: 'query' });
    const line = logLineOf(world, res.headers.get('x-request-id'));
    expect(line).toMatchObject({
      method: 'GET',
      path: '/tenant/me',
      operation: 'RestTenantMe',
      status: 200,
      principal: { tenantId: tenant.id, role: 'VIEWER' },
    });
    expect(world.logText()).not.toContain(tenant.keys.VIEWER);
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await rest(world, 'HEAD', '/tenant/me', { key: tenant.keys.VIEWER });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.text).toBe('');
  });

  it('logs a client x-request-id beside our own id, never as it', async () => {
    const res = await rest(world, 'GET', '/tenant/me', {
      key: tenant.keys.VIEWER,
      headers: { 'x-request-id': 'client-abc-123' },
    });
    const ours = res.headers.get('x-request-id');
    expect(ours).not.toBe('client-abc-123');
    expect(logLineOf(world, ours)).toMatchObject({
      path: '/tenant/me',
      operation: 'RestTenantMe',
      clientRequestId: 'client-abc-123',
    });
  });
});

describe('/tenant/* error dialect', () => {
  it('401 without a key', async () => {
    const res = await rest(world, 'GET', '/tenant/me');
    expectTenantError(res, 401, 'UNAUTHENTICATED');
    expect(res.body.error.requestId).toBeUndefined();
  });

  it.each(TRANSPORTS)('401 for an unknown key on the %s transport', async (transport) => {
    const res = await rest(world, 'GET', '/tenant/me', { key: 'tk_not_a_real_key_000000000000', transport });
    expectTenantError(res, 401, 'UNAUTHENTICATED');
  });

  it('422 for the platform admin without tenant_id (it has no tenant of its own)', async () => {
    const res = await rest(world, 'GET', '/tenant/me', { key: PLATFORM_KEY });
    expectTenantError(res, 422, 'BAD_USER_INPUT');
    expect(res.body.error.message).toBe('The tenant_id query parameter is required for the platform admin');
  });

  it('404 JSON for an unknown path', async () => {
    const res = await rest(world, 'GET', '/tenant/nothing-here', { key: tenant.keys.VIEWER });
    expectTenantError(res, 404, 'NOT_FOUND');
    const root = await rest(world, 'GET', '/no/such/thing');
    expectTenantError(root, 404, 'NOT_FOUND');
  });

  it('405 with Allow for a wrong method on a known path', async () => {
    const res = await rest(world, 'DELETE', '/tenant/me', { key: tenant.keys.ADMIN });
    expectTenantError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toBe('GET');
    const settings = await rest(world, 'POST', '/tenant/settings', { key: tenant.keys.ADMIN, body: {} });
    expect(settings.status).toBe(405);
    expect(settings.headers.get('allow')!.split(', ').sort()).toEqual(['GET', 'PATCH', 'PUT']);
  });

  it('422 with details for malformed JSON, never a 500', async () => {
    const res = await rest(world, 'PUT', '/tenant/settings', {
      key: tenant.keys.OPERATOR,
      rawBody: '{"benchmarkOptIn": tru',
      headers: { 'content-type': 'application/json' },
    });
    expectTenantError(res, 422, 'BAD_USER_INPUT');
    expect(res.body.error.details).toEqual([{ path: '', message: 'The body is not valid JSON' }]);
  });

  it.each([
    ['an array', '[1,2]'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['a number', '42'],
  ])('422 for a body that is %s, not an object', async (_what, raw) => {
    const res = await rest(world, 'PUT', '/tenant/settings', {
      key: tenant.keys.OPERATOR,
      rawBody: raw,
      headers: { 'content-type': 'application/json' },
    });
    expectTenantError(res, 422, 'BAD_USER_INPUT');
    expect(res.body.error.message).toBe('The body must be a JSON object');
  });

  it('422 when a required body is missing', async () => {
    const res = await rest(world, 'PUT', '/tenant/settings', { key: tenant.keys.OPERATOR });
    expectTenantError(res, 422, 'BAD_USER_INPUT');
  });

  it('415 for a body that is not JSON', async () => {
    const res = await rest(world, 'PUT', '/tenant/settings', {
      key: tenant.keys.OPERATOR,
      rawBody: 'benchmarkOptIn=true',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectTenantError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('422 for a body on a path that takes none', async () => {
    const res = await rest(world, 'DELETE', '/tenant/share-links/8d6f8b7e-0000-4000-8000-000000000000', {
      key: tenant.keys.OPERATOR,
      body: { why: 'because' },
    });
    expectTenantError(res, 422, 'BAD_USER_INPUT');
    expect(res.body.error.details).toEqual([{ path: 'why', message: 'Unknown field' }]);
  });

  it('404 for an id that cannot be an id, without a lookup', async () => {
    const res = await rest(world, 'POST', '/tenant/scans/not-a-uuid/share', { key: tenant.keys.OPERATOR, body: {} });
    expectTenantError(res, 404, 'NOT_FOUND');
    const line = logLineOf(world, res.headers.get('x-request-id'));
    expect(line.operation).toBeNull();
  });

  it('413 for a body above the size limit', async () => {
    const res = await rest(world, 'PUT', '/tenant/settings', {
      key: tenant.keys.OPERATOR,
      body: { industry: 'x'.repeat(300 * 1024) },
    });
    expectTenantError(res, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('seed 000: /tenant/settings', () => {
  const SEED_000_FIELDS = [
    'readinessDropThreshold',
    'alertOnNewQuantumVulnerable',
    'certExpiryDays',
    'webhookSigningSecret',
    'autoRetainScans',
    'evidenceRetentionMonths',
    'benchmarkOptIn',
    'industry',
  ];

  it('PUT replays the documented example and answers { settings } with the persisted record', async () => {
    const t = await world.createTenantWithKeys({ name: 'Seed 000' });
    const res = await rest(world, 'PUT', '/tenant/settings', {
      key: t.keys.OPERATOR,
      body: { benchmarkOptIn: true, industry: 'financial' },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['settings']);
    expect(Object.keys(res.body.settings).sort()).toEqual([...SEED_000_FIELDS].sort());
    expect(res.body.settings).toMatchObject({ benchmarkOptIn: true, industry: 'financial' });
    expect(res.headers.get('etag')).toMatch(/^"\d+"$/);
    const read = await rest(world, 'GET', '/tenant/settings', { key: t.keys.VIEWER });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
    expect(read.headers.get('etag')).toBe(res.headers.get('etag'));
    // One home: seed 000's industry is the tenant's industry.
    const viaGraphql = await world.gql(gql`{ me { tenant { industry } } }`, {}, t.keys.VIEWER);
    expect(viaGraphql.body.data.me.tenant.industry).toBe('financial');
  });

  it('PATCH is the same partial update; other fields keep their values', async () => {
    const t = await world.createTenantWithKeys({ name: 'Patch' });
    await rest(world, 'PUT', '/tenant/settings', { key: t.keys.OPERATOR, body: { certExpiryDays: 60 } });
    const res = await rest(world, 'PATCH', '/tenant/settings', {
      key: t.keys.ADMIN,
      body: { evidenceRetentionMonths: 24 },
    });
    expect(res.status).toBe(200);
    expect(res.body.settings).toMatchObject({ certExpiryDays: 60, evidenceRetentionMonths: 24 });
  });

  it('never returns the webhook signing secret', async () => {
    const t = await world.createTenantWithKeys({ name: 'Secret' });
    const canary = 'whsec-canary-' + Math.random().toString(36).slice(2);
    const res = await rest(world, 'PUT', '/tenant/settings', {
      key: t.keys.OPERATOR,
      body: { webhookSigningSecret: canary },
    });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(canary);
    const read = await rest(world, 'GET', '/tenant/settings', { key: t.keys.VIEWER });
    expect(read.text).not.toContain(canary);
    expect(read.body.settings.webhookSigningSecret).not.toBeNull();
    expect(world.logText()).not.toContain(canary);
  });

  it('answers 304 to If-None-Match with the current ETag', async () => {
    const first = await rest(world, 'GET', '/tenant/settings', { key: tenant.keys.VIEWER });
    const again = await rest(world, 'GET', '/tenant/settings', {
      key: tenant.keys.VIEWER,
      headers: { 'if-none-match': first.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('403 for a viewer writing', async () => {
    const res = await rest(world, 'PUT', '/tenant/settings', {
      key: tenant.keys.VIEWER,
      body: { benchmarkOptIn: true },
    });
    expectTenantError(res, 403, 'FORBIDDEN');
  });

  it('422 with field details for an out-of-range value, and nothing is written', async () => {
    const before = await rest(world, 'GET', '/tenant/settings', { key: tenant.keys.VIEWER });
    const res = await rest(world, 'PUT', '/tenant/settings', {
      key: tenant.keys.OPERATOR,
      body: { evidenceRetentionMonths: 121, benchmarkOptIn: true },
    });
    expectTenantError(res, 422, 'BAD_USER_INPUT');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining('evidenceRetentionMonths') })]),
    );
    const after = await rest(world, 'GET', '/tenant/settings', { key: tenant.keys.VIEWER });
    expect(after.body).toEqual(before.body);
    expect(after.headers.get('etag')).toBe(before.headers.get('etag'));
  });

  it('422 with field details for an unknown field or a wrong type', async () => {
    const unknown = await rest(world, 'PUT', '/tenant/settings', {
      key: tenant.keys.OPERATOR,
      body: { notASetting: 1 },
    });
    expectTenantError(unknown, 422, 'BAD_USER_INPUT');
    expect(unknown.body.error.details).toEqual([expect.objectContaining({ path: 'notASetting' })]);
    const wrongType = await rest(world, 'PUT', '/tenant/settings', {
      key: tenant.keys.OPERATOR,
      body: { certExpiryDays: 'soon' },
    });
    expectTenantError(wrongType, 422, 'BAD_USER_INPUT');
    expect(wrongType.body.error.details).toEqual([expect.objectContaining({ path: 'certExpiryDays' })]);
  });

  it('412 for a stale If-Match, and nothing is written; the current ETag succeeds', async () => {
    const t = await world.createTenantWithKeys({ name: 'Precondition' });
    const read = await rest(world, 'GET', '/tenant/settings', { key: t.keys.VIEWER });
    const etag = read.headers.get('etag')!;
    const first = await rest(world, 'PUT', '/tenant/settings', {
      key: t.keys.OPERATOR,
      body: { certExpiryDays: 90 },
      headers: { 'if-match': etag },
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).not.toBe(etag);
    const stale = await rest(world, 'PUT', '/tenant/settings', {
      key: t.keys.OPERATOR,
      body: { certExpiryDays: 7 },
      headers: { 'if-match': etag },
    });
    expectTenantError(stale, 412, 'PRECONDITION_FAILED');
    const after = await rest(world, 'GET', '/tenant/settings', { key: t.keys.VIEWER });
    expect(after.body.settings.certExpiryDays).toBe(90);
    expect(after.headers.get('etag')).toBe(first.headers.get('etag'));
    const garbage = await rest(world, 'PUT', '/tenant/settings', {
      key: t.keys.OPERATOR,
      body: { certExpiryDays: 7 },
      headers: { 'if-match': 'not-a-tag' },
    });
    expect(garbage.status).toBe(412);
  });
});
